"""A partition's section of every shard file (shards.py), computed with numpy from its texts.

A partition's documents are numbered 0 to N-1 (their local ids) and tokenised in one pass
(searchtext.py): CJK characters (u files), bigrams of adjacent units and words (d files), word
prefixes (w files) and facets (f files). A token is a 64-bit hash of its kind and units, and its
shard is the hash's low bits.

A section: u32 count (top bit set when keys are 64-bit: two tokens of the shard share their high
32 bits), count u32 keys (the hash's high halves, ascending; then the low halves when 64-bit),
count varint lengths, the data. A token's documents: varint n, n varint id deltas, n varint flags
(occurrences up to 63, +64 when in the title). In d<s>.bin each section is followed by the
positions: count varint lengths, in the order of the keys, then per document of the token's list
a varint count and varint position deltas.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import shards as layout
from .searchtext import WORD_BIT, Units, fnv1a64, normalise, units
from .shards import FACET_SHARDS, TITLE_SPAN, Text

MAX_COUNT = 63
UNIGRAM, BIGRAM, WORD, PREFIX, FACET = 1, 2, 3, 4, 5
WIDE = 1 << 31
SHARD_PASSES = 4  # divides every shard count (at least 8)


def index_partition(store: Path, digest: str, texts: list[Text], shards: int, small: int) -> None:
    layout.save(store, digest, layout.names(shards, small), partition_files(texts, shards, small))


def index_these(store: Path, digests: list[str], texts: dict[int, list[Text]], shards: int, small: int
                ) -> list[str] | None:
    """Index the partitions of `texts` (by number) into the store, then say what each shard file
    is made from (shard_sources): all a build needs of another process when it has at most one
    partition to index."""
    for number, members in texts.items():
        index_partition(store, digests[number], members, shards, small)
    return shard_sources(store, digests, len(layout.names(shards, small)))


def shard_sources(store: Path, digests: list[str], count: int) -> list[str] | None:
    """For each of the `count` shard files, 64 bits (in hex) that change when one of its sections
    does, made from the sections' digests in every partition (the store's summaries); None if a
    summary is missing or there is no partition. A shard file is then known unchanged without
    being made.

    Not a hash of each file's digests (8,200 at 10,000 entries, 16 ms): the sum of each partition's
    digest (its first 64 bits) times an odd number of the partition's own, modulo 2^64. A change
    in one section changes the sum, an odd factor being invertible; sections trading places
    change it too, each place having its factor."""
    if not digests:
        return None
    try:
        found = [layout.summary(store, digest).read_bytes() for digest in digests]
    except OSError:
        return None
    if any(len(data) != count * layout.SUMMARY for data in found):
        return None
    by_partition = np.frombuffer(b"".join(found), dtype="<u8").reshape(len(found), count, layout.SUMMARY // 8)
    with np.errstate(over="ignore"):
        factors = (np.arange(len(found), dtype=np.uint64) * np.uint64(2) + np.uint64(1)) * _GOLDEN
        sums = (by_partition[:, :, 0] * factors[:, None]).sum(axis=0, dtype=np.uint64)
    text = sums.astype(">u8").tobytes().hex()
    return [text[at:at + 16] for at in range(0, len(text), 16)]


def ready() -> None:
    """Index a made-up partition: the first partition a process indexes took 37 ms more than the
    next (code point tables, numpy's first calls). A process that waits for work does it first."""
    partition_files([Text("标题 Title", "Ｆｕｌｌ width，繁體與简体 2026.11 release-7 ﬁ abc一二三", ("type=info",))],
                    FACET_SHARDS, FACET_SHARDS)


_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


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


@dataclass(frozen=True)
class Occurrences:
    """Token occurrences: one row per (token, document, position)."""

    hash: np.ndarray
    doc: np.ndarray
    pos: np.ndarray


def partition_files(texts: list[Text], shards: int, small: int) -> dict[str, bytes]:
    """One partition's section of every shard file, by the shard file's name."""
    files: dict[str, bytes] = {}
    units_of = _units_of(texts)
    # Positions ride behind the documents in d files: one request per token.
    _add_shards(files, "d", _rows(units_of, BIGRAM, WORD), shards, positional=True)
    _add_shards(files, "u", _rows(units_of, UNIGRAM), small)
    _add_shards(files, "w", _rows(units_of, PREFIX), small)
    _add_shards(files, "f", _occurrences([_facets(texts)]), FACET_SHARDS)
    return files


def _add_shards(files: dict[str, bytes], prefix: str, found: Occurrences, shards: int,
                positional: bool = False) -> None:
    """The shard files of one kind of token, a quarter of the shards at a time: a partition's
    occurrences and their postings are its largest data (memory follows its text's length)."""
    # Put in shard order once, by a stable sort of 16-bit numbers (a radix sort): each pass then
    # takes a piece, in text order within each shard as before. Masking every occurrence once per
    # pass took a fifth of the indexing.
    shard = (found.hash & np.uint64(shards - 1)).astype(np.uint16)  # shards_for(): at most 4096
    order = np.argsort(shard, kind="stable")
    hashes, doc, pos = found.hash[order], found.doc[order], found.pos[order]
    step = shards // SHARD_PASSES
    cuts = np.searchsorted(shard, np.arange(0, shards + 1, step), sorter=order).tolist()
    for piece, low in enumerate(range(0, shards, step)):
        numbers = range(low, low + step)
        taken = slice(cuts[piece], cuts[piece + 1])
        postings = Postings.of(Occurrences(hashes[taken], doc[taken], pos[taken]), shards)
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


def _units_of(texts: list[Text]) -> PlacedUnits:
    """Tokenise a partition's documents in one pass: title and rest of each, in order."""
    joined = normalise("\0".join(field for text in texts for field in (text.title, text.rest)))
    return placed(joined, units(joined))


def placed(joined: str, found: Units) -> PlacedUnits:
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


def positions_at(title: str, rest: str, offsets: list[int]) -> list[int]:
    """For ascending offsets into `rest`, the position (as in d files) of the first unit at or
    after each, in a document of this title and rest."""
    joined = normalise(f"{title}\0{rest}")
    found = units(joined)
    where = placed(joined, found)
    # Normalising can change a text's length (NFKC: ﬁ -> fi): measured piece by piece, not re-done
    # for each prefix.
    normalised, previous, at = [], 0, len(normalise(title)) + 1
    for offset in offsets:
        at += len(normalise(rest[previous:offset]))
        previous = offset
        normalised.append(at)
    end = int(where.pos[-1]) + 1 if len(where.pos) else 0
    return [int(where.pos[i]) if i < len(where.pos) else end
            for i in np.searchsorted(found.starts, normalised).tolist()]


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


def _facets(texts: list[Text]) -> Part:
    rows = [(local, fnv1a64(f) | (1 << 63)) for local, text in enumerate(texts) for f in text.facets]
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
    if not len(values):
        return b"", np.zeros(0, dtype=np.int64)
    # Most values (deltas, counts) take a byte or two: no pass over them for longer sizes, and
    # every value has its first byte, written without picking the values out.
    size = np.ones(len(values), dtype=np.int64)
    top = int(values.max())
    for bits in range(7, 63, 7):
        if top < 1 << bits:
            break
        size += values >= (1 << bits)
    ends = np.cumsum(size)
    out = np.empty(int(ends[-1]), dtype=np.uint8)  # each value's bytes are written, all of them
    starts = ends - size
    out[starts] = ((values & 0x7F) | ((size > 1).astype(np.int64) << 7)).astype(np.uint8)
    for k in range(1, int(size.max())):
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

