"""The search index: files under search/ that search.js reads, built from the Site.

Written by hand (see searchtext.py for why). Only published entries are in the
Site, so nothing excluded for this audience can reach the index.

Layout. Entries are numbered oldest first and cut into partitions of
partition_docs() entries. A partition is the unit of work: its index depends only on its
own entries and is kept in the build's cache under a digest of them, so an edit
recomputes one partition. What a reader downloads is shared by all partitions:
a token's shard file holds one section per partition, so a query makes one
request per token however large the bulletin. Numbering by age makes the
number the recency.

Files under search/, for a token's shard s (its hash's low bits):
- d<s>.bin: bigrams of adjacent units, and words: documents and positions;
- u<s>.bin: CJK characters (one-character queries): documents;
- w<s>.bin: word prefixes (the last word a reader types matches as a prefix);
- f<s>.bin: facets ("type=notice", "year=2026");
- p<k>/<n>.json.gz: entry n of partition k: title, URL, date, and for excerpts the first
  EXCERPT_TEXT characters of its text (summary and body). A longer text also has `chunks`:
  for its chunk files c = 1, 2, ..., the position (as in d files) of the first unit at or after
  character start(c) - CHUNK_OVERLAP / 2, where a match is best shown from chunk c;
- p<k>/<n>-<c>.json.gz: chunk c of a long text, {"text": ...}: its own CHUNK_TEXT characters
  from start(c) = EXCERPT_TEXT + (c - 1) * CHUNK_TEXT, and CHUNK_OVERLAP more on each side
  (widened so as not to cut a word), so that an excerpt around a match near its edges lies in
  one file. A result whose first match lies beyond the first file's text fetches the one chunk
  that d files' positions point to (search.js).

A shard file holds one section per partition (shards.py); postings.py computes them.

Numpy is imported only where a build computes sections or a long text's positions: a
build whose one edited partition is indexed by another process (parallel.Spare) loads it only
for an edited text longer than EXCERPT_TEXT.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import parallel, shards
from .entry import Entry
from .folding import fold_table
from .keys import made_key
from .model import Site
from .pages import Crumb, Page
from .shards import FACET_SHARDS, TITLE_SPAN, Sections, Text
from .themes import template_dirs

FOLDER = "search/"  # every file of the index lies below it
# At most; a smaller bulletin gets smaller partitions (partition_docs). An edit re-indexes one
# partition while the build plans its pages. At 10,000 corpus entries: 256 take 60 ms (512: 124 ms),
# less than the planning beside them; indexing all partitions takes as long either way. Smaller
# ones add sections, and bytes, to every shard file a query reads: against 512, d files are 7%
# larger on average (6.8 KB), u files 9% (2.5 KB).
PARTITION_DOCS = 256
MIN_PARTITION_DOCS = 128
FIELD_BREAK = "\n\x01\n"  # between fields: a separator that no term can match across
EXCERPT_TEXT = 4000  # characters of text in a document file: most texts are shorter
CHUNK_TEXT = 2000  # characters of its own in a chunk file: a deep match costs a reader one chunk
CHUNK_OVERLAP = 256  # characters a chunk file also holds of its neighbours, on each side


def shards_for(docs: int) -> int:
    """Document shards: about one per entry, a power of two from 8 to 4096, so a shard
    file (a token and its neighbours in every partition) stays a few kilobytes."""
    shards = 8
    while shards < 4096 and shards * 2 <= docs:
        shards *= 2
    return shards


class Doc(NamedTuple):
    """A NamedTuple: a build makes one per published entry, at a third of a frozen dataclass's cost."""

    entry: Entry
    facets: tuple[str, ...]

    @property
    def rest(self) -> str:
        """Everything searchable but the title, one field after another."""
        entry = self.entry
        return FIELD_BREAK.join((entry.summary, *entry.tags, entry.source or "", entry.text))


def documents(published: Sequence[Entry]) -> list[Doc]:
    """The published entries (Site.entries), oldest first: their number is their place in that order."""
    docs = []
    for entry in reversed(published):  # newest first, by date and path: no two alike
        facets: tuple[str, ...] = (f"type={entry.type}", f"year={entry.date.year}")
        if entry.publication:
            facets += (f"publication={entry.publication}",)
        if entry.source:
            facets += (f"source={entry.source}",)
        docs.append(Doc(entry, facets))
    return docs


@dataclass(frozen=True)
class Partitioned:
    """The published entries in partitions, each with the digest its index is kept under."""

    docs: list[Doc]
    partitions: list[list[Doc]]
    digests: list[str]
    shards: int
    small: int
    size: int  # entries per partition (the last may have fewer)

    @property
    def names(self) -> list[str]:
        """The shared shard files, known without building anything."""
        return shards.names(self.shards, self.small)

    def texts(self, number: int) -> list[Text]:
        return [Text(doc.entry.title, doc.rest, doc.facets) for doc in self.partitions[number]]


def partitioned(published: Sequence[Entry], salt: str) -> Partitioned:
    """The published entries (Site.entries) in partitions. `salt`: what else a partition's index
    depends on (the generator's code). Nothing else of the site counts: a build starts indexing
    before the rest of its model is made."""
    docs = documents(published)
    shards, small = shards_for(len(docs)), small_shards(len(docs))
    size = partition_docs(shards)
    partitions = [docs[i:i + size] for i in range(0, len(docs), size)]
    digests = [hashlib.sha256(f"{salt}:{shards}:{small}:".encode()
                              + "".join(f"{d.entry.digest}{d.entry.url}" for d in members).encode()).hexdigest()
               for members in partitions]
    return Partitioned(docs, partitions, digests, shards, small, size)


def partition_docs(shards: int) -> int:
    """A quarter of the document shards, from MIN_PARTITION_DOCS to PARTITION_DOCS: an edit
    re-indexes one partition, and in a bulletin of a thousand entries that was all of them.
    It changes with the shard count, whose change re-indexes everything anyway."""
    return min(PARTITION_DOCS, max(MIN_PARTITION_DOCS, shards // 4))


def missing(search: Partitioned, store: Path) -> list[int]:
    """The partitions the store does not hold yet."""
    return [number for number, digest in enumerate(search.digests)
            if not (shards.stored(store, digest).exists() and shards.summary(store, digest).exists())]


@dataclass
class Indexing:
    """Partitions being indexed in other processes (prepare())."""

    search: Partitioned
    store: Path
    started: parallel.Started[None] | parallel.Asked[list[str] | None]

    def wait(self) -> list[str] | None:
        """Once the store holds every partition: what each shard file is made from
        (postings.shard_sources), or None if the store lost a summary meanwhile."""
        results = self.started.results()
        if isinstance(self.started, parallel.Asked):
            return results[0]
        from . import postings

        return postings.shard_sources(self.store, self.search.digests, len(self.search.names))


def prepare(search: Partitioned, store: Path, numbers: list[int], progress: Callable[[str], None],
            spare: parallel.Spare | None = None) -> Indexing:
    """Start indexing these partitions (missing()) in other processes, so that the build goes on
    with its pages meanwhile: up to one in `spare` if given, which also says what the shard files
    are made from; else on every core, even one partition in a forked child."""
    if numbers:
        progress(f"indexing {sum(len(search.partitions[n]) for n in numbers)} entries for search")
    if spare is not None and len(numbers) <= 1:
        texts = {number: search.texts(number) for number in numbers}
        return Indexing(search, store, spare.start(f"{__package__}.postings.index_these", store, search.digests,
                                                   texts, search.shards, search.small))
    from . import postings  # noqa: F401 -- before the fork: the children share it, loaded once

    return Indexing(search, store, parallel.start(functools.partial(_index_into, search, store), numbers,
                                                  parallel.workers(), fork_one=True))


def forget_others(search: Partitioned, store: Path) -> None:
    """The store keeps only the partitions of the latest build."""
    keep = {path(store, digest).name for digest in search.digests for path in (shards.stored, shards.summary)}
    for path in store.glob("*") if store.is_dir() else ():
        if path.name not in keep:
            path.unlink(missing_ok=True)


def context_pages(search: Partitioned, site: Site, source: Path) -> Iterator[Page]:
    """The search page and the files search.js starts from, each keyed by its context."""
    meta = _meta(site, search)
    yield Page("search/index.html", "search.html",
               {"facets": meta["facets"], "crumbs": (Crumb("search", "search/", "ui"),)})
    yield Page("search/meta.json", None, {"meta": meta},
               generate=lambda: json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode())
    fold = "".join(f"{chr(a)}{b}" for a, b in sorted(fold_table().items()))
    yield Page("search/fold.json", None, {"fold": hashlib.sha256(fold.encode()).hexdigest()},
               generate=lambda: json.dumps(fold, ensure_ascii=False).encode())
    script = next(d / "search/search.js" for d in template_dirs(source) if (d / "search/search.js").exists())
    yield Page("search/search.js", None, {"script": script.read_text(encoding="utf-8"), "meta": meta, "fold": fold},
               generate=functools.partial(_client, script, meta, fold))


# The shard and document files: eighteen thousand at 10,000 entries, each known by a digest of
# what it is made from (Page.made_from), not by a context to fingerprint. A build keys them all
# without making their pages (that took 60 ms of each build) and makes a page for each file it
# writes, a few dozen after an edit (Files).


def document_keys(search: Partitioned, shared: str) -> Iterator[tuple[str, str]]:
    """(path, key) of every document and chunk file (_document_path): made from the entry alone,
    so known while the partitions are indexed."""
    for number, members in enumerate(search.partitions):
        for local, doc in enumerate(members):
            key = made_key(shared, doc.entry.digest)
            for chunk in range(chunk_count(doc.entry) + 1):
                yield _document_path(number, local, chunk), key


def shard_keys(search: Partitioned, shared: str, made_from: list[str] | None) -> Iterator[tuple[str, str]]:
    """(path, key) of every shard file; `made_from` as Indexing.wait() gives them."""
    for name, made in zip(search.names, _shard_sources(search, made_from), strict=True):
        yield f"{FOLDER}{name}", made_key(shared, made)


def _shard_sources(search: Partitioned, made_from: list[str] | None) -> list[str]:
    """Each shard file's Page.made_from. A shard file changes when one of its sections does; where
    their digests are unknown (serve, which never compares keys of the search files, or a store
    that lost a partition's summary) any changed partition changes every shard file."""
    return made_from or [hashlib.sha256(":".join(search.digests).encode()).hexdigest()] * len(search.names)


_DOCUMENT = re.compile(r"search/p(\d+)/(\d+)(?:-(\d+))?\.json\.gz")


def _document_path(number: int, local: int, chunk: int) -> str:
    """Where partition `number`'s document `local` is shown (chunk 0), or chunk `chunk` of its text."""
    return f"search/p{number}/{local}-{chunk}.json.gz" if chunk else f"search/p{number}/{local}.json.gz"


class Files:
    """The pages of the shard and document files, made one by one as they are asked for.
    `made_from`: as for shard_keys."""

    def __init__(self, search: Partitioned, site: Site, store: Path, made_from: list[str] | None):
        self.search, self.config = search, site.config
        self.sources = _shard_sources(search, made_from)
        self.sections = _once(functools.partial(_sections, search, store))

    def page(self, path: str) -> Page | None:
        number = shards.number(path.removeprefix(FOLDER), self.search.shards, self.search.small) \
            if path.startswith(FOLDER) and path.count("/") == 1 else None
        if number is not None:
            return self._shard(path, number)
        found = _DOCUMENT.fullmatch(path)
        if found is None:
            return None
        partition, local, chunk = int(found[1]), int(found[2]), int(found[3] or 0)
        members = self.search.partitions[partition] if partition < len(self.search.partitions) else []
        if local >= len(members) or chunk > chunk_count(members[local].entry) \
                or path != _document_path(partition, local, chunk):  # p3/017.json.gz, p3/17-0.json.gz
            return None
        return self._document(path, members[local], chunk)

    def pages(self) -> Iterator[Page]:
        for number, name in enumerate(self.search.names):
            yield self._shard(f"{FOLDER}{name}", number)
        for partition, members in enumerate(self.search.partitions):
            for local, doc in enumerate(members):
                for chunk in range(chunk_count(doc.entry) + 1):
                    yield self._document(_document_path(partition, local, chunk), doc, chunk)

    def _shard(self, path: str, number: int) -> Page:
        return Page(path, None, generate=functools.partial(_shared_file, self.sections, number),
                    group="search/shards", made_from=self.sources[number])

    def _document(self, path: str, doc: Doc, chunk: int) -> Page:
        """What a result shows of an entry (chunk 0), or a chunk of its long text."""
        generate = functools.partial(document_file, doc, self.config.base_path, self.config.types) if chunk == 0 \
            else functools.partial(chunk_file, doc.entry, chunk)
        return Page(path, None, generate=generate, made_from=doc.entry.digest)


def _index_into(search: Partitioned, store: Path, numbers: Iterable[int]) -> None:
    from . import postings

    for number in numbers:
        postings.index_partition(store, search.digests[number], search.texts(number), search.shards, search.small)


def _sections(search: Partitioned, store: Path) -> list[Sections | list[bytes]]:
    """Every partition's sections: from the store, or indexed now (serve, or a store lost)."""
    found: list[Sections | list[bytes]] = []
    names = search.names
    for number, digest in enumerate(search.digests):
        try:
            found.append(Sections(shards.stored(store, digest), len(names)))
        except (OSError, ValueError):
            from . import postings

            files = postings.partition_files(search.texts(number), search.shards, search.small)
            shards.save(store, digest, names, files)
            found.append([files[name] for name in names])
    return found


def _shared_file(sections: Callable[[], list[Sections | list[bytes]]], number: int) -> bytes:
    return shards.shared_file([partition[number] for partition in sections()])


def _client(script: Path, meta: dict[str, object], fold: str) -> bytes:
    """search.js with the index's description and the fold table written into it."""
    embedded = json.dumps({"meta": meta, "fold": fold}, ensure_ascii=False, separators=(",", ":"))
    return script.read_text(encoding="utf-8").replace("const EMBEDDED = null;", f"const EMBEDDED = {embedded};",
                                                      1).encode()


def small_shards(docs: int) -> int:
    """Shards for one-character and prefix tokens: fewer tokens, longer lists."""
    return max(8, shards_for(docs) // 2)


def _once(make: Callable[[], list[Sections | list[bytes]]]) -> Callable[[], list[Sections | list[bytes]]]:
    """The partitions are read (or indexed) on first need, once, and only if a file must be written."""
    return functools.cache(make)


def _meta(site: Site, search: Partitioned) -> dict[str, object]:
    config = site.config
    counts: dict[str, int] = {}
    for doc in search.docs:
        for facet in doc.facets:
            counts[facet] = counts.get(facet, 0) + 1

    def facet(kind: str, names: dict[str, str] | None = None) -> list[list[object]]:
        values = sorted((f.split("=", 1)[1] for f in counts if f.startswith(kind + "=")),
                        reverse=kind == "year")
        return [[v, (names or {}).get(v, v), counts[f"{kind}={v}"]] for v in values]

    return {
        "version": 2, "docs": len(search.docs), "partition": search.size, "title_span": TITLE_SPAN,
        "facet_shards": FACET_SHARDS, "shards": search.shards, "small": search.small,
        "partitions": [len(members) for members in search.partitions],
        "facets": {"type": facet("type", config.types),
                   "publication": facet("publication", {k: p.name for k, p in config.publications.items()}),
                   "source": facet("source"), "year": facet("year")},
    }


def excerpt_text(entry: Entry) -> str:
    """What excerpts are cut from: summary and body."""
    return "\n".join(t for t in (entry.summary, entry.text) if t)


def chunk_count(entry: Entry) -> int:
    """How many chunk files hold the text beyond its first EXCERPT_TEXT characters. Counted from
    the body's known length: planning the files of an unchanged entry reads no body."""
    summary, body = len(entry.summary), entry.body.chars
    return max(0, -(-(summary + body + (1 if summary and body else 0) - EXCERPT_TEXT) // CHUNK_TEXT))


def _chunk_start(chunk: int) -> int:
    """Where the own characters of chunk `chunk` (from 1) begin in the text."""
    return EXCERPT_TEXT + (chunk - 1) * CHUNK_TEXT


def document_file(doc: Doc, base: str, type_names: dict[str, str]) -> bytes:
    """What a result shows. The text is for excerpts: a long report keeps its first EXCERPT_TEXT
    characters here and the rest in chunk files, fetched only for a match beyond them, so that
    ten results stay small."""
    entry = doc.entry
    data: dict[str, object] = {
        "url": f"{base}{entry.url}", "title": entry.title, "date": entry.date.strftime("%Y-%m-%d"),
        "type": type_names.get(entry.type, entry.type), "source": entry.source or "",
        "text": excerpt_text(entry)[:EXCERPT_TEXT]}
    chunks = chunk_count(entry)
    if chunks:
        # Half the overlap before a chunk's own text: a match there has context on both sides in it.
        data["chunks"] = _positions_at(doc, [_chunk_start(c) - CHUNK_OVERLAP // 2 for c in range(1, chunks + 1)])
    return _json_gz(data)


def chunk_file(entry: Entry, chunk: int) -> bytes:
    """Chunk `chunk` (from 1) of a long text: its own CHUNK_TEXT characters and CHUNK_OVERLAP
    more on each side."""
    text = excerpt_text(entry)
    start = _word_edge(text, _chunk_start(chunk) - CHUNK_OVERLAP, -1)
    end = _word_edge(text, _chunk_start(chunk + 1) + CHUNK_OVERLAP, 1)
    return _json_gz({"text": text[start:end]})


def _json_gz(data: dict[str, object]) -> bytes:
    return gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), mtime=0)


def _word_edge(text: str, at: int, step: int) -> int:
    """`at`, moved by `step` (-1 or 1) while it cuts a word (letters and digits, 7.15) in two, by
    at most CHUNK_OVERLAP characters: the piece of a word at a chunk's edge would match a query
    as a whole word ("15" of 7.15)."""
    from .searchtext import cuts_word  # numpy: only a long text's chunk files need it

    for _ in range(CHUNK_OVERLAP):
        if not (0 < at < len(text) and cuts_word(text, at)):
            break
        at += step
    return min(max(at, 0), len(text))


def _positions_at(doc: Doc, offsets: list[int]) -> list[int]:
    """For ascending offsets into the excerpt text, the position (as in d files) of the first unit
    at or after each. The units are this document's alone; in its partition a separator running
    across the boundary from the previous document can move the title's units by one, which moves
    the text's only when the title fills TITLE_SPAN: the chunks' overlap absorbs that."""
    from .postings import positions_at  # numpy: only a long text's document file needs it

    entry = doc.entry
    rest = doc.rest
    # The excerpt text is the summary, a line break, the body; the rest has tags and source between.
    body_in_text = len(entry.summary) + 1 if entry.summary else 0
    body_in_rest = len(rest) - len(entry.text)
    in_rest = [at if not entry.text or at < body_in_text else body_in_rest + at - body_in_text for at in offsets]
    return positions_at(entry.title, rest, in_rest)
