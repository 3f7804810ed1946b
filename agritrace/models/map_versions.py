"""The data version of each tile layer: a counter that triggers (migration 0017) bump
on every statement changing the layer's rows, read by the tile cache."""
from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class MapVersion(Base):
    __tablename__ = "map_versions"

    layer: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")
