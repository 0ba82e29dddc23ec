"""One-edit rebuilds of two versions of bulletin, interleaved on one site: what a change bought.

    .venv/bin/python benchmarks/edits_ab.py --site /tmp/build-bench/n10000/bulletin/site \\
        --base fbfa5f0 --kind title --runs 9

Checks out --base (a commit) into a temporary git worktree and runs `python -m generator build`
from it and from this checkout, each into its own output folder beside --site, after each of
--runs edits to one entry (its title, or a sentence added to its body; or none). The order alternates
from edit to edit, so a noisy machine hurts both alike; prints the median wall time of each. An
untimed first edit brings both versions' spare build folders up to date.
--site is edited in place: give it a copy (benchmarks/build.py makes such sites).
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build(checkout: Path, site: Path, output: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--source", str(site), "--output",
                             str(output)], capture_output=True, text=True, cwd=checkout,
                            env={**os.environ, "PYTHONPATH": str(checkout)})
    if result.returncode != 0:
        raise SystemExit(f"build from {checkout} failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


def edit(path: Path, kind: str, number: int) -> None:
    if kind == "none":  # a build with nothing to do
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
    parser.add_argument("--kind", choices=("title", "body", "none"), default="title")
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
            # Untimed: the first edit after a full build also fills the spare build folder.
            edit(files[len(files) // 2], args.kind, 0)
            for name, checkout in versions.items():
                build(checkout, args.site, outputs[name])
            times: dict[str, list[float]] = {name: [] for name in versions}
            for run in range(1, args.runs + 1):
                edit(files[(1000 + 937 * run) % len(files)], args.kind, run)
                for name in list(versions)[::1 if run % 2 == 0 else -1]:
                    times[name].append(build(versions[name], args.site, outputs[name]))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=True)
    for name, measured in times.items():
        print(f"{args.kind} edit, {name}: median {statistics.median(measured):.3f} s "
              f"({', '.join(f'{t:.2f}' for t in measured)})")


if __name__ == "__main__":
    main()
