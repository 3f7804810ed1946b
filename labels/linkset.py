"""GS1 resolver vocabulary and RFC 9264 linksets, for the links behind a Digital Link.

A GS1-Conformant resolver (GS1-Conformant Resolver Standard 1.x) answers a Digital Link
with one of several links, chosen by the `linkType` query parameter; `linkType=linkset`
(or `all`, its older name) or `Accept: application/linkset+json` asks for the whole
list as an RFC 9264 linkset. Link types are the GS1 Web Vocabulary's, written in a
request as a CURIE (`gs1:pip`) or a full URI (`https://gs1.org/voc/pip`, or
`https://ref.gs1.org/voc/pip` where the vocabulary is served); in a linkset always
as the full `https://gs1.org/voc/` URI.

Plain values in, plain values out: the titles are given by the caller (already
translated), and nothing here knows where a link leads.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

GS1_VOC = "https://gs1.org/voc/"
GS1_VOC_SERVED = "https://ref.gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
# GS1 publishes a JSON-LD context that turns a linkset into linked data.
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
JSON_LD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"

PIP = "pip"                       # product information page: the default
DEFAULT_LINK = "defaultLink"      # the one link a request without a linkType gets
TRACEABILITY = "traceability"
EPCIS = "epcis"
CERTIFICATION_INFO = "certificationInfo"
RECALL_STATUS = "recallStatus"
# The link types this resolver knows; others are answered "not available".
LINK_TYPES = (PIP, TRACEABILITY, EPCIS, CERTIFICATION_INFO, RECALL_STATUS)
# linkType values that ask for the list rather than one link ("all" is the name of
# GS1 Digital Link 1.1, kept by resolvers for older clients).
LIST = frozenset({"linkset", "all"})


@dataclass(frozen=True)
class Link:
    """One target: `rel` a GS1 link type's short name (`pip`), `titles` the title in
    each language (the first one is the link's `title`), `hreflang` the languages of
    the target itself."""
    rel: str
    href: str
    titles: tuple[tuple[str, str], ...]          # ((language, title), …)
    type: str | None = None
    hreflang: tuple[str, ...] = ()

    def target(self) -> dict:
        """The RFC 9264 link target object."""
        out: dict = {"href": self.href, "title": self.titles[0][1]}
        if len(self.titles) > 1:
            out["title*"] = [{"value": title, "language": language}
                             for language, title in self.titles]
        if self.type:
            out["type"] = self.type
        if self.hreflang:
            out["hreflang"] = list(self.hreflang)
        return out


def relation(rel: str) -> str:
    """The full link relation type of a GS1 link type's short name."""
    return GS1_VOC + rel


def requested_type(value: str | None) -> str | None:
    """The short name of a `linkType` value (`gs1:pip`, `https://gs1.org/voc/pip`,
    `https://ref.gs1.org/voc/pip` → `pip`); `linkset` for a request for the list;
    None for none given. An unknown type keeps its own text, so that the answer can
    name it."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value in LIST:
        return "linkset"
    for prefix in ("gs1:", GS1_VOC, GS1_VOC_SERVED):
        if value.startswith(prefix) and len(value) > len(prefix):
            return value[len(prefix):]
    return value


def choose(links: list[Link], rel: str, languages: list[str]) -> Link | None:
    """The link of type `rel` for a reader of `languages` (best first): the first link
    in one of them, else the first of the type."""
    of_type = [link for link in links if link.rel == rel]
    for language in languages:
        for link in of_type:
            if language in link.hreflang:
                return link
    return of_type[0] if of_type else None


def linkset(anchor: str, links: list[Link], default: Link) -> dict:
    """The RFC 9264 JSON linkset of one link context (`anchor`, the uncompressed
    Digital Link asked about): each link type with its array of targets, and GS1's
    `defaultLink` (exactly one, carrying only href and title, as the standard wants)."""
    context: dict = {"anchor": anchor}
    for link in links:
        context.setdefault(relation(link.rel), []).append(link.target())
    context[relation(DEFAULT_LINK)] = [{"href": default.href, "title": default.titles[0][1]}]
    return {"linkset": [context]}


def link_header(linkset_url: str) -> str:
    """The HTTP Link header value that names a resource's linkset (RFC 9264 §6) and
    the JSON-LD context that reads it."""
    return (f'<{linkset_url}>; rel="linkset"; type="{LINKSET_TYPE}", '
            f'<{LINKSET_CONTEXT}>; rel="{JSON_LD_CONTEXT_REL}"; type="application/ld+json"')


def with_query(href: str, query: list[tuple[str, str]]) -> str:
    """`href` with the request's own query parameters added (a resolver passes them on
    when it redirects), keeping any fragment last."""
    if not query:
        return href
    parts = urlsplit(href)
    merged = parse_qsl(parts.query, keep_blank_values=True) + list(query)
    return urlunsplit(parts._replace(query=urlencode(merged)))
