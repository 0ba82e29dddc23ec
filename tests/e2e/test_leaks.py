"""Nothing excluded reaches the output: drafts, embargoed, expired and above-audience entries.

One site holds an entry of every excluded kind. Each carries a marker of its own, an ASCII
word (LEAKDRAFT01) and four rare Han characters (魑魅夔蜮), in its title, body, summary, tags,
source unit, attachment name and file name (so in its URL). The site is built with a fixed
clock for each audience, and every output file is searched for the markers that must not be
there, in every form they could take: as written, lower-cased (URLs), percent-encoded, as
pinyin (tag and source pages), JSON-escaped, inside gzip files, and as tokens of the binary
search index. Markers that must be published are looked for the same way, so the search can
fail.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import struct
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from generator.postings import BIGRAM, UNIGRAM, WORD, token_hash
from generator.searchtext import normalise, units
from generator.slugs import slugify
from tests.conftest import MakeSite, entry, run_bulletin, write_files

NOW = "2026-11-27T12:00"
AUDIENCES = ("public", "internal", "restricted")
SHARED_TAG = "共享标签"
SHARED_SOURCE = "共享单位"


@dataclass(frozen=True)
class Marked:
    """An entry (and a second one in an issue) that only some builds may publish."""

    kind: str
    word: str  # ASCII marker
    han: str  # Chinese marker: characters found nowhere else in the site
    keys: dict[str, str]  # the front matter that keeps it out
    audience: str = "public"
    issue: tuple[int, int] = (901, 1)  # number and item of its issue entry

    @property
    def slug(self) -> str:
        return self.word.lower()

    @property
    def source(self) -> str:
        return f"{self.han}单位{self.word}"

    @property
    def attachment(self) -> str:
        return f"{self.word}-{self.han}附件.txt"

    def published(self, audience: str, drafts: bool = False) -> bool:
        if self.kind == "draft":
            return drafts
        if self.kind in ("future", "expired"):
            return False
        return AUDIENCES.index(self.audience) <= AUDIENCES.index(audience)


MARKED = (
    Marked("draft", "LEAKDRAFT01", "魑魅夔蜮", {"draft": "true"}, issue=(902, 4)),
    Marked("future", "LEAKFUTURE02", "魍魉鸱鸮", {"publish_at": "2026-12-01 08:00"}, issue=(901, 1)),
    Marked("expired", "LEAKEXPIRED03", "饕餮梼杌", {"expire_at": "2026-11-20"}, issue=(901, 2)),
    Marked("restricted", "LEAKRESTRICT04", "麒麟睚眦", {}, audience="restricted", issue=(902, 3)),
    Marked("internal", "LEAKINTERNAL05", "貔貅狴犴", {}, audience="internal", issue=(902, 2)),
)
BY_KIND = {m.kind: m for m in MARKED}


@dataclass(frozen=True)
class Shown:
    """An entry every build publishes: the control that the searches can find something."""

    slug: str
    word: str
    han: str
    date: str
    keys: dict[str, str] = field(default_factory=dict)


SHOWN = (
    # publish_at in the past and expire_at in the future: published
    Shown("first", "PUBFIRST06", "鸳鸯鹣鲽", "2026-11-01",
          {"publish_at": "2026-11-02", "expire_at": "2027-01-01"}),
    Shown("linker", "PUBLINKER07", "鹦鹉鸲鹆", "2026-11-10"),
    Shown("issued", "PUBISSUED08", "蜻蜓蟋蟀", "2026-11-15",
          {"publication": "xinxi", "issue": "{number: 902, item: 1}"}),
)
LINK_TEXT = {m.kind: f"查看{m.kind}材料" for m in MARKED}


def flow(*values: str) -> str:
    return "[" + ", ".join(values) + "]"


def leak_site_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for m in MARKED:
        keys = {**m.keys, "audience": m.audience}
        files[f"content/info/{m.slug}.md"] = entry(
            title=f"{m.han}专报 {m.word}", date="2026-11-05",
            body=f"正文写到{m.han}。Body mentions {m.word} too.",
            summary=f"{m.han}摘要 {m.word}SUMMARY", tags=flow(f"{m.word}TAG", f"标签{m.han}", SHARED_TAG),
            source=m.source, attachments=flow(m.attachment), urgency="特急", pinned_until="2026-12-31",
            **keys)
        files[f"content/info/{m.attachment}"] = f"attachment of {m.word} {m.han}\n"
        number, item = m.issue
        files[f"content/info/{m.slug}-issue.md"] = entry(
            title=f"{m.han}期刊信息 {m.word}", date="2026-11-06", body=f"期刊条目{m.han} {m.word}。",
            tags=flow(SHARED_TAG), source=SHARED_SOURCE, publication="xinxi",
            issue=f"{{number: {number}, item: {item}}}", **keys)
    for s in SHOWN:
        body = f"公开内容{s.han}，{s.word} here."
        if s.slug == "linker":
            body += "\n\n" + "\n\n".join(f"[{LINK_TEXT[m.kind]}]({m.slug}.md)" for m in MARKED)
            body += "\n\n[参见首篇](first.md)\n"
        files[f"content/info/{s.slug}.md"] = entry(
            title=f"{s.han}公开 {s.word}", date=s.date, body=body, summary=f"{s.han}公开摘要",
            tags=flow(SHARED_TAG, f"{s.word}TAG"), source=SHARED_SOURCE, audience="public", **s.keys)
    return files


def build_all(root: Path) -> dict[str, Path]:
    """The site built for every audience (and once with drafts): name -> output folder."""
    write_files(root, leak_site_files())
    outputs = {}
    for name, extra in [*((a, ("--audience", a)) for a in AUDIENCES),
                        ("public+drafts", ("--audience", "public", "--drafts"))]:
        output = root / f"out-{name}"
        result = run_bulletin("build", "--source", root, "--output", output, "--now", NOW, *extra)
        assert result.returncode == 0, result.stderr
        outputs[name] = output.resolve()
    return outputs


def expected_published(build: str) -> list[Marked]:
    audience = build.split("+")[0]
    return [m for m in MARKED if m.published(audience, drafts=build.endswith("+drafts"))]


def expected_excluded(build: str) -> list[Marked]:
    shown = expected_published(build)
    return [m for m in MARKED if m not in shown]


# ---- reading the output ----

def file_text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def haystacks(output: Path) -> dict[str, str]:
    """Each output file's path and text, in every decoded form a marker could hide in."""
    found = {}
    for path in sorted(output.rglob("*")):
        if path.is_file():
            rel = path.relative_to(output).as_posix()
            text = f"{rel}\n{file_text(path)}"
            found[rel] = "\n".join({text.lower(), unquote(text).lower(), html.unescape(text).lower()})
    return found


def needles(word: str, han: str) -> list[str]:
    return [word.lower(), han, slugify(han), json.dumps(han)[1:-1].lower()]


def files_containing(stacks: dict[str, str], word: str, han: str) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for rel, text in stacks.items():
        found = [n for n in needles(word, han) if n in text]
        if found:
            hits[rel] = found
    return hits


def index_tokens(text: str) -> list[tuple[str, int, int]]:
    """The search-index tokens of a text: (file prefix, kind, hash) for words, CJK characters
    and pairs of CJK characters, computed the way the index is built."""
    found = units(normalise(text))
    ids = found.ids
    cjk = (ids != 0) & (ids < np.uint64(1 << 63))
    word = ids >= np.uint64(1 << 63)
    tokens = []
    for kind, prefix, a, b in ((WORD, "d", ids[word], None), (UNIGRAM, "u", ids[cjk], None),
                               (BIGRAM, "d", ids[:-1][cjk[:-1] & cjk[1:]], ids[1:][cjk[:-1] & cjk[1:]])):
        b = b if b is not None else np.zeros(len(a), dtype=np.uint64)
        hashes = token_hash(np.full(len(a), kind, dtype=np.uint64), a, b)
        tokens += [(prefix, kind, int(h)) for h in hashes]
    return tokens


def shard_has(blob: bytes, token: int) -> bool:
    """Whether a shard file (u32 count, u32 high keys [, u32 low keys], ...) holds a token's key."""
    (count,) = struct.unpack_from("<I", blob, 0)
    wide, count = bool(count & (1 << 31)), count & ~(1 << 31)
    highs = struct.unpack_from(f"<{count}I", blob, 4)
    lows = struct.unpack_from(f"<{count}I", blob, 4 + 4 * count) if wide else None
    high, low = token >> 32, token & 0xFFFFFFFF
    return any(h == high and (lows is None or lows[i] == low) for i, h in enumerate(highs))


def sections(blob: bytes) -> list[bytes]:
    """A shard file's sections, one per partition: varint count, varint lengths, the sections."""
    def varint(at: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = blob[at]
            value, shift, at = value | (byte & 0x7F) << shift, shift + 7, at + 1
            if not byte & 0x80:
                return value, at

    count, at = varint(0)
    lengths = []
    for _ in range(count):
        length, at = varint(at)
        lengths.append(length)
    out = []
    for length in lengths:
        out.append(blob[at:at + length])
        at += length
    return out


def index_holds(output: Path, text: str) -> list[bool]:
    """For each token of `text`: is it in the binary index (any partition)?"""
    meta = json.loads((output / "search/meta.json").read_text(encoding="utf-8"))
    result = []
    for prefix, _, token in index_tokens(text):
        count = meta["shards"] if prefix == "d" else meta["small"]
        blob = (output / f"search/{prefix}{token & (count - 1)}.bin").read_bytes()
        result.append(any(shard_has(section, token) for section in sections(blob)))
    return result


class Anchors(HTMLParser):
    """Every <a>: its href and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str | None, str]] = []
        self.open: list[list[object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.open.append([dict(attrs).get("href"), ""])

    def handle_data(self, data: str) -> None:
        for item in self.open:
            item[1] = str(item[1]) + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.open:
            href, text = self.open.pop()
            self.found.append((href, str(text)))  # type: ignore[arg-type]


def anchors(page: Path) -> list[tuple[str | None, str]]:
    parser = Anchors()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def hrefs(page: Path) -> set[str]:
    return {urlsplit(h).path for h, _ in anchors(page) if h}


# ---- the tests ----

BUILDS = (*AUDIENCES, "public+drafts")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("leaks"))


@pytest.fixture(scope="module")
def stacks(outputs: dict[str, Path]) -> dict[str, dict[str, str]]:
    return {name: haystacks(output) for name, output in outputs.items()}


@pytest.mark.parametrize("build", BUILDS)
def test_no_output_file_holds_a_marker_of_an_excluded_entry(build: str, stacks: dict[str, dict[str, str]]) -> None:
    for m in expected_excluded(build):
        hits = files_containing(stacks[build], m.word, m.han)
        assert not hits, f"{m.kind} entry leaks into the {build} build: {hits}"


@pytest.mark.parametrize("build", BUILDS)
def test_published_markers_are_found_where_they_belong(build: str, outputs: dict[str, Path],
                                                       stacks: dict[str, dict[str, str]]) -> None:
    """The control: the same search finds what is published, in each place it should be."""
    output = outputs[build]
    for word, han, slug, attachment in [*((s.word, s.han, s.slug, None) for s in SHOWN),
                                        *((m.word, m.han, m.slug, m.attachment) for m in expected_published(build))]:
        hits = files_containing(stacks[build], word, han)
        assert f"info/{slug}/index.html" in hits, (build, word)
        assert "feed.xml" in hits and "info/feed.xml" in hits, (build, word)
        assert any(rel.startswith("search/p0/") and rel.endswith(".json.gz") for rel in hits), (build, word)
        assert any(rel.startswith("tags/") for rel in hits), (build, word)
        assert all(index_holds(output, f"{word} {han}")), (build, word)
        if attachment:
            assert (output / f"info/{slug}/{attachment}").read_text(encoding="utf-8").startswith("attachment of")
            assert any(rel.startswith("sources/") for rel in hits), (build, word)
            assert "sitemap.xml" in hits and "search/meta.json" in hits and "stats/2026/units.csv" in hits
            assert han in (output / "index.html").read_text(encoding="utf-8"), "pinned and urgent on the home page"


@pytest.mark.parametrize("build", BUILDS)
def test_the_binary_search_index_holds_no_token_of_an_excluded_entry(build: str, outputs: dict[str, Path]) -> None:
    for m in expected_excluded(build):
        held = index_holds(outputs[build], f"{m.word} {m.word}TAG {m.word}SUMMARY {m.han}")
        assert not any(held), f"{m.kind}: {held}"


@pytest.mark.parametrize("build", BUILDS)
def test_lists_counts_and_stats_count_only_published_entries(build: str, outputs: dict[str, Path]) -> None:
    output = outputs[build]
    published = expected_published(build)
    tagged = len(SHOWN) + 2 * len(published)  # each marked kind has two entries with the shared tag
    from_shared_source = len(SHOWN) + len(published)  # the issue entries of the marked kinds
    info = len(SHOWN) + 2 * len(published)

    tags = (output / "tags/index.html").read_text(encoding="utf-8")
    assert f'{SHARED_TAG}<span class="count">{tagged}</span>' in tags
    tag_page = output / f"tags/{slugify(SHARED_TAG)}/index.html"
    assert f"{tagged}篇" in tag_page.read_text(encoding="utf-8")
    sources = (output / "sources/index.html").read_text(encoding="utf-8")
    assert f'{SHARED_SOURCE}<span class="count">{from_shared_source}</span>' in sources
    # one name per tag/source that has a published entry, nothing else
    tag_names = re.findall(r'<a href="[^"]*/tags/[^"]+/">([^<]+)<span class="count">', tags)
    assert sorted(tag_names) == sorted({SHARED_TAG, *(f"{s.word}TAG" for s in SHOWN),
                                        *(f"{m.word}TAG" for m in published), *(f"标签{m.han}" for m in published)})
    source_names = re.findall(r'<a href="[^"]*/sources/[^"]+/">([^<]+)<span class="count">', sources)
    assert sorted(source_names) == sorted({SHARED_SOURCE, *(m.source for m in published)})
    tag_dirs = {p.name for p in (output / "tags").iterdir() if p.is_dir()}
    assert len(tag_dirs) == len(tag_names)
    assert len({p.name for p in (output / "sources").iterdir() if p.is_dir()}) == len(source_names)

    home = (output / "index.html").read_text(encoding="utf-8")
    assert f"信息（{info}篇）" in home
    assert f"{info}篇" in (output / "info/index.html").read_text(encoding="utf-8")
    units_csv = (output / "stats/2026/units.csv").read_text(encoding="utf-8-sig").splitlines()
    row = next(line for line in units_csv if line.startswith(SHARED_SOURCE + ","))
    assert row.split(",")[1] == str(from_shared_source), units_csv
    types_csv = (output / "stats/2026/types.csv").read_text(encoding="utf-8-sig")
    assert f"信息,{info}" in types_csv

    feed_entries = re.findall(r"<entry>", (output / "feed.xml").read_text(encoding="utf-8"))
    assert len(feed_entries) == info
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    entry_urls = set(re.findall(r"<loc>http://[^/]+/(info/[^/]+/)</loc>", sitemap))
    expected = {f"info/{s.slug}/" for s in SHOWN} | {f"info/{m.slug}/" for m in published} | {
        f"info/{m.slug}-issue/" for m in published}
    assert entry_urls == expected
    pages = {p.parent.relative_to(output).as_posix() + "/" for p in (output / "info").glob("*/index.html")}
    assert pages == expected
    meta = json.loads((output / "search/meta.json").read_text(encoding="utf-8"))
    assert meta["docs"] == info


@pytest.mark.parametrize("build", BUILDS)
def test_an_issue_of_excluded_items_is_not_listed_and_a_mixed_issue_shows_only_published_items(
        build: str, outputs: dict[str, Path]) -> None:
    output = outputs[build]
    published = expected_published(build)
    in_901 = [m for m in published if m.issue[0] == 901]
    in_902 = [m for m in published if m.issue[0] == 902]
    publication = (output / "xinxi/index.html").read_text(encoding="utf-8")
    assert ("第901期" in publication) == bool(in_901)
    assert (output / "xinxi/2026/901").exists() == bool(in_901)
    assert "第902期" in publication
    assert f"共{1 + len(in_902)}条" in publication
    issue = (output / "xinxi/2026/902/index.html")
    items = [href for href in re.findall(r'class="issue-item-title"><a href="([^"]+)"',
                                         issue.read_text(encoding="utf-8"))]
    expected = ["/info/issued/", *(f"/info/{m.slug}-issue/" for m in sorted(in_902, key=lambda m: m.issue[1]))]
    assert items == expected
    printed = (output / "xinxi/2026/902/print/index.html").read_text(encoding="utf-8")
    for m in expected_excluded(build):
        assert m.han not in printed
    issue_dirs = {p.name for p in (output / "xinxi/2026").iterdir()}
    assert issue_dirs == {"902", *(["901"] if in_901 else [])}


@pytest.mark.parametrize("build", BUILDS)
def test_previous_next_and_related_skip_excluded_entries(build: str, outputs: dict[str, Path]) -> None:
    output = outputs[build]
    published = expected_published(build)
    # Outside issues, neighbours are the type's entries by date (then path), oldest first.
    sequence = ["first", *sorted(m.slug for m in published), "linker"]
    for index, slug in enumerate(sequence):
        page = output / f"info/{slug}/index.html"
        found = {rel: href for rel, href in re.findall(r'<a rel="(prev|next)" class="[^"]*" href="([^"]+)"',
                                                       page.read_text(encoding="utf-8"))}
        want = {}
        if index:
            want["prev"] = f"/info/{sequence[index - 1]}/"
        if index + 1 < len(sequence):
            want["next"] = f"/info/{sequence[index + 1]}/"
        assert found == want, (build, slug)
    allowed = {f"/info/{s.slug}/" for s in SHOWN} | {f"/info/{m.slug}/" for m in published} | {
        f"/info/{m.slug}-issue/" for m in published}
    for s in SHOWN:
        linked = {h for h in hrefs(output / f"info/{s.slug}/index.html") if h.startswith("/info/")
                  and h.count("/") == 3}
        assert linked <= allowed, (build, s.slug, linked - allowed)


@pytest.mark.parametrize("build", BUILDS)
def test_a_link_to_an_excluded_entry_keeps_its_text_and_loses_its_href(build: str, outputs: dict[str, Path]) -> None:
    page = outputs[build] / "info/linker/index.html"
    text = page.read_text(encoding="utf-8")
    links = anchors(page)
    assert ("/info/first/", "参见首篇") in links, "a link to a published entry stays a link"
    for m in MARKED:
        assert LINK_TEXT[m.kind] in text
        as_link = [(href, label) for href, label in links if LINK_TEXT[m.kind] in label]
        if m in expected_published(build):
            assert as_link == [(f"/info/{m.slug}/", LINK_TEXT[m.kind])], (build, m.kind)
        else:
            assert as_link == [], (build, m.kind)
            assert m.han not in text and m.word.lower() not in text.lower()


def test_drafts_are_published_only_with_the_drafts_option(outputs: dict[str, Path]) -> None:
    draft = BY_KIND["draft"]
    assert not (outputs["public"] / f"info/{draft.slug}").exists()
    page = outputs["public+drafts"] / f"info/{draft.slug}/index.html"
    assert draft.han in page.read_text(encoding="utf-8")
    assert (outputs["public+drafts"] / f"info/{draft.slug}/{draft.attachment}").exists()
    # --drafts publishes drafts, nothing else
    for kind in ("future", "expired", "internal", "restricted"):
        assert not (outputs["public+drafts"] / f"info/{BY_KIND[kind].slug}").exists()


def test_publish_at_and_expire_at_follow_the_build_clock(make_site: MakeSite) -> None:
    """publish_at and expire_at follow --now: the future entry appears once its time has come,
    and the expired one is there before its end."""
    site = make_site(leak_site_files())
    output = site / "later"
    result = run_bulletin("build", "--source", site, "--output", output, "--now", "2026-12-02",
                          "--audience", "public")
    assert result.returncode == 0, result.stderr
    assert (output / f"info/{BY_KIND['future'].slug}/index.html").exists()
    assert not (output / f"info/{BY_KIND['expired'].slug}").exists()
    early = site / "earlier"
    result = run_bulletin("build", "--source", site, "--output", early, "--now", "2026-11-19",
                          "--audience", "public")
    assert result.returncode == 0, result.stderr
    assert (early / f"info/{BY_KIND['expired'].slug}/index.html").exists()
    assert not (early / f"info/{BY_KIND['future'].slug}").exists()
