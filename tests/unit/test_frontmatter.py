import datetime as dt

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import frontmatter
from generator.frontmatter import _INVISIBLE_BREAKS, _Loader, read_yaml, split


def test_split_finds_body_and_its_first_line() -> None:
    parts, errors = split("---\ntitle: 标题\n---\n\n正文\n", "a.md")
    assert not errors and parts is not None
    assert parts.yaml_text == "title: 标题"
    assert parts.body == "\n正文\n"
    assert parts.body_line == 4


def test_bom_and_crlf_are_accepted() -> None:
    parts, errors = split("\ufeff---\r\ntitle: 标题\r\n---\r\n正文\r\n", "a.md")
    assert not errors and parts is not None
    assert parts.yaml_text == "title: 标题" and parts.body == "正文\n"


def test_missing_opening_fence_names_line_one() -> None:
    _, errors = split("title: 标题\n", "a.md")
    assert str(errors[0]).startswith("a.md:1: the file does not start with a front-matter fence")


def test_unclosed_fence_is_an_error() -> None:
    _, errors = split("---\ntitle: 标题\n正文\n", "a.md")
    assert "never closed" in errors[0].message


def test_empty_file_is_an_error() -> None:
    _, errors = split("  \n", "a.md")
    assert errors[0].message == "the file is empty"


def test_yaml_lines_are_file_lines() -> None:
    doc, errors = read_yaml("title: 标题\ndate: 2026-11-27\ntags:\n  - 甲\n", "a.md", first_line=2)
    assert not errors and doc is not None
    assert doc.line("title") == 2 and doc.line("date") == 3 and doc.line("tags", "0") == 5


def test_yaml_syntax_error_points_at_the_file_line() -> None:
    _, errors = read_yaml("title: 标题\ndate: [2026\n", "a.md", first_line=2)
    assert errors and errors[0].line >= 3
    assert "YAML syntax error" in errors[0].message


def test_duplicate_keys_are_rejected_not_silently_dropped() -> None:
    _, errors = read_yaml("title: 一\ntitle: 二\n", "a.md", first_line=2)
    assert str(errors[0]).startswith("a.md:3: the key 'title' appears twice")


def loaded_alike(text: str) -> bool:
    """read_yaml's value is what PyYAML's constructor makes (NaN compared as NaN), or both fail
    (these texts have no key twice, which read_yaml alone refuses)."""
    doc, errors = read_yaml(text, "a.md")
    try:
        expected = yaml.load(text.translate(_INVISIBLE_BREAKS), Loader=_Loader)  # read_yaml reads them as spaces
    except (yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError):
        return doc is None and bool(errors)
    return doc is not None and repr(doc.data) == repr(expected) and type(doc.data) is type(expected)


FRONT_MATTERS = (
    "title: 标题\ndate: 2026-11-27\ntags: [甲, 乙]\nissue: 16\ndraft: no\nsummary: ~\n",
    "date: 2026-11-27 08:30:00+08:00\nweight: 1.5e3\nodd: .nan\nbig: 0x1F\nclock: 1:30\nbad: 2026-02-30\n",
    "attachments:\n  - 附件1.docx\n  - {path: 附件2.pdf, title: 名单}\n",
    "base: &b {type: info}\nother: *b\n",  # an alias: the same node twice
    "a: &x 1\nb: *x\n",
    "<<: {type: info}\ntitle: 标题\n",  # a merge key
    "tags: !!set {甲, 乙}\n", "list: !!omap [a: 1]\n", "title: !!binary aGk=\n", "title: !custom 1\n",
    "? [a, b]\n: 1\n", "1: 一\n2.5: 二\ntrue: 三\nnull: 四\n2026-11-27: 五\n", "标题\n", "- a\n- b\n",
)


def test_front_matters_read_as_pyyaml_constructs_them() -> None:
    for text in FRONT_MATTERS:
        assert loaded_alike(text), text
    deep = "a: " + "[" * 600 + "1" + "]" * 600  # deeper than recursion would go
    assert loaded_alike(deep)
    doc, _ = read_yaml("base: &b {type: info}\nother: *b\n", "a.md")
    assert doc is not None and doc.data["base"] is doc.data["other"], "an alias is the same object, as in PyYAML"


def test_a_value_not_of_its_tag_s_type_is_an_error_with_its_line() -> None:
    for value in ("!!bool maybe", "!!timestamp soon", "!!int x"):
        doc, errors = read_yaml(f"title: 标题\nweight: {value}\n", "a.md", first_line=2)
        assert doc is None and errors and errors[0].line == 2 and errors[0].message.startswith("YAML error"), value


SCALARS = st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                    st.dates(min_value=dt.date(1900, 1, 1)))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                      max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), VALUES, max_size=5), st.booleans())
def test_any_front_matter_reads_as_pyyaml_constructs_it(data: dict[str, object], flow: bool) -> None:
    assert loaded_alike(yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow))


def read_by_pyyaml(text: str, first_line: int) -> tuple[object, object]:
    """read_yaml without its shortcut for simple front matters (frontmatter._simple)."""
    original = frontmatter._simple
    frontmatter._simple = lambda text, first_line: None
    try:
        doc, errors = read_yaml(text, "a.md", first_line)
    finally:
        frontmatter._simple = original
    return (None if doc is None else (repr(doc.data), doc.lines)), [str(e) for e in errors]


def read_as_editor_sees(text: str, first_line: int) -> tuple[object, object]:
    doc, errors = read_yaml(text, "a.md", first_line)
    return (None if doc is None else (repr(doc.data), doc.lines)), [str(e) for e in errors]


def test_usual_front_matters_take_the_shortcut_and_read_as_pyyaml_reads_them() -> None:
    usual = ('title: "关于做好2026年度工作的通知"\ndate: 2026-11-27\ntype: notice\nsource: 市发展改革委\n'
             "tags: [安全, 改革]\n# 下期续登\nissue: 16\ndraft: no\nsummary:\nauthors:\n  - 张三\n  - '李四'\n"
             "weight: 1.5\nclock: 1:30\nwhen: 2026-11-27 08:30:00+08:00\nbad: 2026-02-30\nempty: []\n")
    assert frontmatter._simple(usual, 2) is not None
    assert read_as_editor_sees(usual, 2) == read_by_pyyaml(usual, 2)
    doc, _ = read_yaml(usual, "a.md", 2)
    assert doc is not None and doc.data["draft"] is False and doc.data["date"] == dt.date(2026, 11, 27)
    assert doc.data["authors"] == ["张三", "李四"] and doc.line("authors", "1") == 13 and doc.data["clock"] == 90
    awkward = ("tags:\n  - 甲\n - 乙", "tags:\n  - 甲\n    - 乙", "tags: [甲{乙]", "tags: [甲, 乙]]", "title: 标\x07题",
               "title: '标\ufeff题'", "title: <<", "title: =", "title: 甲: 乙", "title: 甲 # 注", "title: 甲:",
               "title: \"甲\" # 注", "tags:\n- 甲\ntitle: 乙\n- 丙", "title: 甲\n  乙", "Yes: 甲", "null: 甲",
               "issue: 0x_", "tags: [x, +0b__]", "tags:\n  - 0x_", "tags: [a:?]", "tags: [b:?c, d]", "tags: [1:30]",
               "k" * 1025 + ": 甲", "k" * 1024 + ": 甲", "title: 'it''s'", 'title: "a\\"b"', "title: '甲'  ")
    for text in awkward:
        assert read_as_editor_sees(text, 2) == read_by_pyyaml(text, 2), text


# Mostly what editors write, each line at times made awkward by one piece that YAML reads otherwise.
USUAL = ("标题", "关于 通知", "a", "1", "2026-11-27", "yes", "C#")
# Characters that send a whole front matter to PyYAML (a tab, a control) are left to the list above: here
# they would make most examples compare PyYAML with itself.
AWKWARD = (":", ": ", ":?", "#", " #", "-", "- ", "[", "]", ",", "{", "}", '"', "'", "\\", "!", "&", "*", "|", ">",
           "%", "@", "`", "?", "No", "~", "null", "-2", "0x1F", "0x_", "_", "1_000", "1:30", ".inf", "<<", "=",
           "2026-02-30", "2026-11-27 08:30:00", "\x85", "\u2028", "...", " ")
SCALAR_TEXT = st.lists(st.sampled_from(USUAL * 12 + AWKWARD), min_size=1, max_size=3).map("".join)
VALUE = st.one_of(SCALAR_TEXT, st.lists(SCALAR_TEXT, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
                  SCALAR_TEXT.map(lambda s: f'"{s}"'), SCALAR_TEXT.map(lambda s: f"'{s}'"), st.just(""))
KEYS = st.sampled_from(("title", "tags", "date", "x_1", "_", "source", "issue") * 8
                       + ("yes", "On", "a-b", "标题", "title "))
ITEM = st.tuples(st.sampled_from(("  - ",) * 4 + ("- ", "   - ", "-", "  -  ")), SCALAR_TEXT).map("".join)
BETWEEN = st.sampled_from(("",) * 36 + ("  ", "# 注释", "  # 注释", "  接续", "...", "%YAML 1.1"))
KEY_LINES = st.tuples(KEYS, st.sampled_from((": ",) * 12 + (":", ":  ", ":\t")), VALUE,
                      st.lists(ITEM, max_size=3), BETWEEN).map(
    lambda t: [t[0] + t[1] + t[2], *(t[3] if not t[2] or len(t[3]) == 1 else ()), *([t[4]] if t[4] else ())])


@settings(max_examples=800, deadline=None)
@given(st.lists(KEY_LINES, max_size=4, unique_by=lambda lines: lines[0].split(":")[0]),
       st.integers(min_value=1, max_value=3))
def test_any_line_by_line_front_matter_reads_as_pyyaml_reads_it(keys: list[list[str]], first_line: int) -> None:
    """Values, their types, the key lines, and the errors, with or without the shortcut."""
    text = "\n".join(line for lines in keys for line in lines)
    assert read_as_editor_sees(text, first_line) == read_by_pyyaml(text, first_line)
