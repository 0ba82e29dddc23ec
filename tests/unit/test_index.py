"""The search index files, read back with a reader written here from the format in generator/index.py.

The reader and the token hash below are this test's own, in plain Python integers; they follow
the docstring of generator/index.py, not its code.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from generator import index, postings, shards
from generator.config import default_config
from generator.entry import Body, Entry
from generator.index import Doc, document_file, documents, partitioned
from generator.keys import key
from generator.load import load
from generator.model import build_site
from generator.pages import Fingerprints
from generator.postings import token_hash
from generator.shards import Text
from tests.conftest import MakeSite, entry, run_bulletin, tree_bytes

NOW = dt.datetime(2026, 11, 27, 12)
MASK = (1 << 64) - 1
TOP = 1 << 63
WIDE = 1 << 31
TITLE_SPAN = 256
UNIGRAM, BIGRAM, WORD, PREFIX, FACET = 1, 2, 3, 4, 5
SHARDS = 8  # a partition of a few entries: 8 document shards, 8 small shards, 8 facet shards


# ---- the test's own hashing ----

def fnv1a64(text: str) -> int:
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x100000001B3) & MASK
    return value


def mix(x: int) -> int:
    """splitmix64's finaliser."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def hash_of(kind: int, a: int, b: int = 0) -> int:
    """mix(mix(kind * golden + a) + b), modulo 2**64."""
    return mix((mix((kind * 0x9E3779B97F4A7C15 + a) & MASK) + b) & MASK)


def unit(text: str) -> int:
    """A unit id: a CJK character's code point, a word's FNV-1a with the top bit set."""
    return ord(text) if len(text) == 1 and ord(text) > 0x2E80 else fnv1a64(text) | TOP


def bigram(pair: str) -> int:
    return hash_of(BIGRAM, ord(pair[0]), ord(pair[1]))


def word(text: str) -> int:
    return hash_of(WORD, unit(text))


def prefix(text: str) -> int:
    return hash_of(PREFIX, fnv1a64(text) | TOP)


def unigram(char: str) -> int:
    return hash_of(UNIGRAM, ord(char))


def facet(text: str) -> int:
    return hash_of(FACET, fnv1a64(text) | TOP)


# ---- the test's own reader ----

def varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def varints(data: bytes, at: int, n: int) -> tuple[list[int], int]:
    values = []
    for _ in range(n):
        value, at = varint(data, at)
        values.append(value)
    return values, at


@dataclass
class Shard:
    wide: bool
    high: list[int]
    low: list[int] | None
    blobs: list[bytes]
    rest: bytes  # what follows the shard in its file: the positions, in d files

    def find(self, token: int) -> int:
        """The token's place in the shard, or -1."""
        for place, high in enumerate(self.high):
            if high == token >> 32 and (self.low is None or self.low[place] == token & 0xFFFFFFFF):
                return place
        return -1


def read_shard(data: bytes, positions_follow: bool = False) -> Shard:
    """u32 count (+WIDE), count u32 high keys, [count u32 low keys], count varint lengths, the data;
    in d files the positions follow."""
    (head,) = struct.unpack_from("<I", data, 0)
    count, wide = head & ~WIDE, bool(head & WIDE)
    high = list(struct.unpack_from(f"<{count}I", data, 4))
    at = 4 + 4 * count
    low = None
    if wide:
        low = list(struct.unpack_from(f"<{count}I", data, at))
        at += 4 * count
    lengths, at = varints(data, at, count)
    blobs = []
    for length in lengths:
        blobs.append(data[at:at + length])
        at += length
    assert positions_follow or at == len(data), "the shard file ends where its last token's data ends"
    return Shard(wide, high, low, blobs, data[at:])


def read_aligned(data: bytes, count: int) -> list[bytes]:
    """The positions behind a d shard: count varint lengths (in the order of its keys), then the data."""
    lengths, at = varints(data, 0, count)
    blobs = []
    for length in lengths:
        blobs.append(data[at:at + length])
        at += length
    assert at == len(data)
    return blobs


def document_list(blob: bytes) -> dict[int, int]:
    """varint n, n id deltas, n flags -> {document: flags}, in id order."""
    n, at = varint(blob, 0)
    deltas, at = varints(blob, at, n)
    flags, at = varints(blob, at, n)
    assert at == len(blob)
    docs, current = [], 0
    for delta in deltas:
        current += delta
        docs.append(current)
    return dict(zip(docs, flags, strict=True))


def position_lists(blob: bytes, docs: list[int]) -> dict[int, list[int]]:
    """Per document of the token's list: varint count, count position deltas."""
    out, at = {}, 0
    for doc in docs:
        count, at = varint(blob, at)
        deltas, at = varints(blob, at, count)
        positions, current = [], 0
        for delta in deltas:
            current += delta
            positions.append(current)
        out[doc] = positions
    assert at == len(blob)
    return out


def lookup(files: dict[str, bytes], kind: str, token: int, shards: int = SHARDS) -> dict[int, int] | None:
    """The document list of a token in files `kind`<shard>.bin; None when the token is not there."""
    shard = read_shard(files[f"{kind}{token & (shards - 1)}.bin"], positions_follow=kind == "d")
    place = shard.find(token)
    return None if place < 0 else document_list(shard.blobs[place])


def positions(files: dict[str, bytes], token: int, shards: int = SHARDS) -> dict[int, list[int]]:
    number = token & (shards - 1)
    shard = read_shard(files[f"d{number}.bin"], positions_follow=True)
    place = shard.find(token)
    assert place >= 0, "token not in its d file"
    blob = read_aligned(shard.rest, len(shard.high))[place]
    return position_lists(blob, list(document_list(shard.blobs[place])))


def doc_file(files: dict[str, bytes], number: int) -> dict[str, str]:
    return json.loads(gzip.decompress(files[f"{number}.json.gz"]).decode("utf-8"))


# ---- sites ----

def site_of(root: Path):  # type: ignore[no-untyped-def]
    config = default_config()
    loaded = load(root, config)
    assert not loaded.errors, loaded.errors
    return build_site(loaded, config, "internal", NOW)


def texts_of(docs: list[Doc]) -> list[Text]:
    return [Text(doc.entry.title, doc.rest, doc.facets) for doc in docs]


def files_of(root: Path) -> dict[str, bytes]:
    """The sections of a one-partition site, by shard file, and its document files."""
    site = site_of(root)
    docs = documents(site.entries)
    return {**postings.partition_files(texts_of(docs), SHARDS, SHARDS),
            **{f"{n}.json.gz": document_file(d, site.config.base_path, site.config.types) for n, d in enumerate(docs)}}


def sections_of(data: bytes) -> list[bytes]:
    """A shared shard file cut into its partitions' sections."""
    count, at = varint(data, 0)
    lengths, at = varints(data, at, count)
    out = []
    for length in lengths:
        out.append(data[at:at + length])
        at += length
    assert at == len(data), "nothing follows the last section"
    return out


# Oldest first, so these are documents 0, 1, 2, 3.
KNOWN = {
    "content/info/a.md": entry(title="农村发展调研", date="2026-01-05", body="今年农村工作。农村道路。"),
    "content/info/b.md": entry(title="道路养护简报", date="2026-02-10", body="農村公路養護工作。",
                               source="交通局"),
    "content/report/c.md": entry(title="GDP增长情况", date="2026-03-15", body="全市GDP同比增长7.15%。",
                                 publication="xinxi", issue=3),
    "content/notice/d.md": entry(title="重复测试", date="2026-04-20", body="农村，" * 70),
}


@pytest.fixture
def known(make_site: MakeSite) -> dict[str, bytes]:
    return files_of(make_site(KNOWN))


def test_the_test_hash_agrees_with_the_index_hash() -> None:
    kinds = np.array([BIGRAM, WORD, UNIGRAM], dtype=np.uint64)
    a = np.array([ord("农"), fnv1a64("gdp") | TOP, ord("农")], dtype=np.uint64)
    b = np.array([ord("村"), 0, 0], dtype=np.uint64)
    assert [int(h) for h in token_hash(kinds, a, b)] == [bigram("农村"), word("gdp"), unigram("农")]


def test_a_bigrams_documents_and_flags(known: dict[str, bytes]) -> None:
    # doc 0: title once + body twice, in the title; doc 1: 農村 in the body only; doc 3: 70 times.
    assert lookup(known, "d", bigram("农村")) == {0: 3 + 64, 1: 1, 3: 63}


def test_a_bigrams_positions(known: dict[str, bytes]) -> None:
    found = positions(known, bigram("农村"))
    body = positions(known, bigram("今年"))[0][0]  # where doc 0's body begins
    assert body >= TITLE_SPAN, "body positions follow the title span"
    # 今年农村工作。农村道路。: 今 年 农 村 工 作 。 农 ...
    assert found[0] == [0, body + 2, body + 7]
    assert len(found[3]) == 70, "positions are all kept even when the count flag stops at 63"
    assert all(b - a == 3 for a, b in zip(found[3], found[3][1:], strict=False))  # 农 村 ，
    assert all(p >= TITLE_SPAN for p in found[1] + found[3])


def test_a_soft_line_break_in_the_markdown_source_does_not_cut_the_text(make_site: MakeSite) -> None:
    # The paragraph is 推进城乡融合发展: Markdown joins the two source lines into one paragraph.
    files = files_of(make_site({"content/info/a.md": entry(title="简报", body="持续推进城乡\n融合发展。")}))
    assert lookup(files, "d", bigram("城乡")) == {0: 1}
    assert lookup(files, "d", bigram("融合")) == {0: 1}
    assert lookup(files, "d", bigram("乡融")) == {0: 1}
    found = positions(files, bigram("城乡"))[0][0]
    assert positions(files, bigram("乡融"))[0] == [found + 1]


def test_the_title_flag_is_set_for_a_title_occurrence_only(known: dict[str, bytes]) -> None:
    assert lookup(known, "d", bigram("养护")) == {1: 2 + 64}  # 养护 in the title, 養護 in the body
    assert lookup(known, "d", bigram("公路")) == {1: 1}  # body only
    assert lookup(known, "d", bigram("简报")) == {1: 1 + 64}  # title only
    assert lookup(known, "d", bigram("工作")) == {0: 1, 1: 1}


def test_a_word_has_a_document_list_and_positions(known: dict[str, bytes]) -> None:
    assert lookup(known, "d", word("gdp")) == {2: 2 + 64}
    found = positions(known, word("gdp"))[2]
    assert found[0] == 0 and found[1] >= TITLE_SPAN
    assert lookup(known, "d", word("7.15")) == {2: 1}
    # GDP增长 (title), GDP同比 (body): a word and the CJK character after it make a bigram
    assert lookup(known, "d", hash_of(BIGRAM, unit("gdp"), ord("增"))) == {2: 1 + 64}
    assert lookup(known, "d", hash_of(BIGRAM, unit("gdp"), ord("同"))) == {2: 1}
    assert lookup(known, "d", hash_of(BIGRAM, ord("长"), unit("7.15"))) == {2: 1}


def test_single_characters_live_in_u_files(known: dict[str, bytes]) -> None:
    assert lookup(known, "u", unigram("农")) == {0: 3 + 64, 1: 1, 3: 63}
    assert lookup(known, "u", unigram("简")) == {1: 1 + 64}
    assert lookup(known, "d", unigram("农")) is None
    assert lookup(known, "u", bigram("农村")) is None


def test_word_prefixes_live_in_w_files(known: dict[str, bytes]) -> None:
    # doc 2: title "GDP增长情况", body "全市GDP同比增长7.15%": a prefix counts and flags like any token
    for text in ("g", "gd", "gdp"):
        assert lookup(known, "w", prefix(text)) == {2: 2 + 64}, text
    for text in ("7", "7.", "7.1", "7.15"):
        assert lookup(known, "w", prefix(text)) == {2: 1}, text
    assert lookup(known, "w", prefix("gdpx")) is None
    assert lookup(known, "d", prefix("gd")) is None


def test_facets_live_in_f_files(known: dict[str, bytes]) -> None:
    assert lookup(known, "f", facet("type=info")) == {0: 1, 1: 1}
    assert lookup(known, "f", facet("type=report")) == {2: 1}
    assert lookup(known, "f", facet("year=2026")) == {0: 1, 1: 1, 2: 1, 3: 1}
    assert lookup(known, "f", facet("source=交通局")) == {1: 1}
    assert lookup(known, "f", facet("publication=xinxi")) == {2: 1}
    assert lookup(known, "f", facet("type=circular")) is None


def test_shard_keys_are_ascending_and_tokens_sit_in_their_shard(known: dict[str, bytes]) -> None:
    for name, data in known.items():
        if name[0] in "duwf":
            shard = read_shard(data, positions_follow=name[0] == "d")
            keys = list(zip(shard.high, shard.low or [0] * len(shard.high), strict=True))
            assert keys == sorted(keys) and len(set(keys)) == len(keys), name
    assert read_shard(known[f"d{bigram('农村') & 7}.bin"], positions_follow=True).find(bigram("农村")) >= 0


def test_the_document_file_keeps_the_entrys_own_script(known: dict[str, bytes]) -> None:
    assert doc_file(known, 1) == {"url": "/info/b/", "title": "道路养护简报", "date": "2026-02-10",
                                  "type": "信息", "source": "交通局", "text": "農村公路養護工作。"}
    assert doc_file(known, 2)["type"] == "调研报告"


def test_a_partition_has_a_section_for_every_shard_file_and_nothing_else(make_site: MakeSite) -> None:
    site = site_of(make_site(KNOWN))
    search = partitioned(site.entries, "")
    assert (search.shards, search.small) == (SHARDS, SHARDS)
    assert sorted(postings.partition_files(search.texts(0), search.shards, search.small)) == sorted(search.names)
    assert {f"d{n}.bin" for n in range(SHARDS)} <= set(search.names)


def test_a_shard_file_holds_one_section_per_partition(make_site: MakeSite, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "PARTITION_DOCS", 3)  # documents 0-2, then document 3
    root = make_site(KNOWN)
    site = site_of(root)
    search = partitioned(site.entries, "")
    assert [len(p) for p in search.partitions] == [3, 1]
    files = {page.path.removeprefix("search/"): page.generate() for page in index.Files(
        search, site, tmp_path / "store", None).pages() if page.generate and page.path.endswith(".bin")}
    assert sorted(files) == sorted(search.names)
    first, second = ({name: sections_of(data)[k] for name, data in files.items()} for k in (0, 1))
    assert lookup(first, "d", bigram("农村")) == {0: 65 + 2, 1: 1}  # ids are local to the partition
    assert lookup(second, "d", bigram("农村")) == {0: 63}
    assert lookup(second, "d", bigram("道路")) is None
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == sorted(
        f"{d}.{kind}" for d in search.digests for kind in ("sections", "digests"))


# ---- long texts: the document file's head and the chunk files ----

# Words and an NFKC ligature, so that characters, units and normalised text differ; numbered, so
# that a piece of it is found in one place only.
FILL = "晨钟ﬁle 7.15，第{}段data暮鼓。"
SUMMARY = "摘要ﬁ文字"
MARKS = {index.EXCERPT_TEXT + (c - 1) * index.CHUNK_TEXT - index.CHUNK_OVERLAP // 2: mark
         for c, mark in ((1, "甲乙"), (2, "丙丁"), (3, "戊己"))}


def long_body(length: int, marks: dict[int, str], before: int = 0) -> str:
    """Filler of `length` characters with each mark at its offset in the excerpt text, whose
    body starts at `before` (after the summary and its line break)."""
    chars = list("".join(FILL.format(n) for n in range(length // len(FILL) + 1))[:length])
    for offset, mark in marks.items():
        chars[offset - before:offset - before + len(mark)] = mark
    return "".join(chars)


def chunk_files(root: Path) -> tuple[dict[str, dict[str, object]], dict[str, str]]:
    """A built site's document files and chunk files, by name in partition 0."""
    result = run_bulletin("build", "--source", root, "--now", "2026-11-27T12:00")
    assert result.returncode == 0, result.stderr
    heads, chunks = {}, {}
    for path in (root / "output/search/p0").iterdir():
        data = json.loads(gzip.decompress(path.read_bytes()))
        if "-" in path.name:
            assert set(data) == {"text"}
            chunks[path.name.removesuffix(".json.gz")] = data["text"]
        else:
            heads[path.name.removesuffix(".json.gz")] = data
    return heads, chunks


def cuts_word(text: str, at: int) -> bool:
    """Whether a cut at `at` splits a word: letters and digits, and a dot between digits (7.15)."""
    def in_word(i: int) -> bool:
        char = text[i]
        return (char.isascii() and char.isalnum()) or (
            char == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())

    return 0 < at < len(text) and in_word(at - 1) and in_word(at)


def test_a_long_text_is_cut_into_chunk_files_with_bounded_overlap(make_site: MakeSite) -> None:
    size, step, overlap = index.EXCERPT_TEXT, index.CHUNK_TEXT, index.CHUNK_OVERLAP
    starts = [size + k * step for k in range(4)]  # chunk c's own characters: starts[c - 1] to starts[c]
    before = len(SUMMARY) + 1
    body = long_body(size + 2 * step + 1500, {starts[1] + overlap - 3: "economy"}, before)
    root = make_site({
        "content/info/short.md": entry(title="短文", date="2026-01-01", body="正文。" * 1333),  # 3,999 characters
        "content/info/long.md": entry(title="长文", date="2026-01-02", body=body, summary=SUMMARY),
    })
    heads, chunks = chunk_files(root)
    assert "chunks" not in heads["0"] and len(heads["0"]["text"]) == 3999
    text = f"{SUMMARY}\n{body}"
    assert cuts_word(text, starts[0] - overlap) and cuts_word(text, starts[1] + overlap), "edges to widen"
    assert heads["1"]["text"] == text[:size]
    assert sorted(chunks) == ["1-1", "1-2", "1-3"] and len(heads["1"]["chunks"]) == 3
    covered = size
    for c in (1, 2, 3):
        piece = chunks[f"1-{c}"]
        first = text.index(piece, starts[c - 1] - 2 * overlap)
        last = first + len(piece)
        # Its own characters and about CHUNK_OVERLAP more either side, widened only to keep a word whole.
        assert starts[c - 1] - 2 * overlap < first <= starts[c - 1] - overlap
        assert min(len(text), starts[c] + overlap) <= last < starts[c] + 2 * overlap
        assert not cuts_word(text, first) and not cuts_word(text, last), f"chunk {c} cuts a word"
        assert first <= covered - overlap, "each chunk repeats the end of the one before"
        covered = last
    assert covered == len(text)


def test_a_long_texts_chunk_map_holds_the_positions_the_d_files_give(make_site: MakeSite) -> None:
    body = long_body(index.EXCERPT_TEXT + 2 * index.CHUNK_TEXT + 900, MARKS, len(SUMMARY) + 1)  # three chunks
    root = make_site({"content/info/long.md": entry(title="长文标题", date="2026-01-02", body=body, summary=SUMMARY,
                                                    tags="[经济, 民生]", source="东湖区委办公室")})
    site = site_of(root)
    [doc] = documents(site.entries)
    text = index.excerpt_text(doc.entry)
    assert {offset: text[offset:offset + 2] for offset in MARKS} == MARKS, "the marks sit where intended"
    files = files_of(root)
    # Each mark sits where chunk c takes over: the map holds its position in the index.
    assert doc_file(files, 0)["chunks"] == [positions(files, bigram(mark))[0][0] for mark in MARKS.values()]


def test_chunk_files_are_counted_from_the_bodys_length_without_reading_it() -> None:
    def count(summary: str, chars: int) -> int:
        body = Body(None, None, ("/nonexistent/bodies.bin", 0, 100), chars)  # reading it would raise
        return index.chunk_count(Entry("content/info/a.md", "题", NOW, "info", "a", "internal", summary=summary,
                                       body=body))

    size, step = index.EXCERPT_TEXT, index.CHUNK_TEXT
    assert [count("", n) for n in (0, 1, size, size + 1, size + step, size + step + 1)] == [0, 0, 0, 1, 1, 2]
    assert [count("ab", size - 3), count("ab", size - 2), count("ab", 0)] == [0, 1, 0]  # "ab\n" and the body


# Two words whose WORD tokens share the high 32 bits of their hash and the shard (checked below).
TWINS = ("w66735", "w192550")


def test_a_shard_with_two_tokens_sharing_high_bits_stores_64_bit_keys(make_site: MakeSite) -> None:
    first, second = (word(w) for w in TWINS)
    assert first >> 32 == second >> 32 and first & 7 == second & 7 and first != second
    root = make_site({
        "content/info/a.md": entry(title="甲", date="2026-01-01", body=f"{TWINS[0]} 与 {TWINS[1]}"),
        "content/info/b.md": entry(title="乙", date="2026-01-02", body=f"只有 {TWINS[1]}"),
    })
    files = files_of(root)
    shard = read_shard(files[f"d{first & 7}.bin"], positions_follow=True)
    assert shard.wide and shard.low is not None
    assert lookup(files, "d", first) == {0: 1}
    assert lookup(files, "d", second) == {0: 1, 1: 1}
    # the other shards have no twins: their count has no WIDE bit
    assert not any(read_shard(files[f"d{n}.bin"], positions_follow=True).wide for n in range(SHARDS)
                   if n != first & 7)



def test_two_kinds_of_token_with_one_hash_still_list_documents_and_positions_in_order() -> None:
    # Occurrences come kind after kind, each kind in text order: a 64-bit collision between a
    # bigram and a word puts document 1 before document 0 in the input.
    collision = np.uint64(0x1234_5678_9ABC_DEF0)
    found = postings.Occurrences(np.array([collision, collision, collision, 7], dtype=np.uint64),
                                 np.array([1, 0, 1, 0], dtype=np.int32), np.array([5, 3, 2, 9], dtype=np.int32))
    grouped = postings.Postings.of(found, 8)
    shared = [n for n, h in enumerate(grouped.token_hash) if h == collision]
    assert len(shared) == 1, "one token, one list"
    mine = grouped.token_of_posting == shared[0]
    assert grouped.posting_doc[mine].tolist() == [0, 1]
    assert grouped.pos[np.isin(grouped.posting_of_occurrence, np.flatnonzero(mine))].tolist() == [3, 2, 5]

# ---- what is excluded never reaches the index ----

HIDDEN = {
    # word, Chinese pair, the entry's front matter
    "draft": ("zqxdraftword", "鳐鲟", {"draft": "true"}),
    "restricted": ("zqxsecretword", "鲥鳜", {"audience": "restricted", "source": "保密办"}),
    "embargoed": ("zqxembargoword", "鲈鳊", {"publish_at": "2026-12-01"}),
}
SHOWN = ("zqxpublicword", "鳙鲢")


def hidden_site(make_site: MakeSite) -> Path:
    files = {"content/info/shown.md": entry(title="公开信息", date="2026-05-01",
                                            body=f"{SHOWN[0]} {SHOWN[1]}", source="公开办")}
    for name, (latin, chinese, keys) in HIDDEN.items():
        files[f"content/info/{name}.md"] = entry(title=f"{chinese}标题", date="2026-05-02",
                                                 body=f"正文 {latin} {chinese}", **keys)
    return make_site(files)


def tokens_of(latin: str, chinese: str) -> dict[str, list[int]]:
    return {"d": [word(latin), bigram(chinese)], "u": [unigram(c) for c in chinese],
            "w": [prefix(latin), prefix(latin[:5])]}


def present(files: dict[str, bytes], kind: str, token: int) -> bool:
    return any(read_shard(data, positions_follow=kind == "d").find(token) >= 0 for name, data in files.items()
               if name.startswith(kind) and name.endswith(".bin"))


def test_excluded_entries_contribute_no_token(make_site: MakeSite) -> None:
    files = files_of(hidden_site(make_site))
    assert [name for name in files if name.endswith(".json.gz")] == ["0.json.gz"], "one published entry"
    for kind, tokens in tokens_of(*SHOWN).items():
        assert all(present(files, kind, t) for t in tokens), kind  # the reader does find what is there
    for name, (latin, chinese, _) in HIDDEN.items():
        for kind, tokens in tokens_of(latin, chinese).items():
            assert not any(present(files, kind, t) for t in tokens), (name, kind)
    assert present(files, "f", facet("source=公开办"))
    assert not present(files, "f", facet("source=保密办"))
    texts = [gzip.decompress(data).decode("utf-8") for name, data in files.items() if name.endswith(".json.gz")]
    assert len(texts) == 1 and SHOWN[0] in texts[0]
    for latin, chinese, _ in HIDDEN.values():
        assert latin not in texts[0] and chinese not in texts[0]


def test_a_built_site_has_no_trace_of_excluded_entries_in_its_search_files(make_site: MakeSite) -> None:
    site = hidden_site(make_site)
    result = run_bulletin("build", "--source", site, "--now", "2026-11-27T12:00")
    assert result.returncode == 0, result.stderr
    search = tree_bytes(site / "output" / "search")
    assert [name for name in search if "/" in name] == ["p0/0.json.gz"], "one published entry"
    partition = {name: sections_of(data)[0] for name, data in search.items() if name.endswith(".bin")}
    assert all(len(sections_of(data)) == 1 for name, data in search.items() if name.endswith(".bin"))
    texts = [gzip.decompress(data).decode("utf-8") for name, data in search.items() if name.endswith(".json.gz")]
    texts += [data.decode("utf-8", "replace") for name, data in search.items() if not name.endswith(".gz")]
    assert any(SHOWN[0] in text for text in texts)
    for latin, chinese, _ in HIDDEN.values():
        assert not any(latin in text or chinese in text for text in texts), latin
        for kind, tokens in tokens_of(latin, chinese).items():
            assert not any(present(partition, kind, t) for t in tokens), (latin, kind)
    meta = json.loads(search["meta.json"])
    assert meta["docs"] == 1
    assert [value for value, *_ in meta["facets"]["source"]] == ["公开办"]


def test_two_builds_give_byte_identical_search_files(make_site: MakeSite) -> None:
    site = make_site({**KNOWN, **{f"content/info/n{n}.md": entry(title=f"第{n}条", date=f"2025-0{n}-01",
                                                                   body=f"word{n} 数据{n}")
                                  for n in range(1, 10)}})
    outputs = []
    for name in ("one", "two"):
        result = run_bulletin("build", "--source", site, "--output", site / name, "--clean",
                              "--now", "2026-11-27T12:00")
        assert result.returncode == 0, result.stderr
        outputs.append(tree_bytes(site / name / "search"))
    assert outputs[0] == outputs[1]
    assert any(name.endswith(".bin") for name in outputs[0])
    assert files_of(site) == files_of(site)


def test_each_search_file_is_made_alike_one_by_one_and_keyed_without_its_page(
        make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build keys the shard and document files without their pages and makes a page only for a
    file it writes: that page, its key and its bytes are the ones of the whole set."""
    monkeypatch.setattr(index, "PARTITION_DOCS", 2)
    root = make_site({**KNOWN, "content/info/long.md": entry(title="长文", body=long_body(9000, {}))})
    site = site_of(root)
    search = partitioned(site.entries, "")
    files = index.Files(search, site, tmp_path / "store", None)
    every = {page.path: page for page in files.pages()}
    shared = "0123456789abcdef" * 4
    keyed = {**dict(index.document_keys(search, shared)), **dict(index.shard_keys(search, shared, None))}
    assert sorted(keyed) == sorted(every) and any(path.endswith("-2.json.gz") for path in every)
    for path, page in every.items():
        alone = files.page(path)
        assert alone is not None and alone.generate and page.generate
        assert alone.generate() == page.generate(), path
        assert key(shared, alone, Fingerprints()) == keyed[path], path
    for stranger in ("search/p0/00.json.gz", "search/p0/0-0.json.gz", "search/p9/0.json.gz",
                     "search/p0/0-9.json.gz", "search/d8.bin", "search/meta.json", "info/a/index.html"):
        assert files.page(stranger) is None, stranger


def test_a_shard_files_name_tells_its_place_among_the_names() -> None:
    names = shards.names(16, 8)
    assert [shards.number(name, 16, 8) for name in names] == list(range(len(names)))
    for stranger in ("d16.bin", "u8.bin", "d01.bin", "d-1.bin", "x1.bin", "d1", "d1.json", "", "p0"):
        assert shards.number(stranger, 16, 8) is None, stranger


def test_a_shard_files_source_changes_with_any_of_its_sections_and_their_order(tmp_path: Path) -> None:
    """What each shard file is made from (its key's part), from its sections' digests: one
    section changed changes its file's alone; partitions trading places change every file
    whose sections differ between them."""
    count, rng = 50, np.random.default_rng(7)
    summaries = {f"p{k}": rng.integers(0, 256, count * shards.SUMMARY, dtype=np.uint8).tobytes() for k in range(3)}
    for digest, data in summaries.items():
        shards.summary(tmp_path, digest).write_bytes(data)
    before = postings.shard_sources(tmp_path, list(summaries), count)
    assert before is not None and len(set(before)) == count and all(len(s) == 16 for s in before)
    changed = bytearray(summaries["p1"])
    changed[7 * shards.SUMMARY] ^= 1  # the first byte of file 7's section in partition 1
    shards.summary(tmp_path, "p1").write_bytes(bytes(changed))
    after = postings.shard_sources(tmp_path, list(summaries), count)
    assert after is not None and [n for n in range(count) if after[n] != before[n]] == [7]
    shards.summary(tmp_path, "p1").write_bytes(summaries["p1"])
    swapped = postings.shard_sources(tmp_path, ["p1", "p0", "p2"], count)
    assert swapped is not None and all(swapped[n] != before[n] for n in range(count))
    shards.summary(tmp_path, "p2").unlink()
    assert postings.shard_sources(tmp_path, list(summaries), count) is None
