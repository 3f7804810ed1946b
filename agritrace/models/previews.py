"""Link previews and other robots' visits of a stamp's page, counted apart from scans."""
from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped


class StampPreview(Timestamped, Base):  # lượt xem trước liên kết
    """How many times one kind of robot (a rule name of data/robots.toml: "Facebook",
    "Zalo"…, "prefetch", "HEAD") fetched a stamp's page. created_at is the first such
    visit, updated_at the last. Robots never make a scan row: a messenger fetching a
    shared link from its own address must not make a genuine stamp look copied."""
    __tablename__ = "stamp_previews"
    __table_args__ = (CheckConstraint("previews > 0", name="previews_positive"),)

    stamp_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stamps.id", ondelete="CASCADE"), primary_key=True)
    agent: Mapped[str] = mapped_column(String(40), primary_key=True)
    previews: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
