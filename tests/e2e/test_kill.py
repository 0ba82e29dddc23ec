"""A build killed at any moment (SIGKILL) leaves the previous site complete and unchanged.

A site of several hundred entries is built once. The sources are then switched between two
states, A and B (entries edited, one deleted, one added), and `bulletin build` is started
and killed at several points: a fixed time after its start, and just after it reports a
stage on stderr ("loaded …", "indexing …", "rendering …"), so the kills land in different stages on a
slow machine as on a fast one. After every kill `output` must still be a link to a complete
build of A or of B, byte for byte, never a mix. At the end a normal build must produce
exactly what a clean build of the same sources into a fresh folder produces.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO, entry, tree_bytes, write_files

NOW = "2026-11-27T12:00"
ENTRIES = 500
EDITED = (5, 77, 150, 333, 412, 490)
DELETED = 250
ADDED = "content/info/added-in-b.md"
WORDS = "经济社会发展工作推进会议研究部署安全生产农村改革教育医疗卫生交通环境保护乡村振兴基层治理"


def body(rng: random.Random) -> str:
    return "\n\n".join("".join(rng.choice(WORDS) for _ in range(250)) for _ in range(4))


def entry_file(number: int, rng: random.Random, edited: bool = False) -> tuple[str, str]:
    mark = "（修订）" if edited else ""
    keys = {"tags": f"[标签{number % 23}]", "source": f"单位{number % 17}"}
    if number % 10 == 0:
        keys |= {"publication": "xinxi", "issue": str(1 + number // 40)}
    kind = ("info", "report", "notice", "circular")[number % 4]
    return (f"content/{kind}/e{number:04d}.md",
            entry(title=f"第{number}号材料{mark}", date=f"2026-{1 + number % 11:02d}-{1 + number % 28:02d}",
                  body=body(rng) + mark, **keys))


def state_a() -> dict[str, str | bytes]:
    rng = random.Random(7)
    return dict(entry_file(n, rng) for n in range(ENTRIES))


def state_b_changes() -> dict[str, str | bytes]:
    rng = random.Random(8)
    changed = dict(entry_file(n, rng, edited=True) for n in EDITED)
    changed[ADDED] = entry(title="B状态新增信息", date="2026-11-26", body="新增的正文。", tags="[标签1]")
    return changed


def deleted_path() -> str:
    return entry_file(DELETED, random.Random(0))[0]


def switch_to(site: Path, state: str) -> None:
    """Write the sources of state A or B (only the files that differ between them)."""
    if state == "B":
        write_files(site, state_b_changes())
        (site / deleted_path()).unlink(missing_ok=True)
    else:
        a = state_a()
        write_files(site, {p: a[p] for p in [*state_b_changes(), deleted_path()] if p in a})
        (site / ADDED).unlink(missing_ok=True)


def bulletin(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


@dataclass
class Running:
    """A build started in its own process group, its stderr read line by line."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    seen: threading.Condition = field(default_factory=threading.Condition)

    @staticmethod
    def start(*args: str | Path) -> Running:
        process = subprocess.Popen([sys.executable, "-m", "generator", *map(str, args)], text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                                   env={**os.environ, "PYTHONPATH": str(REPO)})
        running = Running(process)
        threading.Thread(target=running._read, daemon=True).start()
        return running

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()
        with self.seen:
            self.lines.append("<eof>")
            self.seen.notify_all()

    def wait_for(self, prefix: str) -> bool:
        """Until a stderr line starts with `prefix` (True) or the process ends (False)."""
        with self.seen:
            return self.seen.wait_for(lambda: any(line.startswith(prefix) for line in self.lines)
                                      or "<eof>" in self.lines, timeout=120) and "<eof>" not in self.lines

    def kill(self) -> bool:
        """SIGKILL the build; whatever it forked (the child that builds, its workers) must die with
        it. True if it was still running."""
        running = self.process.poll() is None
        if running:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        left = living_in_group(self.process.pid)
        deadline = time.monotonic() + 0.5  # the system ends them at once: no time to finish a build
        while left and time.monotonic() < deadline:
            time.sleep(0.05)
            left = living_in_group(self.process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        assert not left, f"processes of the killed build still ran: {left}"
        return running


def living_in_group(group: int) -> list[int]:
    """Processes of a process group that have not ended (zombies waiting for a reaper have)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) == group and fields[0] not in "ZX":
                found.append(int(stat.parent.name))
    return found


@dataclass(frozen=True)
class Moment:
    after: str  # "" = the start of the process, else a stderr line prefix
    delay: float

    def __str__(self) -> str:
        return f"{self.after or 'start'}+{self.delay}s"


# Stages a one-edit build reports too ("indexing"): it is over in well under a second.
MOMENTS = (Moment("", 0.2), Moment("loaded", 0.0), Moment("indexing", 0.0), Moment("indexing", 0.1),
           Moment("rendering", 0.0), Moment("", 1.5))


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, bytes]]]:
    """The site (built, in state A) and the complete output of each state, built clean elsewhere."""
    site = tmp_path_factory.mktemp("kill") / "site"
    write_files(site, state_a())
    result = bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 0, result.stderr
    expected = {"A": tree_bytes(site / "output")}
    switch_to(site, "B")
    reference = site.parent / "reference-b"
    result = bulletin("build", "--source", site, "--now", NOW, "--output", reference, "--clean")
    assert result.returncode == 0, result.stderr
    expected["B"] = tree_bytes(reference)
    switch_to(site, "A")
    assert expected["A"] != expected["B"]
    assert len(expected["A"]) > 1500
    return site, expected


def check_whole(site: Path, expected: dict[str, dict[str, bytes]], moment: Moment) -> str:
    """`output` is a link to a complete build of A or of B: which one."""
    output = site / "output"
    assert output.is_symlink(), f"{moment}: output is not a link"
    target = output.resolve()
    assert target.parent == (site / ".output.builds").resolve(), target
    found = tree_bytes(output)
    for state, tree in expected.items():
        if found == tree:
            return state
    a, b = expected["A"], expected["B"]
    only_b = sorted(set(found) & (set(b) - set(a)))[:5]
    missing = sorted((set(a) & set(b)) - set(found))[:5]
    changed = sorted(p for p in set(found) & set(a) & set(b) if found[p] not in (a[p], b[p]))[:5]
    raise AssertionError(f"after a kill at {moment} the output is neither site: pages of B {only_b}, "
                         f"missing {missing}, changed {changed}")


def kill_builds(site: Path, expected: dict[str, dict[str, bytes]], clean: bool) -> str:
    """Start and kill a build at each moment, flipping the sources each time; the state left live."""
    live = check_whole(site, expected, Moment("", 0))
    interrupted = 0
    for moment in MOMENTS:
        wanted = "B" if live == "A" else "A"
        switch_to(site, wanted)
        build = Running.start("build", "--source", site, "--now", NOW, *(["--clean"] if clean else []))
        reached = build.wait_for(moment.after) if moment.after else True
        if reached:
            time.sleep(moment.delay)
        was_running = build.kill()
        now = check_whole(site, expected, moment)
        if was_running and now == live:
            interrupted += 1
        elif not was_running:
            assert build.process.returncode == 0, "".join(build.lines)
            assert now == wanted, f"{moment}: a finished build did not make its site current"
        live = now
    # most kills must have hit a running build, or this proved nothing
    assert interrupted >= len(MOMENTS) // 2, f"only {interrupted} kills interrupted a {'clean' * clean} build"
    return live


def test_a_killed_build_leaves_the_previous_site_whole(trees: tuple[Path, dict[str, dict[str, bytes]]]) -> None:
    site, expected = trees
    kill_builds(site, expected, clean=False)
    live = kill_builds(site, expected, clean=True)
    # after all that, a normal build gives exactly the clean build of the same sources
    final = "B" if live == "A" else "A"
    switch_to(site, final)
    result = bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert tree_bytes(site / "output") == expected[final]
    gone = deleted_path().removeprefix("content/").removesuffix(".md") + "/"
    assert ((site / "output" / gone).exists()) == (final == "A"), "a deleted entry's page disappears"
    switch_to(site, "A" if final == "B" else "B")
    result = bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert tree_bytes(site / "output") == expected["A" if final == "B" else "B"]
