"""Entry bodies from Markdown to HTML, with the bulletin's own extensions (pymarkdown.py).

Links between entries are written as relative paths to the `.md` file. The
converter cannot know the target's URL (it may be unpublished for this
audience), so it writes a placeholder `bulletin-link:<path>` that the render
stage resolves; the link itself is checked against every loaded entry.
Other relative links (images, files) are published next to the entry.

`markdown.Markdown` is stateful and not thread safe (python-markdown#812):
one `Converter` per worker, reset per entry (#305). A body that can only be
paragraphs, as most Chinese prose, is made without it, and a build after an
edit to such a body never loads Python-Markdown (40 ms). A build that forks
readers loads it before the fork (preload), for the readers to share.
"""

from __future__ import annotations

import functools
import html
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import markdown

    from .pymarkdown import RelativeLinks

LINK_SCHEME = "bulletin-link:"
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


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
WRAPPED = re.compile(f"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")


# What a body must not hold for Python-Markdown, with the extensions of pymarkdown.py, to make nothing
# of it but paragraphs: any character an inline pattern, an attribute list, a table, a fence or
# raw HTML needs, or an entity or a control character; a line that starts with what opens a block
# (heading, list, quote, rule, setext underline, definition, indented code) or that ends in a
# space (a line break). Stricter than Markdown: what it refuses goes through Markdown. Three
# searches, not one pattern of four choices tried at every character (four times as long).
_SPECIAL_CHARACTER = re.compile(r"[`\\\[\]!<>&*_{}|~\x00-\x09\x0b-\x1f\x7f]")
_BLOCK_OPENER = re.compile(r"\n(?:[ #+=:-]|\d+[.)])")  # searched in "\n" + the body: every line's start
_BLANK_LINES = re.compile(r"\n\n+")


def paragraphs_only(source: str) -> str | None:
    """The HTML Python-Markdown makes of a body that can only be paragraphs, or None for any other
    body. Such is most Chinese prose, and a tenth of the time: a third of a cold build's loading
    went to Markdown's passes, each of which found nothing to do. Tests compare the two."""
    if (_SPECIAL_CHARACTER.search(source) or " \n" in source or source.endswith(" ")
            or _BLOCK_OPENER.search("\n" + source)):
        return None
    # As Markdown: two line ends added, blocks between blank lines, each stripped at its start,
    # blank ones dropped.
    blocks = (block.lstrip() for block in _BLANK_LINES.split(source + "\n\n"))
    return "\n".join(f"<p>{_unwrapped(block)}</p>" for block in blocks if block)


def _unwrapped(block: str) -> str:
    """WRAPPED's line ends taken out; a block of one line, as most are, is left as it is."""
    return WRAPPED.sub("", block) if "\n" in block else block


class Converter:
    def __init__(self, allow_html: bool, backlink_title: str = "{}"):
        self.allow_html = allow_html
        self.backlink_title = backlink_title
        self.quick = True  # paragraphs_only() first

    @functools.cached_property
    def _markdown(self) -> tuple[markdown.Markdown, RelativeLinks]:
        from .pymarkdown import make

        return make(self.allow_html, self.backlink_title)

    @property
    def md(self) -> markdown.Markdown:
        """This converter's Python-Markdown, made on first use."""
        return self._markdown[0]

    def convert(self, source: str, path: str, body_line: int) -> Body:
        out = paragraphs_only(source) if self.quick else None
        found_links: list[tuple[str, str, str]] = []
        if out is None:
            md, links = self._markdown
            links.found = found_links
            md.reset()
            links.folder = posixpath.dirname(path)
            out = md.convert(source)
        if self.allow_html:
            import nh3  # loaded on first use, as Python-Markdown (preload)

            out = nh3.clean(out, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                            url_schemes={"http", "https", "mailto", "bulletin-link",
                                         "bulletin-asset"}, link_rel=None)
        found: dict[str, list[tuple[str, int]]] = {"link": [], "asset": [], "outside": []}
        for kind, target, raw in found_links:
            found[kind].append((target, body_line + _line_of(source, raw)))
        return Body(out, plain_text(out), tuple(found["link"]), tuple(found["asset"]),
                    tuple(found["outside"]))


def preload(allow_html: bool) -> None:
    """Load the libraries a Converter loads on first use, for processes about to be forked to
    share them instead of each loading its own."""
    from . import pymarkdown  # noqa: F401

    if allow_html:
        import nh3  # noqa: F401


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
