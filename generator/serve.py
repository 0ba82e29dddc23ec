"""`bulletin serve`: build, serve on 127.0.0.1, watch, rebuild, reload the browser.

A save runs the stages of `build()` up to the plan (`preview()`), and the server
makes each file when a browser asks for it, with the code that `bulletin build`
writes it with: a save costs the model and the plan, not the site's pages, and
nothing stale can be shown because nothing is kept. A request sees one whole
build. Each page carries its fingerprint, and each open tab listens on
/__bulletin/events (server-sent events) for the fingerprint of its own page: a
tab reloads when what it shows has changed, and only then. A failed build keeps
the last good site and shows its errors as an overlay until the next good one.
The reload script is written into each HTML page as it is sent.
"""

from __future__ import annotations

import contextlib
import gc
import http.server
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from .build import BuildOptions, Preview, preview
from .cache import Memory
from .config import CONFIG_FILE
from .errors import BuildFailed, SourceError, format_errors, only_errors
from .inputs import CONTENT, Listing, relisted, scan
from .themes import theme_dir

PREFIX = "/__bulletin/"
DEBOUNCE_SECONDS = 0.015
IDLE_SECONDS = 2.0  # after this long without a save, the server collects the last builds' garbage
# While idle, content/ is walked again this often: a change no watcher reports (a write through
# a hard link elsewhere, a network folder) shows without waiting for the next save. A walk
# takes about 0.08 s at 10,000 entries: under 1% of a core.
RECHECK_SECONDS = 10.0
_RELOAD_JS = """\
(() => {
  const shown = document.documentElement.dataset.bulletinPage;
  let overlay = null;
  function showErrors(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "bulletin-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;z-index:99999;overflow:auto;padding:2rem;" +
        "background:rgba(20,20,20,.94);color:#fff;font:15px/1.6 monospace;white-space:pre-wrap";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "构建失败 / build failed\\n\\n" + text;
  }
  const events = new EventSource("/__bulletin/events?page=" + encodeURIComponent(location.pathname));
  events.onmessage = (message) => {
    const state = JSON.parse(message.data);
    if (state.errors) { showErrors(state.errors); return; }
    if (state.page !== shown) location.reload();
    else if (overlay) { overlay.remove(); overlay = null; }
  };
})();
"""


@dataclass
class BuildState:
    """The latest good preview, and the errors of a failed attempt after it."""

    preview: Preview | None = None
    # The preview before: freed when the next save starts or the editor pauses, not while
    # the browsers reload (freeing 30,000 pages holds the interpreter for some 15 ms).
    retired: Preview | None = None
    errors: str = ""
    version: int = 0  # counts what was published: good previews and failures alike
    changed: threading.Condition = field(default_factory=threading.Condition)
    making: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, errors: str = "", made: Preview | None = None) -> None:
        with self.changed:
            if made is not None:
                self.retired, self.preview = self.preview, made
            self.errors = errors
            self.version += 1
            self.changed.notify_all()

    def file(self, current: Preview, path: str) -> bytes | None:
        page = current.page(path)
        if page is not None and page.generate is not None:
            with self.making:  # the search index is built once, however many files ask for it
                return current.file(path)
        return current.file(path)

    def message(self, path: str) -> str:
        """What a tab showing `path` needs to know: its page's fingerprint, or the errors."""
        current = self.preview
        page = current.key(path) if current else ""
        return json.dumps({"page": page, "errors": self.errors}, ensure_ascii=False)


def page_path(url_path: str, current: Preview | None) -> str:
    """The site's file for a URL path: index.html for a folder, with or without its slash."""
    name = url_path.lstrip("/")
    if name == "" or name.endswith("/"):
        return name + "index.html"
    if current is not None and current.page(name) is None and current.page(f"{name}/index.html"):
        return f"{name}/index.html"
    return name


def make_handler(state: BuildState, log: Callable[[str], None]) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        """Only the current build's files, by name: no path ever reaches the file system."""

        disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(with_body=True)

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

        def _answer(self, with_body: bool) -> None:
            url = urlsplit(self.path)
            path = unquote(url.path)
            if path == f"{PREFIX}events":
                # the page's path, as the browser has it (percent-encoded), sent encoded once more
                return self._events(unquote(parse_qs(url.query).get("page", ["/"])[0]))
            current = state.preview
            name = page_path(path, current)
            try:
                data = state.file(current, name) if current else None
            except OSError:  # a file to copy went away since the build: the next one drops it
                data = None
            except BuildFailed as failed:
                text = format_errors(failed.errors)
                log(f"{text}\n{name}: the page could not be made; fix the file and save")
                return self._send(_error_page(text, current.key(name) if current else ""),
                                  "text/html; charset=utf-8", with_body, status=500)
            if data is None:
                missing = current.file("404.html") if current else None
                return self._send(_inject(missing or b'<!doctype html><html lang="zh"><body>404</body></html>', ""),
                                  "text/html; charset=utf-8", with_body, status=404)
            if name.endswith(".html"):
                data = _inject(data, current.key(name) if current else "")
            return self._send(data, self.guess_type(name), with_body)

        def _send(self, body: bytes, content_type: str, with_body: bool, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def _events(self, shown: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            sent, seen = None, -1
            with contextlib.suppress(OSError):
                while True:
                    with state.changed:
                        if state.version == seen:
                            state.changed.wait(timeout=15)
                        seen = state.version
                    message = state.message(page_path(shown, state.preview))  # once per build
                    if message == sent:
                        self.wfile.write(b": keep-alive\n\n")
                    else:
                        self.wfile.write(f"data: {message}\n\n".encode())
                        sent = message
                    self.wfile.flush()

    return Handler


def _inject(html: bytes, key: str) -> bytes:
    tag = f"<script data-bulletin-reload>{_RELOAD_JS}</script>".encode()  # inline: no request on a reload
    html = html.replace(b"<html ", f'<html data-bulletin-page="{key}" '.encode(), 1)
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag


def _error_page(text: str, key: str) -> bytes:
    """A page whose template failed: the error where the page would be; it reloads when fixed."""
    return _inject(f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>构建失败</title></head>'
                   f'<body><pre id="bulletin-page-error" role="alert">构建失败 / build failed\n\n{escape(text)}'
                   f"</pre></body></html>".encode(), key)


class _Changes(FileSystemEventHandler):
    """Wakes the rebuild loop for changes to the site's inputs, and nothing else, and keeps
    the content files they name: a save then looks at those files only, not at all of
    content/ (inputs.relisted). An input folder made while serving (a site's first templates/) is
    watched from then on."""

    def __init__(self, source: Path, inputs: list[Path], wake: threading.Event, observer: BaseObserver):
        self.source, self.inputs, self.wake, self.observer = source, inputs, wake, observer
        self.lock = threading.Lock()
        self.named: set[str] | None = set()  # None: a folder came, went or moved, so walk them all

    def watch(self, folder: Path) -> None:
        self.observer.schedule(self, str(folder), recursive=True)  # again for the same folder: a no-op

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [Path(str(p)) for p in (event.src_path, getattr(event, "dest_path", "")) if p]
        if event.is_directory and event.event_type in ("created", "moved"):
            for folder in set(paths) & set(self.inputs[1:]):
                self.watch(folder)
        if any(p == i or p.is_relative_to(i) for p in paths for i in self.inputs):
            with self.lock:
                if event.is_directory and event.event_type != "modified":
                    self.named = None
                elif self.named is not None:
                    self.named.update(p.relative_to(self.source).as_posix() for p in paths
                                      if p.is_relative_to(self.source / CONTENT))
            self.wake.set()

    def take(self) -> frozenset[str] | None:
        """The content files named since the last call; None if that cannot tell what changed."""
        with self.lock:
            named, self.named = self.named, set()
        return None if named is None else frozenset(named)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(source: Path, host: str, port: int, audience: str | None = None,
          log: Callable[[str], None] = print, ready: Callable[[str], None] | None = None) -> None:
    source = source.resolve()
    work = Path(tempfile.mkdtemp(prefix="bulletin-serve-"))
    output = work / "site"
    state = BuildState()
    options = BuildOptions(source=source, output=output, audience=audience, drafts=True)
    memory = Memory()  # what is loaded stays loaded between builds

    warned: tuple[SourceError, ...] = ()  # the warnings last shown
    watched: Preview | None = None  # the preview whose clock is watched: after a failed build, none
    attempted: Listing | None = None  # what the last build looked at in content/, failed or not

    def rebuild(changed: frozenset[str] | None = None) -> None:
        nonlocal warned, watched, attempted
        started = time.perf_counter()
        state.retired = None
        listing = (scan(source) if changed is None or memory.listing is None
                   else relisted(source, memory.listing, changed))
        attempted = listing
        try:
            made = preview(options, memory, listing)
        except BuildFailed as failed:
            text = format_errors(failed.errors)
            log(f"{text}\nbuild failed: {len(only_errors(failed.errors))} errors; still serving the last good site")
            state.publish(text)
            watched = None
            return
        state.publish(made=made)
        watched = made
        log(f"rebuilt in {time.perf_counter() - started:.2f} s: {made.entries} entries")
        if made.warnings != warned:  # once, not at every save
            log(format_errors(made.warnings) if made.warnings else "no warnings left")
            warned = made.warnings

    if threading.current_thread() is threading.main_thread():
        # A service manager stops the server with SIGTERM: leave as Ctrl+C does, removing the
        # work folder. SIGINT too, even where the parent ignored it (a shell's background job).
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
    with contextlib.ExitStack() as stack:
        stack.callback(sys.stdout.flush)
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        try:
            rebuild()
            wake = threading.Event()
            inputs = [source / CONFIG_FILE, source / CONTENT, source / "templates", theme_dir().resolve()]
            observer = Observer()
            changes = _Changes(source, inputs, wake, observer)
            observer.schedule(changes, str(source), recursive=False)  # bulletin.yaml, new folders
            for folder in inputs[1:]:
                if folder.is_dir():
                    changes.watch(folder)
            observer.start()
            stack.callback(observer.stop)
            server = http.server.ThreadingHTTPServer((host, port), make_handler(state, log))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            stack.callback(server.shutdown)
            address = f"http://{host}:{server.server_address[1]}/"
            log(f"serving {source} at {address} (drafts shown; Ctrl+C stops)")
            if ready:
                ready(address)
            # Each build leaves cycles (the template environment's, among others) that only a
            # collection frees, run when the editor pauses, never while a browser reloads. What
            # start-up made and kept (the loaded entries) is frozen: a collection looks only at
            # what later builds made.
            gc.disable()
            stack.callback(gc.enable)
            gc.collect()
            gc.freeze()
            stack.callback(gc.unfreeze)
            garbage, unchecked, walk = False, True, False  # unchecked: saves made before the watcher started, too
            checked = time.monotonic()
            while True:
                if not wake.wait(timeout=IDLE_SECONDS):
                    if garbage:
                        state.retired = None
                        gc.collect()
                        garbage = False
                    if (unchecked or time.monotonic() - checked >= RECHECK_SECONDS) and not wake.is_set():
                        # The watcher's word, checked: a lost event costs a pause, not a stale site.
                        unchecked, checked = False, time.monotonic()
                        walk = attempted is None or not scan(source).loads_as(attempted)
                    # An embargo ends, an entry expires or is unpinned, the year turns: no file
                    # changed, but the site did.
                    if not (walk or wake.is_set() or (watched is not None and watched.clock() >= watched.due)):
                        continue
                time.sleep(DEBOUNCE_SECONDS)  # one rebuild for an editor's burst of writes
                wake.clear()
                changed = changes.take()
                rebuild(None if walk else changed)
                garbage, unchecked = True, unchecked or (changed is not None and not walk)
                walk = False
        except KeyboardInterrupt:
            log("stopped")
