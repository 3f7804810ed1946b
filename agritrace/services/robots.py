"""Requests on the scan page that are not a person looking at a stamp: HEAD requests,
browser prefetches, link-preview fetchers of messengers and crawlers. The rules are
data, with a source each: agritrace/data/robots.toml."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Mapping

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "robots.toml"
# A pattern made only of these is a plain word, looked for with `in` (this runs on
# every scan, and a case-insensitive regex over a User-Agent is a hundred times slower).
PLAIN = re.compile(r"^[\w\- ]+$")


@dataclass(frozen=True)
class Rule:
    name: str
    words: tuple[str, ...]           # lower-case plain words, any of which matches
    pattern: re.Pattern | None       # the other patterns, case-insensitive
    share: bool = False              # a messenger's link preview: someone shared the link

    @classmethod
    def of(cls, name: str, patterns: list[str], share: bool = False) -> Rule:
        words = tuple(p.lower() for p in patterns if PLAIN.match(p))
        others = [p for p in patterns if not PLAIN.match(p)]
        pattern = re.compile("|".join(f"(?:{p})" for p in others), re.IGNORECASE) \
            if others else None
        return cls(name, words, pattern, share)

    def matches(self, lowered: str, original: str) -> bool:
        return any(word in lowered for word in self.words) or (
            self.pattern is not None and self.pattern.search(original) is not None)


@dataclass(frozen=True)
class Rules:
    methods: dict[str, str]                      # method -> rule name
    headers: tuple[tuple[str, Rule], ...]        # (header, rule)
    agents: tuple[Rule, ...]
    people: tuple[Rule, ...]
    generic: tuple[Rule, ...]

    @property
    def shares(self) -> frozenset[str]:
        return frozenset(rule.name for rule in self.agents if rule.share)


def load(path: Path = RULES_FILE) -> Rules:
    """Read and compile the rules; a rule without a source is refused."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for kind in ("methods", "headers", "agents", "people", "generic"):
        for entry in data.get(kind, []):
            if not entry.get("source"):
                raise ValueError(f"{path.name}: the {kind} rule {entry.get('name')!r} "
                                 "has no source")
    rules = {kind: tuple(Rule.of(e["name"], e["patterns"], bool(e.get("share")))
                         for e in data.get(kind, []))
             for kind in ("agents", "people", "generic")}
    return Rules(
        methods={e["method"].upper(): e["name"] for e in data.get("methods", [])},
        headers=tuple((e["header"], Rule.of(e["name"], [e["pattern"]]))
                      for e in data.get("headers", [])),
        **rules)


@cache
def rules() -> Rules:
    return load()


def robot(method: str, headers: Mapping[str, str]) -> str | None:
    """The name of the rule that makes this request a robot's, or None for a person."""
    found = rules()
    if method.upper() in found.methods:
        return found.methods[method.upper()]
    for header, rule in found.headers:
        value = headers.get(header)
        if value and rule.matches(value.strip().lower(), value.strip()):
            return rule.name
    agent = headers.get("User-Agent") or ""
    lowered = agent.lower()
    for rule in found.agents:
        if rule.matches(lowered, agent):
            return rule.name
    if any(rule.matches(lowered, agent) for rule in found.people):
        return None
    return next((rule.name for rule in found.generic if rule.matches(lowered, agent)), None)


def is_share(name: str) -> bool:
    """Whether visits under this rule name are link previews of a shared link."""
    return name in rules().shares
