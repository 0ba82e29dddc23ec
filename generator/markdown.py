"""Entry bodies from Markdown to HTML, with the bulletin's own extensions.

Links between entries are written as relative paths to the `.md` file. The
converter cannot know the target's URL (it may be unpublished for this
audience), so it writes a placeholder `bulletin-link:<path>` that the render
stage resolves; the link itself is checked against every loaded entry.
Other relative links (images, files) are published next to the entry.

`markdown.Markdown` is stateful and not thread safe (python-markdown#812):
one `Converter` per worker, reset per entry (#305).
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, TocTreeprocessor, slugify_unicode
from markdown.treeprocessors import InlineProcessor, Treeprocessor

LINK_SCHEME = "bulletin-link:"
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp"})
ASSET_SCHEME = "bulletin-asset:"
_TAGS = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|tr|td|th|dt|dd|blockquote|pre|div)>|<br\s*/?>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_EXTRA_NEWLINES = re.compile(r"\n\s*\n+")
# What an allowed raw-HTML body may keep: formatting, never script or handlers.
_ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup",
                 "dd", "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1",
                 "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
                 "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup",
                 "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"}
_ALLOWED_ATTRIBUTES = {"*": {"id", "class", "title", "lang", "dir"},
                       "a": {"href"}, "img": {"src", "alt", "width", "height"},
                       "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align"},
                       "col": {"span"}, "ol": {"start"}}


@dataclass(frozen=True)
class Body:
    html: str
    text: str
    links: tuple[tuple[str, int], ...]  # target .md path below the site folder, file line
    assets: tuple[tuple[str, int], ...]  # other linked files below the site folder, file line
    outside: tuple[tuple[str, int], ...]  # relative links that leave the site folder


class _RelativeLinks(Treeprocessor):
    """Turns relative hrefs and srcs into placeholders and records their targets."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.folder = ""
        self.found: list[tuple[str, str, str]] = []  # (kind, target, raw text as written)

    def run(self, root):  # type: ignore[no-untyped-def]
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            raw = element.get(attribute) if attribute else None
            if not raw:
                continue
            parts = urlsplit(raw.strip())
            if parts.scheme and parts.scheme.lower() not in SAFE_SCHEMES:
                del element.attrib[attribute]  # javascript:, data: and the like never become links
                continue
            if parts.scheme or parts.netloc or raw.startswith(("/", "#")):
                continue
            target = posixpath.normpath(posixpath.join(self.folder, unquote(parts.path)))
            if target == ".." or target.startswith("../") or not target.startswith("content/"):
                self.found.append(("outside", target, raw))
                continue
            fragment = f"#{parts.fragment}" if parts.fragment else ""
            if target.endswith(".md"):
                element.set(attribute, f"{LINK_SCHEME}{target}{fragment}")
                self.found.append(("link", target, raw))
            else:
                element.set(attribute, f"{ASSET_SCHEME}{target}{fragment}")
                self.found.append(("asset", target, raw))


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_WRAPPED = re.compile(f"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")


class _JoinWrappedLines(Treeprocessor):
    """A line break inside Chinese text is where the editor wrapped the line, not a space:
    "城乡\n融合" reads (and is searched) as "城乡融合"."""

    def run(self, root):  # type: ignore[no-untyped-def]
        self._join(root)

    def _join(self, element) -> None:  # type: ignore[no-untyped-def]
        if element.tag in ("pre", "code"):
            return
        if element.text:
            element.text = _WRAPPED.sub("", element.text)
        for child in element:
            self._join(child)
            if child.tail:
                child.tail = _WRAPPED.sub("", child.tail)


# Python-Markdown's inline patterns, each of which needs one of these to match. Chinese prose
# mostly has none of them, and trying every pattern on every paragraph that cannot match was
# a third of the Markdown time of a cold build.
_INLINE_PATTERNS = frozenset({"backtick", "escape", "footnote", "reference", "link", "image_link",
                              "image_reference", "short_reference", "short_image_ref", "autolink",
                              "automail", "linebreak", "html", "entity", "em_strong"})
_MAY_MATCH_INLINE = re.compile(r"[`\\\[!<&*_]|  \n")


class _QuickInline(InlineProcessor):
    """Leaves a text that no inline pattern can match as it is, without trying each one. It
    overrides a private method of Python-Markdown's InlineProcessor (3.x): should a release
    rename it, the override goes unused and rendering stays right; tests compare the two."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if patternIndex == 0 and not _MAY_MATCH_INLINE.search(data):
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)  # type: ignore[misc]


class _QuickToc(TocTreeprocessor):
    """Leaves a body with no heading and no table-of-contents marker as it is. Python-Markdown's
    own pass still builds, serialises and post-processes an empty table of contents for it,
    50 µs of each body, most of which have no heading; md.toc is then that empty one, made once.
    Tests compare the two."""

    _empty: tuple[str, list[object]] | None = None

    def run(self, doc):  # type: ignore[no-untyped-def]
        marker = self.marker
        for element in doc.iter():
            if (isinstance(element.tag, str) and self.header_rgx.match(element.tag)) or (
                    marker and element.text and element.text.strip() == marker):
                return super().run(doc)
        if self._empty is None:
            super().run(doc.makeelement("div", {}))
            self._empty = (self.md.toc, self.md.toc_tokens)
        self.md.toc, self.md.toc_tokens = self._empty[0], list(self._empty[1])
        return None


# What a body must not hold for Python-Markdown, with this module's extensions, to make nothing
# of it but paragraphs: any character an inline pattern, an attribute list, a table, a fence or
# raw HTML needs, or an entity or a control character; a line that starts with what opens a block
# (heading, list, quote, rule, setext underline, definition, indented code) or that ends in a
# space (a line break). Stricter than Markdown: what it refuses goes through Markdown.
_NOT_PARAGRAPHS = re.compile(r"[`\\\[\]!<>&*_{}|~\x00-\x09\x0b-\x1f\x7f]|^[ #+=:-]|^\d+[.)]| $", re.M)
_BLANK_LINES = re.compile(r"\n\n+")


def paragraphs_only(source: str) -> str | None:
    """The HTML Python-Markdown makes of a body that can only be paragraphs, or None for any other
    body. Such is most Chinese prose, and a tenth of the time: a third of a cold build's loading
    went to Markdown's passes, each of which found nothing to do. Tests compare the two."""
    if _NOT_PARAGRAPHS.search(source):
        return None
    # As Markdown: two line ends added, blocks between blank lines, each stripped at its start,
    # blank ones dropped.
    blocks = (block.lstrip() for block in _BLANK_LINES.split(source + "\n\n"))
    return "\n".join(f"<p>{_WRAPPED.sub('', block)}</p>" for block in blocks if block)


class _BulletinExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_RelativeLinks(md), "bulletin_links", 1)
        md.treeprocessors.register(_JoinWrappedLines(md), "bulletin_wrapped_lines", 2)


class Converter:
    def __init__(self, allow_html: bool, backlink_title: str = "{}"):
        self.allow_html = allow_html
        # Instances, not names: a name is looked up among the installed packages' entry points,
        # a scan that cost a one-edit build 25 ms.
        self.md = markdown.Markdown(
            extensions=[TableExtension(), FootnoteExtension(BACKLINK_TITLE=backlink_title), DefListExtension(),
                        FencedCodeExtension(), SaneListExtension(), AttrListExtension(),
                        _toc(), _BulletinExtension()],
            output_format="html",
        )
        if not allow_html:
            # Raw HTML is shown as text: deregistering these makes Markdown escape it.
            self.md.preprocessors.deregister("html_block")
            self.md.inlinePatterns.deregister("html")
        patterns = self.md.inlinePatterns
        if len(patterns) == sum(name in patterns for name in _INLINE_PATTERNS):
            # Only for the patterns whose needs are known: another Markdown may bring more.
            self.md.treeprocessors.register(_QuickInline(self.md), "inline", 20)
        self.links: _RelativeLinks = self.md.treeprocessors["bulletin_links"]
        self.quick = True  # paragraphs_only() first

    def convert(self, source: str, path: str, body_line: int) -> Body:
        self.links.found = []
        out = paragraphs_only(source) if self.quick else None
        if out is None:
            self.md.reset()
            self.links.folder = posixpath.dirname(path)
            out = self.md.convert(source)
        if self.allow_html:
            out = nh3.clean(out, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                            url_schemes={"http", "https", "mailto", "bulletin-link",
                                         "bulletin-asset"}, link_rel=None)
        found: dict[str, list[tuple[str, int]]] = {"link": [], "asset": [], "outside": []}
        for kind, target, raw in self.links.found:
            found[kind].append((target, body_line + _line_of(source, raw)))
        return Body(out, plain_text(out), tuple(found["link"]), tuple(found["asset"]),
                    tuple(found["outside"]))


def _toc() -> TocExtension:
    toc = TocExtension(slugify=heading_id)
    toc.TreeProcessorClass = _QuickToc  # type: ignore[attr-defined]
    return toc


# Ids the theme gives elements of an entry page; a heading must not take them.
THEME_IDS = frozenset({"main", "attachments", "related", "site-search-q"})


def heading_id(text: str, separator: str) -> str:
    """Anchors for headings in any script ("一、总体情况" -> "一总体情况"), never a theme id."""
    slug = slugify_unicode(text, separator)
    return f"{slug}{separator}1" if slug in THEME_IDS else slug


def plain_text(fragment: str) -> str:
    """Readable text of an HTML fragment: one line per block, entities decoded."""
    text = _BLOCK_END.sub("\n", fragment)
    text = html.unescape(_TAGS.sub("", text))
    text = _SPACES.sub(" ", text)
    return _EXTRA_NEWLINES.sub("\n", text).strip()


def _line_of(source: str, raw: str) -> int:
    """0-based line of a link target in the body: Markdown keeps no positions (#677)."""
    index = source.find(raw)
    return source.count("\n", 0, index) if index >= 0 else 0
