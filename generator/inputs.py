"""Is there anything to build? A fingerprint of everything a build reads, and the
listing of content/ that goes with it.

When the sources, templates, configuration, code and options are those of the
last successful build, and the build's clock has not crossed a moment where an
entry is published, withdrawn or unpinned, the output is already exactly what
the build would write. Checking that costs a walk over the files' stats, so
this module imports nothing heavy: a build with nothing to do returns before
the generator's libraries are even loaded. A build that has something to do
loads the files of the same walk (`Listing`): content/ is walked once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
import os
import posixpath
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .errors import SourceError
from .links import replace_whole
from .themes import template_dirs
from .write import OutputTree

CONTENT = "content"
ENTRY_SUFFIX = ".md"
ISSUE_SUFFIXES = (".yaml", ".yml")
# Size, modification time, status-change time, inode: cheap change detection. The change time
# because tools that keep a file's modification time (cp -p, rsync -t, unzip, touch -r) cannot
# keep it: an overwrite of equal size is still seen.
StatKey = tuple[int, int, int, int]

RECORD = "inputs.json"
LIBRARIES = ("Jinja2", "Markdown", "nh3", "PyYAML", "OpenCC", "pypinyin", "numpy")


@dataclass(frozen=True)
class LastBuild:
    entries: int
    pages: int
    warnings: tuple[str, ...] = ()


class SourceFile(NamedTuple):
    """A NamedTuple: every build makes one per file, at a third of a frozen dataclass's cost."""

    rel: str  # site-relative POSIX path, e.g. content/info/2026/a.md
    stat: StatKey


@dataclass(frozen=True)
class Listing:
    """What a walk over content/ found: the entry and issue files to load, in a stable order,
    what is wrong with the folder, and a digest of every file's stat (ignored files too: an
    entry's attachment may have any name)."""

    files: tuple[SourceFile, ...]
    errors: tuple[SourceError, ...]
    digest: str

    def loads_as(self, other: Listing) -> bool:
        """Whether both list the same files to load, as they were (a new editor's swap file
        changes only the digest)."""
        return self.files == other.files and self.errors == other.errors


@dataclass(frozen=True)
class Inputs:
    fingerprint: str  # of everything the build reads, taken before it reads any of it
    listing: Listing


def nothing_to_build(source: Path, output: Path, audience: str | None, drafts: bool,
                     now: dt.datetime) -> tuple[LastBuild | None, Inputs]:
    """The last build's counts if building now would change nothing, else None; and the
    inputs, for the build to load and remember."""
    tree = OutputTree(output)
    taken = take(source, output, audience, drafts)
    live = tree.live_slot()
    if live is None:
        return None, taken
    return unchanged(tree.store, taken.fingerprint, now, tree.manifest_path(live)), taken


def code() -> str:
    """The generator's code and data (the fold table) and the versions of the libraries that shape
    its output."""
    digest = hashlib.sha256()
    for path in (*sorted(Path(__file__).parent.glob("*.py")), Path(__file__).parent / "fold.txt"):
        digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(_installed(library).encode())
    return digest.hexdigest()


def _installed(library: str) -> str:
    """The name of the library's .dist-info folder (name and version), found as importlib.metadata
    would, first on sys.path; that module alone takes longer to import than a build with nothing
    to do takes to answer."""
    prefix = library.lower() + "-"
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and name.lower().startswith(prefix):
                return name
    return library


def take(source: Path, output: Path, audience: str | None, drafts: bool) -> Inputs:
    listing = scan(source)
    digest = hashlib.sha256(f"{audience}\0{drafts}\0{output.absolute()}\0{code()}\0{listing.digest}".encode())
    config = source / "bulletin.yaml"
    digest.update(config.read_bytes() if config.exists() else b"(no configuration)")
    for folder in template_dirs(source):
        _stats(folder, digest)
    return Inputs(digest.hexdigest(), listing)


def scan(source: Path) -> Listing:
    root = source / CONTENT
    if not root.is_dir():
        return Listing((), (SourceError(CONTENT, 1, f"no content folder at {root}",
                                        "run bulletin in the folder that holds bulletin.yaml and content/,"
                                        " or pass --source"),), "(no content)")
    files: list[SourceFile] = []
    errors: list[SourceError] = []
    lines: list[str] = []
    _walk(str(root), CONTENT, os.path.realpath(root), files, errors, lines, False)
    return Listing(tuple(sorted(files)), tuple(errors),  # by path: no two files share one
                   hashlib.sha256("".join(lines).encode()).hexdigest())


def _walk(folder: str, rel_folder: str, real_root: str, files: list[SourceFile], errors: list[SourceError],
          lines: list[str], ignored: bool) -> None:
    """os.scandir, not pathlib: a site has tens of thousands of files and this runs every build.
    What is `ignored` (below an ignored name) counts for the digest only."""
    with os.scandir(folder) as found:
        items = sorted(found, key=_name)
    for item in items:
        name = item.name
        rel = f"{rel_folder}/{name}"
        skip = ignored or _ignored(name)
        if item.is_symlink():
            target = os.path.realpath(item.path)
            lines.append(f"{rel}\0->{target}\n")
            if skip:
                continue
            if os.path.commonpath([target, real_root]) != real_root:
                errors.append(SourceError(rel, 1, f"symbolic link to {target}, outside content/",
                                          "copy the file into content/ instead of linking to it"))
                continue
            if os.path.isdir(target):
                errors.append(SourceError(rel, 1, "symbolic link to a folder",
                                          "move the folder here; linked folders are not followed"))
                continue
        elif item.is_dir(follow_symlinks=False):
            _walk(item.path, rel, real_root, files, errors, lines, skip)
            continue
        try:
            st = item.stat()  # a link's target, inside content/
        except OSError:  # deleted while we look: simply not there
            continue
        key = stat_key_of(st)
        lines.append(f"{rel}\0{key}\n")
        if not skip and rel.endswith(_LOADED):
            files.append(SourceFile(rel, key))


_HIDDEN, _BACKUP = (".", "#", "~"), ("~", ".swp", ".tmp")
_LOADED = (ENTRY_SUFFIX, *ISSUE_SUFFIXES)
_name = operator.attrgetter("name")


def _ignored(name: str) -> bool:
    # Editors' swap and backup files, and hidden files, are not content.
    return name.startswith(_HIDDEN) or name.endswith(_BACKUP)


def stat_key(path: Path) -> StatKey | None:
    try:
        return stat_key_of(path.stat())
    except OSError:
        return None


def stat_key_of(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def relisted(source: Path, listing: Listing, changed: frozenset[str]) -> Listing:
    """`listing` with the stats of the `changed` files taken again, when that is enough to know
    what content/ holds: serve's watcher names the files a save touched. A named entry or issue
    file that is gone, or that the listing lacks, means files came or went: a new walk."""
    named = {rel for rel in changed if rel.endswith((ENTRY_SUFFIX, *ISSUE_SUFFIXES))
             and not _ignored(posixpath.basename(rel))}
    fresh = []
    for file in listing.files:
        if file.rel in named:
            named.discard(file.rel)
            stat = stat_key(source / file.rel)
            if stat is None:
                return scan(source)
            file = SourceFile(file.rel, stat)
        fresh.append(file)
    # The digest is not kept up to date: serve never compares fingerprints.
    return scan(source) if named else Listing(tuple(fresh), listing.errors, listing.digest)


def _stats(folder: Path, digest: hashlib._Hash) -> None:
    if not folder.is_dir():
        digest.update(b"(none)")
        return
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            try:
                key = stat_key_of(os.lstat(os.path.join(root, name)))
            except OSError:
                continue
            digest.update(f"{root}/{name}\0{key}\n".encode())


def unchanged(store: Path, print_of_inputs: str, now: dt.datetime, live_manifest: Path) -> LastBuild | None:
    """The last build's counts if building now would change nothing, else None."""
    try:
        record = json.loads((store / RECORD).read_text())
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") != print_of_inputs or not live_manifest.exists():
        return None
    if record.get("manifest") != live_manifest.stat().st_mtime_ns:
        return None
    then = dt.datetime.fromisoformat(record["now"])
    low, high = min(then, now), max(then, now)
    if now.year != then.year or any(low <= dt.datetime.fromisoformat(m) <= high for m in record["moments"]):
        return None
    return LastBuild(record["entries"], record["pages"], tuple(record.get("warnings", ())))


def remember(store: Path, print_of_inputs: str, now: dt.datetime, moments: list[dt.datetime],
             live_manifest: Path, last: LastBuild) -> None:
    record = {"fingerprint": print_of_inputs, "now": now.isoformat(), "entries": last.entries,
              "pages": last.pages, "warnings": list(last.warnings),
              "moments": sorted({m.isoformat() for m in moments}),
              "manifest": live_manifest.stat().st_mtime_ns}
    replace_whole(store / RECORD, json.dumps(record).encode())
