"""The optional file of an issue (期): masthead and distribution details.

Any `.yaml` file under content/ describes one issue, for example
content/issues/xinxi/2026-12.yaml:

    publication: xinxi
    number: 12
    year: 2026
    date: 2026-11-20
    total: 345                 # 總第345期
    editor: 市委辦公室信息科     # 編發單位
    signer: 王明                # 簽發
    report_to: [市委常委]       # 報
    copy_to: [市人大常委會辦公室] # 送
    distribute_to: [各縣區委辦]  # 發
    copies: 120                # 共印120份
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .config import Config
from .entry import FieldReader
from .errors import SourceError
from .frontmatter import YamlDoc

KEYS = ("publication", "number", "year", "date", "total", "editor", "signer", "report_to",
        "copy_to", "distribute_to", "copies", "classification", "copy_number")


@dataclass(frozen=True)
class IssueInfo:
    path: str
    publication: str
    number: int
    year: int  # 0 when the publication numbers its issues in one running count
    date: dt.datetime | None = None
    total: int | None = None
    editor: str = ""
    signer: str = ""
    report_to: tuple[str, ...] = ()
    copy_to: tuple[str, ...] = ()
    distribute_to: tuple[str, ...] = ()
    copies: int | None = None
    classification: str = ""
    copy_number: str = ""
    digest: str = ""

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.publication, self.year, self.number)


def validate_issue(doc: YamlDoc, path: str, config: Config) -> tuple[IssueInfo | None,
                                                                       list[SourceError]]:
    if not isinstance(doc.data, dict):
        return None, [SourceError(path, 1, "an issue file must be a mapping of keys",
                                  "write 'publication: …', 'number: …' and the other keys")]
    reader = FieldReader(doc, path, config)
    for key in doc.data:
        if key not in KEYS:
            reader.fail(str(key), f"unknown issue key '{key}'", f"use one of: {', '.join(KEYS)}")
    publication = reader.choice("publication", {k: p.name for k, p in config.publications.items()},
                                "publication")
    if "publication" not in doc.data:
        reader.fail("publication", "missing required key 'publication'",
                    f"add 'publication: …' with one of: {', '.join(config.publications)}")
    number = _count(reader, "number", required=True)
    year = _count(reader, "year")
    date = reader.date("date")
    numbering = config.publications[publication].numbering if publication else "yearly"
    if numbering == "yearly" and year is None:
        if date is None:
            reader.fail("year", "missing 'year' (the publication numbers its issues per year)",
                        "add 'year: 2026' or a 'date:'")
        year = date.year if date else None
    info_fields: dict[str, Any] = {
        "total": _count(reader, "total"),
        "copies": _count(reader, "copies"),
        "editor": reader.text("editor") or "",
        "signer": reader.text("signer") or "",
        "classification": reader.text("classification") or "",
        "copy_number": reader.text("copy_number") or "",
        "report_to": reader.texts("report_to"),
        "copy_to": reader.texts("copy_to"),
        "distribute_to": reader.texts("distribute_to"),
    }
    if reader.errors or publication is None or number is None:
        return None, reader.errors
    return IssueInfo(path=path, publication=publication, number=number,
                     year=0 if numbering == "running" else (year or 0), date=date,
                     **info_fields), []


def _count(reader: FieldReader, key: str, required: bool = False) -> int | None:
    value = reader.data.get(key)
    if value is None:
        if required:
            reader.fail(key, f"missing required key '{key}'", f"add '{key}: 12'")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        reader.fail(key, f"'{key}' must be a positive whole number, not {value!r}",
                    f"write '{key}: 12'")
        return None
    return value
