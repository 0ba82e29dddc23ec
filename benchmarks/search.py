"""Search benchmark: bulletin's own search against Pagefind, on the shared corpus, in Chromium.

    .venv/bin/python benchmarks/search.py --entries 20213 --work /tmp/search-bench

What it does (everything lives under --work; the corpus is read in place):
1. makes a site of N corpus entries (benchmarks/corpus.py), builds it with
   `python -m generator build` and reports the build time and the size of OUT/search;
2. computes the ground truth by brute force in Python, independently of the index
   (this file re-implements the matching rules character by character; it uses only
   generator.searchtext.normalise and the generator's loader);
3. serves the built site on 127.0.0.1 and measures search.js in Chromium: for each query a
   new browser context (empty cache), time to first results (`search(q, {limit: 10})`,
   import included) cold and repeated, the bytes of every request made by the call, and
   recall/precision of all results (`limit: 100000`, untimed) against the truth;
4. runs Pagefind extended (`--force-language zh`) on a hard-linked copy of the output and
   measures it the same way;
5. prints a table per query and a summary side by side, and writes WORK/search-results.json.

Bytes are response bodies as a plain static server sends them (no Content-Encoding); the
"gz" figures say what a server that gzips on the fly would send. Pagefind indexes each entry
page's <article class="entry"> (--pagefind-root; '' for whole pages, where the navigation and
the related-entry titles also match). `--edge` runs only small cases on a tiny site (seconds);
`--reuse` keeps WORK's site and builds; `--only TEXT` runs the queries whose kind or text has TEXT.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import hashlib
import http.server
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

NOW = dt.datetime(2030, 1, 1)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FIELD_BREAK = "\n\x01\n"

# ---------------------------------------------------------------------------------------------
# Ground truth: the matching rules, written out plainly (no numpy, no index, no hashing).
# ---------------------------------------------------------------------------------------------

SPACE, OTHER, WORD, CJK = 0, 1, 2, 3
SEP = -1  # kind of a separator unit
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
              (0xF900, 0xFAFF), (0x20000, 0x3134F))
DIRECT, ACROSS = "direct", "across"
_CLASS: dict[str, int] = {}


def char_class(char: str) -> int:
    found = _CLASS.get(char)
    if found is None:
        code = ord(char)
        if any(low <= code <= high for low, high in CJK_RANGES):
            found = CJK
        elif char.isalnum():
            found = WORD
        elif char.isspace():
            found = SPACE
        else:
            found = OTHER
        _CLASS[char] = found
    return found


def classes(text: str) -> list[int]:
    out = [_CLASS.get(c) if c in _CLASS else char_class(c) for c in text]
    at = text.find(".", 1)
    while 0 < at < len(text) - 1:
        if text[at - 1] in "0123456789" and text[at + 1] in "0123456789":
            out[at] = WORD
        at = text.find(".", at + 1)
    return out


def units(text: str) -> list[tuple[int, str]]:
    """(kind, text) per unit: kind CJK, WORD or SEP."""
    cls = classes(text)
    n, i, out = len(text), 0, []
    while i < n:
        kind = cls[i]
        if kind == CJK:
            out.append((CJK, text[i]))
            i += 1
            continue
        j = i + 1
        if kind == WORD:
            while j < n and cls[j] == WORD:
                j += 1
            out.append((WORD, text[i:j]))
        else:
            while j < n and cls[j] <= OTHER:
                j += 1
            only_spaces = all(cls[k] == SPACE for k in range(i, j))
            before = cls[i - 1] if i > 0 else None
            after = cls[j] if j < n else None
            if not (only_spaces and {before, after} == {WORD, CJK}):
                out.append((SEP, text[i:j]))
        i = j
    return out


def sequence(text: str) -> list[str | None]:
    """A text's units for matching: the character or word, None for a separator."""
    return [None if kind == SEP else t for kind, t in units(text)]


@dataclass
class Term:
    units: list[tuple[int, str]]
    joins: list[str]
    quoted: bool
    prefix: bool = False

    def __str__(self) -> str:
        out = self.units[0][1]
        for join, (_, t) in zip(self.joins, self.units[1:], strict=True):
            out += ("~" if join == ACROSS else "") + t
        return out + ("*" if self.prefix else "")


def parse_query(query: str, normalise) -> list[Term]:  # type: ignore[no-untyped-def]
    q = normalise(query)
    closers = {'"': '"', "“": "”"}
    terms: list[Term] = []
    i = 0
    while i < len(q):
        char = q[i]
        if char.isspace():
            i += 1
        elif char in closers:
            end = q.find(closers[char], i + 1)
            end = len(q) if end < 0 else end
            kept: list[tuple[int, str]] = []
            joins: list[str] = []
            between = False
            for kind, t in units(q[i + 1:end]):
                if kind == SEP:
                    between = True
                    continue
                if kept:
                    joins.append(ACROSS if between and kind == WORD and kept[-1][0] == WORD else DIRECT)
                kept.append((kind, t))
                between = False
            if kept:
                terms.append(Term(kept, joins, quoted=True))
            i = end + 1
        else:
            j = i
            while j < len(q) and not q[j].isspace() and q[j] not in closers:
                j += 1
            current: list[tuple[int, str]] = []
            for kind, t in [*units(q[i:j]), (SEP, "")]:
                if kind != SEP:
                    current.append((kind, t))
                elif current:
                    terms.append(Term(current, [DIRECT] * (len(current) - 1), quoted=False))
                    current = []
            i = j
    if terms and not terms[-1].quoted and len(terms[-1].units) == 1 and terms[-1].units[0][0] == WORD \
            and classes(q)[-1] == WORD:
        terms[-1].prefix = True
    return terms


def term_matches(term: Term, seq: list[str | None]) -> bool:
    first = term.units[0][1]
    if term.prefix:
        return any(u is not None and u.startswith(first) for u in seq)
    rest = [(2 if join == ACROSS else 1, t) for join, (_, t) in zip(term.joins, term.units[1:], strict=True)]
    n, start = len(seq), 0
    while True:
        try:
            i = seq.index(first, start)
        except ValueError:
            return False
        at, ok = i, True
        for step, t in rest:
            if step == 2 and (at + 1 >= n or seq[at + 1] is not None):
                ok = False
                break
            at += step
            if at >= n or seq[at] != t:
                ok = False
                break
        if ok:
            return True
        start = i + 1


@dataclass
class TruthDoc:
    url: str
    title: str  # normalised T
    rest: str  # normalised R
    facets: dict[str, str]
    _seqs: list[list[str | None] | None] = field(default_factory=lambda: [None, None])

    def seq(self, which: int) -> list[str | None]:
        if self._seqs[which] is None:
            self._seqs[which] = sequence(self.title if which == 0 else self.rest)
        return self._seqs[which]  # type: ignore[return-value]

    def has(self, term: Term) -> bool:
        needles = [t for _, t in term.units]
        for which, text in enumerate((self.title, self.rest)):
            if all(n in text for n in needles) and term_matches(term, self.seq(which)):
                return True
        return False


def load_truth_docs(site_dir: Path) -> tuple[list[TruthDoc], set[str]]:
    from generator.config import load_config
    from generator.load import load
    from generator.model import build_site
    from generator.searchtext import normalise
    from generator.strings import load_strings

    config, problems = load_config(site_dir)
    assert config is not None, problems
    strings, _ = load_strings(site_dir, config)
    loaded = load(site_dir, config, strings.get("footnote_back", "{}"))
    site = build_site(loaded, config, config.default_audience, NOW)
    docs = []
    for e in site.entries:
        rest = FIELD_BREAK.join((e.summary, *e.tags, e.source or "", e.text))
        facets = {"type": e.type, "year": str(e.date.year), "publication": e.publication or "",
                  "source": e.source or ""}
        docs.append(TruthDoc(f"{config.base_path}{e.url}", normalise(e.title), normalise(rest), facets))
    return docs, {d.url for d in docs}


def truth_for(docs: list[TruthDoc], query: str, filters: dict[str, str]) -> tuple[list[Term], set[str]]:
    from generator.searchtext import normalise

    terms = parse_query(query, normalise)
    if not terms and not filters:
        return terms, set()
    found = set()
    for doc in docs:
        if all(doc.facets.get(k) == str(v) for k, v in filters.items()) and all(doc.has(t) for t in terms):
            found.add(doc.url)
    return terms, found


# ---------------------------------------------------------------------------------------------
# Static server that counts what it sends
# ---------------------------------------------------------------------------------------------

BLANK = b"<!doctype html><html lang=zh><meta charset=utf-8><title>bench</title><body>bench</body></html>"


class CountingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()
        self.log: list[tuple[str, int, int]] = []  # (path, status, body bytes)
        super().__init__(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))

    def take(self) -> list[tuple[str, int, int]]:
        with self.lock:
            out, self.log = self.log, []
        return out

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body, written apart, wait 40 ms for an ACK
    extensions_map = {  # noqa: RUF012
        **http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".pagefind": "application/octet-stream"}
    server: CountingServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/__bench__/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(BLANK)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(BLANK)
            return
        super().do_GET()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._code = code
        super().send_response(code, message)
        if code != 200:
            with self.server.lock:
                self.server.log.append((unquote(urlsplit(self.path).path), code, 0))

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        data = source.read()
        outputfile.write(data)
        with self.server.lock:
            self.server.log.append((unquote(urlsplit(self.path).path), self._code, len(data)))


def serve(root: Path) -> CountingServer:
    server = CountingServer(root)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@functools.cache
def gzip_size(path: Path) -> int:
    data = path.read_bytes()
    return min(len(data), len(gzip.compress(data, 6)))


# ---------------------------------------------------------------------------------------------
# The two engines in the browser
# ---------------------------------------------------------------------------------------------

OURS_TIMED = """async (q) => {
  const t0 = performance.now();
  const r = await (await import('/search/search.js')).search(q, {limit: 10});
  return {ms: performance.now() - t0, total: r.total, urls: r.results.map((x) => x.url)};
}"""
# All results, 500 at a time: search.js fetches a result's excerpt data for every result of the
# page at once, and Chromium refuses thousands of requests in flight (ERR_INSUFFICIENT_RESOURCES).
OURS_ALL = """async ([q, filters]) => {
  const mod = await import('/search/search.js');
  const urls = [];
  let total = 0;
  for (let offset = 0; offset === 0 || offset < total; offset += 500) {
    const r = await mod.search(q, {filters, offset, limit: 500});
    total = r.total;
    urls.push(...r.results.map((x) => x.url));
    if (!r.results.length) break;
  }
  return {total, urls};
}"""
OURS_ONE_CALL = """async (q) => {
  const r = await (await import('/search/search.js')).search(q, {limit: 100000});
  return {total: r.total, urls: r.results.length};
}"""
OURS_TIMED_FILTERS = """async ([q, filters]) => {
  const t0 = performance.now();
  const r = await (await import('/search/search.js')).search(q, {filters, limit: 10});
  return {ms: performance.now() - t0, total: r.total, urls: r.results.map((x) => x.url)};
}"""
PAGEFIND_TIMED = """async (q) => {
  const t0 = performance.now();
  const pf = await import('/pagefind/pagefind.js');
  await pf.init?.();
  const r = await pf.search(q);
  const data = await Promise.all(r.results.slice(0, 10).map((x) => x.data()));
  return {ms: performance.now() - t0, total: r.results.length, urls: data.map((d) => d.url)};
}"""
PAGEFIND_ALL = """async (q) => {
  const pf = await import('/pagefind/pagefind.js');
  await pf.init?.();
  const r = await pf.search(q);
  const urls = [];
  for (let i = 0; i < r.results.length; i += 500) {
    const data = await Promise.all(r.results.slice(i, i + 500).map((x) => x.data()));
    urls.push(...data.map((d) => d.url));
  }
  return {total: r.results.length, urls};
}"""


def is_client_code(engine: str, path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    if engine == "ours":
        return path in ("/search/search.js", "/search/fold.json")
    return name.endswith(".js") or name.startswith("wasm.") or name.endswith(".wasm")


def url_path(url: str) -> str:
    path = unquote(urlsplit(url).path)
    if path.endswith("index.html"):
        path = path[: -len("index.html")]
    if not path.endswith("/"):
        path += "/"
    return path


@dataclass
class Measure:
    recall: float | None = None
    precision: float | None = None
    found: int | None = None
    total: int | None = None
    bytes: int | None = None
    gz_bytes: int | None = None
    requests: int | None = None
    files: dict[str, int] = field(default_factory=dict)
    client_bytes: int = 0
    cold_ms: float | None = None
    repeated_ms: float | None = None
    error: str | None = None
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def measure(browser, server: CountingServer, engine: str, query: str, filters: dict[str, str],  # type: ignore[no-untyped-def]
            truth: set[str], entry_urls: set[str], repeats: int, cold_runs: int = 1) -> Measure:
    """Cold: `cold_runs` new contexts (median); bytes from the first; then, in the last context,
    `repeats` repeated calls (median) and all results (untimed)."""
    m = Measure()
    if engine == "ours":
        timed = (OURS_TIMED_FILTERS, [query, filters]) if filters else (OURS_TIMED, query)
        full = (OURS_ALL, [query, filters])
    else:
        timed, full = (PAGEFIND_TIMED, query), (PAGEFIND_ALL, query)
    errors: list[str] = []
    colds: list[float] = []
    context = None
    try:
        for run in range(max(1, cold_runs)):
            if context is not None:
                context.close()
            context = browser.new_context()
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.origin + "/__bench__/")
            server.take()
            colds.append(page.evaluate(*timed)["ms"])
            log = server.take()
            if run == 0:
                m.requests = len(log)
                query_files = [(p, b) for p, _, b in log if not is_client_code(engine, p)]
                m.client_bytes = sum(b for p, _, b in log if is_client_code(engine, p))
                m.bytes = sum(b for _, b in query_files)
                m.gz_bytes = sum(gzip_size(server.root / p.lstrip("/")) if b else 0 for p, b in query_files)
                m.files = dict(query_files)
        m.cold_ms = statistics.median(colds)
        m.repeated_ms = statistics.median(page.evaluate(*timed)["ms"] for _ in range(repeats))
        server.take()
        everything = page.evaluate(*full)
        server.take()
        found = {url_path(u) for u in everything["urls"]} & entry_urls
        m.total, m.found = everything["total"], len(found)
        hit = len(found & truth)
        m.recall = 1.0 if not truth and not found else (hit / len(truth) if truth else 1.0)
        m.precision = 1.0 if not truth and not found else (hit / len(found) if found else 1.0)
        m.missed = sorted(truth - found)
        m.extra = sorted(found - truth)
    except Exception as exc:  # a JS error is a result, not a crash of the benchmark
        m.error = str(exc).splitlines()[0][:300]
    finally:
        if context is not None:
            context.close()
    if errors and not m.error:
        m.error = "; ".join(errors)[:300]
    return m


# ---------------------------------------------------------------------------------------------
# Build and sizes
# ---------------------------------------------------------------------------------------------

def folder_size(root: Path) -> dict[str, int]:
    files = size = disk = 0
    for folder, _, names in os.walk(root):
        for name in names:
            st = os.lstat(os.path.join(folder, name))
            files += 1
            size += st.st_size
            disk += st.st_blocks * 512
    return {"files": files, "bytes": size, "disk_bytes": disk}


def run(command: list[str], **kwargs) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)
    return time.perf_counter() - started


INDEX_ONLY = """
import sys, time, datetime as dt
from pathlib import Path
from generator.config import load_config
from generator.load import load
from generator.model import build_site
from generator.strings import load_strings
import tempfile
from generator import index
source = Path(sys.argv[1])
config, _ = load_config(source)
strings, _ = load_strings(source, config)
site = build_site(load(source, config, strings.get("footnote_back", "{}")), config,
                  config.default_audience, dt.datetime(2030, 1, 1))
started = time.perf_counter()
with tempfile.TemporaryDirectory() as store:  # one process: the partitions one after another
    search = index.partitioned(site.entries, "benchmark")
    n = sum(len(p.generate()) for p in (*index.context_pages(search, site, source),
                                        *index.Files(search, site, Path(store), None).pages()) if p.generate)
print(time.perf_counter() - started)
"""


def build_sites(args: argparse.Namespace, py: str) -> dict[str, object]:
    from corpus import make_site

    work: Path = args.work
    site, out, pf_site = work / "site", work / "out", work / "pagefind-site"
    info_path = work / "build-info.json"
    if args.reuse and info_path.exists() and out.exists():
        info = json.loads(info_path.read_text())
        if info.get("entries") == args.entries and (args.skip_pagefind or (
                pf_site.exists() and info.get("pagefind_root") == args.pagefind_root)):
            print(f"reusing the build in {work} (--reuse)")
            return info
    info: dict[str, object] = {"entries": args.entries}
    started = time.perf_counter()
    docs = make_site(site, args.entries)
    print(f"made {len(docs)} entries ({sum(d.traditional for d in docs)} Traditional) in {site} "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    # bulletin's output is a symlink to a slot in .out.builds (atomic switch): start from nothing
    if out.is_symlink():
        out.unlink()
    elif out.exists():
        shutil.rmtree(out)
    shutil.rmtree(work / ".out.builds", ignore_errors=True)
    seconds = run([py, "-m", "generator", "build", "--source", str(site), "--output", str(out),
                   "--now", NOW.strftime("%Y-%m-%d"), "--clean"], cwd=REPO, stderr=subprocess.DEVNULL)
    info["build_seconds"] = seconds
    # The engine changes while benchmarks run: say which code was measured.
    info["code"] = {name: hashlib.sha256(path.read_bytes()).hexdigest()[:12] for name, path in (
        ("search/search.js (built)", out / "search" / "search.js"),
        ("generator/index.py", REPO / "generator" / "index.py"),
        ("generator/searchtext.py", REPO / "generator" / "searchtext.py"))}
    info["search_size"] = folder_size(out / "search")
    info["site_size"] = folder_size(out)
    print(f"bulletin build: {seconds:.1f} s; search/: {info['search_size']}", flush=True)
    if not args.skip_index_timing:
        result = subprocess.run([py, "-c", INDEX_ONLY, str(site)], cwd=REPO, check=True,
                                capture_output=True, text=True)
        info["index_only_seconds"] = float(result.stdout.strip().splitlines()[-1])
        print(f"index files alone (generated in memory): {info['index_only_seconds']:.1f} s", flush=True)
    if not args.skip_pagefind:
        venv = work / "pagefind-venv"
        pf_py = venv / "bin" / "python"
        if not pf_py.exists():
            run([sys.executable, "-m", "venv", str(venv)])
        if subprocess.run([str(pf_py), "-c", "import pagefind_bin_extended"], capture_output=True).returncode:
            run([str(venv / "bin" / "pip"), "install", "-q", "pagefind[extended]"])
        version = subprocess.run([str(pf_py), "-m", "pagefind", "--version"], capture_output=True,
                                 text=True).stdout.strip()
        if pf_site.is_symlink():
            pf_site.unlink()
        elif pf_site.exists():
            shutil.rmtree(pf_site)
        # Hard links of the files (not of the output's symlink): Pagefind only adds pagefind/.
        run(["cp", "-al", str(out.resolve()), str(pf_site)])
        assert not (out / "pagefind").exists(), "Pagefind must not write into the bulletin output"
        info["pagefind_version"] = version
        info["pagefind_root"] = args.pagefind_root
        root = ["--root-selector", args.pagefind_root] if args.pagefind_root else []
        info["pagefind_seconds"] = run([str(pf_py), "-m", "pagefind", "--site", str(pf_site),
                                        "--force-language", "zh", *root, "--quiet"])
        info["pagefind_size"] = folder_size(pf_site / "pagefind")
        print(f"{version}: {info['pagefind_seconds']:.1f} s; pagefind/: {info['pagefind_size']}", flush=True)
    info_path.write_text(json.dumps(info, indent=1))
    return info


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, size: int, right: bool = False) -> str:
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def table(header: list[str], rows: list[list[str]], right_from: int = 0) -> str:
    sizes = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, ["-" * s for s in sizes], *rows]:
        lines.append("  ".join(pad(c, sizes[i], i >= right_from) for i, c in enumerate(row)).rstrip())
    return "\n".join(lines)


def pct(x: float | None) -> str:
    if x is None:
        return "-"
    return "100%" if x >= 1 else f"{int(1000 * x) / 10:.1f}%"  # rounded down: 99.96% is not 100%


def kb(x: float | None) -> str:
    return "-" if x is None else f"{x / 1024:.1f}K"


def ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}"


def summarise(ms_list: list[Measure], info: dict[str, object], engine: str) -> dict[str, object]:
    ok = [m for m in ms_list if m.error is None and m.recall is not None]
    client = max((m.client_bytes for m in ms_list), default=0)
    out: dict[str, object] = {"queries": len(ms_list), "errors": len(ms_list) - len(ok)}
    if ok:
        out.update({
            "recall_min": min(m.recall for m in ok), "recall_mean": statistics.mean(m.recall for m in ok),
            "precision_min": min(m.precision for m in ok),
            "precision_mean": statistics.mean(m.precision for m in ok),
            "perfect_queries": sum(m.recall == 1 and m.precision == 1 for m in ok),
            "bytes_median": statistics.median(m.bytes for m in ok), "bytes_max": max(m.bytes for m in ok),
            "gz_bytes_median": statistics.median(m.gz_bytes for m in ok),
            "gz_bytes_max": max(m.gz_bytes for m in ok),
            "requests_median": statistics.median(m.requests for m in ok),
            "cold_ms_median": statistics.median(m.cold_ms for m in ok),
            "cold_ms_max": max(m.cold_ms for m in ok),
            "repeated_ms_median": statistics.median(m.repeated_ms for m in ok),
            "repeated_ms_max": max(m.repeated_ms for m in ok),
        })
    out["client_code_bytes"] = client
    if engine == "ours":
        out["build_seconds"] = info.get("build_seconds")
        out["index_only_seconds"] = info.get("index_only_seconds")
        out["index_size"] = info.get("search_size")
    else:
        out["build_seconds"] = info.get("pagefind_seconds")
        out["index_size"] = info.get("pagefind_size")
        out["version"] = info.get("pagefind_version")
    return out


def summary_table(ours: dict[str, object], theirs: dict[str, object] | None) -> str:
    def size(s: object) -> str:
        if not isinstance(s, dict):
            return "-"
        return f"{s['bytes'] / 2**20:.1f} MiB in {s['files']} files ({s['disk_bytes'] / 2**20:.1f} MiB on disk)"

    def secs(x: object) -> str:
        return "-" if x is None else f"{x:.1f} s"

    rows = [
        ("queries (errors)", lambda s: f"{s['queries']} ({s['errors']})"),
        ("queries with 100% recall and precision", lambda s: str(s.get("perfect_queries", "-"))),
        ("recall min / mean", lambda s: f"{pct(s.get('recall_min'))} / {pct(s.get('recall_mean'))}"),
        ("precision min / mean", lambda s: f"{pct(s.get('precision_min'))} / {pct(s.get('precision_mean'))}"),
        ("query bytes median / max (target 150K / 400K)",
         lambda s: f"{kb(s.get('bytes_median'))} / {kb(s.get('bytes_max'))}"),
        ("  same, if the server gzips: median / max",
         lambda s: f"{kb(s.get('gz_bytes_median'))} / {kb(s.get('gz_bytes_max'))}"),
        ("requests per query (median)", lambda s: f"{s.get('requests_median', '-')}"),
        ("cold ms median / max (target 100)", lambda s: f"{ms(s.get('cold_ms_median'))} / {ms(s.get('cold_ms_max'))}"),
        ("repeated ms median / max (target 20)",
         lambda s: f"{ms(s.get('repeated_ms_median'))} / {ms(s.get('repeated_ms_max'))}"),
        ("index build time", lambda s: secs(s.get("build_seconds"))
         + (f" (whole site; index alone {secs(s['index_only_seconds'])})" if s.get("index_only_seconds") else "")),
        ("index size", lambda s: size(s.get("index_size"))),
        ("client code bytes (counted once)", lambda s: kb(s.get("client_code_bytes"))),
    ]
    header = ["", "bulletin search.js", theirs.get("version", "pagefind") if theirs else "pagefind"]
    return table(header, [[label, f(ours), f(theirs) if theirs else "-"] for label, f in rows])


# ---------------------------------------------------------------------------------------------
# --edge: small cases on a tiny site (seconds), the place for a minimal reproduction
# ---------------------------------------------------------------------------------------------

EDGE_ENTRIES = {  # slug: (title, summary, body, tags, source)
    "t254": ("一" * 253 + "乙", "", "正文。", (), ""),
    "t255": ("一" * 254 + "乙", "", "正文。", (), ""),  # a title unit at index 254
    "b": ("字段边界", "摘要结尾 abc", "def 正文开头。GDP 增长很快。版本1.2.3发布。2023.12月。", (), ""),
    "c": ("符号", "", "**GDP**增长，一江水 万里长江。5G网络。网络5G。don't stop. 𠀀𠀁测试。カタカナ。한국어。café ﬁne.",
          (), ""),
    "d": ("数字 7.15 事件", "", "二零二三年3.5%增长，v1.x版本，２０２３．１２。GDP，增长。", (), ""),
    "e": ("繁體標題：辦公室發展", "", "農村經濟與鄉村振興。", (), ""),
    "f": ("Tags", "", "空", ("特别标签",), "东湖区委办公室"),
}
EDGE_QUERIES = ["乙", "一乙", '"abc def"', "abc def", "GDP增长", '"gdp 增长"', '"gdp，增长"', "1.2", "1.2 ", "2023",
                "2023 ", "2023.12", "水万", "水 万", '"水 万"', "5g网络", "网络5g", "don't", "𠀀", "𠀀𠀁测", "カタ",
                "한국", "café", "fine", "7.1", "3.5%", "x版本", '"共同富', 'abc"def"', "，。", "辦公室發展", "农村经济",
                "特别标签", "委办", "增长 增长", "gdp 增长", "d", "st"]


def edge_cases(work: Path, py: str) -> int:
    from playwright.sync_api import sync_playwright

    site, out = work / "edge-site", work / "edge-out"
    shutil.rmtree(site, ignore_errors=True)
    (site / "content" / "info").mkdir(parents=True)
    (site / "bulletin.yaml").write_text("title: 信息\norganisation: 测试\nurl: http://127.0.0.1:8000/\n",
                                        encoding="utf-8")
    for day, (slug, (title, summary, body, tags, source)) in enumerate(EDGE_ENTRIES.items(), start=1):
        front = [f"title: {json.dumps(title, ensure_ascii=False)}", f"date: 2024-01-{day:02d}", "type: info",
                 f"slug: {slug}"]
        front += [f"summary: {json.dumps(summary, ensure_ascii=False)}"] if summary else []
        front += [f"tags: {json.dumps(list(tags), ensure_ascii=False)}"] if tags else []
        front += [f"source: {source}"] if source else []
        (site / "content" / "info" / f"{slug}.md").write_text("---\n" + "\n".join(front) + f"\n---\n\n{body}\n",
                                                              encoding="utf-8")
    run([py, "-m", "generator", "build", "--source", str(site), "--output", str(out), "--now",
         NOW.strftime("%Y-%m-%d"), "--clean"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    docs, _ = load_truth_docs(site)
    server = serve(out)
    bad = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(server.origin + "/__bench__/")
        for query in EDGE_QUERIES:
            terms, truth = truth_for(docs, query, {})
            try:
                urls = page.evaluate("async (q) => (await (await import('/search/search.js')).search(q, "
                                     "{limit: 100})).results.map((x) => x.url)", query)
                got: object = sorted({url_path(u) for u in urls})
            except Exception as exc:
                got = "ERROR " + str(exc).splitlines()[0]
            ok = got == sorted(truth)
            bad += not ok
            print(f"{'ok ' if ok else 'BAD'} {query!r:14} terms {[str(t) for t in terms]} truth {sorted(truth)}"
                  + ("" if ok else f" got {got}"))
        browser.close()
    server.shutdown()
    print(f"{bad} of {len(EDGE_QUERIES)} edge queries differ from the rules")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=20213)
    parser.add_argument("--work", type=Path, default=Path("/tmp/search-bench"))
    parser.add_argument("--repeats", type=int, default=3, help="repeated calls per query (median)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold calls per query, each in a new "
                        "browser context (median)")
    parser.add_argument("--only", help="run only queries whose kind or text contains this")
    parser.add_argument("--reuse", action="store_true", help="reuse WORK's site and builds if made for --entries")
    parser.add_argument("--skip-pagefind", action="store_true")
    parser.add_argument("--edge", action="store_true", help="only the edge cases on a tiny site (seconds)")
    parser.add_argument("--pagefind-root", default="article.entry",
                        help="Pagefind's --root-selector: the entry's own content (title, facts, tags, "
                        "summary, body), not the page's navigation and related-entry titles; '' for "
                        "whole pages")
    parser.add_argument("--skip-index-timing", action="store_true")
    args = parser.parse_args()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    command = " ".join([".venv/bin/python", "benchmarks/search.py",
                        *[shlex.quote(a) for a in sys.argv[1:]]])
    py = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv").exists() else sys.executable

    if args.edge:
        sys.exit(1 if edge_cases(args.work, py) else 0)

    from search_queries import QUERIES

    queries = [q for q in QUERIES if not args.only or args.only in q[0] or args.only in q[1]]
    info = build_sites(args, py)

    started = time.perf_counter()
    docs, entry_urls = load_truth_docs(args.work / "site")
    print(f"ground truth: loaded {len(docs)} published entries in {time.perf_counter() - started:.1f} s",
          flush=True)
    truths = []
    started = time.perf_counter()
    for kind, query, filters in queries:
        terms, found = truth_for(docs, query, filters)
        truths.append(found)
        trad = sum(int(m.group(1)) % 3 == 0 for u in found if (m := re.search(r"/d(\d+)/$", u)))
        print(f"  truth {len(found):6d} ({trad:5d} Traditional)  {kind:10s} {query!r} {filters or ''} -> terms "
              f"{[str(t) for t in terms]}", flush=True)
    print(f"ground truth for {len(queries)} queries in {time.perf_counter() - started:.1f} s", flush=True)

    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    ours_server = serve(args.work / "out")
    pf_server = None if args.skip_pagefind else serve(args.work / "pagefind-site")
    rows: list[dict[str, object]] = []
    ours_all: list[Measure] = []
    theirs_all: list[Measure] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Warm the browser (process start, first JIT): not counted.
        measure(browser, ours_server, "ours", "发展", {}, set(), entry_urls, 1)
        if pf_server:
            measure(browser, pf_server, "pagefind", "发展", {}, set(), entry_urls, 1)
        for (kind, query, filters), truth in zip(queries, truths, strict=True):
            ours = measure(browser, ours_server, "ours", query, filters, truth, entry_urls, args.repeats,
                           args.cold_runs)
            theirs = None
            if pf_server and not filters:  # the built site declares no Pagefind filters
                theirs = measure(browser, pf_server, "pagefind", query, filters, truth, entry_urls, args.repeats,
                                 args.cold_runs)
            ours_all.append(ours)
            if theirs:
                theirs_all.append(theirs)
            row = {"kind": kind, "query": query, "filters": filters, "truth": len(truth),
                   "ours": ours.__dict__, "pagefind": theirs.__dict__ if theirs else None}
            row["ours"] = {k: v for k, v in ours.__dict__.items() if k not in ("missed", "extra")}
            row["ours"]["missed"], row["ours"]["extra"] = ours.missed[:20], ours.extra[:20]
            if theirs:
                row["pagefind"] = {k: v for k, v in theirs.__dict__.items() if k not in ("missed", "extra", "files")}
                row["pagefind"]["files"] = len(theirs.files)
            rows.append(row)
            flag = "" if ours.error is None and ours.recall == 1 and ours.precision == 1 else "  <-- OURS MISSES"
            print(f"  {kind:12s} {query!r:24s} truth {len(truth):6d} | ours {pct(ours.recall)} "
                  f"{pct(ours.precision)} {kb(ours.bytes)} {ms(ours.cold_ms)}/{ms(ours.repeated_ms)} ms"
                  + (f" | pf {pct(theirs.recall)} {pct(theirs.precision)} {kb(theirs.bytes)} "
                     f"{ms(theirs.cold_ms)}/{ms(theirs.repeated_ms)} ms" if theirs else "")
                  + (f" ERROR {ours.error}" if ours.error else "") + flag, flush=True)
        # The API as documented: all results in one call (not paged).
        biggest = max(range(len(queries)), key=lambda i: len(truths[i]))
        one_call: dict[str, object] = {"query": queries[biggest][1], "truth": len(truths[biggest])}
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(ours_server.origin + "/__bench__/")
            one_call.update(page.evaluate(OURS_ONE_CALL, queries[biggest][1]))
        except Exception as exc:
            one_call["error"] = str(exc).splitlines()[0][:300]
        finally:
            context.close()
        ours_server.take()
        browser.close()
    ours_server.shutdown()
    if pf_server:
        pf_server.shutdown()

    print()
    print(f"Per query ({info['entries']} entries; bytes = index data of one query with an empty cache,"
          " client code excluded; ms = time to first 10 results, cold (new context, import included;"
          f" median of {args.cold_runs}) / repeated (median of {args.repeats}))")
    header = ["kind", "query", "truth", "ours R", "ours P", "ours bytes", "cold", "rep",
              "pf R", "pf P", "pf bytes", "cold", "rep"]
    lines = []
    for row in rows:
        o, t = row["ours"], row["pagefind"] or {}
        query = row["query"] + (" " + " ".join(f"{k}={v}" for k, v in row["filters"].items())
                                if row["filters"] else "")
        lines.append([row["kind"], query, str(row["truth"]),
                      "ERR" if o["error"] else pct(o["recall"]), "ERR" if o["error"] else pct(o["precision"]),
                      kb(o["bytes"]), ms(o["cold_ms"]), ms(o["repeated_ms"]),
                      pct(t.get("recall")), pct(t.get("precision")), kb(t.get("bytes")),
                      ms(t.get("cold_ms")), ms(t.get("repeated_ms"))])
    print(table(header, lines, right_from=2))

    ours_summary = summarise(ours_all, info, "ours")
    theirs_summary = summarise(theirs_all, info, "pagefind") if theirs_all else None
    print()
    print("Summary (Pagefind runs the queries without filters only)")
    print(summary_table(ours_summary, theirs_summary))
    for row, m in zip(rows, ours_all, strict=True):
        if m.error or m.recall != 1 or m.precision != 1 or m.total != row["truth"]:
            print(f"\nOURS MISSES {row['kind']} {row['query']!r} {row['filters'] or ''}: truth {row['truth']}, "
                  f"found {m.found} (total {m.total}), error {m.error}\n"
                  f"  missed {m.missed[:10]}\n  extra {m.extra[:10]}")
    print(f"\nsearch({one_call['query']!r}, {{limit: 100000}}) in one call: "
          + (f"ERROR {one_call['error']}" if "error" in one_call else
             f"total {one_call['total']}, {one_call['urls']} results (truth {one_call['truth']})"))
    typical = sorted(ours_all, key=lambda m: m.bytes or 0)[len(ours_all) // 2]
    print("\nFiles downloaded by the median-bytes query of ours:",
          ", ".join(f"{p} {kb(b)}" for p, b in sorted(typical.files.items(), key=lambda x: -x[1])[:12]),
          f"... ({len(typical.files)} files)")
    result = {"command": command, "entries": info["entries"], "when": dt.datetime.now().isoformat(),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_average_before_browser": load_before, "load_average_after": os.getloadavg()},
              "build": info, "one_call_all_results": one_call,
              "summary": {"ours": ours_summary, "pagefind": theirs_summary}, "queries": rows}
    out = args.work / "search-results.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    print(f"\nCode measured (sha256): {info.get('code')}")
    print(f"\nLoad average (1, 5, 15 min) before the browser runs {load_before}, after {os.getloadavg()}"
          f" on {os.cpu_count()} CPUs: timings are only as quiet as the machine")
    print(f"\nWrote {out}")
    print(f"Reproduce (from the repository root): {command}")


if __name__ == "__main__":
    main()
