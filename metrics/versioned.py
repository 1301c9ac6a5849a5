"""Reads that change only when the data does, kept once per version of the data.

Every report asks for the same few facts again (the names of the areas, the indicators loaded, how
far the TOPs and DIP extracts reach into a window): a few milliseconds to tens of milliseconds each,
asked several times a page. :func:`per_version` keeps a function's answers for as long as the
database is the same file at the same upload version (loaders.load.upload_version: every upload and
withdrawal moves it), so the second asking costs one small query instead of the read. An in-memory
database, or one whose file cannot be examined, is never cached.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from loaders.load import upload_version
from loaders.store import Store

R = TypeVar("R")

# Answers kept per function; the oldest are dropped past this many (a page asks for a few partnerships).
KEEP = 64


def data_key(store: Store) -> tuple[Hashable, ...] | None:
    """What identifies the data a store reads: its file (path, inode, size, modification time, so a file
    replaced by a restore is another) and its upload version; None when it cannot be told (in memory)."""
    path = getattr(store, "path", None)
    if not path or str(path) == ":memory:":
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, upload_version(store))


# The store and data key of the innermost :func:`one_version` block of this thread (or task), if any.
_pinned: ContextVar[tuple[Store, tuple[Hashable, ...] | None] | None] = ContextVar("pinned_data_key", default=None)


@contextmanager
def one_version(store: Store) -> Iterator[None]:
    """Within the block, every :func:`per_version` read of ``store`` is keyed by the version the data had
    on entering it: one small query for a report that makes several such reads, not one per read."""
    pinned = _pinned.get()
    if pinned is not None and pinned[0] is store:
        yield
        return
    token = _pinned.set((store, data_key(store)))
    try:
        yield
    finally:
        _pinned.reset(token)


def _key_of(store: Store) -> tuple[Hashable, ...] | None:
    pinned = _pinned.get()
    if pinned is not None and pinned[0] is store:
        return pinned[1]
    return data_key(store)


def per_version(function: Callable[..., R]) -> Callable[..., R]:
    """``function(store, *args)`` answered once per version of the data and ``args`` (which must be
    hashable). The answer is shared between callers: they must not change it."""
    kept: dict[tuple[Hashable, ...], R] = {}
    lock = threading.Lock()

    @functools.wraps(function)
    def wrapper(store: Store, *args: Hashable) -> R:
        key = _key_of(store)
        if key is None:
            return function(store, *args)
        key = (*key, *args)
        with lock:
            if key in kept:
                return kept[key]
        answer = function(store, *args)
        with lock:
            if len(kept) >= KEEP:
                kept.pop(next(iter(kept)))
            kept[key] = answer
        return answer

    wrapper.cache_clear = kept.clear  # type: ignore[attr-defined]
    return wrapper
