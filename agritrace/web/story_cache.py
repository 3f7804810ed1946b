"""The scan pages' cache: a batch's rendered story and the page frames around it, kept
per worker so that a scan renders only what that scan changes.

A frame is a page rendered once with slots — "\\x00slot:name\\x00" markers — where each
scan's own parts go (verdict, PIN box, report fields, form token). The markers never
occur in content: Text fields refuse control characters.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup

CACHE_KEY = "agritrace.scan_stories"
CACHE_SIZE = 512
SLOT = re.compile("\x00slot:(\\w+)\x00")


class StoryCache:
    """Rendered stories and page frames by key (batch, version, language…), each kept
    for a time to live; the least recently used go first."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size, self.entries, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, ttl: float, make):
        now = time.monotonic()
        with self.lock:
            found = self.entries.get(key)
            if found is not None and found[0] > now:
                self.entries.move_to_end(key)
                return found[1]
        value = make()
        with self.lock:
            self.entries[key] = (now + ttl, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


def app_cache() -> StoryCache:
    """This app's cache (one per worker process)."""
    return current_app.extensions.setdefault(CACHE_KEY, StoryCache())


def slot(name: str) -> Markup:
    return Markup(f"\x00slot:{name}\x00")


@dataclass(frozen=True)
class Frame:
    parts: tuple[str, ...]    # text, slot name, text, slot name, …, text

    @classmethod
    def of(cls, text: str) -> Frame:
        """The frame of a page rendered with `slot()` markers."""
        return cls(tuple(SLOT.split(text)))

    def fill(self, values: dict[str, str]) -> str:
        return "".join(values.get(part, "") if i % 2 else part
                       for i, part in enumerate(self.parts))
