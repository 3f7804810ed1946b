"""What the pages share about forms: the posted values as a schema loads them, and a
refused form turned into messages a person reads.

A refusal always says why: the service's sentence under "_" *and* the messages of
the fields it names, each shown beside its input. Both marshmallow's ValidationError
and the services' DomainError give the same shape, in the user's language.
"""
from __future__ import annotations

from flask import request
from marshmallow import ValidationError

from ..errors import DomainError
from ..schemas.messages import localize

WHOLE_FORM = "_"  # the key of messages about the form as a whole
_SCHEMA = "_schema"  # marshmallow's key for the same


def form_values(*, lists: tuple[str, ...] = (), trim: bool = False) -> dict:
    """The posted form as the schemas load it: an empty input means "not given", so an
    optional field keeps its default. Inputs named in `lists` (checkboxes) keep every
    value. With `trim` the spaces around each value go too, for forms whose fields do
    not trim themselves and hold no password."""
    values = {}
    for key, value in request.form.items():
        value = value.strip() if trim else value
        if key not in lists and value != "":
            values[key] = value
    for key in lists:
        values[key] = request.form.getlist(key)
    return values


def decimal_text(value: str) -> str:
    """Phones with a Vietnamese keyboard type a decimal comma ("12,5")."""
    return value.replace(",", ".") if "," in value and "." not in value else value


def form_errors(exc: ValidationError | DomainError) -> dict[str, list[str]]:
    """Messages by input name, each a flat list of sentences; those about the whole form
    under "_". A nested schema's messages go under its own inputs' names (the form
    posts `name`, not `organization.name`); a list's, numbered by item, under the
    list's name."""
    out: dict[str, list[str]] = {}
    if isinstance(exc, ValidationError):
        messages = localize(exc.messages)
        if isinstance(messages, dict):
            _lift(out, messages)
        else:
            _collect(out, WHOLE_FORM, messages)
    else:
        _add(out, WHOLE_FORM, [str(exc.detail)])
        for key, value in exc.errors.items():
            if _is_message(value):
                _collect(out, key, value)
    return out


def one_line(errors: dict[str, list[str]]) -> str:
    """The messages as one sentence for a flash: the form's first, then each field's
    that the sentences before do not already say."""
    said: list[str] = []
    for key in sorted(errors, key=lambda k: k != WHOLE_FORM):
        for message in errors[key]:
            if not any(message in earlier for earlier in said):
                said.append(message)
    return " ".join(said)


def _is_message(value) -> bool:
    """A service's errors may carry records for API clients (an import's report, its
    problems as dicts) beside the sentences: the page shows those elsewhere."""
    if isinstance(value, (list, tuple)):
        return all(_is_message(v) for v in value)
    return not isinstance(value, dict)


def _lift(out: dict, messages: dict) -> None:
    for key, value in messages.items():
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            _lift(out, value)
        else:
            _collect(out, WHOLE_FORM if key == _SCHEMA else str(key), value)


def _collect(out: dict, key: str, value) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _collect(out, key, item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(out, key, item)
    else:
        _add(out, key, [str(value)])


def _add(out: dict, key: str, messages: list[str]) -> None:
    bucket = out.setdefault(key, [])
    bucket.extend(m for m in messages if m not in bucket)
