"""`bulletin serve`: listens on 127.0.0.1 only, serves only the built site, refuses traversal.

The server runs as an editor starts it, as a subprocess with --port 0; the address it prints
is used. Files that must never be served (the site's sources, a secret file beside the site,
/etc/passwd) are asked for with every spelling of ../ a client can send.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from generator.serve import IDLE_SECONDS, RECHECK_SECONDS
from tests.conftest import REPO, MakeSite, entry, run_bulletin, tree_bytes

SECRET = "TOPSECRET-OUTSIDE-7f3a"
SOURCE_MARK = "SOURCE-ONLY-MARK-2b9c"


@contextlib.contextmanager
def serving(site: Path) -> Iterator[tuple[str, int, list[str]]]:
    """(host, port, printed lines) of a running `bulletin serve`, stopped (SIGINT, as Ctrl+C) afterwards."""
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--source", str(site), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    found: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            found.append(line)
            if line.startswith("serving "):
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(60), "the server printed no address"
        match = re.search(r" at http://([\d.]+):(\d+)/", "".join(found))
        assert match, "".join(found)
        yield match.group(1), int(match.group(2)), found
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert process.returncode == 0, "".join(found)
    assert "stopped" in "".join(found)


@pytest.fixture
def server(make_site: MakeSite, tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """(host, port, site) of a running `bulletin serve`."""
    site = make_site({"content/info/a.md": entry(title="预览信息", body=f"正文。<!-- {SOURCE_MARK} -->"),
                      "content/info/附件.txt": f"{SECRET} attachment source\n",
                      "bulletin.yaml": f"# {SOURCE_MARK}\ntitle: 信息\n"})
    (tmp_path / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    with serving(site) as (host, port, _):
        yield host, port, site


def get(host: str, port: int, raw_path: str, method: str = "GET") -> tuple[int, bytes]:
    """A request with the path sent exactly as given (no client-side normalisation)."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.putrequest(method, raw_path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    found.add("ipv6:" + address)
    return found


def test_the_server_listens_on_127_0_0_1_only(server: tuple[str, int, Path]) -> None:
    host, port, _ = server
    assert host == "127.0.0.1"
    assert get(host, port, "/")[0] == 200
    assert listening_addresses(port) == {"127.0.0.1"}
    # every address in 127.0.0.0/8 is this machine, but only 127.0.0.1 has the listening socket
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=5).close()


def test_the_server_serves_the_built_site(server: tuple[str, int, Path]) -> None:
    host, port, _ = server
    status, body = get(host, port, "/info/a/")
    assert status == 200 and "预览信息" in body.decode("utf-8")
    status, body = get(host, port, "/info/a/" + quote("附件.txt"))
    assert status == 404, "an attachment not listed in front matter is not published"
    status, body = get(host, port, "/static/style.css")
    assert status == 200 and body


TRAVERSALS = [
    "/../../../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/%252e%252e/%252e%252e/%252e%252e/etc/passwd",
    "/static/../../../../../../../../etc/passwd",
    "/..\\..\\..\\..\\..\\..\\etc\\passwd",
    "/%2e%2e%5c%2e%2e%5c%2e%2e%5c%2e%2e%5c%2e%2e%5cetc%5cpasswd",
    "//etc/passwd",
    "/info/a/../../../../../../../../../etc/passwd?x=1",
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_no_path_reaches_a_file_outside_the_output(server: tuple[str, int, Path], method: str) -> None:
    host, port, site = server
    deep = "/.." * 20
    outside = site.parent / "secret.txt"
    paths = [*TRAVERSALS,
             # the secret file beside the site and the site's own sources, by absolute path
             deep + outside.as_posix(), deep + quote(outside.as_posix()),
             (deep + outside.as_posix()).replace("..", "%2e%2e").replace("/", "%2f"),
             deep + (site / "bulletin.yaml").as_posix(), deep + (site / "content/info/a.md").as_posix(),
             deep + quote((site / "content/info/附件.txt").as_posix())]
    for path in paths:
        status, body = get(host, port, path, method)
        assert status in (400, 403, 404), (path, status)
        text = body.decode("utf-8", errors="replace")
        assert "root:" not in text and SECRET not in text and SOURCE_MARK not in text, path


def test_the_sources_are_not_served(server: tuple[str, int, Path]) -> None:
    host, port, _ = server
    for path in ("/bulletin.yaml", "/content/info/a.md", "/content/", "/content/info/" + quote("附件.txt"),
                 "/../bulletin.yaml", "/../content/info/a.md", "/%2e%2e/bulletin.yaml",
                 "/../site/bulletin.yaml", "/%2e%2e/site/content/info/a.md", "/.output.builds/", "/../secret.txt"):
        status, body = get(host, port, path)
        assert status == 404, (path, status)
        text = body.decode("utf-8", errors="replace")
        assert SOURCE_MARK not in text and SECRET not in text, path



def test_a_change_no_watcher_reports_still_reaches_the_preview(server: tuple[str, int, Path], tmp_path: Path) -> None:
    # inotify reports a write through a hard link in another folder to no watcher of this one:
    # the server finds it when it walks content/ again while idle. The write comes after the
    # walk that follows start-up, whenever this test runs on a busy machine.
    host, port, site = server
    assert "预览信息" in get(host, port, "/info/a/")[1].decode()
    time.sleep(2 * IDLE_SECONDS)
    elsewhere = tmp_path / "elsewhere.md"
    os.link(site / "content/info/a.md", elsewhere)
    with open(elsewhere, "r+", encoding="utf-8") as handle:
        text = handle.read().replace("预览信息", "无人报告的修改")
        handle.seek(0)
        handle.write(text)
        handle.truncate()
    deadline = time.monotonic() + 30
    while "无人报告的修改" not in get(host, port, "/info/a/")[1].decode():
        assert time.monotonic() < deadline, "the preview never showed the change"
        time.sleep(0.2)

def test_a_nul_byte_in_the_path_gets_an_answer(server: tuple[str, int, Path]) -> None:
    """A path with %00 is a bad request like any other: answered 400 or 404, not a dropped
    connection (and the server keeps serving)."""
    host, port, _ = server
    for path in ("/etc/passwd%00.html", "/info/a/%00", "/%00/../../etc/passwd"):
        status, body = get(host, port, path)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body
    assert get(host, port, "/")[0] == 200



def test_warnings_show_in_the_terminal_once_and_when_they_go(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(title="一", publication="xinxi", issue=1),
                      "content/info/c.md": entry(title="三", publication="xinxi", issue=3)})
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--source", str(site), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True).start()

    def said(text: str) -> int:
        deadline = time.monotonic() + 30
        while not any(text in line for line in lines):
            assert time.monotonic() < deadline, f"serve never said {text!r}:\n{''.join(lines)}"
            time.sleep(0.1)
        return sum(text in line for line in lines)

    try:
        assert said("第1期 is followed by 第3期") == 1
        assert "content/info/c.md:1" in "".join(lines), "the warning names its file and line"
        (site / "content/info/a.md").write_text(entry(title="一（改）", publication="xinxi", issue=1))
        said("rebuilt in")
        while sum("rebuilt in" in line for line in lines) < 2:
            time.sleep(0.1)
        assert said("第1期 is followed by 第3期") == 1, "shown once, not at every save"
        (site / "content/info/b.md").write_text(entry(title="二", publication="xinxi", issue=2))
        said("no warnings left")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)

@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_server_leaves_no_work_folder(make_site: MakeSite, tmp_path: Path, stop: signal.Signals) -> None:
    """Stopped by a service manager (SIGTERM) or Ctrl+C, even started as a shell's background job
    (which ignores SIGINT), the server stops and removes its temporary site."""
    site = make_site({"content/info/a.md": entry(title="预览信息")})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--source", str(site), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(scratch)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("serving "):
            break
    assert list(scratch.iterdir()), "serve keeps its site in a temporary folder while it runs"
    process.send_signal(stop)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert not list(scratch.iterdir())


def test_the_preview_sends_exactly_the_files_a_build_writes(tmp_path: Path) -> None:
    """serve makes each file when asked, with the code build writes it with: the sample bulletin's
    every file (pages, print editions, attachments, feeds, the search index) comes out the same,
    apart from the live-reload hook in HTML; and a file the build does not have is not found."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "bulletin.yaml", site / "bulletin.yaml")
    built = run_bulletin("build", "--source", site, "--output", tmp_path / "out", "--drafts")
    assert built.returncode == 0, built.stderr
    expected = tree_bytes(tmp_path / "out")
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--source", str(site), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout is not None
    try:
        match = None
        for line in process.stdout:
            match = re.search(r" at http://([\d.]+):(\d+)/", line)
            if match:
                break
        assert match, "the server printed no address"
        host, port = match.group(1), int(match.group(2))
        hook = re.compile(rb' data-bulletin-page="[0-9a-f]*"|<script data-bulletin-reload>.*?</script>', re.S)
        differ = []
        for path, data in expected.items():
            status, body = get(host, port, "/" + quote(path))
            if path.endswith(".html"):
                body = hook.sub(b"", body)
            if status != 200 or body != data:
                differ.append(path)
        assert len(expected) > 200 and not differ, differ[:10]
        assert get(host, port, "/no/such/page/")[0] == 404
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


def test_the_preview_follows_the_sites_clock_without_a_save(make_site: MakeSite) -> None:
    """An embargo that ends while the editor looks shows without any file changing, as an entry
    that expires goes."""
    soon = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None) + dt.timedelta(seconds=12)
    site = make_site({"content/info/later.md": entry(title="即将解禁", publish_at=f'"{soon:%Y-%m-%dT%H:%M:%S}"'),
                      "content/info/going.md": entry(title="即将撤下", expire_at=f'"{soon:%Y-%m-%dT%H:%M:%S}"')})
    with serving(site) as (host, port, _):
        listed = get(host, port, "/info/")[1].decode()
        assert "即将撤下" in listed and "即将解禁" not in listed
        deadline = time.monotonic() + 30
        while "即将解禁" not in (listed := get(host, port, "/info/")[1].decode()):
            assert time.monotonic() < deadline, "the embargo ended but the preview never showed the entry"
            time.sleep(0.2)
        assert "即将撤下" not in listed
        assert get(host, port, "/info/later/")[0] == 200 and get(host, port, "/info/going/")[0] == 404


def test_a_failing_site_is_not_built_again_until_something_changes(make_site: MakeSite) -> None:
    """Serve started on a broken bulletin.yaml keeps running, reports the error once however long
    the editor waits (its walks of content/ see nothing new), and recovers when the file is fixed."""
    site = make_site({"content/info/a.md": entry(title="预览信息"), "bulletin.yaml": "title: [\n"})
    with serving(site) as (host, port, printed):
        time.sleep(RECHECK_SECONDS + 2 * IDLE_SECONDS)
        assert "".join(printed).count("build failed") == 1, "".join(printed)
        (site / "bulletin.yaml").write_text("title: 信息\n", encoding="utf-8")
        deadline = time.monotonic() + 30
        while "预览信息" not in get(host, port, "/info/a/")[1].decode():
            assert time.monotonic() < deadline, "".join(printed)
            time.sleep(0.2)
        assert "".join(printed).count("build failed") == 1
