"""The translation catalogues stay complete: every string marked for translation
(messages.pot) has a reviewed Vietnamese translation with the same placeholders.

Reads the .pot/.po files only; needs neither a database nor an app.
After `pybabel extract` + `pybabel update`, a new or changed string shows up here
as missing or fuzzy until somebody translates it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "agritrace" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
LOCALES = ("vi", "en")

# Python %-style named placeholders: %(name)s, %(n)d, %(x).2f ...
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*(?:\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _messages(catalog) -> list:
    """The real messages: without the header entry (msgid "")."""
    return [m for m in catalog if m.id]


def _msgid(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _strings(message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


@pytest.fixture(scope="module")
def template_ids() -> set[str]:
    return {_msgid(m) for m in _messages(_read(TEMPLATE))}


@pytest.fixture(scope="module")
def vi():
    return _read(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", "vi")


def test_template_is_not_empty(template_ids):
    assert len(template_ids) > 50


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_exactly_the_template_msgids(locale, template_ids):
    catalog = _read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)
    ids = {_msgid(m) for m in _messages(catalog)}
    assert not template_ids - ids, f"missing from {locale}; run pybabel update"
    assert not ids - template_ids, f"stale in {locale}; run pybabel update"


def test_every_vietnamese_message_is_translated(vi):
    untranslated = [_msgid(m) for m in _messages(vi)
                    if not all(s.strip() for s in _strings(m))]
    assert not untranslated


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_is_fuzzy(locale):
    catalog = _read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)
    fuzzy = [_msgid(m) for m in _messages(catalog) if m.fuzzy]
    assert not fuzzy


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale):
    catalog = _read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)
    wrong = {}
    for m in _messages(catalog):
        expected = _placeholders(_msgid(m))
        for s in _strings(m):
            if s and _placeholders(s) != expected:  # empty: falls back to the msgid
                wrong[_msgid(m)] = s
    assert not wrong


def test_dynamic_enum_terms_are_in_the_template(template_ids):
    """Shown through _(x.value) in templates, so only agritrace/i18n_terms.py keeps them."""
    from agritrace.models import (AreaStatus, BatchStatus, FacilityStatus, ImportStatus,
                                  MarketState, OrderStatus, OrgKind, OrgStatus, Role,
                                  RunStatus)
    from agritrace.services import areas, facilities
    terms = {e.value for enum in (OrgStatus, OrgKind, Role, AreaStatus, FacilityStatus,
                                  ImportStatus, BatchStatus, RunStatus, OrderStatus,
                                  MarketState)
             for e in enum}
    terms |= set(areas.TRANSITIONS) | set(facilities.TRANSITIONS)
    assert terms <= template_ids


def test_template_matches_the_source(template_ids):
    """A string marked in the code but missing from messages.pot fails here, so it
    cannot reach a page untranslated; run `make i18n-update`, then translate."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = TRANSLATIONS.parents[1]
    with (root / "agritrace" / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
                "_l": None}
    found = {msg if isinstance(msg, str) else msg[0]
             for _file, _line, msg, _comments, _context in extract_from_dir(
                 str(root), method_map, options_map, keywords=keywords)}
    assert found, "nothing extracted: check babel.cfg"
    missing, stale = sorted(found - template_ids), sorted(template_ids - found)
    assert not missing, f"marked but not in messages.pot (run `make i18n-update`): {missing}"
    assert not stale, f"in messages.pot but no longer in the code: {stale}"
