"""Bad input gets `path:line: message — hint`, exit 1, and loses nothing.

A good site is built once. Each case copies it (output included), introduces one
problem, and runs `bulletin build` and `bulletin check`: both must name the file and the
line of the problem with a hint, exit 1, and leave the output byte for byte as it was.
BOM/CRLF files are accepted, and a gap in an issue's numbering is only a warning.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import entry, run_bulletin, tree_bytes, write_files

NOW = "2026-11-27T12:00"
CONFIG = "sources: [东湖区委办公室, 西湖区委办公室]\n"
GOOD: dict[str, str | bytes] = {
    "content/info/a.md": entry(title="甲信息", source="东湖区委办公室", publication="xinxi",
                               issue="{number: 214, item: 1}", body="正文甲。"),
    "content/info/b.md": entry(title="乙信息", source="西湖区委办公室", publication="xinxi",
                               issue="{number: 214, item: 2}", body="见[甲信息](a.md)。"),
    "content/notice/n.md": entry(title="关于报送材料的通知", attachments="[附件1.txt]"),
    "content/notice/附件1.txt": "附件内容\n",
}
NEW = "content/info/new.md"


def front(*lines: str, body: str = "正文。") -> str:
    """An entry whose front matter is exactly these lines (file line = index + 2); the body
    starts on line len(lines) + 4."""
    return "\n".join(["---", *lines, "---", "", body, ""])


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes]
    path: str  # as the message names it
    line: int
    message: str  # a part of the message (regular expression)
    prepare: Callable[[Path], None] | None = None


def outside_symlink(site: Path) -> None:
    (site / "secret.md").write_text(entry(title="机密文件"), encoding="utf-8")
    os.symlink("../../secret.md", site / "content/info/linked.md")


OK = ("title: 新信息", "date: 2026-11-21")
CASES = [
    Case("malformed YAML", {NEW: front(*OK, "summary: 甲: 乙")}, NEW, 4, "YAML syntax error"),
    Case("malformed YAML flow", {NEW: front(*OK, "tags: [甲, 乙", "source: 东湖区委办公室")}, NEW, 5,
         "YAML syntax error"),
    Case("missing opening fence", {NEW: "title: 新信息\ndate: 2026-11-21\n---\n\n正文\n"}, NEW, 1,
         "does not start with a front-matter fence"),
    Case("unclosed fence", {NEW: "---\ntitle: 新信息\ndate: 2026-11-21\n\n正文\n"}, NEW, 1, "never closed"),
    Case("missing required key", {NEW: front("title: 新信息", "source: 东湖区委办公室")}, NEW, 2,
         "missing required key 'date'"),
    Case("wrong type", {NEW: front(*OK, "tags: {甲: 1}")}, NEW, 4, "'tags' must be a list of texts"),
    Case("wrong type flag", {NEW: front(*OK, "draft: 也许")}, NEW, 4, "'draft' must be true or false"),
    Case("invalid date", {NEW: front("title: 新信息", "date: 2026-02-30")}, NEW, 3, "is not a valid date"),
    Case("unknown key", {NEW: front(*OK, "colour: red")}, NEW, 4, "unknown key 'colour'"),
    Case("unknown type", {NEW: front(*OK, "type: memo")}, NEW, 4, "unknown type 'memo'"),
    Case("unknown publication", {NEW: front(*OK, "publication: zhoubao", "issue: 3")}, NEW, 4,
         "unknown publication 'zhoubao'"),
    Case("unknown audience", {NEW: front(*OK, "audience: secret")}, NEW, 4, "unknown audience 'secret'"),
    Case("unknown source unit", {NEW: front(*OK, "source: 北湖区委办公室")}, NEW, 4,
         "unknown source unit '北湖区委办公室'"),
    Case("duplicate slug", {"content/info/z.md": front(*OK, "slug: a")}, "content/info/z.md", 4,
         "slug 'a' is already used by content/info/a.md"),
    Case("same place in an issue", {NEW: front(*OK, "publication: xinxi", "issue: {number: 214, item: 1}")},
         NEW, 5, "item 1 of this issue is already taken by content/info/a.md"),
    Case("non-UTF-8 (GBK)", {NEW: front(*OK, "summary: 国标编码").encode("gbk")}, NEW, 2, "not UTF-8"),
    Case("empty file", {NEW: b""}, NEW, 1, "the file is empty"),
    Case("10 MB file", {NEW: front(*OK, body="大" * (10 * 1024 * 1024 // 3 + 1))}, NEW, 1, "at most 2 MB"),
    Case("binary file with .md suffix", {NEW: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01"}, NEW, 3,
         "binary file"),
    Case("slug outside the site", {NEW: front(*OK, "slug: ../../x")}, NEW, 4, "slug '../../x' is not a plain URL name"),
    Case("attachment outside", {NEW: front(*OK, "attachments: [../../etc/passwd]")}, NEW, 4,
         "attachment '../../etc/passwd' points outside content/"),
    Case("attachment absolute", {NEW: front(*OK, "attachments: [/etc/passwd]")}, NEW, 4,
         "attachment '/etc/passwd' points outside content/"),
    Case("symlink outside content", {}, "content/info/linked.md", 1, "symbolic link to .*, outside content/",
         prepare=outside_symlink),
    Case("missing attachment", {NEW: front(*OK, "attachments: [附件9.docx]")}, NEW, 4,
         "attachment '附件9.docx' does not exist"),
    Case("broken link between entries", {NEW: front(*OK, body="第一段。\n\n见[另一篇](nothere.md)。")}, NEW, 8,
         "the link points to a missing entry 'content/info/nothere.md'"),
    Case("body link outside", {NEW: front(*OK, body="见[密码](../../../etc/passwd)。")}, NEW, 6,
         "points outside content/"),
    Case("duplicate key", {NEW: front(*OK, "title: 又一个")}, NEW, 4, "the key 'title' appears twice"),
    Case("Jinja syntax error", {"templates/entry.html": '{% extends "theme/entry.html" %}\n\n{% block summary %}'
                                "{% if %}{% endblock %}\n"}, "templates/entry.html", 3, "template error"),
]


@pytest.fixture(scope="module")
def good_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("good") / "site"
    write_files(site, {"bulletin.yaml": CONFIG, **GOOD})
    result = run_bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert run_bulletin("check", "--source", site).returncode == 0
    return site


@pytest.fixture
def site(good_site: Path, tmp_path: Path) -> Path:
    """A copy of the good site, with its built output."""
    copy = tmp_path / "site"
    shutil.copytree(good_site, copy, symlinks=True)
    assert os.path.islink(copy / "output")
    return copy


def problem_line(case: Case) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(case.path)}:{case.line}: (?:.*?){case.message}.* — \S", re.M)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_reported_at_its_line_and_the_output_is_untouched(case: Case, site: Path) -> None:
    before, link = tree_bytes(site / "output"), os.readlink(site / "output")
    write_files(site, case.files)
    if case.prepare:
        case.prepare(site)
    result = run_bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert problem_line(case).search(result.stderr), result.stderr
    assert "output was not changed" in result.stderr
    assert os.readlink(site / "output") == link
    assert tree_bytes(site / "output") == before
    checked = run_bulletin("check", "--source", site)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert problem_line(case).search(checked.stdout), checked.stdout
    assert re.search(r"^checked \d+ entries: [1-9]\d* errors?, ", checked.stdout, re.M), checked.stdout
    assert tree_bytes(site / "output") == before


def test_a_bom_and_crlf_line_ends_are_accepted(site: Path) -> None:
    text = "\ufeff" + front(*OK, "summary: 带BOM和CRLF", body="第一行。\n\n第二行。").replace("\n", "\r\n")
    write_files(site, {NEW: text.encode("utf-8")})
    checked = run_bulletin("check", "--source", site)
    assert checked.returncode == 0, checked.stdout
    result = run_bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 0, result.stderr
    page = (site / "output/info/new/index.html").read_text(encoding="utf-8")
    assert "<h1>新信息</h1>" in page and "带BOM和CRLF" in page and "第二行。" in page
    assert "\r" not in page and "\ufeff" not in page


def test_a_gap_in_issue_numbers_is_a_warning_from_check(site: Path) -> None:
    write_files(site, {NEW: front(*OK, "publication: xinxi", "issue: 216")})
    checked = run_bulletin("check", "--source", site)
    assert checked.returncode == 0, checked.stdout
    assert re.search(rf"^{NEW}:1: warning: 信息 2026年第214期 is followed by 第216期: 第215期 missing — ",
                     checked.stdout, re.M), checked.stdout
    assert checked.stdout.splitlines()[-1] == "checked 4 entries: 0 errors, 1 warning"
    result = run_bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert (site / "output/xinxi/2026/216/index.html").exists()


def test_many_errors_are_all_reported_in_one_run(site: Path) -> None:
    cases = [c for c in CASES if c.name in ("malformed YAML", "unknown key", "invalid date", "non-UTF-8 (GBK)",
                                            "duplicate slug", "missing attachment", "broken link between entries",
                                            "empty file", "Jinja syntax error", "unknown source unit")]
    before = tree_bytes(site / "output")
    for number, case in enumerate(cases):
        for path, content in case.files.items():
            renamed = path.replace("new.md", f"new{number}.md")
            write_files(site, {renamed: content})
    result = run_bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 1
    checked = run_bulletin("check", "--source", site)
    assert checked.returncode == 1
    for case in cases:
        number = cases.index(case)
        renamed = Case(case.name, {}, case.path.replace("new.md", f"new{number}.md"), case.line, case.message)
        assert problem_line(renamed).search(checked.stdout), (case.name, checked.stdout)
        assert problem_line(renamed).search(result.stderr), (case.name, result.stderr)
    assert re.search(rf"build failed: {len(cases)} errors", result.stderr), result.stderr
    assert tree_bytes(site / "output") == before
