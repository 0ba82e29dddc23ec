"""What earlier builds computed from each source file, reused while the file is unchanged.

A file's result (entry or issue file, or its errors) is kept with the file's
size, modification and change times and inode (inputs.StatKey), and those of the
attachments it names; any difference and the file is read again. Results are
valid only for the code, configuration and interface strings that made them
(the cache key), after Pelican's lesson (pelican#1416).

`bulletin build` keeps the cache in the output's store: the metadata of every
entry in one pickle, the changes since then in an append-only journal (an edit
appends a record, instead of writing ten thousand results again), and the
bodies (HTML and text) in an append-only file read only for the pages that are
rendered. Bodies never move in that file: when most of it is dead it is
written anew under another name, and the old one is removed by the next
write, when no worker of the build that read from it is left (the search
index's workers may read bodies while the cache is written). `bulletin serve`
keeps the cache in memory.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .entry import Entry
from .errors import SourceError
from .inputs import Listing, StatKey, stat_key
from .issuefile import IssueInfo

VERSION = 12  # 12: bodies stored as UTF-8, not pickled
INDEX = "files.pickle"
JOURNAL = "files.journal"
BODIES = "bodies*.bin"  # one file, bodies-<random>.bin, and its predecessor for a build
CHECK = 16  # bytes of a journal record's digest


class FileResult(NamedTuple):
    stat: StatKey
    depends: tuple[tuple[str, StatKey], ...]  # attachments and linked files, with their stats
    entry: Entry | None
    issue: IssueInfo | None
    errors: tuple[SourceError, ...]


@dataclass
class Memory:
    """Results by file, valid for one cache key."""

    key: str = ""
    results: dict[str, FileResult] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)  # results of later stages, by input signature
    changed: bool = True  # differs from what is stored
    stored: dict[str, FileResult] = field(default_factory=dict)  # what the store holds, as read or written
    stored_derived: dict[str, Any] = field(default_factory=dict)
    base: str = ""  # names the stored base; a journal record counts only for its base
    journal: int = 0  # bytes of valid records in the journal (a torn last record is cut off)
    listing: Listing | None = None  # of the last load (serve; not stored)
    stamp: tuple[StatKey | None, ...] = ()  # the stored files as read (read(), written_since())

    def reusable(self, key: str) -> dict[str, FileResult]:
        return self.results if key == self.key else {}


def still_valid(result: FileResult, source: Path, stat: StatKey) -> bool:
    return result.stat == stat and all(stat_key(source / rel) == known for rel, known in result.depends)


def read(folder: Path, key: str) -> Memory:
    """The cache written by the last build, or an empty one if it is missing, stale or damaged.
    Read without the build's lock, it is current as long as written_since() says no."""
    stamp = _stamp(folder)
    try:
        with open(folder / INDEX, "rb") as handle:
            version, cached_key, base, results, derived = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
        return Memory(key, stamp=stamp)
    if version != VERSION or cached_key != key:
        return Memory(key, stamp=stamp)
    journal = _replay(folder / JOURNAL, base, results, derived)
    if journal is None or not _bodies_intact(folder, results):
        return Memory(key, stamp=stamp)
    return Memory(key, results, derived, changed=False, stored=dict(results), stored_derived=dict(derived),
                  base=base, journal=journal, stamp=stamp)


def written_since(folder: Path, memory: Memory) -> bool:
    """Whether a build wrote the cache since `memory` was read from it: every write changes its
    base or its journal."""
    return _stamp(folder) != memory.stamp


def _stamp(folder: Path) -> tuple[StatKey | None, ...]:
    return stat_key(folder / INDEX), stat_key(folder / JOURNAL)


def _replay(path: Path, base: str, results: dict[str, FileResult], derived: dict[str, Any]) -> int | None:
    """Apply the journal's records for this base to `results` and `derived`. Returns the bytes of
    whole, intact records: a build killed while appending leaves a torn last record, and one
    killed while writing a new base may leave the old journal; both end the replay. None if an
    intact record cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    except OSError:
        return None
    at = 0
    while at + 8 + CHECK <= len(data):
        size = int.from_bytes(data[at:at + 8], "little")
        record = data[at + 8 + CHECK:at + 8 + CHECK + size]
        if len(record) != size or hashlib.sha256(record).digest()[:CHECK] != data[at + 8:at + 8 + CHECK]:
            break
        try:
            written_for, changed, removed, new_derived = pickle.loads(record)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            return None
        if written_for != base:
            break
        results.update(changed)
        for rel in removed:
            results.pop(rel, None)
        if new_derived is not None:
            derived.clear()
            derived.update(new_derived)
        at += 8 + CHECK + size
    return at


def _bodies_intact(folder: Path, results: dict[str, FileResult]) -> bool:
    """Every stored body lies whole in one body file of the folder (write() keeps one)."""
    sizes = {str(path): path.stat().st_size for path in folder.glob(BODIES)}
    files = set()
    for result in results.values():
        location = result.entry.body.location if result.entry else None
        if location:
            files.add(location[0])
            if location[1] + location[2] > sizes.get(location[0], -1) or len(files) > 1:
                return False
    return True


def write(folder: Path, memory: Memory) -> None:
    """Persist: bodies not yet in the body file are appended to it, then what changed is appended
    to the journal; when the journal grows past a quarter of the base, a new base replaces both
    in one step. When most of the body file is dead weight a new one is written."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = [r.entry for r in memory.results.values() if r.entry is not None]
    current = next((e.body.location[0] for e in entries if e.body.location), None)
    live = sum(e.body.location[2] if e.body.location else 0 for e in entries)
    fresh = current is None or os.stat(current).st_size > 2 * live + (1 << 20)
    bodies = folder / f"bodies-{os.urandom(8).hex()}.bin" if fresh else Path(current)
    with open(bodies, "wb" if fresh else "ab") as out:
        for entry in entries:
            body = entry.body
            if body.location and not fresh:
                continue
            data = body.stored()
            offset = out.tell()
            out.writelines(data)
            # In place, the text kept for this build's pages (copying a first build's 10,000 entries
            # took 0.1 s). A body without a place is a new result's, and a fresh body file writes a
            # new base: either way the journal's record or the new base holds the place.
            body.location = (str(bodies), offset, sum(map(len, data)))
    results = memory.results
    base = folder / INDEX
    record = b""
    anew = fresh or not memory.base or not base.exists()
    if not anew:  # the record of a first build would hold every result, for nothing (0.15 s)
        changed = {rel: r for rel, r in results.items() if memory.stored.get(rel) is not r}
        removed = [rel for rel in memory.stored if rel not in results]
        record = pickle.dumps((memory.base, changed, removed,
                               memory.derived if memory.derived != memory.stored_derived else None),
                              protocol=pickle.HIGHEST_PROTOCOL)
    if anew or memory.journal + len(record) > base.stat().st_size // 4:
        memory.base = os.urandom(8).hex()
        temporary = folder / f"{INDEX}.new"
        with open(temporary, "wb") as handle:
            pickle.dump((VERSION, memory.key, memory.base, results, memory.derived), handle,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, base)
        (folder / JOURNAL).unlink(missing_ok=True)
        memory.journal = 0
    else:
        with open(folder / JOURNAL, "ab") as journal:
            journal.truncate(memory.journal)  # a torn record of a killed build goes
            journal.write(len(record).to_bytes(8, "little") + hashlib.sha256(record).digest()[:CHECK] + record)
        memory.journal += 8 + CHECK + len(record)
    for path in folder.glob(BODIES):
        if str(path) not in (str(bodies), current):  # unread: this build's workers read `current`
            path.unlink(missing_ok=True)
    memory.results, memory.changed = results, False
    memory.stored, memory.stored_derived = dict(results), dict(memory.derived)
