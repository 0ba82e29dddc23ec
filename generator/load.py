"""content/ into validated entries and issue files, with every error found.

Nothing here knows about audiences or URLs of other entries: that is the
model's job. A file that cannot be read or validated yields errors and no
entry; it is never dropped silently.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any

from . import parallel
from .cache import FileResult, Memory, still_valid
from .config import Config
from .entry import Attachment, Body, Entry, validate
from .errors import SourceError
from .frontmatter import read_yaml, split
from .inputs import CONTENT, ENTRY_SUFFIX, ISSUE_SUFFIXES, Listing, SourceFile, StatKey, scan, stat_key_of
from .issuefile import IssueInfo, validate_issue
from .markdown import Converter, preload

MAX_ENTRY_BYTES = 2 * 1024 * 1024
PARALLEL_FROM = 200  # files to read before it pays to fork workers
SHARE = 64  # results a reading child sends at once: some 200 KB of entries


@dataclass(frozen=True)
class Loaded:
    entries: tuple[Entry, ...]
    issues: tuple[IssueInfo, ...]
    errors: tuple[SourceError, ...]
    paths: frozenset[str]  # every entry file found, loaded or not: link targets


def load(source: Path, config: Config, backlink_title: str = "{}", memory: Memory | None = None,
         listing: Listing | None = None, meanwhile: Callable[[], None] | None = None) -> Loaded:
    """Every entry and issue file. `backlink_title`: the footnote back-link's tooltip in the
    UI language ({} = number). With `memory`, unchanged files are not read again, and
    `memory` is updated with this load's results. `listing`: content/ as the caller found it
    (inputs.scan), or None to walk it now. `meanwhile`: work of the caller's that this process
    does while forked children read the files (else before it returns)."""
    listing = listing or scan(source)
    known = memory.results if memory else {}
    results: dict[str, FileResult] = {}
    to_read = []
    for file in listing.files:
        cached = known.get(file.rel)
        if cached is not None and still_valid(cached, source, file.stat):
            results[file.rel] = cached
        else:
            to_read.append(file)
    children = parallel.workers() if len(to_read) >= PARALLEL_FROM else 1
    if children > 1:
        preload(config.allow_html)  # before the fork: the children share them, loaded once
    reading = parallel.start(functools.partial(_read_files, source, config, backlink_title), to_read, children,
                             pieces=True)
    try:
        if meanwhile is not None:
            meanwhile()
    finally:
        shares = reading.results()
    for share in shares:
        results.update(share)
    if memory is not None:
        memory.changed = memory.changed or bool(to_read) or len(results) != len(known)
        memory.results = results
        memory.listing = listing
    ordered = [results[f.rel] for f in listing.files]
    return Loaded(tuple(r.entry for r in ordered if r.entry is not None),
                  tuple(r.issue for r in ordered if r.issue is not None),
                  listing.errors + tuple(e for r in ordered for e in r.errors),
                  frozenset(f.rel for f in listing.files if f.rel.endswith(ENTRY_SUFFIX)))


def _read_files(source: Path, config: Config, backlink_title: str, files: Iterable[SourceFile]
                ) -> Iterator[dict[str, FileResult]]:
    """The results of `files`, SHARE at a time: a forked child sends each share as it is made."""
    converter = Converter(config.allow_html, backlink_title)
    results = {}
    for file in files:
        entry, issue, problems = load_file(source, file.rel, config, converter)
        depends = tuple((a.source, a.stat) for a in ((*entry.attachments, *entry.assets) if entry else ()))
        results[file.rel] = FileResult(file.stat, depends, entry, issue, tuple(problems))
        if len(results) == SHARE:
            yield results
            results = {}
    if results:
        yield results


def load_file(source: Path, rel: str, config: Config, converter: Converter
              ) -> tuple[Entry | None, IssueInfo | None, list[SourceError]]:
    text, digest, errors = read_text(f"{source}/{rel}", rel)  # a string: a Path took 8 µs a file
    if text is None:
        return None, None, errors
    if rel.endswith(ISSUE_SUFFIXES):
        doc, errors = read_yaml(text.removeprefix("\ufeff"), rel)
        if doc is None:
            return None, None, errors
        issue, errors = validate_issue(doc, rel, config)
        return None, (issue and IssueInfo(**{**issue.__dict__, "digest": digest})), errors
    entry, errors = parse_entry(source, rel, text, digest, config, converter)
    return entry, None, errors


def read_text(path: str, rel: str) -> tuple[str | None, str, list[SourceError]]:
    with open(path, "rb") as handle:
        data = handle.read()
    digest = hashlib.sha256(rel.encode() + b"\0" + data).hexdigest()
    if len(data) > MAX_ENTRY_BYTES:
        return None, digest, [SourceError(
            rel, 1, f"the file is {len(data) / 1048576:.1f} MB; an entry may be at most "
                    f"{MAX_ENTRY_BYTES // 1048576} MB",
            "split it into several entries, or attach the document as a file")]
    if b"\0" in data:
        return None, digest, [SourceError(rel, data.count(b"\n", 0, data.index(b"\0")) + 1,
                                          "this is a binary file, not Markdown text",
                                          "save the entry as UTF-8 text, or give a document a "
                                          "suffix other than .md and list it under attachments")]
    try:
        return data.decode("utf-8"), digest, []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, digest, [SourceError(rel, line, f"the file is not UTF-8 text ({exc.reason}"
                                                     f" at byte {exc.start})",
                                          "save it as UTF-8 (GBK/GB18030 files must be converted)")]


def parse_entry(source: Path, rel: str, text: str, digest: str, config: Config,
                converter: Converter) -> tuple[Entry | None, list[SourceError]]:
    parts, errors = split(text, rel)
    if parts is None:
        return None, errors
    doc, errors = read_yaml(parts.yaml_text, rel, parts.yaml_line)
    if doc is None:
        return None, errors
    fields, errors = validate(doc, rel, config)
    if not doc.data or not isinstance(doc.data, dict):
        return None, errors
    attachments = _attachments(source, rel, doc.data.get("attachments"), doc.line("attachments"),
                               errors)
    body = converter.convert(parts.body, rel, parts.body_line)
    for target, line in body.outside:
        errors.append(SourceError(rel, line, f"the link '{target}' points outside content/",
                                  "link only to entries and files inside content/"))
    # A file the body links to is published beside the entry once, however often it is linked
    # and whether or not it is also listed as an attachment: one stat each, so that a file saved
    # while the entry is read cannot count as two.
    listed = {a.source for a in attachments}
    assets: dict[str, Attachment] = {}
    for target, line in body.assets:
        if target in listed or target in assets:
            continue
        stat = _file(source, target)
        if stat is None:
            errors.append(SourceError(rel, line, f"the link points to a missing file '{target}'",
                                      "correct the path (relative to this entry) or add the file"))
        else:
            assets[target] = Attachment(target, posixpath.basename(target), "", stat)
    _check_names(rel, attachments, list(assets.values()), doc.line("attachments"), errors)
    if errors:
        return None, errors
    stamp = "".join(f"{a.source}:{a.stat};" for a in (*attachments, *assets.values()))
    return Entry(path=rel, **fields, body_line=parts.body_line, body=Body(body.html, body.text),
                 links=body.links, attachments=tuple(attachments),
                 assets=tuple(assets.values()),
                 digest=hashlib.sha256(f"{digest}{stamp}".encode()).hexdigest()), []


def _attachments(source: Path, rel: str, value: Any, line: int,
                 errors: list[SourceError]) -> list[Attachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    result = []
    for item in value:
        path, title = (item, None) if isinstance(item, str) else (
            (item.get("path"), item.get("title")) if isinstance(item, dict) else (None, None))
        if not isinstance(path, str) or not path.strip() or (
                title is not None and not isinstance(title, str)):
            errors.append(SourceError(rel, line, f"attachment {item!r} is not a file path",
                                      "write '- 附件1.docx' or '- {path: 附件1.docx, title: 名單}'"))
            continue
        target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path.strip()))
        if not target.startswith(f"{CONTENT}/") or posixpath.isabs(path):
            errors.append(SourceError(rel, line, f"attachment '{path}' points outside content/",
                                      "put the file in content/, next to the entry"))
            continue
        stat = _file(source, target)
        if stat is None:
            errors.append(SourceError(rel, line, f"attachment '{path}' does not exist ({target})",
                                      "correct the path (relative to this entry) or add the file"))
            continue
        name = posixpath.basename(target)
        result.append(Attachment(target, name, (title or "").strip() or name, stat))
    return result


def _check_names(rel: str, attachments: list[Attachment], assets: list[Attachment], line: int,
                 errors: list[SourceError]) -> None:
    by_name: dict[str, str] = {}
    for item in (*attachments, *assets):
        if by_name.setdefault(item.name, item.source) != item.source:
            errors.append(SourceError(rel, line, f"two different files are named '{item.name}'",
                                      "rename one: files are published side by side"))


def _file(source: Path, target: str) -> StatKey | None:
    """The stat of a regular file inside content/, or None."""
    path = source / target
    try:
        if not path.resolve().is_relative_to((source / CONTENT).resolve()):
            return None
        st = path.stat()
    except OSError:
        return None
    return stat_key_of(st) if S_ISREG(st.st_mode) else None
