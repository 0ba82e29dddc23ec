"""`bulletin serve`: build, serve on 127.0.0.1, watch, rebuild, reload the browser.

The server reuses `build()` as it is (no second code path) and serves a
temporary output folder, never the publish folder. Each build switches the
folder in one step, so a request sees one whole build. Browsers learn about
builds through server-sent events on /__bulletin/events; a failed build keeps
the last good site and shows its errors as an overlay until the next good one.
The reload script is added to HTML as it is sent: the files on disk stay
exactly what `bulletin build` writes.
"""

from __future__ import annotations

import contextlib
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
from pathlib import Path
from urllib.parse import unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .build import BuildOptions, build
from .cache import Memory
from .config import CONFIG_FILE
from .errors import BuildFailed, format_errors, only_errors
from .load import CONTENT
from .pages import Page
from .themes import theme_dir

PREFIX = "/__bulletin/"
DEBOUNCE_SECONDS = 0.03
_RELOAD_JS = """\
(() => {
  const shown = document.documentElement.dataset.bulletinBuild;
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
  const events = new EventSource("/__bulletin/events");
  events.onmessage = (message) => {
    const state = JSON.parse(message.data);
    if (state.errors) { showErrors(state.errors); return; }
    if (String(state.build) !== shown) location.reload();
    else if (overlay) { overlay.remove(); overlay = null; }
  };
})();
"""


@dataclass
class BuildState:
    """The latest build: its number, or the errors of a failed attempt."""

    number: int = 0
    errors: str = ""
    changed: threading.Condition = field(default_factory=threading.Condition)
    deferred: dict[str, Page] = field(default_factory=dict)  # search files, made when first asked for
    making: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, errors: str = "", deferred: dict[str, Page] | None = None) -> None:
        with self.changed:
            if not errors:
                self.number += 1
                self.deferred = deferred or {}
            self.errors = errors
            self.changed.notify_all()

    def make(self, path: str) -> bytes | None:
        """A deferred file of the current build: an editor's save does not wait for the search
        index, and a search made afterwards still finds exactly what the pages show."""
        page = self.deferred.get(path)
        if page is None or page.generate is None:
            return None
        with self.making:  # one partition is built once, however many files ask for it
            return page.generate()

    def message(self) -> str:
        return json.dumps({"build": self.number, "errors": self.errors}, ensure_ascii=False)


def make_handler(output: Path, state: BuildState) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart

        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(output), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            if path == f"{PREFIX}events":
                return self._events()
            if path == f"{PREFIX}reload.js":
                return self._send(_RELOAD_JS.encode(), "text/javascript; charset=utf-8")
            target = self._resolve(path)
            if target is None:
                made = state.make(path.lstrip("/"))
                if made is not None:
                    return self._send(made, "application/octet-stream")
                return self._not_found()
            if target.suffix == ".html":
                html = target.read_bytes()
                return self._send(_inject(html, state.number), "text/html; charset=utf-8")
            return super().do_GET()

        def _resolve(self, path: str) -> Path | None:
            """The file for a URL path, only inside the current build (no traversal)."""
            root = output.resolve()
            try:
                target = (root / path.lstrip("/")).resolve()
            except (ValueError, OSError):  # a NUL byte, a path too long: there is no such page
                return None
            if not target.is_relative_to(root):
                return None
            if target.is_dir():
                target = target / "index.html"
            return target if target.is_file() else None

        def _not_found(self) -> None:
            page = output.resolve() / "404.html"
            body = _inject(page.read_bytes(), state.number) if page.exists() else b"404"
            self._send(body, "text/html; charset=utf-8", status=404)

        def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            sent = None
            with contextlib.suppress(OSError):
                while True:
                    with state.changed:
                        if sent == state.message():
                            state.changed.wait(timeout=15)
                        message = state.message()
                    if message == sent:
                        self.wfile.write(b": keep-alive\n\n")
                    else:
                        self.wfile.write(f"data: {message}\n\n".encode())
                        sent = message
                    self.wfile.flush()

    return Handler


def _inject(html: bytes, number: int) -> bytes:
    tag = f'<script src="{PREFIX}reload.js"></script>'.encode()
    html = html.replace(b"<html ", f'<html data-bulletin-build="{number}" '.encode(), 1)
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag


class _Changes(FileSystemEventHandler):
    """Wakes the rebuild loop for changes to the site's inputs, and nothing else."""

    def __init__(self, inputs: list[Path], wake: threading.Event):
        self.inputs, self.wake = inputs, wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [Path(str(p)) for p in (event.src_path, getattr(event, "dest_path", "")) if p]
        if any(p == i or p.is_relative_to(i) for p in paths for i in self.inputs):
            self.wake.set()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(source: Path, host: str, port: int, audience: str | None = None,
          log: Callable[[str], None] = print, ready: Callable[[str], None] | None = None) -> None:
    source = source.resolve()
    work = Path(tempfile.mkdtemp(prefix="bulletin-serve-"))
    output = work / "site"
    state = BuildState()
    options = BuildOptions(source=source, output=output, audience=audience, drafts=True, defer_search=True)
    memory = Memory()  # what is loaded stays loaded between builds

    def rebuild() -> None:
        started = time.perf_counter()
        try:
            result = build(options, memory=memory)
        except BuildFailed as failed:
            text = format_errors(failed.errors)
            log(f"{text}\nbuild failed: {len(only_errors(failed.errors))} errors; still serving the last good site")
            state.publish(text)
            return
        if result.written.switched or state.errors or state.number == 0:
            state.publish(deferred=result.deferred)
        else:
            state.deferred = result.deferred
        log(f"rebuilt in {time.perf_counter() - started:.2f} s: {result.written.written} pages written")

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
            if state.number == 0:
                output.mkdir(parents=True, exist_ok=True)  # serve the overlay until the first good build
            wake = threading.Event()
            inputs = [source / CONFIG_FILE, source / CONTENT, source / "templates", theme_dir().resolve()]
            observer = Observer()
            observer.schedule(_Changes(inputs, wake), str(source), recursive=False)  # bulletin.yaml, new folders
            for folder in inputs[1:]:
                if folder.is_dir():
                    observer.schedule(_Changes(inputs, wake), str(folder), recursive=True)
            observer.start()
            stack.callback(observer.stop)
            server = http.server.ThreadingHTTPServer((host, port), make_handler(output, state))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            stack.callback(server.shutdown)
            address = f"http://{host}:{server.server_address[1]}/"
            log(f"serving {source} at {address} (drafts shown; Ctrl+C stops)")
            if ready:
                ready(address)
            while True:
                wake.wait()
                time.sleep(DEBOUNCE_SECONDS)  # one rebuild for an editor's burst of writes
                wake.clear()
                rebuild()
        except KeyboardInterrupt:
            log("stopped")
