"""ASCII URL names for entries, tags and source units.

Chinese names are spelt in pinyin (pypinyin knows both scripts), so a tag
鄉村振興 lives at /tags/xiang-cun-zhen-xing/: readable, stable, ASCII.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        words = [text]
    else:
        # Loaded only when a name needs spelling: pypinyin's dictionaries take 0.2 s to read.
        from pypinyin import Style, lazy_pinyin

        words = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    return _NOT_SLUG.sub("-", " ".join(words).lower()).strip("-")[:80].strip("-")


def unique_slugs(names: Iterable[str], spelt: dict[str, str] | None = None) -> dict[str, str]:
    """Name -> slug; names whose pinyin collides (公式 / 攻勢) each get a hash suffix,
    so a slug never depends on which other names exist beyond its own collision.
    `spelt`: slugs of names spelt by earlier builds, reused and added to."""
    spelt = {} if spelt is None else spelt
    by_slug: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        if name not in spelt:
            spelt[name] = slugify(name) or "x"
        by_slug.setdefault(spelt[name], []).append(name)
    result: dict[str, str] = {}
    for slug, group in by_slug.items():
        for name in group:
            suffix = hashlib.sha1(name.encode()).hexdigest()[:6]
            result[name] = slug if len(group) == 1 else f"{slug}-{suffix}"
    return result
