"""Rebuilds of two versions of bulletin, interleaved on one site: what a change bought.

    .venv/bin/python benchmarks/edits_ab.py --site /tmp/build-bench/n10000/bulletin/site \\
        --base fbfa5f0 --kind title --runs 9

Checks out --base (a commit) into a temporary git worktree and runs `python -m generator build`
from it and from this checkout, each into its own output folder beside --site, after each of
--runs edits to one entry (its title, or a sentence added to its body; or none). The order alternates
from edit to edit, so a noisy machine hurts both alike; prints the median wall time of each and
the median CPU time of its process tree. An untimed first edit brings both versions' spare build
folders up to date. `--kind cold` times clean builds into a fresh output instead (the output,
its build folders and the cache removed before each; on tmpfs, where removing files leaves
creating them as fast as before).
--site is edited in place: give it a copy (benchmarks/build.py makes such sites).
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build(checkout: Path, site: Path, output: Path, clean: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds (user and system, the whole process tree) of one build."""
    if clean:
        output.unlink(missing_ok=True)
        shutil.rmtree(output.parent / f".{output.name}.builds", ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--source", str(site), "--output",
                             str(output), *(["--clean"] if clean else [])], capture_output=True, text=True,
                            cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"build from {checkout} failed:\n{result.stderr[-2000:]}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def edit(path: Path, kind: str, number: int) -> None:
    if kind in ("none", "cold"):  # a build with nothing to do; a clean build
        return
    text = path.read_text(encoding="utf-8")
    if kind == "body":
        path.write_text(f"{text}\n补充第{number}句。\n", encoding="utf-8")
    else:
        # Inside the quotes of a quoted title.
        path.write_text(re.sub(r'^title: (.*?)("?)$', lambda m: f"title: {m.group(1)}{number}{m.group(2)}", text,
                               count=1, flags=re.M), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, required=True, help="a bulletin site to edit (a copy)")
    parser.add_argument("--base", required=True, help="the commit to compare this checkout with")
    parser.add_argument("--kind", choices=("title", "body", "none", "cold"), default="title")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    files = sorted((args.site / "content").rglob("*.md"))
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(base), args.base], check=True)
        try:
            versions = {args.base: base, "this checkout": REPO}
            for checkout in versions.values():  # see snapshot_code in build.py
                compileall.compile_dir(checkout / "generator", quiet=1)
            outputs = {name: args.site.parent / f"output-{n}" for n, name in enumerate(versions)}
            for name, checkout in versions.items():  # a full build, then one with nothing to do
                build(checkout, args.site, outputs[name])
                build(checkout, args.site, outputs[name])
            if args.kind != "cold":  # untimed: the first edit after a full build also fills the spare folder
                edit(files[len(files) // 2], args.kind, 0)
                for name, checkout in versions.items():
                    build(checkout, args.site, outputs[name])
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
            for run in range(1, args.runs + 1):
                edit(files[(1000 + 937 * run) % len(files)], args.kind, run)
                for name in list(versions)[::1 if run % 2 == 0 else -1]:
                    times[name].append(build(versions[name], args.site, outputs[name], args.kind == "cold"))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=True)
    label = "cold build" if args.kind == "cold" else f"{args.kind} edit"
    for name, measured in times.items():
        walls, cpus = [wall for wall, _ in measured], [cpu for _, cpu in measured]
        print(f"{label}, {name}: median {statistics.median(walls):.3f} s, CPU {statistics.median(cpus):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in walls)})")


if __name__ == "__main__":
    main()
