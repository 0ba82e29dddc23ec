"""Fixtures shared by every test: temporary sites, the CLI, a static server, the browser."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_NOW = "2026-11-27T12:00"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

MakeSite = Callable[..., Path]


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


def saved_right_after_each_look(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Every look at a file an entry lists or links to (load._file) is followed at once by a save
    of that file with `text`: a file saved while its entry is read, made certain."""
    from generator import load

    look = load._file

    def looked_then_saved(source: Path, target: str):  # type: ignore[no-untyped-def]
        found = look(source, target)
        (source / target).write_text(text, encoding="utf-8")
        return found

    monkeypatch.setattr(load, "_file", looked_then_saved)


def entry(title: str = "测试信息", date: str = "2026-11-20", body: str = "正文。", **keys: str) -> str:
    """A small entry file; extra keys are written as given (YAML values)."""
    lines = ["---", f"title: {title}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in keys.items()]
    return "\n".join([*lines, "---", "", body, ""])


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """make_site({"content/info/a.md": entry(...)}, config="...") -> the site folder."""

    def make(files: dict[str, str | bytes], config: str | None = None, name: str = "site") -> Path:
        root = tmp_path / name
        root.mkdir(exist_ok=True)
        (root / "content").mkdir(exist_ok=True)
        if config is not None:
            write_files(root, {"bulletin.yaml": config})
        write_files(root, files)
        return root

    return make


def run_bulletin(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file below a folder (following the output link), for before/after comparisons."""
    root = folder.resolve()
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def sample_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sample bulletin, built once with a fixed clock."""
    work = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "content", work / "content")
    shutil.copy(REPO / "bulletin.yaml", work / "bulletin.yaml")
    result = run_bulletin("build", "--source", work, "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.stderr
    return (work / "output").resolve()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    disable_nagle_algorithm = True
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def serve_folder() -> Iterator[Callable[[Path], str]]:
    """serve_folder(path) -> base URL of a static server on 127.0.0.1 for that folder."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="session")
def sample_url(sample_output: Path, serve_folder: Callable[[Path], str]) -> str:
    return serve_folder(sample_output)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page that refuses, and fails the test on, any request leaving 127.0.0.1."""
    context = browser.new_context(locale="zh-CN")
    outside: list[str] = []

    def guard(route, request) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not errors, f"JavaScript errors on the page: {errors}"
