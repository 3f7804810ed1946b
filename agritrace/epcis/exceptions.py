"""The exceptions of the EPCIS 2.0 query and capture interfaces, as the REST binding
names them (`epcisException:ValidationException`…), each with its HTTP status.

Pure: the door renders them as RFC 7807 problem+json (type = the exception's name);
the sentence (`detail`) is written by whoever raises, already in the reader's
language, and names the event index and the field when there is one."""
from __future__ import annotations


class EpcisException(Exception):
    status = 500
    name = "ImplementationException"

    def __init__(self, detail: str, errors: dict | None = None, *,
                 headers: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.headers = headers or {}

    @property
    def type(self) -> str:
        return f"epcisException:{self.name}"


class ValidationException(EpcisException):
    """A captured document or event breaks the schema or the platform's rules."""
    status, name = 400, "ValidationException"


class QueryParameterException(EpcisException):
    """A query parameter the standard does not define, or a value it cannot take."""
    status, name = 400, "QueryParameterException"


class QueryValidationException(EpcisException):
    status, name = 400, "QueryValidationException"


class SubscriptionControlsException(EpcisException):
    status, name = 400, "SubscriptionControlsException"


class SecurityException(EpcisException):
    """No token, or one that may not do this."""
    status, name = 401, "SecurityException"


class ForbiddenException(SecurityException):
    status = 403


class NoSuchNameException(EpcisException):
    """A named query that is not there."""
    status, name = 404, "NoSuchNameException"


class NoSuchResourceException(EpcisException):
    status, name = 404, "NoSuchResourceException"


class NoSuchSubscriptionException(EpcisException):
    status, name = 404, "NoSuchSubscriptionException"


class DuplicateNameException(EpcisException):
    status, name = 409, "DuplicateNameException"


class CaptureLimitExceededException(EpcisException):
    """A document over the size or event limit (413, the limit named)."""
    status, name = 413, "CaptureLimitExceededException"


class QueryTooLargeException(EpcisException):
    """More events match than eventCountLimit/maxEventCount allows."""
    status, name = 413, "QueryTooLargeException"


class UnsupportedMediaTypeException(EpcisException):
    status, name = 415, "UnsupportedMediaTypeException"


class NotAcceptableException(EpcisException):
    status, name = 406, "NotAcceptableException"


class UriTooLongException(EpcisException):
    status, name = 414, "URITooLongException"


class ImplementationException(EpcisException):
    status, name = 500, "ImplementationException"
