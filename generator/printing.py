"""The print edition of an issue (期): the page at <issue>/print/ and its item bodies.

The print edition sets every item of an issue in one document, as the paper
bulletin does. Entry bodies were rendered one by one, so two items can carry
the same ids (footnotes `fn:1`, heading anchors); `isolate` gives each item's
ids a prefix of its own, and moves its headings one level down below the
item's title. The layout itself (GB/T 9704-2012 on A4) is static/print.css.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .model import Site
from .pages import Crumb, Page

_TAG = re.compile(r"<[a-zA-Z][^>]*>")  # '>' inside attribute values is escaped by Markdown
_ID = re.compile(r'(\sid=")([^"]*")')
_FRAGMENT = re.compile(r'(\shref="#)([^"]*")')
_HEADING = re.compile(r"<(/?)h([1-6])\b")


def print_pages(site: Site) -> Iterator[Page]:
    for view in site.publications:
        publication = Crumb(view.publication.name, view.url, "publication")
        for issue in view.issues:
            yield Page(f"{issue.url}print/index.html", "print.html", {
                "issue": issue,
                "crumbs": (publication, Crumb(issue, issue.url, "issue"),
                           Crumb("print_edition", f"{issue.url}print/", "ui")),
            }, sitemap=True)


def isolate(html: str, prefix: str, shift: int = 1) -> str:
    """Prefix the ids of one body and the in-page links to them; move headings `shift` levels down."""

    def tag(match: re.Match[str]) -> str:
        text = _ID.sub(lambda m: m.group(1) + prefix + m.group(2), match.group(0))
        return _FRAGMENT.sub(lambda m: m.group(1) + prefix + m.group(2), text)

    def heading(match: re.Match[str]) -> str:
        return f"<{match.group(1)}h{min(6, int(match.group(2)) + shift)}"

    return _HEADING.sub(heading, _TAG.sub(tag, html))
