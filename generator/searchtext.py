"""Search text: normalisation and the units the index is made of.

Written by hand because no library does this well for Chinese: dictionary
segmenters (jieba, Pagefind's) split a word differently at index and query
time and miss pages; here every query finds every page that contains it.

Text and query are normalised alike: Unicode NFKC, lower case, and each
Traditional character folded to its Simplified form with OpenCC's
character table (the browser folds the query with the same table, shipped
as search/fold.json). Folding is character by character, so it is the same
function in Python and JavaScript.

The normalised text is a sequence of *units* at consecutive positions:
- each CJK character (Han, kana, hangul) is a unit;
- each run of letters and digits is one word unit ("gdp", "2023", "7.15", "pm2.5");
- each run of other characters (spaces, punctuation) is one separator unit,
  except spaces between a word and a CJK character ("GDP 增长"), which take
  no position, so "GDP增长" and "GDP 增长" read the same.
A bigram is two units at consecutive positions, neither a separator: so a
Chinese substring never matches across punctuation or a space.
search.js tokenises queries with exactly these rules.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np

from . import folding
from .folding import fold_table

SPACE, OTHER, WORD, CJK = 0, 1, 2, 3
SEPARATOR = np.uint64(0)
WORD_BIT = np.uint64(1 << 63)
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
               (0xF900, 0xFAFF), (0x20000, 0x3134F))
FNV_OFFSET, FNV_PRIME, MASK64 = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


BY_ARRAY = 64  # characters from which array lookups beat per-character work in Python


def normalise(text: str) -> str:
    """folding.normalise(text), faster for a long text."""
    if len(text) < BY_ARRAY:
        return folding.normalise(text)
    # A partition's text, a few hundred thousand characters, took 37 ms so, 4 ms this way.
    # Each character is first replaced by its own NFKC form: that keeps the text's NFKD, and
    # so its NFKC, as they were, and normalize() then usually finds the text normalised
    # already, which it checks at C speed, instead of decomposing and composing all of it.
    singles, longer = _nfkc_of_each()
    codes = singles[_codes(text)]
    text = _text(codes)
    # A set, not np.unique: since numpy 2.3 that imports numpy.ma, 9 ms of an index worker's start.
    for code in sorted(set(codes[longer.mask[codes]].tolist())):
        text = text.replace(chr(code), longer.forms[code])
    return _text(_folded_codes()[_codes(unicodedata.normalize("NFKC", text).lower())])


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _text(codes: np.ndarray) -> str:
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


@dataclass(frozen=True)
class _Longer:
    """The characters whose NFKC form has two or more characters: which, and their forms."""

    mask: np.ndarray  # by code point
    forms: dict[int, str]


@functools.cache
def _nfkc_of_each() -> tuple[np.ndarray, _Longer]:
    """The NFKC form of each character of the Basic Multilingual Plane: code point -> code point
    where it is one character. A character left as it is stays correct, only slower:
    normalize() still makes the whole text's form (8 ms to make these tables)."""
    singles = np.arange(0x110000, dtype="<u4")
    longer = _Longer(np.zeros(0x110000, dtype=bool), {})
    for code in range(0x10000):
        char = chr(code)
        if unicodedata.decomposition(char):  # here, none but these have another NFKC form
            form = unicodedata.normalize("NFKC", char)
            if len(form) == 1:
                singles[code] = ord(form)
            else:
                longer.mask[code] = True
                longer.forms[code] = form
    return singles, longer


@functools.cache
def _folded_codes() -> np.ndarray:
    """fold_table() as an array: code point -> code point."""
    table = np.arange(0x110000, dtype="<u4")
    folds = fold_table()
    table[np.fromiter(folds, dtype=np.int64, count=len(folds))] = np.fromiter(
        map(ord, folds.values()), dtype=np.int64, count=len(folds))
    return table


@functools.cache
def _bmp_classes() -> np.ndarray:
    classes = np.full(0x10000, OTHER, dtype=np.uint8)
    for code in range(0x10000):
        char = chr(code)
        if char.isalnum():
            classes[code] = WORD
        elif char.isspace():
            classes[code] = SPACE
    for low, high in CJK_RANGES:
        if low < 0x10000:
            classes[low:high + 1] = CJK
    return classes


def classify(codes: np.ndarray) -> np.ndarray:
    bmp = codes < 0x10000
    classes = np.where(bmp, _bmp_classes()[np.where(bmp, codes, 0)], OTHER).astype(np.uint8)
    for index in np.flatnonzero(~bmp):  # astral characters are rare: decide one by one
        code = int(codes[index])
        classes[index] = CJK if 0x20000 <= code <= 0x3134F else (WORD if chr(code).isalnum() else OTHER)
    # A dot between digits belongs to the number: 7.15, 3.5
    dots = np.flatnonzero(codes[1:-1] == ord(".")) + 1
    if len(dots):
        digit = (codes >= ord("0")) & (codes <= ord("9"))
        inner = dots[digit[dots - 1] & digit[dots + 1]]
        classes[inner] = WORD
    return classes


def cuts_word(text: str, at: int) -> bool:
    """Whether a cut before text[at] falls inside a word (letters and digits, 7.15)."""
    # Two characters either side: enough for the dot of 7.15, which is a word's only between digits.
    low = max(0, at - 2)
    kinds = classify(_codes(text[low:at + 2]))
    return bool(kinds[at - low - 1] == WORD and kinds[at - low] == WORD)


def fnv1a64(text: str) -> int:
    value = FNV_OFFSET
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * FNV_PRIME) & MASK64
    return value


@functools.lru_cache(maxsize=200_000)
def word_id(word: str) -> int:
    """A word's unit id: its 64-bit FNV-1a hash with the top bit set (CJK ids are code points)."""
    return fnv1a64(word) | (1 << 63)


@dataclass(frozen=True)
class Units:
    ids: np.ndarray  # uint64 per position: code point, word id, or 0 for a separator
    starts: np.ndarray  # index in the text where each unit begins
    words: tuple[str, ...]  # the word units, in order


def units(normalised: str) -> Units:
    """The unit sequence of normalised text (position = index in `ids`)."""
    if not normalised:
        return Units(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64), ())
    codes = np.frombuffer(normalised.encode("utf-32-le"), dtype="<u4")  # code points fit 32 bits
    classes = classify(codes)
    n = len(codes)
    previous = np.empty(n, dtype=np.uint8)
    previous[0], previous[1:] = 255, classes[:-1]
    separator = classes <= OTHER
    starts = np.flatnonzero(separator & (previous > OTHER))  # separator runs
    consumes = np.ones(len(starts), dtype=bool)
    if len(starts):
        run_ends = _run_ends(separator, starts)
        # reduceat sums each run up to the next run's start: the units between are not OTHER
        only_spaces = np.add.reduceat((classes == OTHER).astype(np.int64), starts) == 0
        before = np.where(starts > 0, classes[np.maximum(starts - 1, 0)], 255)
        after = np.where(run_ends < n, classes[np.minimum(run_ends, n - 1)], 255)
        between = ((before == WORD) & (after == CJK)) | ((before == CJK) & (after == WORD))
        consumes = ~(only_spaces & between)
    unit_start = (classes == CJK) | ((classes == WORD) & (previous != WORD))
    unit_start[starts[consumes]] = True
    first = np.flatnonzero(unit_start)
    ids = np.zeros(len(first), dtype=np.uint64)
    first_class = classes[first]
    cjk = first_class == CJK
    ids[cjk] = codes[first[cjk]].astype(np.uint64)
    word_starts = first[first_class == WORD]
    words: list[str] = []
    if len(word_starts):
        word_ends = _run_ends(classes == WORD, word_starts)
        words = [normalised[a:b] for a, b in zip(word_starts.tolist(), word_ends.tolist(), strict=True)]
        ids[first_class == WORD] = np.array([word_id(w) for w in words], dtype=np.uint64)
    return Units(ids, first, tuple(words))


def _run_ends(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For runs of True in `mask` beginning at `starts`, the index just after each run."""
    if not len(starts):
        return starts
    falling = np.flatnonzero(mask[:-1] & ~mask[1:]) + 1
    falling = np.append(falling, len(mask)) if mask[-1] else falling
    return falling[np.searchsorted(falling, starts, side="right")]
