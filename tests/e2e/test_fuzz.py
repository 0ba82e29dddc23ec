"""Property: whatever an editor writes, the outcome is a site or clean errors, never a traceback.

Hypothesis writes entry files: front matter that is valid YAML with random keys (known and
unknown) and values of random types, YAML-ish text that often is not YAML at all, missing
fences, BOMs and CR line ends, random bytes; bodies of random Markdown with links to existing,
missing and outside files, raw HTML, very long lines and any Unicode (CJK, controls,
surrogates excluded by UTF-8 itself). The generator runs in-process on a small site holding
that file: `check_sources` for many examples, the whole `build` for fewer. Every problem must
be a SourceError with a path, a line within the file and a message.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator.build import BuildOptions, build
from generator.config import load_config
from generator.entry import KEYS
from generator.errors import BuildFailed, SourceError
from generator.load import Loaded, load
from generator.model import check
from generator.strings import load_strings
from tests.conftest import entry, write_files

FUZZED = "content/info/fuzz.md"
UNKNOWN_KEYS = ["colour", "Title", "tag", "标题", "", "123", "draft ", "issue.number", "<script>", "a" * 300]
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
CONTROL = st.sampled_from(["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\u2029",
                           "\ufeff", "\u200b", "\r", "\t"])
TEXT = st.text(st.one_of(CJK, ANY_CHAR, CONTROL, st.sampled_from(list(":-[]{}#&*!|>'\"%@`,?"))), max_size=40)
SHORT = st.text(st.one_of(CJK, st.characters(min_codepoint=32, max_codepoint=126)), max_size=20)

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True), TEXT, SHORT,
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)), st.datetimes(),
    st.sampled_from(["info", "report", "notice", "xinxi", "meiri", "public", "internal", "restricted",
                     "特急", "2026-11-20", "2026-02-30", "2026-13-01", "../../x", "/etc/passwd", "other.md",
                     "附件.txt", "missing.docx", "yes", "no", "~", "null", "0x1F", "1e400"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(SHORT, st.sampled_from(["number", "year", "item",
                                                                                  "path", "title"])),
                                                 inner, max_size=4)), max_leaves=8)
FRONT_KEYS = st.one_of(st.sampled_from(KEYS), st.sampled_from(UNKNOWN_KEYS), SHORT)


VALID = {  # keys with values the schema accepts: these examples reach the Markdown body
    "tags": st.lists(SHORT.filter(str.strip), max_size=3), "source": SHORT.filter(str.strip),
    "summary": SHORT, "authors": st.lists(SHORT.filter(str.strip), max_size=2),
    "audience": st.sampled_from(["public", "internal", "restricted"]), "draft": st.booleans(),
    "urgency": st.sampled_from(["特急", "加急"]), "publish_at": st.datetimes(dt.datetime(2000, 1, 1)),
    "expire_at": st.dates(dt.date(2000, 1, 1)), "slug": st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True),
    "issue": st.integers(1, 500), "attachments": st.lists(st.sampled_from(["附件.txt", "missing.docx"]), max_size=2),
}


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["valid", "valid", "valid", "dump", "dump", "lines", "raw"]))
    if kind in ("valid", "dump"):  # YAML as a library writes it
        data = {"title": draw(SHORT.filter(str.strip)), "date": "2026-11-20"}
        if kind == "valid":
            for key in draw(st.lists(st.sampled_from(sorted(VALID)), max_size=4, unique=True)):
                data[key] = draw(VALID[key])
            if "issue" in data:
                data["publication"] = draw(st.sampled_from(["xinxi", "meiri"]))
        else:  # random keys, known and unknown, with values of any type
            if draw(st.booleans()):
                data = {}
            data |= draw(st.dictionaries(FRONT_KEYS, VALUES, max_size=6))
        try:
            return yaml.safe_dump(data, allow_unicode=draw(st.booleans()), default_flow_style=draw(st.booleans()))
        except (yaml.YAMLError, ValueError):  # some values have no YAML form
            return "title: 测试\n"
    if kind == "lines":  # key: value lines written by hand, unquoted: often not YAML
        lines = [f"{draw(FRONT_KEYS)}:{draw(st.sampled_from([' ', '', '  ']))}{draw(TEXT)}"
                 for _ in range(draw(st.integers(0, 6)))]
        return "\n".join(["title: 测试", "date: 2026-11-20", *lines] if draw(st.booleans()) else lines)
    return draw(TEXT)


LINKS = st.sampled_from(["other.md", "missing.md", "../notice/n.md", "../../x.md", "../../../etc/passwd",
                         "other.md#part", "附件.txt", "missing.png", "/absolute.md", "http://example.org/a.md",
                         "javascript:alert(1)", "%2e%2e/%2e%2e/x.md", "sub/../other.md", "", "#frag", "mailto:a@b"])
HTML = st.sampled_from(["<script>alert(1)</script>", "<div onclick='x()'>块</div>", "<b>粗</b>", "<!-- 注释 -->",
                        "<img src=x onerror=alert(1)>", "</p></div>", "<table><tr><td>格</td></tr></table>",
                        "<a href='javascript:alert(1)'>链</a>", "&amp; &lt; &#0; &#x110000;"])


@st.composite
def markdown(draw: st.DrawFn) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 8))):
        piece = draw(st.sampled_from(["text", "link", "image", "html", "heading", "list", "table", "footnote",
                                      "code", "long", "fence"]))
        text = draw(TEXT)
        pieces.append({
            "text": text,
            "link": f"[{text}]({draw(LINKS)})",
            "image": f"![{text}]({draw(LINKS)})",
            "html": draw(HTML),
            "heading": f"{'#' * draw(st.integers(1, 7))} {text}",
            "list": f"- {text}\n  1. {draw(TEXT)}",
            "table": f"| 甲 | {text} |\n|---|---|\n| 1 | {draw(TEXT)} |",
            "footnote": f"脚注[^{draw(SHORT) or 'n'}]\n\n[^{draw(SHORT) or 'n'}]: {text}",
            "code": f"```{draw(SHORT)}\n{text}\n```",
            "long": draw(st.sampled_from(["字", "a", "<", "["])) * draw(st.integers(1000, 20000)),
            "fence": "---",
        }[piece])
    return "\n\n".join(pieces)


@st.composite
def entry_file(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=200))
    head = draw(front_matter())
    fences = draw(st.sampled_from([("---\n", "\n---\n"), ("---\n", "\n---\n"), ("---\n", "\n---\n"), ("", "\n---\n"),
                                   ("---\n", "\n"), ("--- \n", "\n---  \n"), ("---\n", "\n...\n")]))
    text = fences[0] + head + fences[1] + draw(markdown())
    if draw(st.booleans()):
        text = text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\n"])))
    if draw(st.integers(0, 4)) == 0:
        text = "\ufeff" + text
    return text.encode("utf-8", errors="surrogatepass")


SITE: dict[str, str | bytes] = {
    "content/info/other.md": entry(title="另一篇", tags="[甲]", publication="xinxi", issue="{number: 3, item: 1}"),
    "content/notice/n.md": entry(title="通知", attachments="[附件.txt]"),
    "content/notice/附件.txt": "附件\n",
    "content/info/附件.txt": "附件\n",
}


def assert_clean(problems: list[SourceError], data: bytes) -> None:
    lines = max(1, data.count(b"\n") + data.count(b"\r") + 1)
    for problem in problems:
        assert isinstance(problem, SourceError), problem
        assert isinstance(problem.path, str) and problem.path, problem
        assert isinstance(problem.line, int) and problem.line >= 1, problem
        assert isinstance(problem.message, str) and problem.message.strip(), problem
        assert str(problem).startswith(f"{problem.path}:{problem.line}: "), problem
        if problem.path == FUZZED:
            assert problem.line <= lines, f"line {problem.line} of a file of {lines} lines: {problem}"


def check_content(site: Path) -> tuple[Loaded, list[SourceError]]:
    """What `bulletin check` does with content (load, then the checks between files); the
    templates, which no example changes, are left out for speed."""
    config, problems = load_config(site)
    assert config is not None, problems
    strings, problems = load_strings(site, config)
    loaded = load(site, config, strings.get("footnote_back", "{}"))
    return loaded, [*problems, *loaded.errors, *check(loaded, config)]


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("fuzz")
    write_files(site, SITE)
    return site


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=entry_file())
def test_check_reports_clean_errors_or_nothing(fuzz_site: Path, data: bytes) -> None:
    (fuzz_site / FUZZED).write_bytes(data)
    loaded, problems = check_content(fuzz_site)
    assert_clean(problems, data)
    errors_here = [p for p in problems if p.path == FUZZED and not p.warning]
    loaded_here = [e for e in loaded.entries if e.path == FUZZED]
    # a file either becomes an entry or is reported: nothing is silently dropped
    assert loaded_here or errors_here, "the file was neither loaded nor reported"
    if loaded_here:
        assert loaded_here[0].title.strip() and loaded_here[0].date is not None
    event("loaded" if loaded_here else f"error: {errors_here[0].message[:24]}")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=entry_file())
def test_build_makes_a_site_or_fails_cleanly(fuzz_site: Path, data: bytes) -> None:
    (fuzz_site / FUZZED).write_bytes(data)
    output = fuzz_site / "output"
    before = os.readlink(output) if output.is_symlink() else None
    try:
        result = build(BuildOptions(source=fuzz_site, output=output, now=dt.datetime(2026, 11, 27, 12)))
    except BuildFailed as failed:
        assert failed.errors, "a failed build names its errors"
        assert_clean(list(failed.errors), data)
        assert (os.readlink(output) if output.is_symlink() else None) == before
        return
    assert result.entries >= 2
    assert (output / "index.html").is_file()


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_unicode_line_separator_does_not_shift_line_numbers(fuzz_site: Path, separator: str) -> None:
    """Found by the property above. Text pasted from Word or a web page carries U+2028/U+2029/U+0085;
    an editor does not show them as line breaks and the front-matter split does not count them,
    so an error after one must still name the line the editor shows (and not one past the end)."""
    text = f"---\ntitle: '甲{separator * 4}乙'\ndate: 2026-11-20\ncolour: red: x\n---\n"
    (fuzz_site / FUZZED).write_bytes(text.encode())
    _, problems = check_content(fuzz_site)
    assert_clean(problems, text.encode())
    assert [p.line for p in problems if p.path == FUZZED] == [4], [str(p) for p in problems]
