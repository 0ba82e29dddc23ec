"""`bulletin publish DEST`: put a built site on the intranet web root, atomically.

DEST is a symbolic link to one release folder beside it
(`.DEST.releases/<release>/`). A release is written completely, checked
against its manifest of hashes, and only then made current with one
`os.replace` of the link: a reader sees the old release or the new one,
never a mix. Releases are never changed once written, so files equal to the
previous release's are hard-linked from it instead of copied. The last few
releases are kept; `--rollback` makes the previous one current again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildFailed, SourceError
from .links import exclusive, switch

MANIFEST = ".bulletin-manifest.json"
KEEP = 5
_MOMENT = "%Y%m%d-%H%M%S"  # a release's name: this, "-", and a two-digit number


@dataclass(frozen=True)
class Published:
    release: str
    files: int
    copied: int
    linked: int
    removed_releases: tuple[str, ...]


class Releases:
    def __init__(self, dest: Path):
        self.link = dest.absolute()
        self.folder = self.link.parent / f".{self.link.name}.releases"

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """One publish at a time: another one's half-written release must not be pruned."""
        return exclusive(self.folder, self.link, "publish")

    def check(self) -> None:
        if self.link.exists() and not self.link.is_symlink():
            raise BuildFailed([SourceError(str(self.link), 1, "the destination exists and is not a release"
                                           " link made by bulletin publish",
                                           "move it away or publish to another folder; bulletin never"
                                           " deletes what it did not make")])

    def names(self) -> list[str]:
        """Release names, oldest first (names sort by time)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_dir() and (p / MANIFEST).exists())

    def current(self) -> str | None:
        if not self.link.is_symlink():
            return None
        name = Path(os.readlink(self.link)).name
        return name if (self.folder / name / MANIFEST).exists() else None

    def publish(self, site: Path, now: dt.datetime, keep: int = KEEP) -> Published:
        self.check()
        site = site.resolve()
        previous = self.current()
        old = self._manifest(previous) if previous else {}
        name = self._new_name(now)
        target = self.folder / name
        target.mkdir(parents=True)
        manifest: dict[str, str] = {}
        copied = linked = 0
        for path in sorted(p for p in site.rglob("*") if p.is_file()):
            rel = path.relative_to(site).as_posix()
            digest = _sha256(path)
            manifest[rel] = digest
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            if old.get(rel) == digest and previous:
                os.link(self.folder / previous / rel, out)
                linked += 1
            else:
                shutil.copyfile(path, out)
                copied += 1
        self._verify(target, manifest)
        (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=0))
        self._switch(name)
        return Published(name, len(manifest), copied, linked, self._prune(keep))

    def rollback(self) -> str:
        self.check()
        names, current = self.names(), self.current()
        if current is None or names.index(current) == 0:
            raise BuildFailed([SourceError(str(self.link), 1, "there is no earlier release to go back to",
                                           "publish at least twice before rolling back")])
        earlier = names[names.index(current) - 1]
        self._verify(self.folder / earlier, self._manifest(earlier))
        self._switch(earlier)
        return earlier

    def _new_name(self, now: dt.datetime) -> str:
        """A name sorting after every release made before, so that name order is publish order.

        Filling the first free number would reuse a pruned release's name within one
        second, and the newest release would then sort first and be pruned next;
        a clock set back would do the same.
        """
        name = f"{now.strftime(_MOMENT)}-01"
        made = sorted(p.name for p in self.folder.iterdir() if p.is_dir()) if self.folder.is_dir() else []
        if made and made[-1] >= name:
            base, number = made[-1].rsplit("-", 1)
            if int(number) < 99:
                name = f"{base}-{int(number) + 1:02d}"
            else:  # "-100" would sort before "-99": the next second instead
                name = f"{dt.datetime.strptime(base, _MOMENT) + dt.timedelta(seconds=1):{_MOMENT}}-01"
        return name

    def _manifest(self, name: str) -> dict[str, str]:
        return json.loads((self.folder / name / MANIFEST).read_text())

    def _verify(self, folder: Path, manifest: dict[str, str]) -> None:
        """Every file the manifest names is there with its hash, and nothing else is."""
        found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
        problems = [f"missing {rel}" for rel in sorted(set(manifest) - found)]
        problems += [f"unexpected {rel}" for rel in sorted(found - set(manifest))]
        problems += [f"changed {rel}" for rel in sorted(set(manifest) & found)
                     if _sha256(folder / rel) != manifest[rel]]
        if problems:
            raise BuildFailed([SourceError(str(folder), 1, f"the release does not match its manifest: "
                                           f"{'; '.join(problems[:5])}", "publish again; the current"
                                           " release was left in place")])

    def _switch(self, name: str) -> None:
        switch(self.link, self.folder / name)

    def _prune(self, keep: int) -> tuple[str, ...]:
        current = self.current()
        names = self.names()
        old = [n for n in names[:max(0, len(names) - keep)] if n != current]
        for name in old:
            shutil.rmtree(self.folder / name)
        # Half-written releases of interrupted runs have no manifest: they are never current.
        for stray in (p for p in self.folder.iterdir() if p.is_dir() and not (p / MANIFEST).exists()):
            shutil.rmtree(stray)
        return tuple(old)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
