"""Files an entry publishes beside its page: listed as attachments, linked from the body, or both."""

from __future__ import annotations

import datetime as dt

from generator.build import BuildOptions, build
from tests.conftest import entry, saved_right_after_each_look, tree_bytes

NOW = dt.datetime(2026, 11, 27, 12)


def test_a_file_listed_and_linked_from_the_body_is_published_once(make_site) -> None:  # type: ignore[no-untyped-def]
    """A notice lists 附件1 and says "详见附件1" with a link to it: one file, one link, no error."""
    site = make_site({"content/notice/a.md": entry(title="通知", type="notice", attachments="[附件1.txt]",
                                                   body="详见[附件1](附件1.txt)，再见[附件1](附件1.txt)。"),
                      "content/notice/附件1.txt": "名单\n"})
    output = site / "output"
    build(BuildOptions(site, output, now=NOW))
    files = tree_bytes(output)
    assert files["notice/a/附件1.txt"] == "名单\n".encode()
    page = files["notice/a/index.html"].decode()
    assert page.count('href="/notice/a/%E9%99%84%E4%BB%B61.txt"') == 3, "the list's link and the body's two"


def test_a_file_linked_twice_and_saved_while_the_entry_is_read_still_builds(make_site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each link to a file was looked at on its own: saved in between (same size, new times), the
    two looked like two files of one name, and the build failed on two pages for one path."""
    site = make_site({"content/info/a.md": entry(title="甲", body="见[表](名单.txt)，又见[表](名单.txt)。"),
                      "content/info/名单.txt": "旧" * 100})
    saved_right_after_each_look(monkeypatch, "新" * 100)
    build(BuildOptions(site, site / "output", now=NOW))
    assert (site / "output/info/a/名单.txt").read_text(encoding="utf-8") == "新" * 100
