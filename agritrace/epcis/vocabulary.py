"""Our diary's words in EPCIS 2.0 / CBV 2.0 terms, and the identifiers of lots and places.

CBV 2.0 has no farming steps, so sowing, fertilising, spraying and irrigation travel
as URIs in our own namespace; a harvest is CBV `commissioning` (the lot comes into
being, with its master data in `ilmd`) and a lab test is `inspecting`. Those two are
lossy, so the exact diary step also travels in the `agritrace:diaryStep` extension.
"""
from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from labels.gs1 import normalize_gtin

from ..models.diary import BizStep, Disposition

# Written once: the prefix and namespace every extension field, ILMD key and
# farming step goes under. Changing it breaks documents already handed out.
CONTEXT_PREFIX = "agritrace"
NAMESPACE = "https://agritrace.vn/epcis/"
GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXT = [GS1_CONTEXT, {CONTEXT_PREFIX: NAMESPACE}]

# Prefixes GS1's own context declares, so that a document's compact keys such as
# `cbvmda:…` expand without fetching the context over the network.
GS1_PREFIXES = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}

# Business steps CBV 2.0 defines (the words GS1's schema accepts bare).
CBV_BIZ_STEPS = frozenset({
    "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
    "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
    "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
    "installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
    "repackaging", "repairing", "replacing", "reserving", "retail_selling", "shipping",
    "staging_outbound", "stock_taking", "stocking", "storing", "transporting", "unloading",
    "unpacking", "void_shipping", "sensor_reporting", "sampling"})

_CBV_FOR = {
    BizStep.HARVESTING: "commissioning",   # thu hoạch: the lot is created
    BizStep.LAB_TESTING: "inspecting",     # kiểm nghiệm
}
# The full IRIs behind the bare words, as GS1's context expands them; a document may
# use them instead (GS1's schema lets them through as "other" URIs).
CBV_BIZ_STEP_IRI = GS1_PREFIXES["cbv"] + "BizStep-"
CBV_DISPOSITION_IRI = GS1_PREFIXES["cbv"] + "Disp-"

# Steps after which the objects no longer exist (CBV: action DELETE).
_DELETING_STEPS = (BizStep.DECOMMISSIONING, BizStep.DESTROYING)


def term(name: str) -> str:
    """`name` as a compact IRI in our namespace, e.g. `agritrace:dose`."""
    return f"{CONTEXT_PREFIX}:{name}"


def biz_step_to_epcis(step: BizStep) -> str:
    """The bizStep value for a diary step: a CBV word, or a compact IRI of ours.

    GS1's schema accepts any absolute URI outside the CBV namespace, and a compact
    IRI such as `agritrace:spraying` is one (scheme `agritrace`), which the `@context`
    of the document then expands to our namespace. Every step that is not a CBV 2.0
    word goes that way: the farming steps, and `transforming`, which CBV 2.0 lacks.
    """
    step = BizStep(step)
    if step in _CBV_FOR:
        return _CBV_FOR[step]
    return step.value if step.value in CBV_BIZ_STEPS else term(step.value)


def is_lossy(step: BizStep) -> bool:
    """Whether the CBV step alone does not say which diary step this was."""
    return BizStep(step) in _CBV_FOR


def biz_step_from_epcis(value: str | None, expand=lambda v: v) -> tuple[BizStep, str | None]:
    """Our step for an EPCIS bizStep, and the original when we could not map it.

    `expand` turns a compact IRI into a full one with the document's prefixes.
    Anything we have no name for becomes `other`, so that the diary can still hold it.
    """
    if value is None:
        return BizStep.OTHER, None
    iri = expand(value)
    if iri.startswith(CBV_BIZ_STEP_IRI):
        value = iri[len(CBV_BIZ_STEP_IRI):]
    if value in CBV_BIZ_STEPS:
        return (BizStep(value), None) if value in BizStep._value2member_map_ else \
            (BizStep.OTHER, value)
    local = ours(iri)
    if local is not None and local in BizStep._value2member_map_:
        return BizStep(local), None
    return BizStep.OTHER, iri


def diary_step_from_hint(cbv_step: BizStep, hint: object) -> BizStep | None:
    """The diary step named by `agritrace:diaryStep`, if it agrees with the CBV step."""
    if isinstance(hint, str) and hint in BizStep._value2member_map_:
        step = BizStep(hint)
        if is_lossy(step) and _CBV_FOR[step] == cbv_step.value:
            return step
    return None


def action_for(step: BizStep) -> str:
    """The EPCIS action of an ObjectEvent for this step.

    ADD where the lot comes into being (ILMD is only allowed there), DELETE where it
    ceases to exist, OBSERVE for everything that happens to it in between.
    """
    step = BizStep(step)
    if step in (BizStep.HARVESTING, BizStep.COMMISSIONING):
        return "ADD"
    if step in _DELETING_STEPS:
        return "DELETE"
    return "OBSERVE"


def disposition_to_epcis(disposition: Disposition) -> str:
    # Every disposition of ours is a CBV 2.0 word already.
    return Disposition(disposition).value


def disposition_from_epcis(value: str | None,
                           expand=lambda v: v) -> tuple[Disposition | None, str | None]:
    """Our disposition for an EPCIS one, and the original when we have no name for it."""
    if value is None:
        return None, None
    iri = expand(value)
    if iri.startswith(CBV_DISPOSITION_IRI):
        value = iri[len(CBV_DISPOSITION_IRI):]
    if value in Disposition._value2member_map_:
        return Disposition(value), None
    local = ours(iri)
    if local is not None and local in Disposition._value2member_map_:
        return Disposition(local), None
    return None, iri


# --- field names -------------------------------------------------------------------
# Diary detail keys are snake_case; in EPCIS they become camelCase terms of ours.
# A few have a name that says more to a reader abroad than our short key does.
_NAMED = {"phi_days": "preHarvestIntervalDays"}
_NAMED_BACK = {v: k for k, v in _NAMED.items()}
# Terms the exporter writes itself; a detail key must not produce one of them.
AREA_CODE_TERM = "growingAreaCode"
DIARY_STEP_TERM = "diaryStep"
_RESERVED = frozenset({AREA_CODE_TERM, DIARY_STEP_TERM})

SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*")
_CAMEL = re.compile(r"[a-z][a-zA-Z0-9]*")


def local_name(key: str) -> str:
    """The camelCase local name for a snake_case key (`active_ingredient` → `activeIngredient`).

    Raises ValueError for a key that would not come back unchanged, or that would
    collide with a name the exporter uses itself.
    """
    if not SNAKE.fullmatch(key):
        raise ValueError(f"'{key}' is not a snake_case name (a-z, 0-9, single underscores, "
                         "each part starting with a letter).")
    if key in _NAMED:
        return _NAMED[key]
    head, *rest = key.split("_")
    name = head + "".join(part[:1].upper() + part[1:] for part in rest)
    if name in _NAMED_BACK or name in _RESERVED:
        raise ValueError(f"'{key}' would be written as {term(name)}, which already means "
                         "something else.")
    return name


def key_for(name: str) -> str | None:
    """The snake_case key for a local name of ours, or None if it has none."""
    if name in _NAMED_BACK:
        return _NAMED_BACK[name]
    if not _CAMEL.fullmatch(name):
        return None
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


def ours(iri: str) -> str | None:
    """The local name of a full IRI in our namespace (after prefix expansion), else None."""
    return iri[len(NAMESPACE):] if iri.startswith(NAMESPACE) else None


# --- identifiers -------------------------------------------------------------------
# With a GTIN a lot is a GS1 Digital Link on our own domain (the same URI the stamps
# carry, minus the serial); without one it is a URN of ours:
#   urn:agritrace:lot:{organization_id}.{product_id}.{lot}
# The lot is percent-encoded in both: everything but A-Z a-z 0-9 - . _ ~ (as GS1's
# syntax engine does), so `/` becomes %2F. Lot codes are unique per organisation.
# Places: an issued growing area (vùng trồng) is its public card {base_url}/areas/{code};
# an area without a code yet is urn:agritrace:area:id:{id}; a facility (cơ sở đóng gói)
# is urn:agritrace:facility:code:{code}, or …:id:{id} before it has a code — facilities
# have no public page to point at.
URN_PREFIX = f"urn:{CONTEXT_PREFIX}:"


def _encode(value: str) -> str:
    return quote(value, safe="")


def lot_uri(base_url: str, lot: str, *, gtin: str | None = None,
            organization_id: int | None = None, product_id: int | None = None) -> str:
    """The EPC class URI of a batch (lô hàng): Digital Link with a GTIN, else our URN."""
    if not lot:
        raise ValueError("A lot URI needs a lot code.")
    if gtin:
        return f"{base_url.rstrip('/')}/01/{normalize_gtin(gtin)}/10/{_encode(lot)}"
    if organization_id is None or product_id is None:
        raise ValueError("Without a GTIN, a lot URI needs the organisation and product ids.")
    return f"{URN_PREFIX}lot:{int(organization_id)}.{int(product_id)}.{_encode(lot)}"


def parse_lot_uri(uri: str) -> dict[str, str | int] | None:
    """What a lot URI of ours names: {gtin, lot} or {organization_id, product_id, lot}.

    Digital Links are recognised on any domain (the domain is only where they resolve).
    None for anything else, e.g. another party's `urn:epc:class:lgtin:…`.
    """
    if uri.startswith(f"{URN_PREFIX}lot:"):
        match = re.fullmatch(r"(\d+)\.(\d+)\.(.+)", uri[len(URN_PREFIX) + 4:])
        if match:
            return {"organization_id": int(match[1]), "product_id": int(match[2]),
                    "lot": unquote(match[3])}
        return None
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        match = re.search(r"/01/(\d{14})/10/([^/?#]+)$", parts.path)
        if match:
            return {"gtin": match[1], "lot": unquote(match[2])}
    return None


def area_uri(base_url: str, *, code: str | None = None, area_id: int | None = None) -> str:
    """The read point of a growing area: its public card, or our URN before it has a code."""
    if code:
        return f"{base_url.rstrip('/')}/areas/{_encode(code)}"
    if area_id is None:
        raise ValueError("An area URI needs the area's code or id.")
    return f"{URN_PREFIX}area:id:{int(area_id)}"


def facility_uri(*, code: str | None = None, facility_id: int | None = None) -> str:
    """The read point of a facility (e.g. a packing house), by its code or, lacking one, its id."""
    if code:
        return f"{URN_PREFIX}facility:code:{_encode(code)}"
    if facility_id is None:
        raise ValueError("A facility URI needs the facility's code or id.")
    return f"{URN_PREFIX}facility:id:{int(facility_id)}"
