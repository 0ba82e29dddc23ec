"""The site: what is published for one audience at one moment, and how it hangs together.

`check` looks at every loaded entry (drafts and embargoed ones included) for
collisions and broken links. `build_site` first decides which entries are
published and then builds everything else *only* from those, so an excluded
entry cannot reach a list, a count, a feed or the search index by any path.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import itertools
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .config import Config, Publication
from .entry import Entry
from .errors import SourceError
from .folding import normalise
from .issuefile import IssueInfo
from .load import Loaded
from .slugs import unique_slugs

RELATED = 5


@functools.lru_cache(maxsize=65536)
def fold(name: str) -> str:
    """A tag's or unit's identity across scripts: 鄉村振興 and 乡村振兴 are one tag."""
    return normalise(name)


HOME_LATEST = 6


@dataclass(frozen=True)
class IssueHeading:
    """An issue as an entry page shows it: without its items, so that an edit to one item does
    not make the pages of all the others again."""

    publication: Publication
    year: int
    number: int
    info: IssueInfo | None
    url: str


@dataclass(frozen=True)
class Issue:
    publication: Publication
    year: int  # 0 for running numbering
    number: int
    items: tuple[Entry, ...]
    info: IssueInfo | None

    @functools.cached_property
    def heading(self) -> IssueHeading:
        return IssueHeading(self.publication, self.year, self.number, self.info, self.url)

    @property
    def url(self) -> str:
        if self.year:
            return f"{self.publication.key}/{self.year}/{self.number}/"
        return f"{self.publication.key}/{self.number}/"

    @functools.cached_property  # pages ask it of every issue: a publication page, 121 times
    def date(self) -> dt.datetime:
        if self.info and self.info.date:
            return self.info.date
        return max(item.date for item in self.items)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.year, self.number)


@dataclass(frozen=True)
class Collection:
    """Entries that share a type, source unit, tag, year or month: one paginated list."""

    kind: str  # type | source | tag | year | month
    key: str
    name: str
    url: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class PublicationView:
    publication: Publication
    issues: tuple[Issue, ...]  # newest first

    @property
    def url(self) -> str:
        return f"{self.publication.key}/"

    @property
    def years(self) -> list[tuple[int, list[Issue]]]:
        by_year: dict[int, list[Issue]] = defaultdict(list)
        for issue in self.issues:
            by_year[issue.date.year if not issue.year else issue.year].append(issue)
        return sorted(by_year.items(), reverse=True)


@dataclass(frozen=True)
class Site:
    config: Config
    audience: str
    now: dt.datetime
    drafts: bool
    entries: tuple[Entry, ...]  # published, newest first
    publications: tuple[PublicationView, ...]
    issue_of: dict[str, Issue] = field(repr=False)
    types: tuple[Collection, ...] = ()
    sources: tuple[Collection, ...] = ()
    tags: tuple[Collection, ...] = ()
    years: tuple[Collection, ...] = ()
    months: tuple[Collection, ...] = ()
    neighbours: dict[str, tuple[Entry | None, Entry | None]] = field(default_factory=dict, repr=False)
    related: dict[str, tuple[Entry, ...]] = field(default_factory=dict, repr=False)
    by_path: dict[str, Entry] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def _urls(self) -> dict[tuple[str, str], str]:
        return {(c.kind, fold(c.key)): c.url for c in (*self.sources, *self.tags)}

    @functools.cached_property
    def _names(self) -> dict[str, str]:
        return {fold(c.key): c.name for c in self.sources}

    def source_url(self, name: str) -> str | None:
        return self._urls.get(("source", fold(name)))

    def tag_url(self, name: str) -> str | None:
        return self._urls.get(("tag", fold(name)))

    def unit(self, entry: Entry) -> str | None:
        """The entry's 报送单位 as the site names it: one unit, whichever script it was written in."""
        return self._names.get(fold(entry.source)) if entry.source else None

    @functools.cached_property
    def pinned(self) -> list[Entry]:
        return [e for e in self.entries if e.pinned_until and e.pinned_until >= self.now]

    @property
    def urgent(self) -> list[Entry]:
        return [e for e in self.entries if e.urgency][:HOME_LATEST]

    def latest(self, type_key: str) -> list[Entry]:
        return [e for e in self.entries if e.type == type_key][:HOME_LATEST]


def moments(entries: Iterable[Entry]) -> list[dt.datetime]:
    """Where the clock alone changes what the entries make: embargoes, expiries, pins."""
    return [m for e in entries for m in (e.publish_at, e.expire_at, e.pinned_until) if m]


def next_change(entries: Iterable[Entry], now: dt.datetime) -> dt.datetime:
    """The first moment after `now` at which the same entries make another site: one of their
    moments, or the new year (the latest year of the statistics and archives)."""
    return min([m for m in moments(entries) if m > now] + [dt.datetime(now.year + 1, 1, 1)])


def check(loaded: Loaded, config: Config) -> list[SourceError]:
    """Problems between files: collisions, broken links, numbering gaps (warnings)."""
    errors: list[SourceError] = []
    by_url: dict[str, Entry] = {}
    for entry in loaded.entries:
        first = by_url.setdefault(entry.url, entry)
        if first is not entry:
            errors.append(SourceError(entry.path, entry.line("slug") if entry.line("slug") > 1
                                      else entry.line("title"),
                                      f"the slug '{entry.slug}' is already used by {first.path}",
                                      "give one of them a different 'slug:' (or rename the file)"))
    places: dict[tuple[str, int, int, int], Entry] = {}
    for entry in loaded.entries:
        if entry.issue is None or entry.issue.item is None or entry.publication is None:
            continue
        place = (entry.publication, entry.issue.year, entry.issue.number, entry.issue.item)
        first = places.setdefault(place, entry)
        if first is not entry:
            errors.append(SourceError(entry.path, entry.line("issue"),
                                      f"item {entry.issue.item} of this issue is already taken by "
                                      f"{first.path}", "give one of them another 'item' number"))
    for entry in loaded.entries:
        for target, line in entry.links:
            if target not in loaded.paths:
                errors.append(SourceError(entry.path, line, f"the link points to a missing entry "
                                          f"'{target}'", "correct the path (relative to this "
                                          "entry's file) or remove the link"))
    errors.extend(_issue_file_problems(loaded, config))
    return errors


def _issue_file_problems(loaded: Loaded, config: Config) -> list[SourceError]:
    problems: list[SourceError] = []
    seen: dict[tuple[str, int, int], IssueInfo] = {}
    for info in loaded.issues:
        first = seen.setdefault(info.key, info)
        if first is not info:
            problems.append(SourceError(info.path, 1, f"this issue is already described by "
                                        f"{first.path}", "merge the two issue files into one"))
    numbers: dict[tuple[str, int], dict[int, str]] = defaultdict(dict)
    for entry in loaded.entries:
        if entry.publication and entry.issue:
            numbers[(entry.publication, entry.issue.year)].setdefault(entry.issue.number, entry.path)
    for info in loaded.issues:
        if info.number not in numbers.get((info.publication, info.year), {}):
            problems.append(SourceError(info.path, 1, "no entry belongs to this issue",
                                        "check publication, number and year against the entries' 'issue:'",
                                        warning=True))
    for info in loaded.issues:
        numbers[(info.publication, info.year)][info.number] = info.path
    for (publication, year), found in numbers.items():
        ordered = sorted(found)
        for before, after in itertools.pairwise(ordered):
            if after - before > 1:
                missing = ", ".join(f"第{n}期" for n in range(before + 1, min(after, before + 4)))
                problems.append(SourceError(
                    found[after], 1, f"{config.publications[publication].name} "
                    f"{f'{year}年' if year else ''}第{before}期 is followed by 第{after}期: "
                    f"{missing}{'…' if after - before > 4 else ''} missing",
                    "check the issue numbers; a skipped number is allowed but unusual",
                    warning=True))
    return problems


def published_entries(loaded: Loaded, config: Config, audience: str, now: dt.datetime,
                      drafts: bool = False) -> list[Entry]:
    """The entries this audience sees now, newest first (by date, then path): the site's entries.
    An entry is seen by its own audience level and the levels above it (config.audiences)."""
    rank = {level: number for number, level in enumerate(config.audiences)}
    seen = rank[audience]
    published = [e for e in loaded.entries
                 if rank[e.audience] <= seen and (drafts or not e.draft)
                 and (e.publish_at is None or e.publish_at <= now) and (e.expire_at is None or e.expire_at > now)]
    published.sort(key=operator.attrgetter("date", "path"), reverse=True)
    return published


def build_site(loaded: Loaded, config: Config, audience: str, now: dt.datetime,
               drafts: bool = False, memo: dict[str, Any] | None = None,
               published: list[Entry] | None = None) -> Site:
    """`memo`: results of earlier builds to reuse when their inputs are the same (a cache).
    `published`: published_entries() of the same arguments, if the caller has them."""
    if published is None:
        published = published_entries(loaded, config, audience, now, drafts)
    arranged = _arranged_reusing(published, loaded.issues, config, memo)
    return Site(
        config=config, audience=audience, now=now, drafts=drafts, entries=tuple(published),
        publications=arranged.publications, issue_of=arranged.issue_of, types=arranged.types,
        sources=arranged.sources, tags=arranged.tags, years=arranged.years, months=arranged.months,
        neighbours=arranged.neighbours, related=arranged.related,
        by_path={e.path: e for e in published},
    )


@dataclass(frozen=True)
class _Arranged:
    """Where the published entries stand: issues, collections, neighbours, related entries."""

    publications: tuple[PublicationView, ...]
    issue_of: dict[str, Issue]
    types: tuple[Collection, ...]
    sources: tuple[Collection, ...]
    tags: tuple[Collection, ...]
    years: tuple[Collection, ...]
    months: tuple[Collection, ...]
    neighbours: dict[str, tuple[Entry | None, Entry | None]]
    related: dict[str, tuple[Entry, ...]]


def _arranged_reusing(published: list[Entry], infos: Iterable[IssueInfo], config: Config,
                      memo: dict[str, Any] | None) -> _Arranged:
    """The arrangement depends only on the configuration and on where each published entry
    stands (its placement digest), in order: an edit to a title, a summary or a body leaves
    it as it was. Kept by the entries' numbers in `published` and filled with this build's
    entries: the grouping itself was most of a one-edit model at 10,000 entries."""
    signature = hashlib.sha256(f"{config.digest}:{len(published)}:".encode()
                               + "".join(e.placement for e in published).encode()).hexdigest()
    known = memo.get("arranged") if memo is not None else None
    if known is not None and known[0] == signature:
        return _filled(known[1], published, infos, config)
    arranged = _arrange(published, infos, config, memo)
    if memo is not None:
        memo["arranged"] = (signature, _numbered(arranged, published))
    return arranged


def _arrange(published: list[Entry], infos: Iterable[IssueInfo], config: Config,
             memo: dict[str, Any] | None) -> _Arranged:
    publications, issue_of = _issues(published, infos, config)
    return _Arranged(
        publications=publications, issue_of=issue_of,
        types=tuple(Collection("type", key, name, f"{key}/", tuple(
            e for e in published if e.type == key)) for key, name in config.types.items()),
        sources=_named(published, "source", "sources", lambda e: [e.source] if e.source else [], memo),
        tags=_named(published, "tag", "tags", lambda e: list(e.tags), memo),
        years=_dated(published, "year", lambda d: f"{d.year:04d}", "archive/{:%Y}/", "{:%Y}"),
        months=_dated(published, "month", lambda d: f"{d.year:04d}-{d.month:02d}", "archive/{:%Y/%m}/",
                      "{:%Y-%m}"),
        neighbours=_neighbours(published, issue_of),
        related=_related(published),
    )


_COLLECTIONS = ("types", "sources", "tags", "years", "months")


def _numbered(arranged: _Arranged, published: list[Entry]) -> dict[str, Any]:
    """The arrangement with each entry given as its number in `published` (-1: none)."""
    number = {e.path: n for n, e in enumerate(published)}

    def numbers(entries: Iterable[Entry]) -> tuple[int, ...]:
        return tuple(number[e.path] for e in entries)

    return {
        "issues": tuple((view.publication.key, tuple((i.year, i.number, numbers(i.items)) for i in view.issues))
                        for view in arranged.publications),
        **{name: tuple((c.kind, c.key, c.name, c.url, numbers(c.entries)) for c in getattr(arranged, name))
           for name in _COLLECTIONS},
        "neighbours": tuple((number[before.path] if before else -1, number[after.path] if after else -1)
                            for before, after in map(arranged.neighbours.__getitem__, number)),
        "related": tuple(numbers(arranged.related[path]) for path in number),
    }


def _filled(numbered: dict[str, Any], published: list[Entry], infos: Iterable[IssueInfo], config: Config
            ) -> _Arranged:
    at = published.__getitem__
    info_by_key = {info.key: info for info in infos}
    views: list[PublicationView] = []
    issue_of: dict[str, Issue] = {}
    for key, issues in numbered["issues"]:
        publication = config.publications[key]
        made = tuple(Issue(publication, year, number, tuple(map(at, items)), info_by_key.get((key, year, number)))
                     for year, number, items in issues)
        for issue in made:
            for item in issue.items:
                issue_of[item.path] = issue
        views.append(PublicationView(publication, made))
    collections = {name: tuple(Collection(kind, key, shown, url, tuple(map(at, entries)))
                               for kind, key, shown, url, entries in numbered[name]) for name in _COLLECTIONS}
    neighbours = {entry.path: (published[before] if before >= 0 else None, published[after] if after >= 0 else None)
                  for entry, (before, after) in zip(published, numbered["neighbours"], strict=True)}
    related = {entry.path: tuple(map(at, others)) for entry, others in zip(published, numbered["related"], strict=True)}
    return _Arranged(publications=tuple(views), issue_of=issue_of, neighbours=neighbours, related=related,
                     **collections)


def _issues(published: list[Entry], infos: Iterable[IssueInfo], config: Config
            ) -> tuple[tuple[PublicationView, ...], dict[str, Issue]]:
    grouped: dict[tuple[str, int, int], list[Entry]] = defaultdict(list)
    for entry in published:
        if entry.publication and entry.issue:
            grouped[(entry.publication, entry.issue.year, entry.issue.number)].append(entry)
    info_by_key = {info.key: info for info in infos}
    issues: dict[str, list[Issue]] = defaultdict(list)
    issue_of: dict[str, Issue] = {}
    for key, items in grouped.items():
        # Numbered items first in their order; the rest by date, as the editor filed them.
        items.sort(key=lambda e: (e.issue.item is None, e.issue.item or 0, e.date, e.path))  # type: ignore[union-attr]
        issue = Issue(config.publications[key[0]], key[1], key[2], tuple(items),
                      info_by_key.get(key))
        issues[key[0]].append(issue)
        for item in items:
            issue_of[item.path] = issue
    views = tuple(PublicationView(pub, tuple(sorted(issues[pub.key], key=lambda i: i.sort_key,
                                                    reverse=True)))
                  for pub in config.publications.values())
    return views, issue_of


def _neighbours(published: list[Entry], issue_of: dict[str, Issue]
                ) -> dict[str, tuple[Entry | None, Entry | None]]:
    """Previous and next: within the issue for issue items, else within the type by date."""
    result: dict[str, tuple[Entry | None, Entry | None]] = {}
    sequences: list[list[Entry]] = [list(i.items) for i in {id(i): i for i in issue_of.values()}
                                    .values()]
    by_type: dict[str, list[Entry]] = defaultdict(list)
    for entry in reversed(published):  # oldest first
        if entry.path not in issue_of:
            by_type[entry.type].append(entry)
    sequences.extend(by_type.values())
    for sequence in sequences:
        for index, entry in enumerate(sequence):
            result[entry.path] = (sequence[index - 1] if index else None,
                                  sequence[index + 1] if index + 1 < len(sequence) else None)
    return result


def _named(published: list[Entry], kind: str, prefix: str, names_of,  # type: ignore[no-untyped-def]
           memo: dict[str, Any] | None) -> tuple[Collection, ...]:
    """One collection per name, whatever the script it is written in (乡村振兴 = 鄉村振興); the
    collection is called by its most used spelling."""
    members: dict[str, list[Entry]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in published:
        for name in names_of(entry):
            key = fold(name)
            members[key].append(entry)
            spellings[key][name] += 1
    shown = {key: min(counts, key=lambda n: (-counts[n], n)) for key, counts in spellings.items()}
    known = memo.get("slugs", {}) if memo is not None else {}
    spelt = dict(known)  # a new dict, so that the cache sees the change
    slugs = unique_slugs(shown.values(), spelt)
    if memo is not None and len(spelt) != len(known):
        memo["slugs"] = spelt
    return tuple(Collection(kind, shown[key], shown[key], f"{prefix}/{slugs[shown[key]]}/", tuple(entries))
                 for key, entries in sorted(members.items(), key=lambda kv: (-len(kv[1]), shown[kv[0]])))


def _dated(published: list[Entry], kind: str, key_of: Callable[[dt.datetime], str], url_format: str,
           name_format: str) -> tuple[Collection, ...]:
    """`key_of`: an f-string, not strftime, which costs twice as much for each of the entries."""
    members: dict[str, list[Entry]] = defaultdict(list)
    for entry in published:
        members[key_of(entry.date)].append(entry)
    return tuple(Collection(kind, key, name_format.format(entries[0].date), url_format.format(entries[0].date),
                            tuple(entries))
                 for key, entries in sorted(members.items(), reverse=True))


def _related(published: list[Entry]) -> dict[str, tuple[Entry, ...]]:
    """Entries sharing the most tags (then the same source unit), nearest in time first.

    Each tag looks only at the entries nearest in date, so a tag on thousands
    of entries costs a window, not a scan.
    """
    window = 8
    oldest_first = list(reversed(published))
    by_tag: dict[str, list[int]] = defaultdict(list)
    by_source: dict[str, list[int]] = defaultdict(list)
    for index, entry in enumerate(oldest_first):
        for tag in entry.tags:
            by_tag[tag].append(index)
        if entry.source:
            by_source[entry.source].append(index)
    result: dict[str, tuple[Entry, ...]] = {}
    for me, entry in enumerate(oldest_first):
        scores: dict[int, int] = {}
        groups = [(by_tag[t], 2) for t in entry.tags]
        if entry.source:
            groups.append((by_source[entry.source], 1))
        for members, weight in groups:
            at = bisect.bisect_left(members, me)
            for other in members[max(0, at - window):at + window + 1]:
                scores[other] = scores.get(other, 0) + weight
        scores.pop(me, None)
        # Plain tuples sort in C: most shared, then nearest in time, then newer.
        ranked = sorted((-score, abs(o - me), -o) for o, score in scores.items())[:RELATED]
        result[entry.path] = tuple(oldest_first[-newer] for _, _, newer in ranked)
    return result
