"""The search index's shard files as both sides see them: index.py plans them at every build,
postings.py computes each partition's section of them (with numpy). Here is what the two agree
on, and the store between them: every partition's sections, kept between builds under a digest
of its entries. Nothing here needs numpy, so a build whose one edited partition is indexed by
another process (parallel.Spare) never loads it.

A shard file: varint P, P varint section lengths, then the sections of partitions 0 to P-1
(postings.py says what a section holds).
"""

from __future__ import annotations

import hashlib
import itertools
import mmap
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from .links import replace_whole

TITLE_SPAN = 256  # a title's units sit below this position; the other fields follow it
FACET_SHARDS = 8
SUMMARY = 16  # bytes of a section's digest


class Text(NamedTuple):
    """What the index reads of a document: all that a process which indexes is handed."""

    title: str
    rest: str  # every other searchable field, one after another
    facets: tuple[str, ...]


def names(shards: int, small: int) -> list[str]:
    """The shard files, in the order a partition's stored sections follow."""
    return ([f"d{s}.bin" for s in range(shards)] + [f"u{s}.bin" for s in range(small)]
            + [f"w{s}.bin" for s in range(small)] + [f"f{s}.bin" for s in range(FACET_SHARDS)])


def number(name: str, shards: int, small: int) -> int | None:
    """The place of a shard file's name in names(), or None for another name."""
    first, count = {"d": (0, shards), "u": (shards, small), "w": (shards + small, small),
                    "f": (shards + 2 * small, FACET_SHARDS)}.get(name[:1], (0, 0))
    digits = name[1:].removesuffix(".bin")
    if not (name.endswith(".bin") and digits.isascii() and digits.isdigit() and digits == str(int(digits))
            and int(digits) < count):
        return None
    return first + int(digits)


def stored(store: Path, digest: str) -> Path:
    """A partition's section of every shard file, in the order of names(): their ends (N + 1
    little-endian int64 offsets into the data) and the data. A build reads the sections of the
    few files it writes, not all of them."""
    return store / f"{digest}.sections"


def summary(store: Path, digest: str) -> Path:
    """A digest of each of the partition's sections (SUMMARY bytes each, in the same order):
    small enough to read at every build."""
    return store / f"{digest}.digests"


def save(store: Path, digest: str, names: list[str], files: dict[str, bytes]) -> None:
    """Whole or not at all: a build killed while saving leaves no partial file."""
    parts = [files[name] for name in names]
    ends = struct.pack(f"<{len(parts) + 1}q", *itertools.accumulate(map(len, parts), initial=0))
    digests = b"".join(hashlib.sha256(data).digest()[:SUMMARY] for data in parts)
    store.mkdir(parents=True, exist_ok=True)
    for path, data in ((summary(store, digest), digests), (stored(store, digest), ends + b"".join(parts))):
        replace_whole(path, data)


class Sections:
    """A partition's sections as its stored file holds them, mapped, not read whole: a build
    reads a few sections of each, and only their ends."""

    def __init__(self, path: Path, count: int):
        with open(path, "rb") as handle:
            self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.start = (count + 1) * 8
        if len(self.data) < self.start:
            raise ValueError(f"{path}: torn")
        # The ends read in place, as machine integers where those are little-endian: a cold build
        # makes each of 8,200 shard files from a section of every partition.
        self.ends: Sequence[int] = (memoryview(self.data)[:self.start].cast("q") if sys.byteorder == "little"
                                    else struct.unpack_from(f"<{count + 1}q", self.data))
        if self.start + self.ends[count] != len(self.data):
            raise ValueError(f"{path}: torn")

    def __getitem__(self, number: int) -> bytes:
        return self.data[self.start + self.ends[number]:self.start + self.ends[number + 1]]


def shared_file(parts: list[bytes]) -> bytes:
    """A shard file from its sections, one per partition."""
    head = bytearray()
    for value in (len(parts), *map(len, parts)):  # LEB128 varints, as postings.py writes them
        while value >= 0x80:
            head.append(value & 0x7F | 0x80)
            value >>= 7
        head.append(value)
    return b"".join([head, *parts])

