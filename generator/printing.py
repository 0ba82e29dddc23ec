"""The print edition of an issue: item bodies made fit to share one document.

The print edition (templates/partials/print_edition.html, on the print view
<issue>/print/ and hidden in the issue page for Ctrl+P) sets every item of an
issue in one document, as the paper bulletin does. Entry bodies were rendered
one by one, so two items can carry the same ids (footnotes `fn:1`, heading
anchors); `isolate` gives each item's ids a prefix of its own and moves its
headings one level down, below the item's title. The layout itself
(GB/T 9704-2012 on A4) is static/print.css.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"<[a-zA-Z][^>]*>")  # '>' inside attribute values is escaped by Markdown
_ID = re.compile(r'(\sid=")([^"]*")')
_FRAGMENT = re.compile(r'(\shref="#)([^"]*")')
_HEADING = re.compile(r"<(/?)h([1-6])\b")


def isolate(html: str, prefix: str, shift: int = 1) -> str:
    """Prefix the ids of one body and the in-page links to them; move headings `shift` levels down."""

    def tag(match: re.Match[str]) -> str:
        text = _ID.sub(lambda m: m.group(1) + prefix + m.group(2), match.group(0))
        return _FRAGMENT.sub(lambda m: m.group(1) + prefix + m.group(2), text)

    def heading(match: re.Match[str]) -> str:
        return f"<{match.group(1)}h{min(6, int(match.group(2)) + shift)}"

    # Most bodies have no id, no in-page link, no heading: then the patterns, whose substitution
    # called back for every tag, have nothing to change (an issue's print edition isolates each
    # of its items on two pages).
    if 'id="' in html or 'href="#' in html:
        html = _TAG.sub(tag, html)
    return _HEADING.sub(heading, html) if "<h" in html or "</h" in html else html
