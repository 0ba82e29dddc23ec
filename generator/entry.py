"""What an entry is, and the strict schema of its front matter.

`Entry` is typed, not a metadata dict: each key of PRODUCT.md is a field, an
unknown key is an error unless bulletin.yaml declares it, and every error
names the line of the key at fault.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
import sys
from dataclasses import dataclass, field, fields
from typing import Any

from .config import Config
from .errors import SourceError
from .frontmatter import YamlDoc
from .slugs import slugify

KEYS = ("title", "date", "type", "publication", "issue", "source", "authors", "tags", "summary",
        "audience", "urgency", "pinned_until", "draft", "publish_at", "expire_at", "attachments",
        "slug")
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                 "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d")


@dataclass(frozen=True)
class IssueRef:
    """Where an entry stands: issue `number` (of `year` when numbering is yearly), place `item`."""

    number: int
    year: int
    item: int | None = None


@dataclass(frozen=True)
class Attachment:
    source: str  # path relative to the site folder, e.g. content/notice/2026/附件1.xlsx
    name: str  # file name as published
    title: str
    # Taken once: the size shown and the stat that tells a later build whether the file changed
    # must describe the same file, even when it is replaced while the entry is read. Not in the
    # repr, and so not in the placement digest: saving an attachment moves no entry.
    stat: tuple[int, int, int, int] = field(repr=False)  # inputs.StatKey

    @property
    def size(self) -> int:
        return self.stat[0]


class Body:
    """An entry's rendered body and its plain text, kept apart from its metadata: a cache
    holds the metadata of thousands of entries and reads a body only when a page needs it.
    `chars`, the text's length, is known without reading it: the search index plans a long
    text's chunk files by it. A body read from its `location` keeps it: it is still stored
    there, and the cache does not store it again."""

    __slots__ = ("_html", "_text", "chars", "location")

    def __init__(self, html: str | None, text: str | None, location: tuple[str, int, int] | None = None,
                 chars: int | None = None):
        self._html, self._text, self.location = html, text, location
        self.chars = len(text or "") if chars is None else chars

    def stored(self) -> tuple[bytes, bytes, bytes]:
        """The body as a body file holds it (joined, they are `location`'s bytes): the length of
        its HTML in UTF-8, the HTML, the text. Not a pickle: pickling a string keeps a UTF-8 copy
        of it in the string, 30 MB of fresh memory at 10,000 entries in the process that writes
        the cache (pickling the bodies took some 0.17 s of a cold build's CPU, this 0.08 s)."""
        html, text = self.html.encode("utf-8", "surrogatepass"), self.text.encode("utf-8", "surrogatepass")
        return len(html).to_bytes(4, "little"), html, text

    def _load(self) -> None:
        assert self.location is not None
        path, offset, size = self.location
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read(size)
        split = 4 + int.from_bytes(data[:4], "little")
        if len(data) != size or split > size:  # cache.read checked the file's size, not this
            raise OSError(f"a stored body in {path} is damaged: build again with --clean")
        self._html = data[4:split].decode("utf-8", "surrogatepass")
        self._text = data[split:].decode("utf-8", "surrogatepass")

    @property
    def html(self) -> str:
        if self._html is None:
            self._load()
        return self._html or ""

    @property
    def text(self) -> str:
        if self._text is None:
            self._load()
        return self._text or ""

    def __getstate__(self) -> tuple[str | None, str | None, tuple[str, int, int] | None, int]:
        # A stored body is pickled as its location only: read or not, the cache holds no text.
        if self.location is not None:
            return None, None, self.location, self.chars
        return self._html, self._text, None, self.chars

    def __setstate__(self, state: tuple[str | None, str | None, tuple[str, int, int] | None, int]) -> None:
        self._html, self._text, self.location, self.chars = state


# What an entry shows, as opposed to where it stands (every other field: its date, type, tags,
# issue, links...). A page context may hold a value made from these fields only beside the Entry
# itself: an edit to them then changes only the pages that hold the entry (pages.skeleton).
CONTENT_FIELDS = frozenset({"title", "summary", "authors", "extra", "body", "body_line", "lines", "digest",
                            "placement"})


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the site folder, POSIX separators
    title: str
    date: dt.datetime
    type: str
    slug: str
    audience: str
    publication: str | None = None
    issue: IssueRef | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str = ""
    urgency: str | None = None
    pinned_until: dt.datetime | None = None
    draft: bool = False
    publish_at: dt.datetime | None = None
    expire_at: dt.datetime | None = None
    attachments: tuple[Attachment, ...] = ()  # listed on the page, with size and type
    assets: tuple[Attachment, ...] = ()  # files the body links to, published beside it
    extra: tuple[tuple[str, Any], ...] = ()
    body_line: int = 1
    body: Body = field(default_factory=lambda: Body("", ""), compare=False, repr=False)
    links: tuple[tuple[str, int], ...] = ()  # (linked .md path, file line)
    # Front-matter key, its line, key, line...: flat, since the cache holds ten thousand of them and
    # a pair apiece took a fifth of its reading.
    lines: tuple[str | int, ...] = field(default=(), compare=False, repr=False)
    digest: str = ""  # of the source bytes and attachments: changes whenever the entry does
    # A digest of every field but CONTENT_FIELDS, made once with the entry (and kept in the cache).
    placement: str = field(init=False, default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        # Ten thousand entries share a few front-matter keys, types, sources and tags: one string
        # each, which a pickle of them all (the cache's base) then holds once, read a seventh
        # faster (85 -> 75 ms).
        for name in _SHARED_TEXT:
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, sys.intern(value))
        for name in ("tags", "lines"):
            object.__setattr__(self, name, tuple(sys.intern(x) if isinstance(x, str) else x
                                                 for x in getattr(self, name)))
        # Links count by their targets: the line a link stands on only names it in error messages,
        # and an edit above it moves it.
        placed = repr((*(getattr(self, name) for name in _PLACED), tuple(target for target, _ in self.links)))
        object.__setattr__(self, "placement", hashlib.sha256(placed.encode()).hexdigest())

    @property
    def html(self) -> str:
        """Rendered body; links to other entries are placeholders (markdown.py)."""
        return self.body.html

    @property
    def text(self) -> str:
        """Plain text of the body, for excerpts and search."""
        return self.body.text

    @property
    def url(self) -> str:
        """Path of the entry's page below the site root."""
        return f"{self.type}/{self.slug}/"

    def line(self, key: str) -> int:
        keys = self.lines[::2]
        return int(self.lines[2 * keys.index(key) + 1]) if key in keys else 1


_SHARED_TEXT = ("type", "audience", "publication", "source", "urgency")
_PLACED = tuple(item.name for item in fields(Entry) if item.name not in CONTENT_FIELDS | {"links"})


def parse_date(value: Any) -> dt.datetime | None:
    """A YAML date, datetime, or quoted ISO text; None when it is none of these. A datetime
    written with an offset keeps it (Config.local brings it to the site's clock)."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        try:
            return parse_date(dt.datetime.fromisoformat(text))
        except ValueError:
            return None
    return None


class FieldReader:
    """Validates one front-matter mapping against the schema, collecting errors."""

    def __init__(self, doc: YamlDoc, path: str, config: Config):
        self.doc, self.path, self.config = doc, path, config
        self.data: dict[str, Any] = doc.data
        self.errors: list[SourceError] = []

    def fail(self, key: str, message: str, hint: str) -> None:
        self.errors.append(SourceError(self.path, self.doc.line(key), message, hint))

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, f"missing required key '{key}'", f"add '{key}: …' to the front matter")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(key, f"'{key}' must be a text, not {_kind(value)}", f"write '{key}: …' on one line")
            return None
        text = str(value).strip()
        if required and not text:
            self.fail(key, f"'{key}' is empty", f"write a value after '{key}:'")
            return None
        return text

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
                isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip() for v in value):
            self.fail(key, f"'{key}' must be a list of texts", f"write '{key}: [甲, 乙]'")
            return ()
        return tuple(dict.fromkeys(str(v).strip() for v in value))

    def date(self, key: str, *, required: bool = False) -> dt.datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, f"missing required key '{key}'", f"add '{key}: 2026-11-27'")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.fail(key, f"{key} \"{value}\" is not a valid date",
                      "write YYYY-MM-DD, or YYYY-MM-DD HH:MM for a time")
            return None
        try:
            return self.config.local(parsed)
        except OverflowError:  # 0001-01-01T00:00+08:00 has no time at utc_offset -05:00
            self.fail(key, f"{key} \"{value}\" is outside the years 1 to 9999 on the site's clock",
                      "write a date between 0001 and 9999")
            return None

    def choice(self, key: str, allowed: dict[str, str] | tuple[str, ...], what: str,
               default: str | None = None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in allowed:
            self.fail(key, f"unknown {what} '{value}'",
                      f"use one of: {', '.join(allowed)} (or declare it in bulletin.yaml)")
            return default
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, f"'{key}' must be true or false, not {value!r}", f"write '{key}: true'")
            return False
        return value


def validate(doc: YamlDoc, path: str, config: Config) -> tuple[dict[str, Any], list[SourceError]]:
    """Front matter -> the keyword arguments of `Entry` (without body fields)."""
    reader = FieldReader(doc, path, config)
    if not isinstance(doc.data, dict):
        return {}, [SourceError(path, doc.first_line, "the front matter must be a mapping of keys",
                                "write one 'key: value' per line between the --- fences")]
    for key in doc.data:
        if key not in KEYS and key not in config.extra_keys:
            reader.fail(str(key), f"unknown key '{key}'",
                        _suggest(str(key)) + " or declare it under extra_keys in bulletin.yaml")
    title = reader.text("title", required=True)
    date = reader.date("date", required=True)
    entry_type = _type_of(reader, path, config)
    fields: dict[str, Any] = {
        "title": title,
        "date": date,
        "type": entry_type,
        "audience": reader.choice("audience", config.audiences, "audience", config.default_audience),
        "source": reader.text("source"),
        "authors": reader.texts("authors"),
        "tags": reader.texts("tags"),
        "summary": reader.text("summary") or "",
        "urgency": reader.choice("urgency", config.urgencies, "urgency"),
        "pinned_until": reader.date("pinned_until"),
        "draft": reader.flag("draft"),
        "publish_at": reader.date("publish_at"),
        "expire_at": reader.date("expire_at"),
        "slug": _slug(reader, path),
        "extra": tuple((k, doc.data[k]) for k in config.extra_keys if k in doc.data),
        "lines": tuple(item for k, line in doc.lines.items() if len(k) == 1 for item in (k[0], line)),
    }
    if config.sources is not None and fields["source"] and fields["source"] not in config.sources:
        reader.fail("source", f"unknown source unit '{fields['source']}'",
                    "use a unit listed under sources in bulletin.yaml, or add it there")
    fields["publication"], fields["issue"] = _issue(reader, config, date)
    return fields, reader.errors


def _type_of(reader: FieldReader, path: str, config: Config) -> str | None:
    # An entry filed under content/<type>/ may leave out `type`.
    folder = path.split("/")[1] if path.count("/") >= 2 else ""
    default = folder if folder in config.types else None
    entry_type = reader.choice("type", config.types, "type", default)
    if entry_type is None and "type" not in reader.data:
        reader.fail("type", "missing required key 'type'",
                    f"add 'type: …' with one of: {', '.join(config.types)}")
    return entry_type


def _slug(reader: FieldReader, path: str) -> str:
    given = reader.text("slug")
    if given is None:
        stem = posixpath.splitext(posixpath.basename(path))[0]
        return slugify(stem) or "entry"
    if not SLUG_PATTERN.match(given):
        reader.fail("slug", f"slug '{given}' is not a plain URL name",
                    "use lower-case ASCII letters, digits, '-' and '_' only (no '/', no '..')")
        return slugify(given) or "entry"
    return given


def _issue(reader: FieldReader, config: Config,
           date: dt.datetime | None) -> tuple[str | None, IssueRef | None]:
    publication = reader.choice("publication", {k: p.name for k, p in config.publications.items()},
                                "publication")
    value = reader.data.get("issue")
    if value is None:
        if publication is not None:
            reader.fail("publication", "'publication' is given without 'issue'",
                        "add 'issue: N' (the 期 number) or remove 'publication'")
        return None, None
    if "publication" not in reader.data:
        reader.fail("issue", "'issue' is given without 'publication'",
                    f"add 'publication: …' with one of: {', '.join(config.publications)}")
        return None, None
    number = year = item = None
    if isinstance(value, dict):
        unknown = set(value) - {"number", "year", "item"}
        if unknown:
            reader.fail("issue", f"unknown issue setting '{sorted(unknown)[0]}'",
                        "write 'issue: {number: 12, year: 2026, item: 1}'")
        number, year, item = value.get("number"), value.get("year"), value.get("item")
    else:
        number = value
    if isinstance(number, str) and number.strip().isdigit():
        number = int(number)
    ok = all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0)
             for v in (number, year, item))
    if not ok or number is None:
        reader.fail("issue", f"issue {value!r} is not an issue number",
                    "write 'issue: 12', or 'issue: {number: 12, year: 2026, item: 1}'")
        return publication, None
    if publication is None or date is None:
        return publication, None
    if config.publications[publication].numbering == "running":
        return publication, IssueRef(number, 0, item)  # one count across years
    return publication, IssueRef(number, year or date.year, item)


def _suggest(key: str) -> str:
    close = [k for k in KEYS if k.startswith(key[:3]) or key.startswith(k[:3])]
    return f"did you mean '{close[0]}'?" if close else f"the known keys are {', '.join(KEYS)};"


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a mapping", bool: "true/false"}.get(type(value), type(value).__name__)
