from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.extensions.toc import TocExtension, TocTreeprocessor
from markdown.treeprocessors import InlineProcessor

from generator.markdown import LINK_SCHEME, Converter, paragraphs_only, plain_text

PATH = "content/info/2026/a.md"


def convert(source: str, allow_html: bool = False):  # type: ignore[no-untyped-def]
    return Converter(allow_html).convert(source, PATH, body_line=5)


def test_tables_footnotes_and_definition_lists() -> None:
    body = convert("| 县 | 亩 |\n|---|---|\n| 甲 | 1 |\n\n注[^1]\n\n[^1]: 统计局\n\n术语\n:   解释\n")
    assert "<table>" in body.html and "<td>甲</td>" in body.html
    assert 'class="footnote"' in body.html and "统计局" in body.html
    assert "<dl>" in body.html and "<dd>解释</dd>" in body.html


def test_chinese_headings_get_working_anchors() -> None:
    body = convert("## 一、总体情况\n\n## 二、存在问题\n")
    assert 'id="一总体情况"' in body.html and 'id="二存在问题"' in body.html


def test_links_to_entries_become_placeholders_with_their_line() -> None:
    body = convert("第一段\n\n详见[通知](../../notice/2026/b.md#附件)。\n")
    assert f'href="{LINK_SCHEME}content/notice/2026/b.md#附件"' in body.html
    assert body.links == (("content/notice/2026/b.md", 7),)


def test_a_converter_tells_each_body_only_its_own_links() -> None:
    """One converter reads a reader's every file: what one body links to is not another's."""
    converter = Converter(False)
    linking = converter.convert("详见[通知](../../notice/2026/b.md)与![图](图1.png)。\n", PATH, body_line=5)
    plain = converter.convert("第一段。\n\n第二段。\n", PATH, body_line=5)
    other = converter.convert("见[报告](../../report/2026/c.md)。\n", PATH, body_line=5)
    assert (linking.links, linking.assets) == ((("content/notice/2026/b.md", 5),), (("content/info/2026/图1.png", 5),))
    assert (plain.links, plain.assets, plain.outside) == ((), (), ())
    assert (other.links, other.assets) == ((("content/report/2026/c.md", 5),), ())


def test_link_leaving_content_is_reported() -> None:
    body = convert("[x](../../../../etc/passwd)\n")
    assert body.outside and body.outside[0][1] == 5


def test_raw_html_is_escaped_by_default() -> None:
    body = convert('<script>alert(1)</script>\n\n<b onclick="x()">粗</b>\n')
    assert "<script>" not in body.html and "&lt;script&gt;" in body.html
    assert "<b " not in body.html


def test_allowed_html_is_still_sanitised() -> None:
    body = convert('<div onclick="steal()">甲<script>alert(1)</script></div>\n\n'
                   '<a href="javascript:alert(1)">乙</a>\n', allow_html=True)
    assert "<div>" in body.html and "onclick" not in body.html
    assert "<script" not in body.html and "javascript:" not in body.html


def test_plain_text_keeps_lines_and_decodes_entities() -> None:
    assert plain_text("<p>甲&amp;乙</p><ul><li>一</li><li>二</li></ul>") == "甲&乙\n一\n二"


def test_headings_never_take_the_ids_of_the_theme() -> None:
    body = convert("## main\n\n## related\n\n## attachments\n\n## 相关\n")
    assert 'id="main"' not in body.html and 'id="related"' not in body.html and 'id="attachments"' not in body.html
    assert 'id="main-1"' in body.html and 'id="相关"' in body.html


# Chinese prose, and bits of inline Markdown each with a character some inline pattern needs.
PROSE = st.lists(st.sampled_from(["农村", "发展。", "GDP", " ", "\n", "\n\n", "# ", "- ", "1. ", "| a |", "{: .x}"]),
                 max_size=8).map("".join)
INLINE_BITS = ("  \n", "*", "**", "_", "`", "\\", "\\*", "[", "]", "(x.md)", "![", "<", ">", "&", "&amp;",
               "&#20013;", "<b>", "</b>", "<http://a.cn>", "<a@b.cn>", "[^1]", "\n\n[^1]: 注", "```")


def rendered_alike(text: str, allow_html: bool) -> bool:
    quick = Converter(allow_html)
    plain = Converter(allow_html)  # with Python-Markdown's own inline processor, which tries every pattern
    plain.md.treeprocessors.register(InlineProcessor(plain.md), "inline", 20)
    quick.quick = plain.quick = False  # Markdown's passes, each text
    assert type(quick.md.treeprocessors["inline"]) is not InlineProcessor, "the quick path is not in use"
    return quick.convert(text, PATH, body_line=5) == plain.convert(text, PATH, body_line=5)


def test_each_piece_of_inline_markdown_in_prose_is_rendered_as_markdown_renders_it() -> None:
    for bit in INLINE_BITS:
        for allow_html in (False, True):
            assert rendered_alike(f"农村{bit}发展。", allow_html), (bit, allow_html)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PROSE, st.sampled_from(INLINE_BITS)), max_size=6).map("".join), st.booleans())
def test_a_text_no_inline_pattern_can_match_is_rendered_as_markdown_renders_it(text: str, allow_html: bool) -> None:
    assert rendered_alike(text, allow_html)


TOC_BITS = ("# 一、总体情况\n", "\n## 二、主要做法\n\n", "标题\n===\n", "小标题\n---\n", "[TOC]", "\n\n[TOC]\n\n",
            "## main\n", "### 甲 {: #related}\n", "> ## 引文里的标题\n", "- ## 列表里的标题\n", "#### [TOC]\n")


def toc_alike(text: str, allow_html: bool) -> bool:
    quick = Converter(allow_html)
    plain = Converter(allow_html)  # with Python-Markdown's own table-of-contents pass
    toc = next(e for e in plain.md.registeredExtensions if isinstance(e, TocExtension))
    plain.md.treeprocessors.register(TocTreeprocessor(plain.md, toc.getConfigs()), "toc", 5)
    quick.quick = plain.quick = False
    assert type(quick.md.treeprocessors["toc"]) is not TocTreeprocessor, "the quick path is not in use"
    alike = quick.convert(text, PATH, body_line=5) == plain.convert(text, PATH, body_line=5)
    return alike and (quick.md.toc, quick.md.toc_tokens) == (plain.md.toc, plain.md.toc_tokens)


def test_bodies_with_and_without_headings_are_rendered_as_markdown_renders_them() -> None:
    for bit in TOC_BITS:
        for allow_html in (False, True):
            assert toc_alike(f"农村发展。\n\n{bit}正文。", allow_html), (bit, allow_html)
            assert toc_alike(f"农村发展。{bit}", allow_html), (bit, allow_html)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(PROSE, st.sampled_from(TOC_BITS), st.sampled_from(INLINE_BITS)), max_size=6).map("".join),
       st.booleans())
def test_a_table_of_contents_comes_out_as_markdown_makes_it(text: str, allow_html: bool) -> None:
    assert toc_alike(text, allow_html)


# Prose that paragraphs_only() takes (line ends, blank lines, characters Python strips as white
# space), and what it must leave to Markdown: spaces where Markdown may see something, what
# opens a block at a line's start, control characters.
PARAGRAPH_BITS = ("农村", "发展。", "GDP", "2026年", "7.15", "a.b", "\u3000", "\xa0", "\u2028", "\n", "\n\n", "\n\n\n",
                  "\n\u3000\n", "(", "\"", "'", "/", "?", "%", "$", "@")
BLOCK_BITS = (" ", "\n \n", "1.", "1) ", "# ", "- ", "+ ", "= ", ": ", "===", "---", "    ", "\t", "\r", "\x02")
ANY_TEXT = st.lists(st.one_of(st.sampled_from(PARAGRAPH_BITS), st.sampled_from(PARAGRAPH_BITS),
                              st.sampled_from(PARAGRAPH_BITS), st.sampled_from(BLOCK_BITS),
                              st.sampled_from(INLINE_BITS)), max_size=10).map("".join)


def paragraphs_alike(text: str, allow_html: bool) -> bool:
    """paragraphs_only() makes what Markdown makes, where it makes anything."""
    quick = Converter(allow_html)
    plain = Converter(allow_html)
    plain.quick = False
    return quick.convert(text, PATH, body_line=5) == plain.convert(text, PATH, body_line=5)


def test_plain_prose_is_rendered_without_markdown_s_passes_and_as_they_render_it() -> None:
    prose = "央视网消息：今年以来，\n国家宏观政策持续加力。\n\n\n\u3000\u3000一批重大工程稳步推进。 \n"
    assert paragraphs_only(prose.replace(" \n", "\n")) == ("<p>央视网消息：今年以来，国家宏观政策持续加力。</p>\n"
                                                          "<p>一批重大工程稳步推进。</p>")
    assert paragraphs_only(prose) is None  # a line ending in a space: Markdown decides
    for text in (prose, prose.replace(" \n", "\n"), "", "\n", "\n\n农村\n\n", "\u3000", "农村\n\n\u3000\n\n发展"):
        for allow_html in (False, True):
            assert paragraphs_alike(text, allow_html), (text, allow_html)


def test_a_body_that_is_more_than_paragraphs_goes_through_markdown() -> None:
    for text in ("# 一、总体情况", "1. 第一", "- 甲", "> 引文", "甲\n===", "甲\n---", "农村 **发展**", "[链接](a.md)",
                 "    代码", "甲\n: 定义", "| a | b |", "农村  \n发展", "a & b", "{: .x}", "~~~"):
        assert paragraphs_only(text) is None, text


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT, st.booleans())
def test_any_body_comes_out_as_markdown_makes_it_with_or_without_the_paragraph_shortcut(
        text: str, allow_html: bool) -> None:
    assert paragraphs_alike(text, allow_html)
