// bulletin search: a client for the index that `bulletin build` writes to /search/.
//
// Usage from any intranet page (an ES module, no dependency):
//
//   import { search } from "/search/search.js";
//   const { total, results } = await search("乡村振兴 2026", {
//     filters: { type: "notice", publication: "xinxi", source: "东湖区委办公室", year: "2026" },
//     offset: 0, limit: 10,
//   });
//   // results: [{ url, title, date, type, source, excerpt }], excerpt is HTML with <mark>
//
// Semantics (the same rules as generator/searchtext.py, which builds the index):
// - text and query are normalised alike: NFKC, lower case, Traditional folded to
//   Simplified character by character (search/fold.json, from OpenCC's data);
// - a run of Chinese characters matches wherever it occurs as a substring, one
//   character included; Latin words and numbers match as whole words, the last
//   one typed also as a prefix ("202" finds "2023年");
// - space-separated terms are all required; "a quoted phrase" must occur as written
//   (punctuation and spaces in it matter only between two Latin words);
// - the result set is exactly the entries containing every term in title, summary,
//   body, tags or source unit; title matches rank first, then relevance, then recency.
//
// Written by hand: no library searches Chinese this way (see searchtext.py).

const ROOT = new URL("./", import.meta.url);
const CJK = [[0x3040, 0x30ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xac00, 0xd7af], [0xf900, 0xfaff],
  [0x20000, 0x3134f]];
const SPACE = 0, OTHER = 1, WORD = 2, HAN = 3;
const UNIGRAM = 1n, BIGRAM = 2n, WORDTOKEN = 3n, PREFIX = 4n, FACET = 5n;
const MAX_COUNT = 63, TITLE_FLAG = 64; // a document's flags in a list (generator/index.py)
const DIRECT = 1, ACROSS = 2; // how two units of a term meet: next position, or one separator between
const M64 = (1n << 64n) - 1n, TOP = 1n << 63n, GOLDEN = 0x9e3779b97f4a7c15n;
const FACETS = ["type", "publication", "source", "year"];
const WORDCHAR = "[[\\p{L}\\p{N}]--[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}]]";

const files = new Map();
let metaPromise = null;
let foldPromise = null;

// At most this many requests at once: a caller asking for thousands of results (limit: 100000)
// must not open thousands of connections.
const MAX_REQUESTS = 12;
let active = 0;
const waiting = [];

async function throttled(task) {
  if (active >= MAX_REQUESTS) await new Promise((resolve) => waiting.push(resolve));
  active++;
  try {
    return await task();
  } finally {
    active--;
    waiting.shift()?.();
  }
}

function fetchBytes(path) {
  if (!files.has(path)) {
    const promise = throttled(async () => {
      const response = await fetch(new URL(path, ROOT));
      if (!response.ok) throw new Error(`search index file ${path}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    });
    promise.catch(() => files.delete(path)); // a failed request may be retried
    files.set(path, promise);
  }
  return files.get(path);
}

async function fetchJSON(path) {
  return JSON.parse(new TextDecoder().decode(await fetchBytes(path)));
}

async function fetchGzipJSON(path) {
  const bytes = await fetchBytes(path);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

// The build puts the index's description and the fold table here, saving a round trip on
// the first search; a hand-made copy of this file without them fetches meta.json and fold.json.
const EMBEDDED = null;

/** The index's description: document count, partitions, facet values with names and counts. */
export function meta() {
  metaPromise ??= EMBEDDED ? Promise.resolve(EMBEDDED.meta)
    : fetchJSON("meta.json").catch((error) => { metaPromise = null; throw error; });
  return metaPromise;
}

function foldTable() {
  foldPromise ??= (EMBEDDED ? Promise.resolve(EMBEDDED.fold) : fetchJSON("fold.json")).then((pairs) => {
    const table = new Map();
    const chars = Array.from(pairs);
    for (let i = 0; i + 1 < chars.length; i += 2) table.set(chars[i], chars[i + 1]);
    return table;
  }).catch((error) => { foldPromise = null; throw error; });
  return foldPromise;
}

function foldChar(char, table) {
  // Fast paths for the characters of nearly every text, which NFKC leaves alone:
  // ASCII (only lower-cased) and the CJK Unified Ideographs (only folded).
  const code = char.charCodeAt(0);
  if (code < 0x80) return code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : char;
  if (code >= 0x4e00 && code <= 0x9fff) return table.get(char) ?? char;
  let out = "";
  for (const c of char.normalize("NFKC").toLowerCase()) out += table.get(c) ?? c;
  return out;
}

function normaliseWith(text, table) {
  let out = "";
  for (const c of text.normalize("NFKC").toLowerCase()) out += table.get(c) ?? c;
  return out;
}

/** Text as the index sees it: NFKC, lower case, Traditional folded to Simplified. */
export async function normalise(text) {
  return normaliseWith(text, await foldTable());
}

function classOf(char) {
  const code = char.codePointAt(0);
  for (const [low, high] of CJK) if (code >= low && code <= high) return HAN;
  if (/^[\p{L}\p{N}]$/u.test(char)) return WORD;
  if (/^\s$/u.test(char)) return SPACE;
  return OTHER;
}

// Units of normalised text: {kind: "han"|"word"|"sep", text}; the same rules as searchtext.units.
function units(text) {
  const chars = Array.from(text);
  const classes = chars.map(classOf);
  for (let i = 1; i + 1 < chars.length; i++) {
    if (chars[i] === "." && /[0-9]/.test(chars[i - 1]) && /[0-9]/.test(chars[i + 1])) classes[i] = WORD;
  }
  const out = [];
  let i = 0;
  while (i < chars.length) {
    const start = i;
    if (classes[i] === HAN) { out.push({ kind: "han", text: chars[i] }); i++; continue; }
    if (classes[i] === WORD) {
      while (i < chars.length && classes[i] === WORD) i++;
      out.push({ kind: "word", text: chars.slice(start, i).join("") });
      continue;
    }
    while (i < chars.length && classes[i] <= OTHER) i++;
    const onlySpaces = classes.slice(start, i).every((c) => c === SPACE);
    const before = start > 0 ? classes[start - 1] : -1;
    const after = i < chars.length ? classes[i] : -1;
    const betweenWordAndHan = (before === WORD && after === HAN) || (before === HAN && after === WORD);
    out.push({ kind: "sep", text: chars.slice(start, i).join(""), free: onlySpaces && betweenWordAndHan });
  }
  return out;
}

// ---- hashing, identical to generator/index.py ----

function mix(x) {
  x ^= x >> 30n; x = (x * 0xbf58476d1ce4e5b9n) & M64;
  x ^= x >> 27n; x = (x * 0x94d049bb133111ebn) & M64;
  return x ^ (x >> 31n);
}

function fnv1a64(text) {
  let value = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) value = ((value ^ BigInt(byte)) * 0x100000001b3n) & M64;
  return value;
}

function unitId(unit) {
  return unit.kind === "han" ? BigInt(unit.text.codePointAt(0)) : fnv1a64(unit.text) | TOP;
}

function tokenHash(kind, a, b = 0n) {
  return mix((mix((kind * GOLDEN + a) & M64) + b) & M64);
}

// ---- query parsing ----

// A term: units that must stand together, with how each pair meets; `prefix` for a last word typed.
function parse(query, table) {
  const terms = [];
  const text = normaliseWith(query, table);
  const pattern = /["“”]([^"“”]*)["“”]?|[^\s"“”]+/g;
  let match;
  while ((match = pattern.exec(text)) !== null) {
    if (match[1] !== undefined) {
      const term = phrase(units(match[1]));
      if (term) terms.push(term);
      continue;
    }
    // Outside quotes, punctuation separates terms just as spaces do.
    let current = [];
    for (const unit of units(match[0])) {
      if (unit.kind === "sep" && !unit.free) {
        if (current.length) terms.push(bare(current));
        current = [];
      } else if (unit.kind !== "sep") current.push(unit);
    }
    if (current.length) terms.push(bare(current));
  }
  // The last word still being typed matches as a prefix ("202" finds 2023).
  const last = terms.at(-1);
  const typing = classOf(Array.from(text).at(-1) ?? " ") === WORD;
  if (last?.bare && typing && last.units.length === 1 && last.units[0].kind === "word") last.prefix = true;
  return terms;
}

function bare(list) {
  return { units: list, joins: list.slice(1).map(() => DIRECT), prefix: false, bare: true };
}

function phrase(list) {
  const kept = [];
  const joins = [];
  let separated = false;
  for (const unit of list) {
    if (unit.kind === "sep") { separated = true; continue; }
    if (kept.length) joins.push(separated && unit.kind === "word" && kept.at(-1).kind === "word" ? ACROSS : DIRECT);
    kept.push(unit);
    separated = false;
  }
  return kept.length ? { units: kept, joins, prefix: false, bare: false } : null;
}

// The tokens that prove a term: [{hash, offset, positional}]
function plan(term) {
  const { units: us, joins } = term;
  if (us.length === 1) {
    const unit = us[0];
    if (unit.kind === "han") return [{ hash: tokenHash(UNIGRAM, unitId(unit)), offset: 0, positional: false, file: "u" }];
    if (term.prefix) return [{ hash: tokenHash(PREFIX, unitId(unit)), offset: 0, positional: false, file: "w" }];
    return [{ hash: tokenHash(WORDTOKEN, unitId(unit)), offset: 0, positional: false, file: "d" }];
  }
  const offsets = [0];
  for (const join of joins) offsets.push(offsets.at(-1) + (join === DIRECT ? 1 : 2));
  const bigram = (i) => ({ hash: tokenHash(BIGRAM, unitId(us[i]), unitId(us[i + 1])), offset: offsets[i], file: "d" });
  if (us.length === 2 && joins[0] === DIRECT) return [{ ...bigram(0), positional: false }];
  const tokens = [];
  let i = 0;
  while (i < us.length) {
    if (i + 1 < us.length && joins[i] === DIRECT) { tokens.push(bigram(i)); i += 2; }
    else if (us[i].kind === "word") { tokens.push({ hash: tokenHash(WORDTOKEN, unitId(us[i])), offset: offsets[i], file: "d" }); i += 1; }
    else { tokens.push(bigram(i - 1)); i += 1; }
  }
  return tokens.map((t) => ({ ...t, positional: true }));
}

// ---- reading shard files (format: generator/index.py) ----

class Reader {
  constructor(bytes, at = 0) { this.bytes = bytes; this.at = at; }
  varint() {
    let value = 0, shift = 0, byte;
    do { byte = this.bytes[this.at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return value;
  }
}

const parsed = new WeakMap();

// {count, find(hash) -> index or -1, slice(index) -> Uint8Array}
function shardTable(bytes, count = null) {
  if (parsed.has(bytes)) return parsed.get(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let keysHigh = null, keysLow = null, at = 0;
  if (count === null) {
    const head = view.getUint32(0, true);
    const wide = head >= 0x80000000;
    count = head & 0x7fffffff;
    keysHigh = new Uint32Array(count);
    for (let i = 0; i < count; i++) keysHigh[i] = view.getUint32(4 + 4 * i, true);
    at = 4 + 4 * count;
    if (wide) {
      keysLow = new Uint32Array(count);
      for (let i = 0; i < count; i++) keysLow[i] = view.getUint32(at + 4 * i, true);
      at += 4 * count;
    }
  }
  const reader = new Reader(bytes, at);
  const offsets = new Array(count + 1);
  offsets[0] = 0;
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i] + reader.varint();
  const dataStart = reader.at;
  const table = {
    count,
    end: dataStart + offsets[count],
    find(hash) {
      const high = Number(hash >> 32n), low = Number(hash & 0xffffffffn);
      let lo = 0, hi = count - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const h = keysHigh[mid];
        if (h === high) {
          if (!keysLow) return mid;
          const l = keysLow[mid];
          if (l === low) return mid;
          if (l < low) lo = mid + 1; else hi = mid - 1;
        } else if (h < high) lo = mid + 1; else hi = mid - 1;
      }
      return -1;
    },
    slice(index) { return bytes.subarray(dataStart + offsets[index], dataStart + offsets[index + 1]); },
  };
  parsed.set(bytes, table);
  return table;
}

// Document list: Map(localId -> flags) in id order.
function postings(blob) {
  const list = new Map();
  if (!blob) return list;
  const reader = new Reader(blob);
  const n = reader.varint();
  const ids = [];
  let id = 0;
  for (let i = 0; i < n; i++) { id += reader.varint(); ids.push(id); }
  for (const doc of ids) list.set(doc, reader.varint());
  return list;
}

function positionsOf(blob, docs) {
  const byDoc = new Map();
  const reader = new Reader(blob);
  for (const doc of docs) {
    const count = reader.varint();
    const set = new Set();
    let position = 0;
    for (let i = 0; i < count; i++) { position += reader.varint(); set.add(position); }
    byDoc.set(doc, set);
  }
  return byDoc;
}

function shardOf(hash, shards) {
  return Number(hash & BigInt(shards - 1));
}

const split = new WeakMap();

// A shard file's sections, one per partition: varint count, their lengths, the sections.
function sections(bytes) {
  if (!split.has(bytes)) {
    const reader = new Reader(bytes);
    const lengths = Array.from({ length: reader.varint() }, () => reader.varint());
    let at = reader.at;
    split.set(bytes, lengths.map((length) => bytes.subarray(at, (at += length))));
  }
  return split.get(bytes);
}

// A token's documents in one partition; for positional tokens also where to find positions.
// The shard file is fetched once for all partitions.
async function tokenDocs(partition, prefix, shards, hash) {
  const bytes = sections(await fetchBytes(`${prefix}${shardOf(hash, shards)}.bin`))[partition.number];
  const table = shardTable(bytes);
  const index = table.find(hash);
  return { list: postings(index < 0 ? null : table.slice(index)), index, table, bytes };
}

function tokenPositions(found) {
  if (found.index < 0) return new Map();
  // The positions follow the shard in the same file, listed in the order of its keys.
  found.table.positions ??= shardTable(found.bytes.subarray(found.table.end), found.table.count);
  return positionsOf(found.table.positions.slice(found.index), [...found.list.keys()]);
}

// A term in one partition: `docs`, the documents holding it, Map(localId -> flags), flags as in
// the index: the number of occurrences (at most 63) plus TITLE_FLAG when the title holds the term;
// `starts(doc)`, the positions where it begins in one of them, ascending, or null for a term whose
// files keep no positions (u and w): they say where to look for a long text's first match.
async function termInPartition(tokens, partition, titleSpan) {
  const lists = await Promise.all(tokens.map((t) => tokenDocs(partition, t.file, t.file === "d"
    ? partition.shards : partition.small, t.hash)));
  if (!tokens[0].positional) {
    // Read only when a result needs them: a common word's positions are its largest data.
    let positions = null;
    const starts = (doc) => [...(positions ??= tokenPositions(lists[0])).get(doc)];
    return { docs: lists[0].list, starts: tokens[0].file === "d" ? starts : null };
  }
  const docs = new Map();
  let candidates = [...lists[0].list.keys()];
  for (const { list } of lists.slice(1)) candidates = candidates.filter((doc) => list.has(doc));
  if (!candidates.length) return { docs, starts: () => [] };
  const positionLists = lists.map(tokenPositions);
  const base = tokens[0].offset;
  const starts = (doc) => {
    const found = [];
    for (const start of positionLists[0].get(doc)) {
      const origin = start - base;
      if (tokens.every((t, i) => positionLists[i].get(doc).has(origin + t.offset))) found.push(origin);
    }
    return found;
  };
  for (const doc of candidates) {
    const found = starts(doc);
    if (found.length) docs.set(doc, Math.min(found.length, MAX_COUNT) | (found[0] < titleSpan ? TITLE_FLAG : 0));
  }
  return { docs, starts };
}

async function facetDocs(partition, facet, value, facetShards) {
  const hash = tokenHash(FACET, fnv1a64(`${facet}=${value}`) | TOP);
  const bytes = await fetchBytes(`f${shardOf(hash, facetShards)}.bin`);
  const table = shardTable(sections(bytes)[partition.number]);
  const index = table.find(hash);
  return new Set(postings(index < 0 ? null : table.slice(index)).keys());
}

// ---- results ----

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Where the terms occur in original text: [[start, end]] in UTF-16 offsets of `text`.
function hits(text, terms, table) {
  const folds = [];
  let sameLength = true;
  for (const c of text) {
    const f = foldChar(c, table);
    if (f.length !== c.length) sameLength = false;
    folds.push(f);
  }
  const folded = folds.join("");
  // Folded UTF-16 index -> original UTF-16 index; nearly always the same index.
  let origin = null;
  if (!sameLength) {
    origin = new Int32Array(folded.length + 1);
    let at = 0, k = 0, i = 0;
    for (const c of text) {
      for (let j = 0; j < folds[i].length; j++) origin[k++] = at;
      at += c.length;
      i++;
    }
    origin[k] = at;
  }
  const back = (index) => (origin ? origin[index] : index);
  const ranges = [];
  for (const term of terms) {
    // A word is whole: no letter or digit beside it, nor a dot joining digits ("7" is not in "7.15").
    const before = `(?<!${WORDCHAR})(?!(?<=[0-9]\\.)[0-9])`;
    const more = `(?:${WORDCHAR}|(?<=[0-9])\\.(?=[0-9]))`;
    const pieces = term.units.map((u) => u.kind === "han" ? escapeRegExp(u.text)
      : `${before}${escapeRegExp(u.text)}${term.prefix ? `${more}*` : `(?!${more})`}`);
    let source = pieces[0];
    for (let i = 1; i < pieces.length; i++) {
      source += term.joins[i - 1] === ACROSS ? "[^\\p{L}\\p{N}]+" : "\\s*";
      source += pieces[i];
    }
    for (const m of folded.matchAll(new RegExp(source, "gv"))) {
      if (m[0].length) ranges.push([back(m.index), back(m.index + m[0].length)]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function marked(text, ranges) {
  let html = "", at = 0;
  for (const [start, end] of ranges) {
    html += escapeHtml(text.slice(at, start)) + "<mark>" + escapeHtml(text.slice(start, end)) + "</mark>";
    at = end;
  }
  return html + escapeHtml(text.slice(at));
}

const EXCERPT = 120; // characters of an excerpt
// A match crossing the end of a piece of text is cut, so an excerpt's window must end this many
// characters before the piece does, unless the text ends there.
const MARGIN = 64;

// The excerpt around the first match in a piece of a text: {html, matched}; html is null when
// the piece has no match, or when more text follows it (`after`) and its first match lies too
// near its end. `before`: more text comes before the piece.
function excerptIn(piece, terms, table, before, after) {
  const flat = piece.replace(/\s+/g, " ").trim();
  // Folding is the costly part, and most first matches come early: look in a growing head
  // of the piece until the excerpt's window lies well inside it.
  let ranges = [];
  for (let head = 512; ; head *= 4) {
    ranges = hits(flat.slice(0, head), terms, table);
    if (head >= flat.length) break;
    const first = ranges.length ? ranges[0][0] : Infinity;
    if (Math.max(0, first - Math.floor(EXCERPT / 3)) + EXCERPT + MARGIN <= head) break;
  }
  if (!ranges.length) return { html: null, matched: false };
  const start = Math.max(0, ranges[0][0] - Math.floor(EXCERPT / 3));
  if (after && start + EXCERPT + MARGIN > flat.length) return { html: null, matched: true };
  return { html: windowOf(flat, start, ranges, before, after), matched: true };
}

function windowOf(flat, start, ranges, before, after) {
  const end = Math.min(flat.length, start + EXCERPT);
  const inside = ranges.filter(([a, b]) => a >= start && b <= end).map(([a, b]) => [a - start, b - start]);
  return (start > 0 || before ? "…" : "") + marked(flat.slice(start, end), inside)
    + (end < flat.length || after ? "…" : "");
}

// A result's excerpt, matches in <mark>. A long text's document file holds its beginning, and
// chunk files the rest (generator/index.py): when the beginning shows no match, the chunk where
// the first match lies is fetched, found from the positions of the terms in d files.
async function excerpt(doc, file, terms, table, found, local) {
  const chunks = doc.chunks ?? [];
  const head = excerptIn(doc.text, terms, table, false, chunks.length > 0);
  if (head.html !== null) return head.html;
  for (const chunk of chunksToTry(doc, chunks, head.matched, terms, table, found, local)) {
    const piece = await fetchGzipJSON(`${file}-${chunk}.json.gz`);
    const { html } = excerptIn(piece.text, terms, table, true, chunk < chunks.length);
    if (html !== null) return html;
  }
  return windowOf(doc.text.replace(/\s+/g, " ").trim(), 0, [], false, chunks.length > 0);
}

// Which chunks of a long text may hold its first match, in the order to try them, when its
// beginning shows none: `chunks[c - 1]` is the position from which chunk c shows a match best.
function chunksToTry(doc, chunks, matchedNearEnd, terms, table, found, local) {
  if (!chunks.length) return [];
  // A match too near the end of the beginning to show there: chunk 1 repeats that end.
  if (matchedNearEnd) return [1];
  let first = Infinity, unplaced = false;
  found.forEach((term, t) => {
    if (term.starts) {
      // Below chunks[0]: in the title, the tags or the source unit (the beginning has no match).
      const start = term.starts(local).find((at) => at >= chunks[0]);
      if (start !== undefined) first = Math.min(first, start);
    } else if (!(term.docs.get(local) & TITLE_FLAG) && !hits(doc.source, [terms[t]], table).length) {
      unplaced = true; // a single character or a typed prefix, found neither in the title nor the source
    }
  });
  if (first < Infinity) return [chunks.filter((at) => at <= first).length];
  // No position to go by: the chunks in order, until one shows a match.
  return unplaced ? chunks.map((_, c) => c + 1) : [];
}

function checkFilters(filters, info) {
  for (const name of Object.keys(filters)) {
    if (!FACETS.includes(name)) throw new Error(`unknown filter "${name}"; use ${FACETS.join(", ")}`);
  }
  return FACETS.filter((f) => filters[f] !== undefined && filters[f] !== null && filters[f] !== "")
    .map((f) => [f, String(filters[f])]).filter(([f]) => info.facets[f]);
}

/**
 * Search the bulletin.
 * @param {string} query  words, Chinese text, numbers, "quoted phrases"
 * @param {{filters?: {type?: string, publication?: string, source?: string, year?: string|number},
 *          offset?: number, limit?: number}} options
 * @returns {Promise<{total: number, results: Array<{url: string, title: string, date: string,
 *          type: string, source: string, excerpt: string, titleHtml: string}>}>}
 */
export async function search(query, { filters = {}, offset = 0, limit = 10 } = {}) {
  const [info, table] = await Promise.all([meta(), foldTable()]);
  const terms = parse(String(query ?? ""), table);
  const active = checkFilters(filters, info);
  if (!terms.length && !active.length) return { total: 0, results: [] };
  const plans = terms.map(plan);
  const partitions = info.partitions.map((size, number) => ({ number, size, shards: info.shards,
    small: info.small, start: number * info.partition }));
  const perPartition = await Promise.all(partitions.map(async (p) => {
    const [found, allowed] = await Promise.all([
      Promise.all(plans.map((tokens) => termInPartition(tokens, p, info.title_span))),
      Promise.all(active.map(([f, v]) => facetDocs(p, f, v, info.facet_shards))),
    ]);
    return { p, found, allowed };
  }));
  const documentFrequency = terms.map((_, t) => perPartition.reduce((n, x) => n + x.found[t].docs.size, 0));
  const idf = documentFrequency.map((df) => Math.log(1 + info.docs / Math.max(df, 1)));
  const matches = [];
  for (const { p, found, allowed } of perPartition) {
    let docs = terms.length ? [...found[0].docs.keys()] : [...(allowed[0] ?? [])];
    for (const { docs: list } of found.slice(1)) docs = docs.filter((d) => list.has(d));
    for (const set of allowed) docs = docs.filter((d) => set.has(d));
    for (const doc of docs) {
      let score = 0, title = terms.length > 0;
      for (let t = 0; t < found.length; t++) {
        const flags = found[t].docs.get(doc);
        score += idf[t] * (1 + Math.log(flags & MAX_COUNT));
        title &&= (flags & TITLE_FLAG) !== 0;
      }
      matches.push({ partition: p.number, doc, id: p.start + doc, score, title, found });
    }
  }
  matches.sort((a, b) => (b.title - a.title) || (b.score - a.score) || (b.id - a.id));
  const page = matches.slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit));
  const results = await Promise.all(page.map(async (m) => {
    const file = `p${m.partition}/${m.doc}`;
    const doc = await fetchGzipJSON(`${file}.json.gz`);
    return { url: doc.url, title: doc.title, date: doc.date, type: doc.type, source: doc.source,
      excerpt: await excerpt(doc, file, terms, table, m.found, m.doc),
      titleHtml: marked(doc.title, hits(doc.title, terms, table)) };
  }));
  return { total: matches.length, results };
}

// Fetch what every search needs as soon as a page imports this module, not at the first query.
meta().catch(() => {});
foldTable().catch(() => {});
