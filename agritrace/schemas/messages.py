"""Marshmallow's own error messages, in the user's language.

marshmallow writes "Missing data for required field." and the like in English;
`localize()` maps them (and their numbered variants) to translated sentences
before a page or the API shows them.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# (pattern of marshmallow's message, translatable sentence with the same fields)
PATTERNS = [
    (r"Missing data for required field\.", _l("This field is required.")),
    (r"Field may not be null\.", _l("This field may not be empty.")),
    (r"Unknown field\.", _l("Unknown field.")),
    (r"Not a valid integer\.", _l("Not a whole number.")),
    (r"Not a valid number\.", _l("Not a number.")),
    (r"Not a valid string\.", _l("Not text.")),
    (r"Not a valid boolean\.", _l("Not true or false.")),
    (r"Not a valid email address\.", _l("Not a valid e-mail address.")),
    (r"Not a valid date\.", _l("Not a valid date (use YYYY-MM-DD).")),
    (r"Not a valid list\.", _l("Not a list.")),
    (r"Invalid input type\.", _l("Wrong kind of value.")),
    (r"Invalid value\.", _l("Not a valid value.")),
    (r"Number too large\.", _l("Number too large.")),
    (r"String does not match expected pattern\.", _l("Not in the expected format.")),
    (r"Shorter than minimum length (?P<min>\d+)\.", _l("At least %(min)s characters.")),
    (r"Longer than maximum length (?P<max>\d+)\.", _l("At most %(max)s characters.")),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.",
     _l("Between %(min)s and %(max)s characters.")),
    (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
     _l("Must be from %(min)s to %(max)s.")),
    (r"Must be greater than or equal to (?P<min>\S+)\.", _l("Must be at least %(min)s.")),
    (r"Must be less than or equal to (?P<max>\S+)\.", _l("Must be at most %(max)s.")),
    (r"Must be one of: (?P<choices>.*)\.", _l("Must be one of: %(choices)s.")),
]
_COMPILED = [(re.compile(f"^{p}$"), text) for p, text in PATTERNS]


def localize(messages):
    """The same structure of messages, each string translated where we know it."""
    if isinstance(messages, dict):
        return {key: localize(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [localize(m) for m in messages]
    if isinstance(messages, str):
        for pattern, text in _COMPILED:
            match = pattern.match(messages)
            if match:
                return str(text) % match.groupdict() if match.groupdict() else str(text)
        return messages
    return str(messages)
