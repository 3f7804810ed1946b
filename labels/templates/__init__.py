"""Label sheet templates, one module each; adding a template is adding a module and
listing it here."""
from __future__ import annotations

from labels.templates.a4_3x8 import TEMPLATE as A4_3X8
from labels.templates.a4_5x13 import TEMPLATE as A4_5X13
from labels.templates.base import SheetTemplate
from labels.templates.roll_30x20 import TEMPLATE as ROLL_30X20

__all__ = ["SheetTemplate", "TEMPLATES", "get_template"]

TEMPLATES: dict[str, SheetTemplate] = {t.name: t for t in (A4_3X8, A4_5X13, ROLL_30X20)}


def get_template(name: str) -> SheetTemplate:
    """The template called `name`; KeyError listing the known ones otherwise."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise KeyError(f"No label template {name!r}; known: {', '.join(TEMPLATES)}.") from None
