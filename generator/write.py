"""Atomic output: the site folder is a symbolic link switched in one step.

`output` points at one of two build folders kept beside it
(`.output.builds/a` and `/b`). A build writes the *other* folder, then
replaces the link with `os.replace`, so a reader or a web server sees the old
site or the new one, never a mix, and a build that fails or is killed leaves
the current site untouched.

Two folders rather than a fresh copy each time: the spare folder holds the
build before last, so bringing it up to date touches only the files that
changed in the last two builds. Deleting a whole tree and creating it again,
or hard-linking a copy of it, costs seconds on a large site. Each folder has a
manifest (path -> fingerprint of the page's inputs); a folder whose manifest
is missing was interrupted and is repaired file by file.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import parallel
from .errors import BuildFailed, SourceError
from .links import exclusive, replace_whole, switch

SLOTS = ("a", "b")


@dataclass(frozen=True)
class WriteStats:
    written: int
    copied: int
    kept: int
    removed: int
    switched: bool


class OutputTree:
    def __init__(self, output: Path):
        self.link = output.absolute()
        self.store = self.link.parent / f".{self.link.name}.builds"

    def check(self) -> list[SourceError]:
        if self.link.exists() and not self.link.is_symlink():
            if self.link.is_dir() and not any(self.link.iterdir()):
                return []
            return [SourceError(str(self.link), 1, "the output folder exists and was not made by"
                                " bulletin (it is not a link to a build)",
                                "move it away or choose another --output; bulletin never "
                                "deletes a folder it did not make")]
        return []

    def locked(self) -> contextlib.AbstractContextManager[None]:
        return exclusive(self.store, self.link, "build")

    def live_slot(self) -> str | None:
        if not self.link.is_symlink():
            return None
        name = os.readlink(self.link).rsplit("/", 1)[-1]
        return name if name in SLOTS else None

    def manifest_path(self, slot: str) -> Path:
        return self.store / f"{slot}.manifest"

    def manifest(self, slot: str | None) -> dict[str, str]:
        """Path -> key of every file of a build folder (pickle: fifty thousand entries load at once)."""
        return self.trusted_manifest(slot) or {}

    def trusted_manifest(self, slot: str | None) -> dict[str, str] | None:
        """The manifest of a build folder whose content it tells, or None: a folder without one (or
        with one that cannot be read) may hold anything, and is repaired file by file."""
        if slot is None:
            return None
        try:
            with open(self.manifest_path(slot), "rb") as handle:
                found = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def live_manifest(self) -> dict[str, str]:
        return self.manifest(self.live_slot())

    def live_file(self, path: str) -> Path:
        return self.link / path

    @property
    def cache_folder(self) -> Path:
        return self.store / "cache"

    @property
    def search_store(self) -> Path:
        """Where the search index's partitions are kept between builds (index.py)."""
        return self.cache_folder / "search"

    def write(self, wanted: dict[str, str], make: Callable[[list[str], Path], None],
              clean: bool = False, catching_up: CatchingUp | None = None) -> WriteStats:
        """Bring the spare folder to `wanted` (path -> fingerprint of everything the file depends
        on) and make it current.

        `make(paths, folder)` writes the files that must be made anew into the
        folder; a file whose key matches the spare folder's manifest is kept,
        one that matches the live folder's is copied from there. `catching_up`: what
        catch_up() started for this build, finished first.
        """
        if catching_up is not None:
            catching_up.finish()
        live = self.live_slot()
        live_manifest = {} if clean else self.manifest(live)
        if live and not clean and wanted == live_manifest:
            return WriteStats(0, 0, len(wanted), 0, False)
        spare = _other(live)
        folder = self.store / spare
        manifest_file = self.manifest_path(spare)
        trusted = None if clean else self.trusted_manifest(spare)
        spare_manifest = trusted or {}
        manifest_file.unlink(missing_ok=True)  # from here the spare folder is not trusted
        folder.mkdir(parents=True, exist_ok=True)
        self._remove_unwanted(folder, wanted, trusted)
        removed = len(live_manifest.keys() - wanted.keys())  # pages readers will no longer find (8 → 2 ms)
        to_copy, to_make = [], []
        lag = removed  # the files by which the live folder, once the spare one, will differ from it
        for path, key in wanted.items():
            live_key = live_manifest.get(path)
            lag += key != live_key
            if key != spare_manifest.get(path):
                (to_copy if key == live_key else to_make).append(path)
        kept = len(wanted) - len(to_copy) - len(to_make)
        for path in (*to_copy, *to_make):  # a kept file's path was checked when it was made
            _check_inside(path)
        self._share_from_live(folder, to_copy)
        make(to_make, folder)
        replace_whole(manifest_file, pickle.dumps(wanted, protocol=pickle.HIGHEST_PROTOCOL))
        replace_whole(self.store / LAG, str(lag).encode())
        self._switch(spare)
        return WriteStats(len(to_make), len(to_copy), kept, removed, True)

    def _remove_unwanted(self, folder: Path, wanted: dict[str, str], manifest: dict[str, str] | None) -> None:
        if manifest is not None:
            stale = [p for p in manifest if p not in wanted]
        else:  # an interrupted or unknown folder (a clean build's): look at what is really there
            stale = [path for path in _files_below(folder) if path not in wanted]
        parents = set()
        for path in stale:
            target = folder / path
            target.unlink(missing_ok=True)
            parents.update(target.parents)
        for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
            if parent.is_relative_to(folder) and parent != folder:
                with contextlib.suppress(OSError):
                    parent.rmdir()  # only succeeds when empty

    @contextlib.contextmanager
    def catching_up(self, clean: bool) -> Iterator[CatchingUp | None]:
        """catch_up(), unless the build is clean, ended however the build ends: a build that fails
        before write() waits here for the linking, whose error then goes unsaid for the build's."""
        started = None if clean else self.catch_up()
        try:
            yield started
        finally:
            if started is not None:
                with contextlib.suppress(BaseException):
                    started.finish()

    def catch_up(self) -> CatchingUp | None:
        """Start linking the live folder's files into the spare folder in a forked child, when it
        lags by CATCH_UP_FROM files or more, so that write() finds them there. The first build after
        a full one links every file (0.2-1 s at 10,000-20,000 entries); the child does so while this
        process makes the model and the pages' keys, in one thread (threads here would wait for the
        interpreter at each file; more threads there took more of the core the build works on).
        Call under the build's lock; write() or CatchingUp.finish() ends it before the lock is let
        go. A spare folder of unknown content (no manifest) is left to write() to repair."""
        live = self.live_slot()
        try:  # a hint, left by the last write(), that spares reading both manifests (20 ms) at each build
            lag = int((self.store / LAG).read_bytes())
        except (OSError, ValueError):
            return None
        if live is None or lag < CATCH_UP_FROM or parallel.workers() < 2:
            return None
        spare = _other(live)
        folder, manifest_file = self.store / spare, self.manifest_path(spare)
        before = self.trusted_manifest(spare)
        if before is None and not _empty(folder):
            return None
        before = before or {}
        behind = {path: key for path, key in self.manifest(live).items() if before.get(path) != key}
        if len(behind) < CATCH_UP_FROM:
            return None
        live_folder, paths = os.path.realpath(self.link), list(behind)
        try:
            manifest_file.unlink(missing_ok=True)  # from here the spare folder is not trusted
            folder.mkdir(parents=True, exist_ok=True)
            linking = parallel.in_child(lambda: _link(live_folder, os.fspath(folder), paths))
        except OSError:  # no fork to be had: write() does it all, as it would have
            return None
        return CatchingUp(manifest_file, self.store / LAG, linking, {**before, **behind})

    def _share_from_live(self, folder: Path, paths: list[str]) -> None:
        """Files the new site has as the current one does: hard links, not copies. Safe because
        no file in a build folder is ever changed in place (replace_file below). The first build
        after a full one links every file: threads then make links in several folders at once
        (a link is a system call, made without the GIL), 0.8 -> 0.6 s for 31,000 files."""
        live, spare = os.path.realpath(self.link), os.fspath(folder)
        if len(paths) < LINKED_BY_THREADS:
            _link(live, spare, paths)
            return
        import concurrent.futures  # here: a build with nothing to do imports this module

        with concurrent.futures.ThreadPoolExecutor(LINKING_THREADS) as pool:
            for _ in pool.map(functools.partial(_link, live, spare), by_folder(paths)):
                pass  # a failure is raised here

    def _switch(self, slot: str) -> None:
        switch(self.link, self.store / slot)


def _files_below(folder: Path) -> Iterator[str]:
    """The paths of the files below `folder`, relative to it, without following links to
    folders. Strings, not Paths: a clean build over an existing output walks 31,000 files
    (1.0 s with Path.rglob, 0.17 s so)."""
    base = os.fspath(folder)
    for top, _, names in os.walk(base):
        inside = top[len(base) + 1:]
        for name in names:
            yield f"{inside}/{name}" if inside else name


def _other(slot: str | None) -> str:
    """The build folder that is not `slot` (the spare one, when `slot` is live)."""
    return SLOTS[1] if slot == SLOTS[0] else SLOTS[0]


def _empty(folder: Path) -> bool:
    try:
        with os.scandir(folder) as found:
            return next(found, None) is None
    except FileNotFoundError:
        return True


@dataclass
class CatchingUp:
    """Files being linked from the live folder into the spare one (OutputTree.catch_up)."""

    manifest_file: Path  # the spare folder's
    hint: Path  # LAG
    linking: parallel.Started[None]
    manifest: dict[str, str]  # the spare folder's once the linking is done
    finished: bool = False

    def finish(self) -> None:
        """Wait for the linking (interrupted, it stops the child), then trust the spare folder
        again: its manifest is written. Idempotent. The linking only saves time: if it failed (a
        file where the live folder has a folder), the spare folder stays without a manifest, and
        write() repairs it as it would have without."""
        if self.finished:
            return
        self.finished = True
        try:
            self.linking.results()
        except Exception:
            return
        replace_whole(self.manifest_file, pickle.dumps(self.manifest, protocol=pickle.HIGHEST_PROTOCOL))
        replace_whole(self.hint, b"0")


CATCH_UP_FROM = 1000  # files the spare folder lags by
LAG = "spare.lag"  # in the store: by how many files the spare folder lagged when the last build ended
LINKED_BY_THREADS = 1000
LINKING_THREADS = 4
FOLDER_PIECE = 64  # paths: small enough to even out the workers' ends


def _link(live: str, spare: str, paths: list[str]) -> None:
    made = set()
    for path in paths:
        target = f"{spare}/{path}"
        parent = target.rsplit("/", 1)[0]
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        source = f"{live}/{path}"
        try:
            _link_or_copy(source, target)
        except FileExistsError:  # the spare folder's older file: rarely, so not removed first (31,000 calls)
            os.unlink(target)
            _link_or_copy(source, target)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except FileExistsError:
        raise  # the caller removes the file in the way: a file is never written over in place
    except OSError:  # a file system without hard links: a new file, whatever error came first
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        shutil.copyfile(source, target)


def by_folder(paths: list[str]) -> list[list[str]]:
    """Pieces of work for workers: a folder's paths stay in one piece, since two workers
    creating files in one folder wait for each other (its lock); folders of a page or a few are
    merged into pieces of about FOLDER_PIECE paths. Largest first, so the longest piece starts first."""
    folders: dict[str, list[str]] = {}
    for path in paths:
        folders.setdefault(path.rpartition("/")[0], []).append(path)
    pieces: list[list[str]] = []
    merged: list[str] = []
    for members in sorted(folders.values(), key=len, reverse=True):
        if len(members) >= FOLDER_PIECE:
            pieces.append(members)
            continue
        merged.extend(members)
        if len(merged) >= FOLDER_PIECE:
            pieces.append(merged)
            merged = []
    return [*pieces, merged] if merged else pieces


def replace_file(path: str | Path, data: bytes) -> None:
    """Write a file of a build folder as a new file: its old inode may be shared with the
    current site (a hard link), which must never change under a reader. os.open, not open():
    a cold build writes some 30,000 files, and a file object costs more than the syscalls."""
    try:
        handle = os.open(path, _NEW_FILE, 0o666)
    except FileExistsError:
        os.unlink(path)
        handle = os.open(path, _NEW_FILE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
    finally:
        os.close(handle)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _check_inside(path: str) -> None:
    if path.startswith("/") or ".." in path.split("/"):
        raise BuildFailed([SourceError(path, 1, "an output path leaves the output folder",
                                       "use a slug and file names without '..' or '/'")])
