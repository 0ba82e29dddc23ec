"""Which pages and files the site has, each with the exact data it shows.

Templates get no global view of the site: each page's context holds all it
may show. That makes a page's fingerprint (`fingerprint`) a complete account
of its inputs, which is what lets a cached page be reused with no risk of
showing stale data.

One rule more lets a build skip fingerprinting most pages after an edit: a
context holds a value made from an entry's content (entry.CONTENT_FIELDS: its
title, body...) only beside the Entry itself. Then, while the site's skeleton
(everything else the plan reads) stays the same, an edit to entries changes
exactly the pages whose contexts reach them (Fingerprints.reached).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .entry import Entry
from .model import Collection, Site

FEED_ENTRIES = 20
_PLAIN = frozenset({type(None), int, bool, float, dt.datetime})  # their repr is their value


@dataclass
class Page:
    """One output file: rendered from `template`, copied from `copy`, or made by `generate`.
    Its context must determine the file completely: its fingerprint decides reuse."""

    path: str  # output file below the site root
    template: str | None
    # The context, or the function that makes it when the page is first fingerprinted or made:
    # serve plans every page at each save and makes only the few a browser asks for.
    inputs: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=dict)
    copy: Path | None = None
    sitemap: bool = False
    generate: Callable[[], bytes] | None = field(default=None, compare=False)
    group: str | None = None  # files made from one computation (the search shards) share a group
    # For a file made by `generate`, instead of a context: a hex digest (its first 16 digits
    # count) that changes whenever the file does, given the build's code, configuration and
    # templates. Cheaper than a context; the search index has tens of thousands of files.
    made_from: str | None = None

    @functools.cached_property
    def context(self) -> dict[str, Any]:
        return self.inputs() if callable(self.inputs) else self.inputs


class Crumb(NamedTuple):
    label: Any  # text, an Issue, or a key of the UI strings
    url: str
    kind: str = "text"  # text | ui | issue | publication | year


@dataclass(frozen=True)
class Pager:
    number: int
    total: int
    base: str  # URL of page 1
    items: tuple[Entry, ...]

    def url_of(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}page/{number}/"

    @property
    def url(self) -> str:
        return self.url_of(self.number)

    @property
    def previous(self) -> str | None:
        return self.url_of(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.url_of(self.number + 1) if self.number < self.total else None

    @property
    def window(self) -> list[int | None]:
        """Page numbers to offer: the first, the last, two either side; None for a gap."""
        near = range(max(1, self.number - 2), min(self.total, self.number + 2) + 1)
        shown: list[int | None] = []
        for n in sorted({1, self.total, *near}):  # not every page: a list may have thousands
            if shown and n - 1 != shown[-1]:
                shown.append(None)
            shown.append(n)
        return shown


def plan(site: Site, source: Path) -> list[Page]:
    from .stats import stats_pages  # here, not above: stats builds its pages from this module's Page

    pages = [*_home(site), *_publications(site), *_entries(site, source), *_lists(site),
             *_indexes(site), *_feeds(site), *stats_pages(site)]
    pages.append(Page("404.html", "404.html", {"crumbs": ()}))
    pages.append(Page("sitemap.xml", "sitemap.xml",
                      {"urls": tuple(p.path.removesuffix("index.html") for p in pages
                                     if p.sitemap)}))
    return pages


def _home(site: Site) -> Iterator[Page]:
    yield Page("index.html", "home.html", {
        "crumbs": (),
        "latest_issues": tuple((view, view.issues[0]) for view in site.publications if view.issues),
        "pinned": tuple(site.pinned),
        "urgent": tuple(site.urgent),
        "latest_by_type": tuple((count, tuple(site.latest(count.key)))
                                for count in _counts(site.types) if count.count),
    }, sitemap=True)


def _publications(site: Site) -> Iterator[Page]:
    for view in site.publications:
        crumbs = (Crumb(view.publication.name, view.url, "publication"),)
        yield Page(f"{view.url}index.html", "publication.html",
                   {"view": view, "crumbs": crumbs}, sitemap=True)
        for issue in view.issues:
            # Both pages show the items' bodies (the print edition), so both depend on their links.
            shown = {"issue": issue, "linked": _linked(site, issue.items),
                     "crumbs": (*crumbs, Crumb(issue, issue.url, "issue"))}
            yield Page(f"{issue.url}index.html", "issue.html", shown, sitemap=True)
            yield Page(f"{issue.url}print/index.html", "print.html", {**shown, "crumbs": (
                *shown["crumbs"], Crumb("print_edition", f"{issue.url}print/", "ui"))}, sitemap=True)
        yield Page(f"{view.url}feed.xml", "feed.xml", _feed_context(
            site, view.publication.name, view.url,
            sorted((i for issue in view.issues for i in issue.items),
                   key=lambda e: (e.date, e.path), reverse=True)))


def _entries(site: Site, source: Path) -> Iterator[Page]:
    for entry in site.entries:
        yield Page(f"{entry.url}index.html", "entry.html", functools.partial(_entry_context, site, entry),
                   sitemap=True)
        for item in (*entry.attachments, *entry.assets):
            yield Page(f"{entry.url}{item.name}", None, {"size": item.size,
                                                        "entry": entry},
                       copy=source / item.source)


def _entry_context(site: Site, entry: Entry) -> dict[str, Any]:
    item_of = site.issue_of.get(entry.path)
    issue = item_of.heading if item_of else None
    previous, following = site.neighbours.get(entry.path, (None, None))
    if issue:
        crumbs: tuple[Crumb, ...] = (
            Crumb(issue.publication.name, f"{issue.publication.key}/", "publication"),
            Crumb(issue, issue.url, "issue"))
    else:
        crumbs = (Crumb(site.config.types[entry.type], f"{entry.type}/"),)
    return {
        "entry": entry, "issue": issue, "previous": previous, "next": following,
        "related": site.related.get(entry.path, ()),
        "source_url": site.source_url(entry.source) if entry.source else None,
        "tag_urls": tuple((tag, site.tag_url(tag)) for tag in entry.tags),
        "linked": _linked(site, (entry,)),
        "crumbs": (*crumbs, Crumb(entry.title, entry.url)),
    }


def _linked(site: Site, entries: Iterable[Entry]) -> tuple[tuple[str, str | bool], ...]:
    """Where the bodies' links lead: a page showing a body changes when a target's URL does."""
    return tuple((target, target in site.by_path and site.by_path[target].url)
                 for entry in entries for target, _ in entry.links)


def _lists(site: Site) -> Iterator[Page]:
    per_page = site.config.per_page
    for collection in (*site.types, *site.sources, *site.tags, *site.years, *site.months):
        if not collection.entries and collection.kind != "type":
            continue
        crumbs = _collection_crumbs(collection)
        for pager in paginate(collection.url, collection.entries, per_page):
            yield Page(f"{pager.url}index.html", "list.html",
                       {"collection": collection.kind, "name": collection.name,
                        "key": collection.key, "count": len(collection.entries),
                        "pager": pager, "crumbs": crumbs,
                        "months": _counts(_months_of(site, collection))},
                       sitemap=True)
    for collection in site.types:
        yield Page(f"{collection.url}feed.xml", "feed.xml",
                   _feed_context(site, collection.name, collection.url, collection.entries))


def _collection_crumbs(collection: Collection) -> tuple[Crumb, ...]:
    section = {"source": "sources", "tag": "tags", "year": "archive", "month": "archive"}
    crumbs: list[Crumb] = []
    if collection.kind in section:
        crumbs.append(Crumb(section[collection.kind], f"{section[collection.kind]}/", "ui"))
    if collection.kind == "month":
        crumbs.append(Crumb(collection.key[:4], f"archive/{collection.key[:4]}/", "year"))
    crumbs.append(Crumb(collection.name, collection.url))
    return tuple(crumbs)


def _months_of(site: Site, collection: Collection) -> tuple[Collection, ...]:
    if collection.kind != "year":
        return ()
    return tuple(m for m in site.months if m.key.startswith(collection.key + "-"))


def paginate(url: str, entries: tuple[Entry, ...], per_page: int) -> list[Pager]:
    total = max(1, -(-len(entries) // per_page))
    return [Pager(n, total, url, entries[(n - 1) * per_page:n * per_page]) for n in range(1, total + 1)]


def _indexes(site: Site) -> Iterator[Page]:
    for kind, collections in (("tags", site.tags), ("sources", site.sources)):
        yield Page(f"{kind}/index.html", "index.html",
                   {"kind": kind, "collections": _counts(collections), "crumbs": (Crumb(kind, f"{kind}/", "ui"),)},
                   sitemap=True)
    yield Page("archive/index.html", "archive.html",
               {"years": tuple((year, _counts(m for m in site.months if m.key.startswith(year.key)))
                               for year in _counts(site.years)),
                "crumbs": (Crumb("archive", "archive/", "ui"),)}, sitemap=True)


class Count(NamedTuple):
    name: str
    key: str
    url: str
    count: int


def _counts(collections: Iterable[Collection]) -> tuple[Count, ...]:
    """Names and counts only: an index page must not change when an entry's body does."""
    return tuple(Count(c.name, c.key, c.url, len(c.entries)) for c in collections)


def _feeds(site: Site) -> Iterator[Page]:
    yield Page("feed.xml", "feed.xml", _feed_context(site, site.config.title, "", site.entries))


def _feed_context(site: Site, title: str, url: str, entries: Iterable[Entry]) -> dict[str, Any]:
    latest = tuple(entries)[:FEED_ENTRIES]
    return {"title": title, "page_url": url, "feed_url": f"{url}feed.xml", "entries": latest,
            "updated": max((e.date for e in latest), default=dt.datetime(2000, 1, 1))}


def skeleton(site: Site) -> str:
    """A digest of all that plan() reads from the site but the entries' content: which entries
    are published, in what order, where each stands, the issues' files, the pinned entries and
    the year (stats of a site without entries)."""
    digest = hashlib.sha256(repr((site.audience, site.drafts, site.now.year, tuple(e.path for e in site.pinned),
                                  tuple(i.info for view in site.publications for i in view.issues))).encode())
    digest.update("".join(entry.placement for entry in site.entries).encode())
    return digest.hexdigest()


class Fingerprints:
    """Digests of page contexts. Entries count by their content digest; an issue, a
    collection, a pager or a whole context shared by many pages is digested once per build.
    `reached[id(context)]`: the paths of the entries a digested context holds, at any depth."""

    def __init__(self) -> None:
        self.memo: dict[int, bytes] = {}
        self.keep: list[Any] = []  # what the memo's ids refer to stays alive
        self.fields: dict[type, tuple[str, ...]] = {}  # of each dataclass: fields() is slow
        self.reached: dict[int, set[str]] = {}
        self._reaching: set[str] = set()

    def of(self, context: dict[str, Any]) -> str:
        self._reaching = set()  # would otherwise gather every entry of every page digested
        return self._shared(context).hex()

    def _shared(self, value: Any) -> bytes:
        known = self.memo.get(id(value))
        if known is not None:
            self._reaching.update(self.reached[id(value)])
        else:
            outer, self._reaching = self._reaching, set()
            kind = type(value)
            digest = hashlib.sha256(kind.__name__.encode())
            if kind is dict:
                for key in sorted(value):
                    digest.update(key.encode())
                    self._feed(digest, value[key])
            else:
                names = self.fields.get(kind)
                if names is None:
                    names = self.fields[kind] = tuple(item.name for item in fields(value))
                for name in names:
                    self._feed(digest, getattr(value, name))
            known = self.memo[id(value)] = digest.digest()
            self.keep.append(value)
            self.reached[id(value)], self._reaching = self._reaching, outer
            outer.update(self.reached[id(value)])
        return known

    def _feed(self, digest: Any, value: Any) -> None:
        kind = type(value)
        if kind is str:
            digest.update(b"s" + value.encode() + b"\0")
        elif kind is Entry:
            digest.update(b"e" + value.digest.encode())
            self._reaching.add(value.path)
        elif kind is bytes:  # the search index's section digests: thousands per build
            digest.update(b"b%d:" % len(value) + value)
        elif kind is tuple or kind is list or isinstance(value, tuple):  # NamedTuples too
            digest.update(b"(%d" % len(value))
            for item in value:
                self._feed(digest, item)
        elif kind in _PLAIN or isinstance(value, Path):
            digest.update(b"v" + repr(value).encode())
        elif kind is dict or is_dataclass(value):
            digest.update(self._shared(value))
        else:
            digest.update(b"r" + repr(value).encode())
