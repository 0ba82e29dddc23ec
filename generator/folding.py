"""How text is folded for matching: Unicode NFKC, lower case, and each Traditional character
to its Simplified form (OpenCC's table), character by character, so that search.js folds a
query with the same table (search/fold.json).

Without numpy: a tag's or unit's name is folded at every build, which then needs no array
library. searchtext.normalise gives the same result faster for long texts.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path


@functools.cache
def fold_table() -> dict[int, str]:
    """Traditional -> Simplified, one character to one: OpenCC's t2s conversion of each character
    alone, kept as pairs in fold.txt (scripts/make-fold-table writes it) so that a build neither
    needs OpenCC nor spends 40 ms deriving the table."""
    pairs = (Path(__file__).parent / "fold.txt").read_text(encoding="utf-8").rstrip("\n")
    return {ord(pairs[at]): pairs[at + 1] for at in range(0, len(pairs), 2)}


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().translate(fold_table())
