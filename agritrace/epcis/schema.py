"""Checking a document against GS1's EPCIS 2.0 JSON Schema, with problems a person can act on.

The schema (`EPCIS-JSON-Schema.json`, GS1's notice in `LICENSE-GS1` beside it) only
checks `date-time` and `uri` formats when `rfc3339-validator` and `rfc3987` are
installed; without them a malformed time or a bare extension key passes silently,
so `validator()` refuses to run without them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

from .vocabulary import term

SCHEMA_FILE = "EPCIS-JSON-Schema.json"


@dataclass(frozen=True)
class EpcisProblem:
    """One thing wrong with a document: which event (index in its eventList, or None
    for the document itself), which field (a path such as
    `epcisBody.eventList[3].eventTime`) and what is wrong, in plain English."""
    event: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"event {self.event}" if self.event is not None else "document"
        return f"{where}, {self.field or '(top level)'}: {self.message}"


class EpcisError(ValueError):
    """A document (or diary entries) that cannot be read or written as EPCIS 2.0."""

    def __init__(self, message: str, problems: list[EpcisProblem] | tuple = ()):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)

    def __str__(self) -> str:
        shown = "".join(f"\n- {p}" for p in self.problems[:20])
        more = f"\n- … and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        return self.message + shown + more


@cache
def schema() -> dict:
    return json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text("utf-8"))


@cache
def validator() -> Draft7Validator:
    checker = Draft7Validator.FORMAT_CHECKER
    missing = {"date-time", "uri"} - set(checker.checkers)
    if missing:
        raise RuntimeError("EPCIS validation needs the rfc3339-validator and rfc3987 packages; "
                           "without them these formats go unchecked: "
                           f"{', '.join(sorted(missing))}.")
    return Draft7Validator(schema(), format_checker=checker)


@cache
def compiled() -> jsonschema_rs.Draft7Validator:
    """GS1's schema compiled by jsonschema-rs, formats checked: a large document that is
    valid, the common case, is confirmed in a few milliseconds per thousand events."""
    return jsonschema_rs.Draft7Validator(schema(), validate_formats=True)


def validate_document(doc: Any) -> list[EpcisProblem]:
    """Problems with `doc` (a parsed JSON value) against GS1's schema; [] when it is valid.

    Only a document the compiled validator finds fault with is walked by jsonschema,
    whose errors say which field is wrong and why."""
    if compiled().is_valid(doc):
        return []
    problems: list[EpcisProblem] = []
    for error in validator().iter_errors(doc):
        problems.extend(_explain(error))
    unique = list(dict.fromkeys(problems))
    # Events in document order, document-level problems first.
    return sorted(unique, key=lambda p: -1 if p.event is None else p.event)


def field_path(parts) -> str:
    """`['epcisBody', 'eventList', 3, 'eventTime']` → `epcisBody.eventList[3].eventTime`."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def event_index(parts) -> int | None:
    parts = list(parts)
    for i, part in enumerate(parts[:-1]):
        if part == "eventList" and isinstance(parts[i + 1], int):
            return parts[i + 1]
    return None


def _problem(parts, message: str) -> EpcisProblem:
    return EpcisProblem(event_index(parts), field_path(parts), message)


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "true/false",
               int: "a number", float: "a number", type(None): "null"}


def _explain(error: ValidationError) -> list[EpcisProblem]:
    """Turn one jsonschema error into problems that name the field actually at fault.

    jsonschema reports a bad property *name* at the object that holds it, a missing
    property at its parent, and an `anyOf` as a whole; each is brought down to the field.
    """
    path = list(error.absolute_path)
    schema_path = list(error.absolute_schema_path)
    if "propertyNames" in schema_path:
        key = error.instance
        if isinstance(key, str) and ":" not in key:
            return [_problem(path + [key], f"{_shown(key)} is not an EPCIS field; an extension "
                             "field needs a namespace prefix declared in @context "
                             f"(e.g. {_shown(term(key))}).")]
        return [_problem(path + [key], f"{_shown(key)} is not a valid field name here: an "
                         "extension field is an absolute URI or a compact IRI (prefix:name).")]
    kind = error.validator
    if kind == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [_problem(path + [name], "is missing.")
                for name in error.validator_value if name not in present]
    if kind in ("anyOf", "oneOf"):
        return _explain_choice(error, path)
    if kind == "format":
        return [_problem(path, _format_message(error.instance, error.validator_value))]
    if kind == "pattern":
        return [_problem(path, _pattern_message(path, error.instance))]
    if kind == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        got = _JSON_TYPES.get(type(error.instance), "something else")
        return [_problem(path, f"must be {'an' if wanted[0] in 'aeiou' else 'a'} {wanted}, "
                               f"not {got} ({_shown(error.instance)}).")]
    if kind == "enum":
        values = [str(v) for v in error.validator_value]
        listed = ", ".join(values) if len(values) <= 8 else ", ".join(values[:8]) + ", …"
        return [_problem(path, f"{_shown(error.instance)} is not one of {listed}.")]
    return [_problem(path, error.message)]


def _explain_choice(error: ValidationError, path: list) -> list[EpcisProblem]:
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    mentioned = {name for branch in branches if isinstance(branch, dict)
                 for name in branch.get("properties", {})}
    required = {name for branch in branches if isinstance(branch, dict)
                for name in branch.get("required", [])}
    if {"ilmd", "action"} <= mentioned:
        if isinstance(error.instance, dict) and "ilmd" in error.instance:
            return [_problem(path + ["ilmd"], "lot master data (ilmd) is only allowed when the "
                                              "action is ADD.")]
        return []  # a bad action, which its own enum error already reports
    deeper = [e for e in error.context if len(e.absolute_path) > len(path)]
    if deeper:
        # The value went down one branch and failed inside it: that is the real fault.
        return _explain(best_match(deeper))
    last = path[-1] if path else None
    if last in ("bizStep", "disposition"):
        what = "business step" if last == "bizStep" else "disposition"
        return [_problem(path, f"{_shown(error.instance)} is neither a CBV 2.0 {what} nor an "
                               "absolute URI outside the CBV namespace.")]
    if {"epcList", "quantityList"} <= required:
        return [_problem(path, "an ObjectEvent needs an epcList or a quantityList.")]
    if error.context:
        return _explain(best_match(error.context))
    return [_problem(path, error.message)]


def _format_message(value: Any, fmt: str) -> str:
    if fmt == "date-time":
        return (f"{_shown(value)} is not an RFC 3339 date-time with a time-zone offset "
                "(like 2024-05-01T07:30:00+07:00).")
    if fmt == "uri":
        return f"{_shown(value)} is not an absolute URI."
    return f"{_shown(value)} is not a valid {fmt}."


def _pattern_message(path: list, value: Any) -> str:
    last = path[-1] if path else None
    if last == "eventTimeZoneOffset":
        return f"{_shown(value)} is not a time-zone offset like +07:00 (-14:00 to +14:00)."
    if last == "uom":
        return (f"{_shown(value)} is not a UN/CEFACT unit code (2 or 3 capitals or digits, "
                "e.g. KGM).")
    return f"{_shown(value)} is not allowed here."
