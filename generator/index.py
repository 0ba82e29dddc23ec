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

A shard file: varint P, P varint section lengths, then the sections of
partitions 0 to P-1. A section: u32 count (top bit set when keys are 64-bit:
two tokens of the shard share their high 32 bits), count u32 keys (the hash's
high halves, ascending; then the low halves when 64-bit), count varint
lengths, the data. A token's documents: varint n, n varint id deltas (ids local
to the partition), n varint flags (occurrences up to 63, +64 when in the
title). In d<s>.bin each section is followed by the positions: count varint
lengths, in the order of the keys, then per document of the token's list a
varint count and varint position deltas.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import mmap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import parallel
from .entry import Entry
from .links import replace_whole
from .model import Site
from .pages import Crumb, Page
from .searchtext import WORD as WORD_CLASS
from .searchtext import WORD_BIT, Units, classify, fnv1a64, fold_table, normalise, units
from .themes import template_dirs

FOLDER = "search/"  # every file of the index lies below it
# At most; a smaller bulletin gets smaller partitions (partition_docs). An edit re-indexes one
# partition while the build plans its pages. At 10,000 corpus entries: 256 take 60 ms (512: 124 ms),
# less than the planning beside them; indexing all partitions takes as long either way. Smaller
# ones add sections, and bytes, to every shard file a query reads: against 512, d files are 7%
# larger on average (6.8 KB), u files 9% (2.5 KB).
PARTITION_DOCS = 256
MIN_PARTITION_DOCS = 128
TITLE_SPAN = 256  # a title's units sit below this position; the other fields follow it
MAX_COUNT = 63
UNIGRAM, BIGRAM, WORD, PREFIX, FACET = 1, 2, 3, 4, 5
FIELD_BREAK = "\n\x01\n"  # between fields: a separator that no term can match across
WIDE = 1 << 31
FACET_SHARDS = 8
SHARD_PASSES = 4  # divides every shard count (at least 8)
EXCERPT_TEXT = 4000  # characters of text in a document file: most texts are shorter
CHUNK_TEXT = 2000  # characters of its own in a chunk file: a deep match costs a reader one chunk
CHUNK_OVERLAP = 256  # characters a chunk file also holds of its neighbours, on each side
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def shards_for(docs: int) -> int:
    """Document shards: about one per entry, a power of two from 8 to 4096, so a shard
    file (a token and its neighbours in every partition) stays a few kilobytes."""
    shards = 8
    while shards < 4096 and shards * 2 <= docs:
        shards *= 2
    return shards


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * _MIX1
        x = x ^ (x >> np.uint64(27))
        x = x * _MIX2
        return x ^ (x >> np.uint64(31))


def token_hash(kind: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """mix(mix(kind * golden + a) + b) over uint64; search.js computes the same with BigInt."""
    with np.errstate(over="ignore"):
        return _mix(_mix(kind.astype(np.uint64) * _GOLDEN + a.astype(np.uint64)) + b.astype(np.uint64))


class Doc(NamedTuple):
    """A NamedTuple: a build makes one per published entry, at a third of a frozen dataclass's cost."""

    entry: Entry
    facets: tuple[str, ...]

    @property
    def rest(self) -> str:
        """Everything searchable but the title, one field after another."""
        entry = self.entry
        return FIELD_BREAK.join((entry.summary, *entry.tags, entry.source or "", entry.text))


def documents(site: Site) -> list[Doc]:
    """Published entries, oldest first: their number is their place in that order."""
    docs = []
    for entry in reversed(site.entries):  # newest first, by date and path: no two alike
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
        return ([f"d{s}.bin" for s in range(self.shards)] + [f"u{s}.bin" for s in range(self.small)]
                + [f"w{s}.bin" for s in range(self.small)] + [f"f{s}.bin" for s in range(FACET_SHARDS)])


def partitioned(site: Site, salt: str) -> Partitioned:
    """`salt`: what else a partition's index depends on (the generator's code)."""
    docs = documents(site)
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
            if not (_stored(store, digest).exists() and _summary(store, digest).exists())]


def prepare(search: Partitioned, store: Path, numbers: list[int], progress: Callable[[str], None]
            ) -> parallel.Started[None]:
    """Start indexing these partitions (missing()) on every core: even one partition goes to a
    child, so that the build goes on with its pages meanwhile."""
    if numbers:
        progress(f"indexing {sum(len(search.partitions[n]) for n in numbers)} entries for search")
    return parallel.start(functools.partial(_index_into, search, store), numbers, parallel.workers(),
                          fork_one=True)


def forget_others(search: Partitioned, store: Path) -> None:
    """The store keeps only the partitions of the latest build."""
    keep = {path(store, digest).name for digest in search.digests for path in (_stored, _summary)}
    for path in store.glob("*") if store.is_dir() else ():
        if path.name not in keep:
            path.unlink(missing_ok=True)


def index_pages(search: Partitioned, site: Site, source: Path, store: Path, prepared: bool = True
                ) -> Iterator[Page]:
    """Every file below FOLDER but the documents' (document_pages). `prepared`: prepare() has
    finished, so the store holds every partition. Serve skips it, makes the search files on
    request and never compares their fingerprints."""
    sections = _once(functools.partial(_sections, search, store))
    summaries = _summaries(search, store) if prepared else None
    # Thousands of files, each known by a digest of what it is made from (Page.made_from), not
    # by a context to fingerprint. A shard file changes when one of its sections does; without
    # the summaries any changed partition changes every shard file.
    partitions = ":".join(search.digests)
    width = _SUMMARY * len(search.digests)
    for number, name in enumerate(search.names):
        # Digested, not in hex: a key is made of it, and a fifth of it costs a fifth of the hashing.
        made_from = hashlib.sha256(summaries[number * width:(number + 1) * width]).hexdigest() if summaries \
            else partitions
        yield Page(f"search/{name}", None, generate=functools.partial(_shared_file, sections, number),
                   group="search/shards", made_from=made_from)
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


def document_pages(search: Partitioned, site: Site) -> Iterator[Page]:
    """What a result shows of each document, and the chunks of a long text: made from the entry
    alone, so planned while the partitions are indexed."""
    base, types = site.config.base_path, site.config.types  # types: in the configuration's digest
    for number, members in enumerate(search.partitions):
        for local, doc in enumerate(members):
            digest = doc.entry.digest
            yield Page(f"search/p{number}/{local}.json.gz", None, generate=functools.partial(
                document_file, doc, base, types), made_from=f"{digest}:{base}")
            for chunk in range(1, chunk_count(doc.entry) + 1):
                yield Page(f"search/p{number}/{local}-{chunk}.json.gz", None,
                           generate=functools.partial(chunk_file, doc.entry, chunk), made_from=digest)


def _stored(store: Path, digest: str) -> Path:
    """A partition's section of every shard file, in the order of Partitioned.names: their ends
    (N + 1 little-endian int64 offsets into the data) and the data. A build reads the sections
    of the few files it writes, not all of them."""
    return store / f"{digest}.sections"


def _summary(store: Path, digest: str) -> Path:
    """A digest of each of the partition's sections (_SUMMARY bytes each, in the same order):
    small enough to read at every build."""
    return store / f"{digest}.digests"


_SUMMARY = 16


def _summaries(search: Partitioned, store: Path) -> bytes | None:
    """Every shard file's section digests, one partition after another: file by file, the
    digests of its sections in all partitions (made_from for its page)."""
    try:
        found = [_summary(store, digest).read_bytes() for digest in search.digests]
    except OSError:
        return None
    names = len(search.names)
    if any(len(data) != names * _SUMMARY for data in found):
        return None
    by_partition = np.frombuffer(b"".join(found), dtype=np.uint8).reshape(len(found), names, _SUMMARY)
    return by_partition.transpose(1, 0, 2).tobytes()


def _index_into(search: Partitioned, store: Path, numbers: Iterable[int]) -> None:
    for number in numbers:
        _save(store, search.digests[number], search.names,
              partition_files(search.partitions[number], search.shards, search.small))


def _save(store: Path, digest: str, names: list[str], files: dict[str, bytes]) -> None:
    """Whole or not at all: a build killed while saving leaves no partial file."""
    parts = [files[name] for name in names]
    ends = np.cumsum([0, *map(len, parts)], dtype="<i8")
    summary = b"".join(hashlib.sha256(data).digest()[:_SUMMARY] for data in parts)
    store.mkdir(parents=True, exist_ok=True)
    for path, data in ((_summary(store, digest), summary), (_stored(store, digest), ends.tobytes() + b"".join(parts))):
        replace_whole(path, data)


class _Sections:
    """A partition's sections as its stored file holds them, mapped, not read whole."""

    def __init__(self, path: Path, count: int):
        with open(path, "rb") as handle:
            self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.start = (count + 1) * 8
        self.ends = np.frombuffer(self.data, dtype="<i8", count=count + 1)
        if self.start + int(self.ends[-1]) != len(self.data):
            raise ValueError(f"{path}: torn")

    def __getitem__(self, number: int) -> bytes:
        return self.data[self.start + int(self.ends[number]):self.start + int(self.ends[number + 1])]


Sections = _Sections | list[bytes]  # a partition's section of each shard file, by the file's number


def _sections(search: Partitioned, store: Path) -> list[Sections]:
    """Every partition's sections: from the store, or indexed now (serve, or a store lost)."""
    found: list[Sections] = []
    names = search.names
    for number, digest in enumerate(search.digests):
        try:
            found.append(_Sections(_stored(store, digest), len(names)))
        except (OSError, ValueError):
            files = partition_files(search.partitions[number], search.shards, search.small)
            _save(store, digest, names, files)
            found.append([files[name] for name in names])
    return found


def _shared_file(sections: Callable[[], list[Sections]], number: int) -> bytes:
    parts = [partition[number] for partition in sections()]
    return _varints(np.array([len(parts), *map(len, parts)], dtype=np.int64))[0] + b"".join(parts)


def _client(script: Path, meta: dict[str, object], fold: str) -> bytes:
    """search.js with the index's description and the fold table written into it."""
    embedded = json.dumps({"meta": meta, "fold": fold}, ensure_ascii=False, separators=(",", ":"))
    return script.read_text(encoding="utf-8").replace("const EMBEDDED = null;", f"const EMBEDDED = {embedded};",
                                                      1).encode()


def small_shards(docs: int) -> int:
    """Shards for one-character and prefix tokens: fewer tokens, longer lists."""
    return max(8, shards_for(docs) // 2)


def _once(make: Callable[[], list[Sections]]) -> Callable[[], list[Sections]]:
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


@dataclass(frozen=True)
class Occurrences:
    """Token occurrences: one row per (token, document, position)."""

    hash: np.ndarray
    doc: np.ndarray
    pos: np.ndarray


def partition_files(docs: list[Doc], shards: int, small: int) -> dict[str, bytes]:
    """One partition's section of every shard file, by the shard file's name."""
    files: dict[str, bytes] = {}
    units_of = _units_of(docs)
    # Positions ride behind the documents in d files: one request per token.
    _add_shards(files, "d", _rows(units_of, BIGRAM, WORD), shards, positional=True)
    _add_shards(files, "u", _rows(units_of, UNIGRAM), small)
    _add_shards(files, "w", _rows(units_of, PREFIX), small)
    _add_shards(files, "f", _occurrences([_facets(docs)]), FACET_SHARDS)
    return files


def _add_shards(files: dict[str, bytes], prefix: str, found: Occurrences, shards: int,
                positional: bool = False) -> None:
    """The shard files of one kind of token, a quarter of the shards at a time: a partition's
    occurrences and their postings are its largest data (memory follows its text's length)."""
    shard = (found.hash & np.uint64(shards - 1)).astype(np.int32)
    step = shards // SHARD_PASSES
    for low in range(0, shards, step):
        numbers = range(low, low + step)
        keep = (shard >= low) & (shard < low + step)
        postings = Postings.of(Occurrences(found.hash[keep], found.doc[keep], found.pos[keep]), shards)
        made, bounds = _shard_files(postings.token_hash, postings.document_lists(), shards, numbers)
        if positional:
            lengths, records = _grouped(*postings.position_lists(), bounds)
            made = [data + lengths[k] + records[k] for k, data in enumerate(made)]
        for number, data in zip(numbers, made, strict=True):
            files[f"{prefix}{number}.bin"] = data


@dataclass(frozen=True)
class PlacedUnits:
    """The units of a partition's text in order, each with its document and position, and its words."""

    ids: np.ndarray
    doc: np.ndarray
    pos: np.ndarray
    segment: np.ndarray
    words: list[str]


def _units_of(docs: list[Doc]) -> PlacedUnits:
    """Tokenise a partition's documents in one pass: title and rest of each, in order."""
    joined = normalise("\0".join(text for doc in docs for text in (doc.entry.title, doc.rest)))
    return _placed(joined, units(joined))


def _placed(joined: str, found: Units) -> PlacedUnits:
    """The units of normalised titles and rests joined by "\0", placed in their documents."""
    # Where each segment starts in the joined text ("\0" survives normalisation).
    breaks = np.flatnonzero(np.frombuffer(joined.encode("utf-32-le"), dtype="<u4") == 0)
    segment_starts = np.concatenate(([0], breaks + 1))
    # 32-bit numbers throughout: these arrays have one row per character of the partition.
    segment = (np.searchsorted(segment_starts, found.starts, side="right") - 1).astype(np.int32)
    first_unit = np.searchsorted(segment, np.arange(len(segment_starts), dtype=np.int32)).astype(np.int32)
    local = np.arange(len(found.ids), dtype=np.int32) - first_unit[segment]
    in_title = segment % 2 == 0
    # The other fields start at TITLE_SPAN, or after the title if a title is longer than that.
    units_in = np.diff(np.append(first_unit, np.int32(len(found.ids))))
    rest_start = np.maximum(np.int32(TITLE_SPAN), units_in[segment - 1] + 2)
    pos = np.where(in_title, local, local + rest_start)
    return PlacedUnits(found.ids, segment // 2, pos, segment, list(found.words))


def _rows(found: PlacedUnits, *kinds: int) -> Occurrences:
    """The occurrences of tokens of these kinds."""
    ids, doc, pos = found.ids, found.doc, found.pos
    is_word = (ids & WORD_BIT) != 0
    parts: list[Part] = []
    for kind in kinds:
        if kind == UNIGRAM:
            cjk = (ids != 0) & ~is_word
            parts.append((UNIGRAM, ids[cjk], None, doc[cjk], pos[cjk]))
        elif kind == WORD:
            parts.append((WORD, ids[is_word], None, doc[is_word], pos[is_word]))
        elif kind == BIGRAM:
            pair = (ids[:-1] != 0) & (ids[1:] != 0) & (found.segment[:-1] == found.segment[1:])
            parts.append((BIGRAM, ids[:-1][pair], ids[1:][pair], doc[:-1][pair], pos[:-1][pair]))
        elif kind == PREFIX:
            parts.append(_prefixes(found.words, doc[is_word], pos[is_word]))
    return _occurrences(parts)


def _occurrences(parts: list[Part]) -> Occurrences:
    hashes = [token_hash(np.full(len(a), kind, dtype=np.uint64), a,
                         b if b is not None else np.zeros(len(a), dtype=np.uint64)) for kind, a, b, _, _ in parts]
    return Occurrences(np.concatenate(hashes), np.concatenate([p[3] for p in parts]),
                       np.concatenate([p[4] for p in parts]))


@functools.lru_cache(maxsize=100_000)
def _prefix_ids(word: str) -> tuple[int, ...]:
    return tuple(fnv1a64(word[:n]) | (1 << 63) for n in range(1, len(word) + 1))


Part = tuple[int, np.ndarray, "np.ndarray | None", np.ndarray, np.ndarray]


def _prefixes(words: list[str], docs: np.ndarray, positions: np.ndarray) -> Part:
    """Each prefix of each word occurrence: counted and flagged in the title like any token,
    so "CPI" typed last still ranks a title with CPI first. Their positions are not stored."""
    distinct = sorted(set(words))
    number = {word: i for i, word in enumerate(distinct)}
    ids = [np.array(_prefix_ids(word), dtype=np.uint64) for word in distinct]
    lengths = np.array([len(word) for word in distinct], dtype=np.int64)
    which = np.array([number[word] for word in words], dtype=np.int64)
    repeat = lengths[which] if len(which) else np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(lengths) else lengths
    flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.uint64)
    # For occurrence k of word w: flat[starts[w] + 0 .. starts[w] + len(w) - 1]
    offsets = np.arange(int(repeat.sum())) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    prefixes = flat[np.repeat(starts[which], repeat) + offsets] if len(flat) else flat
    return (PREFIX, prefixes, None, np.repeat(docs, repeat), np.repeat(positions, repeat))


def _facets(docs: list[Doc]) -> Part:
    rows = [(local, fnv1a64(f) | (1 << 63)) for local, doc in enumerate(docs) for f in doc.facets]
    return (FACET, np.array([h for _, h in rows], dtype=np.uint64), None,
            np.array([d for d, _ in rows], dtype=np.int32), np.full(len(rows), TITLE_SPAN, dtype=np.int32))


@dataclass(frozen=True)
class Postings:
    """Occurrences grouped by token, then by document, all in ascending order. Tokens are in the
    order of the shard files: by shard, then by hash."""

    token_hash: np.ndarray  # per token
    token_of_posting: np.ndarray  # per posting (token, document)
    posting_doc: np.ndarray
    posting_flags: np.ndarray
    posting_of_occurrence: np.ndarray  # per occurrence
    pos: np.ndarray

    @staticmethod
    def of(found: Occurrences, shards: int) -> Postings:
        # The hash rotated so that its shard bits (the low ones) lead: sorting by it sorts by
        # shard, then by hash, and each shard's records come out in one piece, in file order.
        bits = np.uint64(shards.bit_length() - 1)
        shard_first = (found.hash >> bits) | (found.hash << (np.uint64(64) - bits)) if bits else found.hash
        order = _by_token(shard_first, found)
        hashes, doc, pos = found.hash[order], found.doc[order], found.pos[order]
        new_token = np.ones(len(hashes), dtype=bool)
        new_token[1:] = hashes[1:] != hashes[:-1]
        new_posting = new_token.copy()
        new_posting[1:] |= doc[1:] != doc[:-1]
        starts = np.flatnonzero(new_posting)
        count = np.diff(np.append(starts, len(hashes)))
        in_title = np.maximum.reduceat((pos < TITLE_SPAN).astype(np.int64), starts) if len(starts) else count
        return Postings(hashes[new_token], (np.cumsum(new_token) - 1)[starts], doc[starts],
                        np.minimum(count, MAX_COUNT) + 64 * in_title, np.cumsum(new_posting) - 1, pos)

    def document_lists(self) -> tuple[bytes, np.ndarray]:
        """Per token: varint n, n id deltas, n flags. Returns the data and each token's end."""
        per_token = np.bincount(self.token_of_posting, minlength=len(self.token_hash))
        deltas = _deltas(self.posting_doc, np.cumsum(per_token) - per_token)
        return _records(per_token, self.token_of_posting, [deltas, self.posting_flags])

    def position_lists(self) -> tuple[bytes, np.ndarray]:
        """Per token, per document of its list: varint count, count position deltas."""
        postings = len(self.posting_doc)
        per_posting = np.bincount(self.posting_of_occurrence, minlength=postings)
        deltas = _deltas(self.pos, np.cumsum(per_posting) - per_posting)
        data, posting_ends = _records(per_posting, self.posting_of_occurrence, [deltas])
        ends = np.zeros(len(self.token_hash), dtype=np.int64)
        if postings:
            last = np.flatnonzero(np.append(self.token_of_posting[1:] != self.token_of_posting[:-1], True))
            ends[self.token_of_posting[last]] = posting_ends[last]
        return data, ends


def _by_token(key: np.ndarray, found: Occurrences) -> np.ndarray:
    """The order of occurrences by key, then document, then position. Each kind of token is
    found in text order, so one token's occurrences already come by document and position and a
    stable sort by key alone keeps them so, at a third of the cost of sorting by all three. Only
    a collision of two tokens' 64-bit hashes could break that, and then all three are sorted."""
    order = np.argsort(key, kind="stable")
    doc, pos, ordered = found.doc[order], found.pos[order], key[order]
    same_key = ordered[1:] == ordered[:-1]
    backwards = (doc[1:] < doc[:-1]) | ((doc[1:] == doc[:-1]) & (pos[1:] < pos[:-1]))
    return np.lexsort((found.pos, found.doc, key)) if np.any(same_key & backwards) else order


def _deltas(values: np.ndarray, group_starts: np.ndarray) -> np.ndarray:
    """Differences to the previous value, except at the start of each group."""
    deltas = values.copy()
    later = np.ones(len(values), dtype=bool)
    later[group_starts[group_starts < len(values)]] = False
    deltas[later] = values[later] - values[np.flatnonzero(later) - 1]
    return deltas


def _records(counts: np.ndarray, owner: np.ndarray, columns: list[np.ndarray]) -> tuple[bytes, np.ndarray]:
    """For each group: its count, then each column's values of its members; varint-encoded."""
    width = 1 + len(columns) * counts
    start = np.cumsum(width) - width
    stream = np.zeros(int(width.sum()), dtype=np.int64)
    stream[start] = counts
    rank = np.arange(len(owner)) - (np.cumsum(counts) - counts)[owner]
    for number, column in enumerate(columns):
        stream[start[owner] + 1 + number * counts[owner] + rank] = column
    data, byte_ends = _varints(stream)
    return data, (byte_ends[start + width - 1] if len(counts) else np.zeros(0, dtype=np.int64))


def _varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """LEB128 of non-negative integers, and the byte end of each value. A million values at a
    time: the temporary arrays of all of a partition's positions at once would be its
    largest memory."""
    step = 1 << 20
    if len(values) <= step:
        return _varint_chunk(values)
    chunks, ends, offset = [], [], 0
    for at in range(0, len(values), step):
        data, chunk_ends = _varint_chunk(values[at:at + step])
        chunks.append(data)
        ends.append(chunk_ends + offset)
        offset += len(data)
    return b"".join(chunks), np.concatenate(ends)


def _varint_chunk(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    size = np.ones(len(values), dtype=np.int64)
    for bits in (7, 14, 21, 28, 35, 42, 49, 56):
        size += values >= (1 << bits)
    ends = np.cumsum(size)
    out = np.zeros(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    starts = ends - size
    for k in range(int(size.max()) if len(size) else 0):
        present = size > k
        more = (size[present] > k + 1).astype(np.int64) << 7
        out[starts[present] + k] = (((values[present] >> (7 * k)) & 0x7F) | more).astype(np.uint8)
    return out.tobytes(), ends


def _shard_files(hashes: np.ndarray, blobs: tuple[bytes, np.ndarray], shards: int, numbers: range
                 ) -> tuple[list[bytes], np.ndarray]:
    """The files of shards `numbers`, from their tokens in file order (by shard, then by hash);
    also where each shard's tokens start."""
    high = (hashes >> np.uint64(32)).astype(np.int64)
    low = (hashes & np.uint64(0xFFFFFFFF)).astype(np.int64)
    shard = (hashes & np.uint64(shards - 1)).astype(np.int64) - numbers.start
    bounds = np.searchsorted(shard, np.arange(len(numbers) + 1))
    wide = np.zeros(len(numbers), dtype=bool)
    wide[shard[1:][(high[1:] == high[:-1]) & (shard[1:] == shard[:-1])]] = True
    heads = (np.diff(bounds) | np.where(wide, WIDE, 0)).astype("<u4").tobytes()
    highs, lows = high.astype("<u4").tobytes(), low.astype("<u4").tobytes()
    lengths, records = _grouped(*blobs, bounds)
    at = bounds.tolist()
    files = [b"".join((heads[4 * n:4 * n + 4], highs[4 * at[n]:4 * at[n + 1]],
                       lows[4 * at[n]:4 * at[n + 1]] if wide[n] else b"", lengths[n], records[n]))
             for n in range(len(numbers))]
    return files, bounds


def _grouped(data: bytes, ends: np.ndarray, bounds: np.ndarray) -> tuple[list[bytes], list[bytes]]:
    """Records data[start:end], one after another, cut into groups at `bounds`: per group, the
    varint lengths of its records, and its records."""
    starts = np.concatenate(([0], ends[:-1])) if len(ends) else ends
    length_bytes, length_ends = _varints(ends - starts)

    def cut(blob: bytes, blob_ends: np.ndarray) -> list[bytes]:
        at = np.concatenate(([0], blob_ends))[bounds].tolist()
        return [blob[at[n]:at[n + 1]] for n in range(len(at) - 1)]

    return cut(length_bytes, length_ends), cut(data, ends)


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
    for _ in range(CHUNK_OVERLAP):
        if not 0 < at < len(text):
            break
        # Two characters either side: enough for the dot of 7.15, which is a word's only between digits.
        low = max(0, at - 2)
        kinds = classify(np.frombuffer(text[low:at + 2].encode("utf-32-le"), dtype="<u4"))
        if not (kinds[at - low - 1] == WORD_CLASS and kinds[at - low] == WORD_CLASS):
            break
        at += step
    return min(max(at, 0), len(text))


def _positions_at(doc: Doc, offsets: list[int]) -> list[int]:
    """For ascending offsets into the excerpt text, the position (as in d files) of the first unit
    at or after each. The units are this document's alone; in its partition a separator running
    across the boundary from the previous document can move the title's units by one, which moves
    the text's only when the title fills TITLE_SPAN: the chunks' overlap absorbs that."""
    entry = doc.entry
    rest = doc.rest
    # The excerpt text is the summary, a line break, the body; the rest has tags and source between.
    body_in_text = len(entry.summary) + 1 if entry.summary else 0
    body_in_rest = len(rest) - len(entry.text)
    in_rest = [at if not entry.text or at < body_in_text else body_in_rest + at - body_in_text for at in offsets]
    joined = normalise(f"{entry.title}\0{rest}")
    found = units(joined)
    placed = _placed(joined, found)
    # Normalising can change a text's length (NFKC: ﬁ -> fi): measured piece by piece, not re-done
    # for each prefix.
    normalised, previous, at = [], 0, len(normalise(entry.title)) + 1
    for offset in in_rest:
        at += len(normalise(rest[previous:offset]))
        previous = offset
        normalised.append(at)
    end = int(placed.pos[-1]) + 1 if len(placed.pos) else 0
    return [int(placed.pos[i]) if i < len(placed.pos) else end
            for i in np.searchsorted(found.starts, normalised).tolist()]
