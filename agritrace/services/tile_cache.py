"""Public tiles kept in each app process, keyed by the layer's data version.

A public tile is the same bytes for everyone until a row of its layer changes; the
version (models/map_versions.py) is bumped by a trigger in the very transaction that
changes the row, so the next request, on any app server, reads the new version and
misses the cache: no stale tile outlives the commit that made it stale. The version
costs one primary-key read a request, far less than cutting a tile. Logged-in users'
tiles are not cached: they show drafts that change as the user works.

Bounded by bytes (TILE_CACHE_MB, 0 turns the cache off), least recently used first out.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app
from sqlalchemy import select

from ..db import session
from ..models import MapVersion


class TileCache:
    def __init__(self, limit_bytes: int):
        self.limit = limit_bytes
        self.size = 0
        self.entries: OrderedDict[tuple, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self.lock:
            data = self.entries.get(key)
            if data is not None:
                self.entries.move_to_end(key)
            return data

    def put(self, key: tuple, data: bytes) -> None:
        if len(data) > self.limit:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old)
            self.entries[key] = data
            self.size += len(data)
            while self.size > self.limit:
                _key, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped)


def _cache() -> TileCache | None:
    limit = int(current_app.config.get("TILE_CACHE_MB", 64)) * 1024 * 1024
    if limit <= 0:
        return None
    cache = current_app.extensions.get("tile_cache")
    if cache is None:
        cache = current_app.extensions.setdefault("tile_cache", TileCache(limit))
    return cache


def version(layer: str) -> int:
    return session().connection().scalar(
        select(MapVersion.version).where(MapVersion.layer == layer)) or 0


def cached_tile(layer: str, address: tuple, filters: dict, render) -> bytes:
    """The public tile at `address` (z, x, y) with `filters`, from the cache when its
    layer has not changed since it was cut; `render()` cuts it otherwise."""
    cache = _cache()
    if cache is None:
        return render()
    key = (layer, version(layer), *address,
           tuple(sorted((k, v) for k, v in filters.items() if v is not None)))
    data = cache.get(key)
    if data is None:
        data = render()
        cache.put(key, data)
    return data
