"""Is there anything to build? A fingerprint of everything a build reads.

When the sources, templates, configuration, code and options are those of the
last successful build, and the build's clock has not crossed a moment where an
entry is published, withdrawn or unpinned, the output is already exactly what
the build would write. Checking that costs a walk over the files' stats, so
this module imports nothing heavy: a build with nothing to do returns before
the generator's libraries are even loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .themes import template_dirs
from .write import OutputTree

RECORD = "inputs.json"
LIBRARIES = ("Jinja2", "Markdown", "nh3", "PyYAML", "OpenCC", "pypinyin", "numpy")


@dataclass(frozen=True)
class LastBuild:
    entries: int
    pages: int
    warnings: tuple[str, ...] = ()


def nothing_to_build(source: Path, output: Path, audience: str | None, drafts: bool,
                     now: dt.datetime) -> tuple[LastBuild | None, str]:
    """The last build's counts if building now would change nothing, else None; and the
    fingerprint of the inputs, for the build to remember."""
    tree = OutputTree(output)
    print_of_inputs = fingerprint(source, output, audience, drafts)
    live = tree.live_slot()
    if live is None:
        return None, print_of_inputs
    return unchanged(tree.store, print_of_inputs, now, tree.manifest_path(live)), print_of_inputs


def code() -> str:
    """The generator's code and the versions of the libraries that shape its output."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
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


def fingerprint(source: Path, output: Path, audience: str | None, drafts: bool) -> str:
    digest = hashlib.sha256(f"{audience}\0{drafts}\0{output.absolute()}\0{code()}".encode())
    config = source / "bulletin.yaml"
    digest.update(config.read_bytes() if config.exists() else b"(no configuration)")
    for folder in (source / "content", *template_dirs(source)):
        _stats(folder, digest)
    return digest.hexdigest()


def _stats(folder: Path, digest: hashlib._Hash) -> None:
    if not folder.is_dir():
        digest.update(b"(none)")
        return
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            digest.update(f"{root}/{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode())


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
    temporary = store / f"{RECORD}.new"
    temporary.write_text(json.dumps(record))
    os.replace(temporary, store / RECORD)
