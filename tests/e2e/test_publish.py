"""`bulletin publish DEST`: releases switched in one step, checked against their manifest.

DEST is a link to one release folder; each release holds exactly the files of its
manifest (.bulletin-manifest.json: path -> sha256), which are exactly the files of the site
built for that audience. Older releases are kept (--keep), --rollback goes back one, and a
failed publish or a DEST bulletin did not make is left alone.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.conftest import MakeSite, entry, run_bulletin, tree_bytes, write_files

NOW = "2026-11-27T12:00"
MANIFEST = ".bulletin-manifest.json"
SITE = {
    "content/info/open.md": entry(title="公开信息", audience="public", body="公开正文。"),
    "content/info/inner.md": entry(title="内部信息", body="内部正文。"),  # internal by default
    "content/info/secret.md": entry(title="限阅信息", audience="restricted", body="限阅正文。"),
    "content/notice/n.md": entry(title="通知", audience="public", attachments="[附件1.txt]"),
    "content/notice/附件1.txt": "附件\n",
}


def publish(site: Path, dest: Path, *args: str) -> str:
    result = run_bulletin("publish", dest, "--source", site, "--now", NOW, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def release_of(dest: Path) -> Path:
    assert dest.is_symlink(), f"{dest} is not a link"
    return dest.resolve()


def releases(dest: Path) -> list[Path]:
    folder = dest.parent / f".{dest.name}.releases"
    return sorted(p for p in folder.iterdir() if p.is_dir())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_release(release: Path) -> dict[str, bytes]:
    """The release holds exactly the files its manifest lists, with those hashes; its site."""
    manifest = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
    files = tree_bytes(release)
    files.pop(MANIFEST)
    assert set(files) == set(manifest), (set(files) ^ set(manifest))
    wrong = [path for path, data in files.items() if sha256(data) != manifest[path]]
    assert not wrong, wrong
    return files


def built(site: Path, audience: str) -> dict[str, bytes]:
    output = site.parent / f"reference-{audience}-{len(list(site.parent.iterdir()))}"
    result = run_bulletin("build", "--source", site, "--output", output, "--now", NOW, "--audience", audience)
    assert result.returncode == 0, result.stderr
    return tree_bytes(output)


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(SITE)


def test_publish_twice_keeps_the_older_release_and_rollback_returns_to_it(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "www" / "bulletin"
    dest.parent.mkdir()
    publish(site, dest)
    first = release_of(dest)
    first_files = check_release(first)
    assert first_files == built(site, "internal")
    assert "info/inner/index.html" in first_files and "info/secret/index.html" not in first_files

    write_files(site, {"content/info/later.md": entry(title="第二次发布的信息", audience="public"),
                       "content/info/open.md": entry(title="公开信息（修订）", audience="public")})
    (site / "content/info/inner.md").unlink()
    publish(site, dest)
    second = release_of(dest)
    assert second != first
    second_files = check_release(second)
    assert second_files == built(site, "internal")
    assert "info/later/index.html" in second_files and "info/inner/index.html" not in second_files
    assert releases(dest) == sorted([first, second]), "the older release is kept"
    assert check_release(first) == first_files, "and is not changed by the newer one"

    result = run_bulletin("publish", dest, "--source", site, "--rollback")
    assert result.returncode == 0, result.stderr
    assert release_of(dest) == first
    assert tree_bytes(dest) == tree_bytes(first)
    check_release(first)


def test_rollback_without_an_earlier_release_fails_and_changes_nothing(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    publish(site, dest)
    before, target = tree_bytes(dest), os.readlink(dest)
    result = run_bulletin("publish", dest, "--source", site, "--rollback")
    assert result.returncode == 1
    assert "no earlier release" in result.stderr
    assert os.readlink(dest) == target and tree_bytes(dest) == before


def test_keep_prunes_older_releases(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    for number in range(4):
        write_files(site, {"content/info/counter.md": entry(title=f"第{number}次发布", audience="public")})
        publish(site, dest, "--keep", "2")
    kept = releases(dest)
    assert len(kept) == 2, [p.name for p in kept]
    assert release_of(dest) == kept[-1]
    assert "第3次发布" in (dest / "info/counter/index.html").read_text(encoding="utf-8")
    for release in kept:
        check_release(release)


def test_audience_public_publishes_only_public_entries(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "public-www"
    output = publish(site, dest, "--audience", "public")
    assert "for 'public'" in output
    files = check_release(release_of(dest))
    assert files == built(site, "public")
    entries = {path.split("/")[1] for path in files if path.startswith("info/") and path.endswith("/index.html")
               and path.count("/") == 2}
    assert entries == {"open"}
    text = b"".join(files.values()).decode("utf-8", errors="replace")
    assert "内部信息" not in text and "限阅信息" not in text and "内部正文" not in text


def test_a_failed_publish_leaves_dest_unchanged(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    publish(site, dest)
    before, target, kept = tree_bytes(dest), os.readlink(dest), releases(dest)
    write_files(site, {"content/info/bad.md": "---\ntitle: 坏\ndate: 2026-13-01\n---\n"})
    result = run_bulletin("publish", dest, "--source", site, "--now", NOW)
    assert result.returncode == 1
    assert "content/info/bad.md:3:" in result.stderr and "was not changed" in result.stderr
    assert os.readlink(dest) == target and tree_bytes(dest) == before
    assert releases(dest) == kept


def test_dest_is_always_exactly_one_release(site: Path, tmp_path: Path) -> None:
    """After each publish and rollback, DEST's folder is one release, whole: its files are
    those of one manifest, with their hashes, and nothing else."""
    dest = tmp_path / "www"
    seen = []
    for number in range(3):
        write_files(site, {f"content/info/n{number}.md": entry(title=f"第{number}篇", audience="public")})
        publish(site, dest)
        seen.append(release_of(dest))
        check_release(seen[-1])
    assert run_bulletin("publish", dest, "--source", site, "--rollback").returncode == 0
    assert release_of(dest) == seen[1]
    files = check_release(seen[1])
    assert "info/n1/index.html" in files and "info/n2/index.html" not in files
    assert run_bulletin("publish", dest, "--source", site, "--rollback").returncode == 0
    assert release_of(dest) == seen[0]
    assert "info/n1/index.html" not in check_release(seen[0])


def test_a_folder_not_made_by_bulletin_is_refused_and_left_untouched(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    write_files(dest, {"index.html": "<h1>别人的网站</h1>", "docs/a.pdf": b"%PDF-1.4 not ours"})
    before = tree_bytes(dest)
    result = run_bulletin("publish", dest, "--source", site, "--now", NOW)
    assert result.returncode == 1
    assert "not a release link made by bulletin publish" in result.stderr
    assert not dest.is_symlink() and tree_bytes(dest) == before
    result = run_bulletin("publish", dest, "--source", site, "--rollback")
    assert result.returncode == 1
    assert not dest.is_symlink() and tree_bytes(dest) == before
