"""The values the spatial library passes around: a feature read from a file, and a
problem found in one. Plain dataclasses, so the web layer can translate and show
them without knowing where they came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from shapely.geometry.base import BaseGeometry

# Property names that people use for a plot's name, in the order we look for them.
NAME_KEYS = ("name", "Name", "NAME", "ten", "Ten", "TEN", "ten_lo", "TEN_LO", "tên", "Tên",
             "label", "Label", "id", "ID")


@dataclass(frozen=True)
class Feature:
    """One feature of an uploaded file: its 1-based position, its geometry in WGS84
    (longitude, latitude) or None when it had none, and its properties as read."""
    index: int
    geometry: BaseGeometry | None
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        for key in NAME_KEYS:
            value = self.properties.get(key)
            if value not in (None, ""):
                return str(value).strip() or None
        return None


@dataclass(frozen=True)
class Problem:
    """What is wrong, for a person: `code` is stable (the web layer translates by
    it), `params` fill the sentence, `message` is the English sentence itself.
    `feature`/`name` say which feature, when the problem is about one."""
    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    feature: int | None = None
    name: str | None = None

    def __str__(self) -> str:
        if self.feature is None:
            return self.message
        where = f"Feature {self.feature}" + (f" ({self.name})" if self.name else "")
        return f"{where}: {self.message}"


def problem(code: str, template: str, feature: Feature | None = None, **params: Any) -> Problem:
    """A Problem whose English message is `template` filled with `params`
    (`%(name)s` placeholders, the same syntax the translation catalogue uses)."""
    return Problem(code=code, message=template % params if params else template,
                   params=params, feature=feature.index if feature else None,
                   name=feature.name if feature else None)


class GisError(ValueError):
    """A file or geometry that cannot be used, with every problem found."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
