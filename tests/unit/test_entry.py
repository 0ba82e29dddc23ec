"""Front-matter validation: one test per kind of mistake an editor makes."""

import datetime as dt
import pickle
from pathlib import Path

import pytest

from generator.config import default_config, parse_config
from generator.entry import Body, Entry
from generator.errors import SourceError
from generator.load import parse_entry
from generator.markdown import Converter

PATH = "content/info/2026/a.md"


def load_one(text: str, tmp_path: Path, config_text: str | None = None) -> tuple[Entry | None, list[SourceError]]:
    config = default_config() if config_text is None else parse_config(config_text, "b.yaml")[0]
    assert config is not None
    return parse_entry(tmp_path, PATH, text, "digest", config, Converter(config.allow_html))


def assert_error(text: str, tmp_path: Path, expected: str, config_text: str | None = None) -> SourceError:
    entry, errors = load_one(text, tmp_path, config_text)
    assert entry is None
    matching = [e for e in errors if str(e).startswith(expected)]
    assert matching, f"no error starting {expected!r} in {[str(e) for e in errors]}"
    assert matching[0].hint, "every error says how to fix it"
    return matching[0]


GOOD = "---\ntitle: 关于做好冬季安全生产工作的通知\ndate: 2026-11-20\ntype: notice\n---\n\n正文。\n"


def test_a_valid_entry_loads_with_defaults(tmp_path: Path) -> None:
    entry, errors = load_one(GOOD, tmp_path)
    assert not errors and entry is not None
    assert entry.title == "关于做好冬季安全生产工作的通知"
    assert entry.date == dt.datetime(2026, 11, 20)
    assert entry.type == "notice" and entry.audience == "internal" and entry.slug == "a"
    assert entry.url == "notice/a/" and entry.body_line == 6


@pytest.mark.parametrize("value", ["2026-11-20", "'2026-11-20'", "2026-11-20 09:30", "'2026-11-20T09:30:00'"])
def test_dates_as_yaml_dates_datetimes_or_quoted_strings(tmp_path: Path, value: str) -> None:
    entry, errors = load_one(GOOD.replace("2026-11-20", value), tmp_path)
    assert not errors and entry is not None and entry.date.date() == dt.date(2026, 11, 20)


def test_type_may_come_from_the_folder(tmp_path: Path) -> None:
    entry, errors = load_one(GOOD.replace("type: notice\n", ""), tmp_path)
    assert not errors and entry is not None and entry.type == "info"


def test_missing_required_key(tmp_path: Path) -> None:
    assert_error("---\ndate: 2026-11-20\n---\n正文\n", tmp_path, f"{PATH}:2: missing required key 'title'")


def test_wrong_type_of_value(tmp_path: Path) -> None:
    assert_error(GOOD.replace("type: notice", "type: notice\ntags: {a: 1}"), tmp_path,
                 f"{PATH}:5: 'tags' must be a list of texts")
    assert_error(GOOD.replace("type: notice", "type: notice\ndraft: 是"), tmp_path,
                 f"{PATH}:5: 'draft' must be true or false")


def test_invalid_date(tmp_path: Path) -> None:
    assert_error(GOOD.replace("2026-11-20", '"2026-13-45"'), tmp_path,
                 f'{PATH}:3: date "2026-13-45" is not a valid date')


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    error = assert_error(GOOD.replace("type: notice", "type: notice\nsumary: 摘要"), tmp_path,
                         f"{PATH}:5: unknown key 'sumary'")
    assert "summary" in error.hint


def test_declared_extra_key_is_accepted(tmp_path: Path) -> None:
    entry, errors = load_one(GOOD.replace("type: notice", "type: notice\ndocno: 示办发〔2026〕12号"),
                             tmp_path, "extra_keys: [docno]\n")
    assert not errors and entry is not None and dict(entry.extra)["docno"] == "示办发〔2026〕12号"


@pytest.mark.parametrize(("line", "expected"), [
    ("type: bulletin", "unknown type 'bulletin'"),
    ("audience: secret", "unknown audience 'secret'"),
    ("urgency: 很急", "unknown urgency '很急'"),
])
def test_unknown_values_are_named(tmp_path: Path, line: str, expected: str) -> None:
    assert_error(GOOD.replace("type: notice", line), tmp_path, f"{PATH}:4: {expected}")


def test_unknown_publication(tmp_path: Path) -> None:
    assert_error(GOOD.replace("type: notice", "type: info\npublication: zhoubao\nissue: 3"), tmp_path,
                 f"{PATH}:5: unknown publication 'zhoubao'")


def test_source_unit_checked_only_against_a_closed_list(tmp_path: Path) -> None:
    text = GOOD.replace("type: notice", "type: notice\nsource: 丙局")
    entry, errors = load_one(text, tmp_path)
    assert not errors and entry is not None and entry.source == "丙局"
    assert_error(text, tmp_path, f"{PATH}:5: unknown source unit '丙局'", "sources: [甲局, 乙局]\n")


def test_issue_needs_a_publication_and_a_number(tmp_path: Path) -> None:
    assert_error(GOOD.replace("type: notice", "type: info\nissue: 3"), tmp_path,
                 f"{PATH}:5: 'issue' is given without 'publication'")
    assert_error(GOOD.replace("type: notice", "type: info\npublication: xinxi\nissue: 第三期"), tmp_path,
                 f"{PATH}:6: issue '第三期' is not an issue number")


def test_issue_place_is_read(tmp_path: Path) -> None:
    entry, errors = load_one(GOOD.replace("type: notice", "type: info\npublication: xinxi\n"
                                          "issue: {number: 12, item: 2}"), tmp_path)
    assert not errors and entry is not None and entry.issue is not None
    assert (entry.issue.number, entry.issue.year, entry.issue.item) == (12, 2026, 2)


def test_slug_that_leaves_the_site_is_refused(tmp_path: Path) -> None:
    assert_error(GOOD.replace("type: notice", "type: notice\nslug: ../../x"), tmp_path,
                 f"{PATH}:5: slug '../../x' is not a plain URL name")


def test_chinese_file_name_gives_a_pinyin_slug(tmp_path: Path) -> None:
    config = default_config()
    entry, errors = parse_entry(tmp_path, "content/info/冬季安全.md", GOOD, "d", config, Converter(False))
    assert not errors and entry is not None and entry.slug == "dong-ji-an-quan"


def test_attachment_outside_content_is_refused(tmp_path: Path) -> None:
    assert_error(GOOD.replace("type: notice", "type: notice\nattachments: [../../../etc/passwd]"), tmp_path,
                 f"{PATH}:5: attachment '../../../etc/passwd' points outside content/")


def test_missing_attachment(tmp_path: Path) -> None:
    assert_error(GOOD.replace("type: notice", "type: notice\nattachments: [附件1.docx]"), tmp_path,
                 f"{PATH}:5: attachment '附件1.docx' does not exist")


def test_attachment_is_found_with_its_size(tmp_path: Path) -> None:
    folder = tmp_path / "content/info/2026"
    folder.mkdir(parents=True)
    (folder / "附件1.xlsx").write_bytes(b"x" * 2048)
    entry, errors = load_one(GOOD.replace("type: notice", "type: notice\nattachments:\n"
                                          "  - {path: 附件1.xlsx, title: 名单}"), tmp_path)
    assert not errors and entry is not None
    assert [(a.name, a.title, a.size) for a in entry.attachments] == [("附件1.xlsx", "名单", 2048)]


def test_all_errors_of_a_file_are_reported_together(tmp_path: Path) -> None:
    _, errors = load_one("---\ndate: 2026-02-30\ntype: memo\ncolour: red\n---\n", tmp_path)
    messages = [str(e) for e in errors]
    assert len(errors) == 4, messages
    assert {e.line for e in errors} == {2, 3, 4}  # title missing (block start), date, type, colour


def test_a_stored_body_once_read_is_still_stored_and_pickles_as_its_place(tmp_path: Path) -> None:
    store = tmp_path / "bodies.bin"
    data = b"".join(Body("<p>正文</p>", "正文").stored())
    store.write_bytes(b"xx" + data)
    body = Body(None, None, (str(store), 2, len(data)), 2)
    assert (body.html, body.text) == ("<p>正文</p>", "正文")
    assert body.location == (str(store), 2, len(data))
    again = pickle.loads(pickle.dumps(body))
    assert "正文" not in pickle.dumps(body).decode("utf-8", "replace"), "the text went into the pickle"
    assert (again.text, again.location) == ("正文", body.location)
    fresh = pickle.loads(pickle.dumps(Body("<p>新</p>", "新")))
    assert (fresh.html, fresh.text, fresh.location) == ("<p>新</p>", "新", None)


def test_a_body_comes_back_from_its_stored_bytes_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "bodies.bin"
    bodies = [Body("", ""), Body("<p>𠮷野家 &amp; 乙</p>", "𠮷野家 & 乙"), Body("<p>a</p>\n<p>b</p>", "a\nb")]
    places, at = [], 0
    with open(store, "wb") as out:
        for body in bodies:
            data = b"".join(body.stored())
            out.write(data)
            places.append((str(store), at, len(data)))
            at += len(data)
    for body, place in zip(bodies, places, strict=True):
        read = Body(None, None, place, body.chars)
        assert (read.html, read.text) == (body.html, body.text)


def test_a_damaged_stored_body_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    store = tmp_path / "bodies.bin"
    data = b"".join(Body("<p>正文</p>", "正文").stored())
    store.write_bytes(data[:-3])  # cut short, as a file system might leave it
    with pytest.raises(OSError, match="--clean"):
        _ = Body(None, None, (str(store), 0, len(data)), 2).html
