"""Python-Markdown set up the bulletin's way: its extensions and the few passes replaced by
quicker ones. Loaded by markdown.Converter on the first body that is more than paragraphs, or
before readers are forked (markdown.preload)."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

import markdown
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, TocTreeprocessor, slugify_unicode
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from .markdown import ASSET_SCHEME, LINK_SCHEME, WRAPPED

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp"})


def make(allow_html: bool, backlink_title: str) -> tuple[markdown.Markdown, RelativeLinks]:
    """A Markdown instance, and its pass that finds relative links (RelativeLinks.found)."""
    # Instances, not names: a name is looked up among the installed packages' entry points,
    # a scan that cost a one-edit build 25 ms.
    md = markdown.Markdown(
        extensions=[TableExtension(), FootnoteExtension(BACKLINK_TITLE=backlink_title), DefListExtension(),
                    FencedCodeExtension(), SaneListExtension(), AttrListExtension(),
                    _toc(), _BulletinExtension()],
        output_format="html",
    )
    if not allow_html:
        # Raw HTML is shown as text: deregistering these makes Markdown escape it.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    patterns = md.inlinePatterns
    if len(patterns) == sum(name in patterns for name in _INLINE_PATTERNS):
        # Only for the patterns whose needs are known: another Markdown may bring more.
        md.treeprocessors.register(_QuickInline(md), "inline", 20)
    links = md.treeprocessors["bulletin_links"]
    assert isinstance(links, RelativeLinks)
    return md, links


class RelativeLinks(Treeprocessor):
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


class _JoinWrappedLines(Treeprocessor):
    """A line break inside Chinese text is where the editor wrapped the line, not a space:
    "城乡\n融合" reads (and is searched) as "城乡融合"."""

    def run(self, root):  # type: ignore[no-untyped-def]
        self._join(root)

    def _join(self, element) -> None:  # type: ignore[no-untyped-def]
        if element.tag in ("pre", "code"):
            return
        if element.text:
            element.text = WRAPPED.sub("", element.text)
        for child in element:
            self._join(child)
            if child.tail:
                child.tail = WRAPPED.sub("", child.tail)


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


class _BulletinExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(RelativeLinks(md), "bulletin_links", 1)
        md.treeprocessors.register(_JoinWrappedLines(md), "bulletin_wrapped_lines", 2)


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
