"""Primitives shared by the build output, its store and publishing: one writer at a time, and a
symbolic link or a file replaced in one step (rename(2) replaces it atomically)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import BuildFailed, SourceError


@contextlib.contextmanager
def exclusive(folder: Path, what: Path, activity: str) -> Iterator[None]:
    """Hold the lock file of `folder`, or fail at once naming `what` is busy."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildFailed([SourceError(str(what), 1, f"another {activity} is writing to it",
                                           "wait for it to finish")]) from None
        yield


def replace_whole(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a build killed while writing leaves the old file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def switch(link: Path, target: Path) -> None:
    """Point `link` at `target` in one step; a real empty folder in the way is removed first."""
    temporary = link.parent / f".{link.name}.link-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, link.parent), temporary)
    if link.is_dir() and not link.is_symlink():
        link.rmdir()
    os.replace(temporary, link)
