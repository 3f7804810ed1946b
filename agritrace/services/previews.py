"""Robots' visits of stamp pages as officials read them: link previews (a link shared
in a messenger or a post) per app, and other automatic visits (crawlers, prefetches,
HEAD requests). Recorded by scans.record_scan; never part of a stamp's scans."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import StampPreview
from . import robots


@dataclass(frozen=True)
class PreviewCount:
    agent: str               # a rule name of data/robots.toml
    previews: int
    first_at: datetime
    last_at: datetime

    @property
    def share(self) -> bool:
        return robots.is_share(self.agent)


@dataclass(frozen=True)
class Previews:
    counts: list[PreviewCount]

    @property
    def shares(self) -> int:
        return sum(c.previews for c in self.counts if c.share)

    @property
    def others(self) -> int:
        return sum(c.previews for c in self.counts if not c.share)


def of_stamp(s: Session, stamp_id: int) -> Previews:
    """The robots' visits of one stamp's page, shares first, most frequent first.
    Callers check that the actor may see the stamp."""
    rows = s.execute(select(StampPreview.agent, StampPreview.previews,
                            StampPreview.created_at, StampPreview.updated_at)
                     .where(StampPreview.stamp_id == stamp_id)).all()
    counts = [PreviewCount(*row) for row in rows]
    return Previews(sorted(counts, key=lambda c: (not c.share, -c.previews, c.agent)))


def shares_of(stamp_id_column):
    """A correlated count of the link previews (shares) of the stamp in
    `stamp_id_column`, for a query listing stamps."""
    return (select(func.coalesce(func.sum(StampPreview.previews), 0))
            .where(StampPreview.stamp_id == stamp_id_column,
                   StampPreview.agent.in_(sorted(robots.rules().shares)))
            .scalar_subquery())
