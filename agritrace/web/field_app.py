"""What the field app's page (templates/field/app.html) takes from the server besides
the field API's context: its words in both languages, and a digest of the shell's
files that tells a phone's service worker when to fetch the shell again."""
from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Blueprint, current_app

from .. import config as settings
from .field_words import words

bp = Blueprint("field_app", __name__)


@bp.app_template_global()
def field_words() -> dict[str, dict[str, str]]:
    return words(current_app.config["LANGUAGES"])


@bp.app_template_global()
@lru_cache(maxsize=1)
def field_version() -> str:
    """A digest of the files under static/field/ (read once per process)."""
    digest = hashlib.sha256()
    folder = settings.project_root() / "static" / "field"
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]
