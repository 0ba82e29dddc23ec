from generator.frontmatter import read_yaml, split


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
