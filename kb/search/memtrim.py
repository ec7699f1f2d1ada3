"""Keep the serving process's heap small: fewer malloc arenas, and freed memory given back.

``limit_arenas(n)``: glibc gives each thread that allocates concurrently its own arena (up to 8
per core), and memory freed in one arena is not reused by another. The API serves requests from
a pool of up to 40 threads, so under concurrent /v1/ask load RSS grew with every arena. Measured
at 51k chunks, 32 concurrent clients (``benchmarks.run``'s load): peak 1,748 MB with glibc's
default, 1,430 MB with 2 arenas (the same as ``MALLOC_ARENA_MAX=2``), at the same latency.

Give freed heap memory back to the OS after a large cache rebuild:

Loading 51k vectors from Chroma or rebuilding BM25 allocates and frees hundreds of MB of small
objects; glibc keeps the freed pages in the process, so RSS stays at the peak of each rebuild.
``malloc_trim(0)`` returns them (measured: 558 MB -> 288 MB after paging 51k vectors with
metadata out of Chroma). A no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_arenas(arenas: int) -> None:
    """Cap glibc's malloc arenas for threads created from now on (0 leaves the default)."""
    libc = _libc()
    if arenas > 0 and libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_ARENA_MAX, arenas)


def release_free_memory() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
