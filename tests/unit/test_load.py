"""Reading content/: every file becomes an entry or errors, never nothing."""

import os
from pathlib import Path

from generator.cache import Memory
from generator.config import default_config
from generator.inputs import relisted, scan
from generator.load import load
from tests.conftest import MakeSite, entry


def errors_of(site: Path) -> list[str]:
    return [str(e) for e in load(site, default_config()).errors]


def test_entries_and_issue_files_are_loaded(make_site: MakeSite) -> None:
    site = make_site({
        "content/info/a.md": entry(publication="xinxi", issue=3),
        "content/issues/xinxi-3.yaml": "publication: xinxi\nnumber: 3\nyear: 2026\nsigner: 王明\n",
    })
    loaded = load(site, default_config())
    assert not loaded.errors
    assert [e.path for e in loaded.entries] == ["content/info/a.md"]
    assert loaded.issues[0].signer == "王明" and loaded.issues[0].key == ("xinxi", 2026, 3)


def test_bom_and_crlf_files_load(make_site: MakeSite) -> None:
    text = "\ufeff" + entry(title="乙").replace("\n", "\r\n")
    site = make_site({"content/info/a.md": text.encode("utf-8")})
    loaded = load(site, default_config())
    assert not loaded.errors and loaded.entries[0].title == "乙"


def test_non_utf8_file_names_the_line(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(body="第一行\n\n第二行 GBK").encode("gbk")})
    [message] = errors_of(site)
    assert message.startswith("content/info/a.md:2: the file is not UTF-8 text")
    assert "GB18030" in message


def test_binary_file_with_md_suffix(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": b"PK\x03\x04\x00\x00binary"})
    [message] = errors_of(site)
    assert message.startswith("content/info/a.md:1: this is a binary file")


def test_empty_file(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": ""})
    assert errors_of(site)[0].startswith("content/info/a.md:1: the file is empty")


def test_ten_megabyte_file_is_refused_cleanly(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(body="信息" * 1_750_000)})
    [message] = errors_of(site)
    assert message.startswith("content/info/a.md:1: the file is 10.0 MB")


def test_symlink_leaving_content_is_an_error(make_site: MakeSite, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(entry(title="机密"), encoding="utf-8")
    site = make_site({"content/info/a.md": entry()})
    os.symlink(secret, site / "content/info/link.md")
    messages = errors_of(site)
    assert any(m.startswith("content/info/link.md:1: symbolic link to") for m in messages)
    assert all(e.title != "机密" for e in load(site, default_config()).entries)


def test_editor_backup_and_hidden_files_are_ignored(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(), "content/info/.a.md.swp": "x",
                      "content/info/a.md~": "x", "content/.DS_Store": "x"})
    loaded = load(site, default_config())
    assert not loaded.errors and len(loaded.entries) == 1


def test_missing_content_folder(tmp_path: Path) -> None:
    loaded = load(tmp_path, default_config())
    assert loaded.errors[0].message.startswith("no content folder")


def test_link_to_a_missing_file_names_its_line(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(body="甲\n\n![图](chart.png)")})
    [message] = errors_of(site)
    assert message.startswith("content/info/a.md:8: the link points to a missing file 'content/info/chart.png'")


# ---- serve: a save looks at the files the watcher named, and the walk checks its word ----

A, B = "content/info/a.md", "content/info/b.md"


def loaded_once(make_site: MakeSite) -> tuple[Path, Memory]:
    site = make_site({A: entry(title="甲"), B: entry(title="乙")})
    memory = Memory()
    load(site, default_config(), memory=memory)
    return site, memory


def titles(site: Path, memory: Memory, named: set[str] | None) -> dict[str, str]:
    listing = None if named is None else relisted(site, memory.listing, frozenset(named))
    return {e.path: e.title for e in load(site, default_config(), memory=memory, listing=listing).entries}


def rewrite(path: Path, text: str) -> None:
    path.write_text(text)
    later = path.stat().st_mtime_ns + 1_000_000_000  # a new stat, however coarse the clock
    os.utime(path, ns=(later, later))


def test_a_named_file_is_read_again(make_site: MakeSite) -> None:
    site, memory = loaded_once(make_site)
    rewrite(site / A, entry(title="甲改"))
    assert titles(site, memory, {A}) == {A: "甲改", B: "乙"}


def test_a_change_the_watcher_missed_is_found_by_the_walk(make_site: MakeSite) -> None:
    site, memory = loaded_once(make_site)
    rewrite(site / A, entry(title="甲改"))
    assert titles(site, memory, {B})[A] == "甲", "only named files are looked at"
    assert not scan(site).loads_as(memory.listing)
    assert titles(site, memory, None)[A] == "甲改"
    assert scan(site).loads_as(memory.listing)


def test_a_named_new_or_deleted_file_makes_a_walk(make_site: MakeSite) -> None:
    site, memory = loaded_once(make_site)
    new = "content/info/c.md"
    (site / new).write_text(entry(title="丙"))
    assert titles(site, memory, {new}) == {A: "甲", B: "乙", new: "丙"}
    (site / A).unlink()
    assert titles(site, memory, {A}) == {B: "乙", new: "丙"}
    assert scan(site).loads_as(memory.listing)


def test_a_changed_attachment_reloads_the_entry_that_lists_it(make_site: MakeSite) -> None:
    attachment = "content/info/名单.xlsx"
    site = make_site({attachment: b"x" * 100,
                      A: entry(type="notice", attachments="\n  - {path: 名单.xlsx, title: 名单}")})
    memory = Memory()
    load(site, default_config(), memory=memory)
    rewrite(site / attachment, "y" * 300)
    found = load(site, default_config(), memory=memory,
                 listing=relisted(site, memory.listing, frozenset({attachment}))).entries
    assert [a.size for a in found[0].attachments] == [300]


def test_an_editors_swap_file_changes_the_inputs_but_not_what_is_loaded(make_site: MakeSite) -> None:
    site = make_site({A: entry(title="甲")})
    before = scan(site)
    (site / "content/info/.a.md.swp").write_bytes(b"swap")
    after = scan(site)
    assert after.loads_as(before) and after.digest != before.digest


def test_saving_an_attachment_changes_its_entry_but_moves_it_nowhere(make_site: MakeSite) -> None:
    """The entry's digest follows the file (its page and the file are made again); its placement
    does not, so the site's arrangement and the other pages' keys are kept."""
    attachment = "content/info/名单.xlsx"
    site = make_site({attachment: b"x" * 100, A: entry(type="notice", attachments="[名单.xlsx]")})
    memory = Memory()
    [before] = load(site, default_config(), memory=memory).entries
    rewrite(site / attachment, "y" * 100)
    [after] = load(site, default_config(), memory=memory,
                   listing=relisted(site, memory.listing, frozenset({attachment}))).entries
    assert after.digest != before.digest and after.attachments[0].stat != before.attachments[0].stat
    assert after.placement == before.placement
