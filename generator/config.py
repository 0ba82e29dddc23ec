"""bulletin.yaml into a frozen `Config`, reporting every bad key at once.

A folder with content/ and no bulletin.yaml builds with the defaults of
PRODUCT.md, so the defaults below are the product's, not placeholders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import SourceError
from .frontmatter import YamlDoc, read_yaml

CONFIG_FILE = "bulletin.yaml"
LANGUAGES = ("zh-Hans", "zh-Hant")
NUMBERINGS = ("yearly", "running")
# First path segments the theme uses; a type or publication may not take them.
RESERVED = frozenset({"static", "search", "tags", "sources", "archive", "stats", "feeds",
                      "page", "404", "sitemap", "attachments"})
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")

DEFAULT_YAML = """\
title: 信息
organisation: 办公室
url: http://localhost:8000/
language: zh-Hans
per_page: 20
utc_offset: "+08:00"
types:
  info: 信息
  report: 调研报告
  notice: 通知
  circular: 通报
publications:
  xinxi: {name: 信息, numbering: yearly}
  meiri: {name: 每日要情, numbering: yearly}
audiences:
  public: 公开
  internal: 内部
  restricted: 限阅
default_audience: internal
urgencies: [特急, 加急]
"""


@dataclass(frozen=True)
class Publication:
    key: str
    name: str
    numbering: str = "yearly"  # "yearly": 2026年第12期; "running": 第345期 for ever
    editor: str = ""  # 編發單位 printed on the masthead unless an issue names one


@dataclass(frozen=True)
class Config:
    title: str
    organisation: str
    url: str
    language: str
    per_page: int
    types: dict[str, str]
    publications: dict[str, Publication]
    audiences: dict[str, str]  # lowest first
    default_audience: str
    urgencies: tuple[str, ...]
    sources: tuple[str, ...] | None  # a closed list, or free text when None
    extra_keys: tuple[str, ...]
    allow_html: bool
    utc_offset: str = "+08:00"  # the site's time zone: of its front-matter dates and its build clock
    digest: str = field(default="", compare=False)

    @property
    def base_path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def zone(self) -> dt.timezone:
        sign = -1 if self.utc_offset.startswith("-") else 1
        return dt.timezone(sign * dt.timedelta(hours=int(self.utc_offset[1:3]), minutes=int(self.utc_offset[4:6])))

    def clock(self, given: dt.datetime | None = None) -> dt.datetime:
        """The build's clock: `given` (--now) or the time now, on the site's clock and naive like
        every date of its entries: publish_at 08:00 means 08:00 at utc_offset, whatever the time
        zone of the server that builds."""
        return self.local(given) if given else dt.datetime.now(self.zone).replace(tzinfo=None)

    def local(self, moment: dt.datetime) -> dt.datetime:
        """`moment` on the site's clock: one with an offset is converted, a naive one is taken as is."""
        return moment if moment.tzinfo is None else moment.astimezone(self.zone).replace(tzinfo=None)


def default_config() -> Config:
    config, errors = parse_config(DEFAULT_YAML, "(default configuration)")
    assert config is not None and not errors, errors
    return config


def load_config(source: Path, read: Callable[[Path], bytes | None] | None = None
                ) -> tuple[Config | None, list[SourceError]]:
    """`read`: how to get a file's bytes (None when there is no such file), if not file_bytes."""
    data = (read or file_bytes)(source / CONFIG_FILE)
    if data is None:
        return default_config(), []
    try:
        text = decoded(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [SourceError(CONFIG_FILE, 1, f"not UTF-8 text ({exc.reason})",
                                  "save bulletin.yaml as UTF-8")]
    return parse_config(text, CONFIG_FILE)


def file_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def decoded(data: bytes, encoding: str) -> str:
    """As Path.read_text gives it: line ends made \\n."""
    return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")


def parse_config(text: str, path: str) -> tuple[Config | None, list[SourceError]]:
    doc, errors = read_yaml(text, path)
    if doc is None:
        return None, errors
    if not isinstance(doc.data, dict):
        return None, [SourceError(path, 1, "the configuration must be a mapping of keys",
                                  "write it as 'key: value' lines")]
    reader = _Reader(doc, path)
    config = reader.config()
    errors = reader.errors
    if errors:
        return None, errors
    digest = hashlib.sha256(repr(config).encode()).hexdigest()[:16]
    return Config(**{**config.__dict__, "digest": digest}), []


class _Reader:
    """Reads each known key, collecting one error per problem."""

    KNOWN = ("title", "organisation", "url", "language", "per_page", "types", "publications",
             "audiences", "default_audience", "urgencies", "sources", "extra_keys", "allow_html",
             "utc_offset")

    def __init__(self, doc: YamlDoc, path: str):
        self.doc, self.path, self.data = doc, path, doc.data
        self.errors: list[SourceError] = []

    def fail(self, keys: tuple[str, ...], message: str, hint: str) -> None:
        self.errors.append(SourceError(self.path, self.doc.line(*keys), message, hint))

    def config(self) -> Config:
        for key in self.data:
            if key not in self.KNOWN:
                self.fail((str(key),), f"unknown configuration key '{key}'",
                          f"use one of: {', '.join(self.KNOWN)}")
        defaults = _DEFAULTS
        title = self.text("title", defaults["title"])
        organisation = self.text("organisation", defaults["organisation"])
        url = self.text("url", defaults["url"])
        if not re.match(r"^https?://[^/]+(/.*)?$", url):
            self.fail(("url",), f"url '{url}' is not an absolute http(s) address",
                      "write it like http://intranet.example/bulletin/")
        url = url if url.endswith("/") else url + "/"
        language = self.text("language", defaults["language"])
        if language not in LANGUAGES:
            self.fail(("language",), f"unknown language '{language}'",
                      f"use {' or '.join(LANGUAGES)}")
        per_page = self.data.get("per_page", 20)
        if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= 500:
            self.fail(("per_page",), f"per_page must be a whole number from 1 to 500, not {per_page!r}",
                      "write for example 'per_page: 20'")
            per_page = 20
        types = self.names("types", defaults["types"])
        audiences = self.names("audiences", defaults["audiences"])
        publications = self.publications(defaults["publications"])
        for key in [*types, *publications]:
            if key in RESERVED:
                self.fail(("types" if key in types else "publications", key),
                          f"'{key}' is used by the site itself", "choose another key")
        for key in set(types) & set(publications):
            self.fail(("publications", key), f"'{key}' is both a type and a publication",
                      "give them different keys: both become the first part of URLs")
        default_audience = self.text("default_audience", "internal" if "internal" in audiences
                                     else next(iter(audiences), ""))
        if audiences and default_audience not in audiences:
            self.fail(("default_audience",), f"default_audience '{default_audience}' is not an audience",
                      f"use one of: {', '.join(audiences)}")
        urgencies = self.strings("urgencies", tuple(defaults["urgencies"]))
        sources = self.strings("sources", None)
        extra_keys = self.strings("extra_keys", ())
        allow_html = self.data.get("allow_html", False)
        if not isinstance(allow_html, bool):
            self.fail(("allow_html",), "allow_html must be true or false", "write 'allow_html: false'")
            allow_html = False
        utc_offset = self.text("utc_offset", "+08:00")
        if not re.match(r"^[+-](0\d|1\d|2[0-3]):[0-5]\d$", utc_offset):
            self.fail(("utc_offset",), f"utc_offset '{utc_offset}' is not an offset like +08:00",
                      "write 'utc_offset: \"+08:00\"' (with the quotes), from -23:59 to +23:59")
        return Config(title=title, organisation=organisation, url=url, language=language,
                      per_page=per_page, types=types, publications=publications,
                      audiences=audiences, default_audience=default_audience,
                      urgencies=urgencies or (), sources=sources, extra_keys=extra_keys or (),
                      allow_html=allow_html, utc_offset=utc_offset)

    def text(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            self.fail((key,), f"'{key}' must be a non-empty text", f"write '{key}: …'")
            return default
        return str(value).strip()

    def strings(self, key: str, default: tuple[str, ...] | None) -> tuple[str, ...] | None:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail((key,), f"'{key}' must be a list of texts", f"write '{key}: [甲, 乙]'")
            return default
        return tuple(v.strip() for v in value)

    def names(self, key: str, default: dict[str, str]) -> dict[str, str]:
        """A mapping key -> display name, or a list of keys that name themselves."""
        value = self.data.get(key, default)
        if isinstance(value, list):
            value = {str(k): str(k) for k in value}
        if not isinstance(value, dict) or not value:
            self.fail((key,), f"'{key}' must map keys to names", f"write '{key}:' then 'key: 名稱' lines")
            return default
        result: dict[str, str] = {}
        for k, name in value.items():
            if not KEY_PATTERN.match(str(k)):
                self.fail((key, str(k)), f"'{k}' is not a valid key",
                          "use lower-case ASCII letters, digits, '-' or '_' (it appears in URLs)")
            if isinstance(name, dict):
                name = name.get("name", k)
            result[str(k)] = str(name)
        return result

    def publications(self, default: dict[str, Publication]) -> dict[str, Publication]:
        value = self.data.get("publications")
        if value is None:
            return default
        if not isinstance(value, dict) or not value:
            self.fail(("publications",), "'publications' must map keys to settings",
                      "write 'publications:' then 'xinxi: {name: 信息, numbering: yearly}'")
            return default
        result: dict[str, Publication] = {}
        for key, settings in value.items():
            key = str(key)
            if not KEY_PATTERN.match(key):
                self.fail(("publications", key), f"'{key}' is not a valid key",
                          "use lower-case ASCII letters, digits, '-' or '_' (it appears in URLs)")
            if isinstance(settings, str):
                settings = {"name": settings}
            if not isinstance(settings, dict):
                self.fail(("publications", key), f"publication '{key}' must be a mapping",
                          "write '{name: 信息, numbering: yearly}'")
                continue
            for unknown in set(settings) - {"name", "numbering", "editor"}:
                self.fail(("publications", key, str(unknown)), f"unknown publication setting '{unknown}'",
                          "use name, numbering or editor")
            numbering = settings.get("numbering", "yearly")
            if numbering not in NUMBERINGS:
                self.fail(("publications", key, "numbering"), f"unknown numbering '{numbering}'",
                          "use 'yearly' (第N期 restarts each year) or 'running' (one count for ever)")
            result[key] = Publication(key, str(settings.get("name", key)), str(numbering),
                                      str(settings.get("editor", "")))
        return result


def _default_values() -> dict[str, Any]:
    doc, _ = read_yaml(DEFAULT_YAML, "(default)")
    assert doc is not None
    data = dict(doc.data)
    data["publications"] = {k: Publication(k, v["name"], v["numbering"])
                            for k, v in data["publications"].items()}
    return data


_DEFAULTS = _default_values()
