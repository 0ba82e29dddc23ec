"""One document, many bodies: each item's ids get a prefix, its headings move below the item's title."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from generator import printing
from generator.markdown import Converter
from generator.printing import isolate


def body(source: str) -> str:
    return Converter(allow_html=False).convert(source, "content/info/2026/a.md", body_line=5).html


def test_footnotes_and_their_links_get_the_items_prefix() -> None:
    html = isolate(body("正文[^1]。\n\n[^1]: 注释。\n"), "print-2-")
    assert 'id="print-2-fnref:1"' in html and 'href="#print-2-fn:1"' in html
    assert 'id="print-2-fn:1"' in html and 'href="#print-2-fnref:1"' in html
    assert 'id="fn:1"' not in html and 'href="#fn:1"' not in html


def test_headings_move_one_level_down_and_keep_their_prefixed_anchor() -> None:
    html = isolate(body("## 一、总体情况\n\n### （一）进展\n\n#### 1.做法\n\n见[上文](#一总体情况)。\n"), "p1-")
    assert '<h3 id="p1-一总体情况">一、总体情况</h3>' in html
    assert '<h4 id="p1-一进展">（一）进展</h4>' in html and '<h5 id="p1-1做法">1.做法</h5>' in html
    assert 'href="#p1-一总体情况"' in html


def test_other_links_and_text_that_looks_like_markup_are_left_alone() -> None:
    source = '正文写着 id="x" 和 href="#y"，链接[外部](http://intranet.example/a#b)。\n'
    html = isolate(body(source), "p1-")
    assert 'id="x" 和 href="#y"' in html and 'href="http://intranet.example/a#b"' in html


def test_the_deepest_heading_stays_a_heading() -> None:
    assert isolate("<h6>末级</h6>", "p-") == "<h6>末级</h6>"


_PIECES = ['<p>', '</p>', '<h2 id="一、">', '</h2>', '<hr>', '<a href="#fn:1">', '<a href="http://x/#y">', '</a>',
           '<sup id="fnref:1">', '<div\nid="raw">', 'id="text"', 'href="#text"', "<h", "正文", " ", ">", '"']


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), st.integers(0, 3))
def test_a_body_comes_out_as_if_every_tag_and_heading_were_looked_at(html: str, shift: int) -> None:
    """isolate skips the patterns when a body has no id, in-page link or heading: the same result."""

    def tag(match: re.Match[str]) -> str:
        text = printing._ID.sub(lambda m: m.group(1) + "p-" + m.group(2), match.group(0))
        return printing._FRAGMENT.sub(lambda m: m.group(1) + "p-" + m.group(2), text)

    def heading(match: re.Match[str]) -> str:
        return f"<{match.group(1)}h{min(6, int(match.group(2)) + shift)}"

    assert isolate(html, "p-", shift) == printing._HEADING.sub(heading, printing._TAG.sub(tag, html))
