"""Growing-area and packing-house codes (mã số vùng trồng, mã số cơ sở đóng gói).

A province's template (DESIGN §4, default `VN-{PROV}{KIND}-{NNNN}`) is data an
admin edits; numbers come from one sequence per province and kind and are never
reused, even when an issue is rolled back or an area is revoked later.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from .. import permissions, units
from ..db import session, transaction
from ..errors import Invalid, NotFound
from ..models import CodeKind, CodeSequence, CodeTemplate, Role, User
from . import audit

DEFAULT_TEMPLATE = "VN-{PROV}{KIND}-{NNNN}"
KIND_LETTERS = {CodeKind.GROWING_AREA: "OR", CodeKind.PACKING_HOUSE: "PH"}
_PLACEHOLDER = re.compile(r"\{(PROV|KIND|N+)\}")
TEMPLATE_FIELDS = ("template", "prov", "kind_letters")


def render(template: CodeTemplate, number: int) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name == "PROV":
            return template.prov
        if name == "KIND":
            return template.kind_letters
        return f"{number:0{len(name)}d}"
    return _PLACEHOLDER.sub(fill, template.template)


def pattern(template: CodeTemplate) -> re.Pattern:
    """The regular expression that codes of this template match, with the number
    as group `n` (wider numbers are allowed once the padding runs out)."""
    parts, pos = [], 0
    for match in _PLACEHOLDER.finditer(template.template):
        parts.append(re.escape(template.template[pos:match.start()]))
        name = match.group(1)
        parts.append(re.escape(template.prov) if name == "PROV"
                     else re.escape(template.kind_letters) if name == "KIND"
                     else rf"(?P<n>[0-9]{{{len(name)},9}})")
        pos = match.end()
    parts.append(re.escape(template.template[pos:]))
    return re.compile("^" + "".join(parts) + "$")


def check_template(text: str) -> None:
    names = _PLACEHOLDER.findall(text)
    if sum(1 for n in names if n.startswith("N")) != 1:
        raise Invalid(_("A code template needs exactly one number placeholder such as {NNNN}."),
                      {"template": [_("Put one {NNNN} in the template.")]})
    rest = _PLACEHOLDER.sub("", text)
    if re.search(r"[{}]", rest) or not re.fullmatch(r"[A-Z0-9./_-]*", rest):
        raise Invalid(_("A code template may hold capital letters, digits, '-', '.', '/', '_' "
                        "and the placeholders {PROV}, {KIND} and {NNNN}."),
                      {"template": [_("Unexpected characters.")]})


def template_for(s: Session, province_code: int, kind: CodeKind) -> CodeTemplate:
    template = s.get(CodeTemplate, (province_code, kind))
    if template is None:
        raise Invalid(_("No code template is set for %(prov)s; an administrator must add one "
                        "before codes can be issued.",
                        prov=units.province_name(province_code) or province_code))
    return template


def issue_code(s: Session, province_code: int, kind: CodeKind) -> str:
    """The next code of the province and kind, inside the caller's transaction. The
    sequence row is locked by the upsert, so concurrent issues queue, not clash."""
    template = template_for(s, province_code, kind)
    number = s.scalar(
        insert(CodeSequence).values(province_code=province_code, kind=kind, last_value=1)
        .on_conflict_do_update(index_elements=["province_code", "kind"],
                               set_={"last_value": CodeSequence.last_value + 1})
        .returning(CodeSequence.last_value))
    return render(template, number)


def adopt_code(s: Session, province_code: int, kind: CodeKind, code: str) -> str:
    """Accept a code issued by another system verbatim when it matches one of the
    configured templates of this kind; if it is in this province's own series,
    move the sequence past it so that we never issue it again."""
    code = code.strip().upper()
    templates = s.scalars(select(CodeTemplate).where(CodeTemplate.kind == kind)).all()
    for template in templates:
        match = pattern(template).match(code)
        if match:
            if template.province_code != province_code:
                raise Invalid(_("Code %(code)s belongs to another province's series.",
                                code=code), {"code": [_("Another province's code.")]})
            number = int(match.group("n"))
            s.execute(insert(CodeSequence).values(province_code=province_code, kind=kind,
                                                  last_value=number)
                      .on_conflict_do_update(
                          index_elements=["province_code", "kind"],
                          set_={"last_value": func.greatest(CodeSequence.last_value, number)}))
            return code
    examples = ", ".join(render(t, 17) for t in templates) or DEFAULT_TEMPLATE
    raise Invalid(_("Code %(code)s does not match any known code pattern (for example "
                    "%(examples)s).", code=code, examples=examples),
                  {"code": [_("Unknown code pattern.")]})


# -- administration ----------------------------------------------------------------

def list_templates(actor: User | None) -> list[CodeTemplate]:
    permissions.require_login(actor)
    return list(session().scalars(select(CodeTemplate).order_by(CodeTemplate.province_code,
                                                                CodeTemplate.kind)))


def save_template(actor: User | None, province_code: int, kind: CodeKind,
                  data: dict) -> CodeTemplate:
    """Create or change a province's template (admins). Numbers already issued stay."""
    user = permissions.require_role(permissions.require_write(actor), Role.ADMIN)
    if not units.is_province(province_code):
        raise NotFound(_("Not found."))
    text = data.get("template", DEFAULT_TEMPLATE)
    check_template(text)
    with transaction() as s:
        template = s.get(CodeTemplate, (province_code, kind), with_for_update=True)
        before = audit.snapshot(template, TEMPLATE_FIELDS) if template else None
        if template is None:
            template = CodeTemplate(province_code=province_code, kind=kind,
                                    kind_letters=KIND_LETTERS[kind])
            s.add(template)
        template.template = text
        template.prov = data.get("prov", template.prov)
        template.kind_letters = data.get("kind_letters", template.kind_letters)
        if not template.prov:
            raise Invalid(_("Give the province's letters (PROV), e.g. TN."),
                          {"prov": [_("Required.")]})
        s.flush()
        audit.record(s, user, "code_template", f"{province_code}/{kind.value}",
                     "create" if before is None else "update", before,
                     audit.snapshot(template, TEMPLATE_FIELDS))
    return template
