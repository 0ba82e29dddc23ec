"""Make a bulletin site of N entries from the shared test corpus (../shared/corpus).

The corpus is read in place and the site is written outside the repository
(the corpus is for tests and benchmarks only; it is never published or copied
into the project). About a third of the entries are converted to Traditional
script with OpenCC 's2t', so search must fold scripts to find them.

    python benchmarks/corpus.py /tmp/corpus-site --entries 20213
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
TAGS = ("经济", "民生", "生态", "科技", "农业", "教育", "法治", "改革", "安全", "文化", "卫生", "交通")
CONFIG = """\
title: 信息
organisation: 中共示范市委办公室
url: http://127.0.0.1:8000/
language: zh-Hans
per_page: 20
publications:
  xinxi: {name: 信息, numbering: yearly}
  meiri: {name: 每日要情, numbering: running}
"""


@dataclass(frozen=True)
class Document:
    number: int
    title: str
    date: str
    genre: str
    body: str
    traditional: bool


def documents(count: int) -> list[Document]:
    import opencc

    to_traditional = opencc.OpenCC("s2t")
    with open(CORPUS / "index.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))[:count]
    found = []
    for row in rows:
        number = int(row["file"].split(".")[0])
        lines = (CORPUS / "docs" / row["file"]).read_text(encoding="utf-8").split("\n")
        title, date, body = lines[0], lines[1], "\n".join(lines[3:]).strip()
        traditional = number % 3 == 0
        if traditional:
            title, body = to_traditional.convert(title), to_traditional.convert(body)
        found.append(Document(number, title, date, row["genre"], body, traditional))
    return found


def entry_text(doc: Document) -> tuple[str, str]:
    """(relative path, file text) of one entry."""
    digest = int(hashlib.sha1(str(doc.number).encode()).hexdigest(), 16)
    kind = {"新闻联播文字稿": "info", "政府工作报告": "report"}.get(doc.genre, "notice")
    tags = sorted({TAGS[digest % len(TAGS)], TAGS[(digest // 97) % len(TAGS)]})
    year = doc.date[:4]
    lines = ["---", f"title: {quote(doc.title)}", f"date: {doc.date}", f"type: {kind}",
             f"source: {quote(doc.genre)}", f"tags: [{', '.join(tags)}]", f"slug: d{doc.number:05d}"]
    if kind == "info":
        week = int(doc.date[5:7]) * 5 + int(doc.date[8:10]) // 7
        lines += ["publication: xinxi", f"issue: {week}"]
    return f"content/{kind}/{year}/d{doc.number:05d}.md", "\n".join([*lines, "---", "", doc.body, ""])


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_site(target: Path, count: int) -> list[Document]:
    if target.exists():
        shutil.rmtree(target)
    (target / "content").mkdir(parents=True)
    (target / "bulletin.yaml").write_text(CONFIG, encoding="utf-8")
    docs = documents(count)
    for doc in docs:
        path, text = entry_text(doc)
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(text, encoding="utf-8")
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--entries", type=int, default=20213)
    args = parser.parse_args()
    docs = make_site(args.target, args.entries)
    print(f"{len(docs)} entries in {args.target} ({sum(d.traditional for d in docs)} in Traditional script)")


if __name__ == "__main__":
    main()
