"""Page keys: a digest of everything a page's file depends on. Equal keys, equal bytes.

Fingerprinting every page's context costs a third of a one-edit build at
10,000 entries. By the rule of pages.py (an entry's content reaches a context
only with the entry), while the site's skeleton (pages.skeleton) is as it was,
an edit to entries changes exactly the pages whose contexts hold them. So a
build keeps, beside the cache, the keys it made and which pages hold each
entry (its Record), and the next build with the same skeleton fingerprints
only the pages holding an entry whose digest changed; any other difference
fingerprints them all. The record is a cache of a pure function of its inputs:
it is valid whether or not the build that wrote it went live.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

from .links import replace_whole
from .model import Site
from .pages import Fingerprints, Page, skeleton

RECORD = "keys.pickle"


@dataclass(frozen=True)
class Record:
    shared: str  # what every page depends on besides its context
    skeleton: str
    digests: dict[str, str]  # published entry -> its digest
    keys: dict[str, str]  # page -> key
    holding: dict[str, tuple[str, ...]]  # published entry -> the pages whose context holds it


def key(shared: str, page: Page, fingerprints: Fingerprints) -> str:
    if page.made_from is not None:
        return made_key(shared, page.made_from)
    made_from = fingerprints.of(page.context)
    return hashlib.sha256(f"{shared}:{page.path}:{page.template}:{page.copy}:{made_from}".encode()).hexdigest()[:32]


def made_key(shared: str, made_from: str) -> str:
    """The key of a file made by `generate` from what Page.made_from digests: two digests side by
    side, no hashing (eighteen thousand files of the search index). Its path need not count:
    keys are compared path by path."""
    return shared[:16] + made_from[:16]


def site_keys(shared: str, site: Site, pages: list[Page], folder: Path, clean: bool = False) -> dict[str, str]:
    """Keys of the pages plan() made, reusing the last build's where that is sound. `folder`
    keeps the record; `clean`: ignore it. The fingerprints, with the entries each context
    reaches, are dropped on return: tens of megabytes at 20,000 entries."""
    fingerprints = Fingerprints()
    shape = skeleton(site)
    digests = {path: entry.digest for path, entry in site.by_path.items()}
    last = None if clean else _read(folder / RECORD)
    if (last is not None and last.shared == shared and last.skeleton == shape
            and last.keys.keys() == {page.path for page in pages}):
        changed = [path for path, digest in digests.items() if last.digests.get(path) != digest]
        stale = {page for path in changed for page in last.holding.get(path, ())}
        keys = dict(last.keys)
        for page in pages:
            if page.path in stale:
                keys[page.path] = key(shared, page, fingerprints)
        # The record stays valid: the pages of an entry changed since it are keyed again at each
        # build. Written anew once two entries have changed since, not after each edit to one
        # entry, an editor's usual run of saves: it takes 15 ms at 10,000 entries.
        if len(changed) > 1:
            _write(folder / RECORD, Record(shared, shape, digests, keys, last.holding))
        return keys
    keys, holding = {}, {}
    for page in pages:
        keys[page.path] = key(shared, page, fingerprints)
        for path in fingerprints.reached.get(id(page.context), ()):
            holding.setdefault(path, []).append(page.path)
    _write(folder / RECORD, Record(shared, shape, digests, keys, {path: tuple(held) for path, held in holding.items()}))
    return keys


def _read(path: Path) -> Record | None:
    try:
        with open(path, "rb") as handle:
            record = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
        return None
    return record if isinstance(record, Record) else None


def _write(path: Path, record: Record) -> None:
    replace_whole(path, pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
