"""`bulletin new`: a new entry file with its front matter filled in."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .config import Config
from .inputs import CONTENT
from .slugs import slugify


def new_entry(source: Path, config: Config, entry_type: str, title: str,
              publication: str | None, issue: int | None, today: dt.date) -> Path:
    if entry_type not in config.types:
        raise ValueError(f"unknown type '{entry_type}'; use one of: {', '.join(config.types)}")
    if publication is not None and publication not in config.publications:
        raise ValueError(f"unknown publication '{publication}'; use one of: "
                         f"{', '.join(config.publications)}")
    if (publication is None) != (issue is None):
        raise ValueError("--publication and --issue go together")
    if issue is not None and issue < 1:
        raise ValueError("--issue must be a positive number")
    if not title.strip():
        raise ValueError("the title is empty")
    folder = source / CONTENT / entry_type / str(today.year)
    stem = slugify(title)[:48].strip("-") or "entry"
    path = folder / f"{stem}.md"
    counter = 2
    while path.exists():
        path = folder / f"{stem}-{counter}.md"
        counter += 1
    lines = ["---", f"title: {json.dumps(title.strip(), ensure_ascii=False)}",
             f"date: {today.isoformat()}", f"type: {entry_type}"]
    if publication is not None:
        lines += [f"publication: {publication}", f"issue: {issue}"]
    lines += ["source: ", "tags: []", "summary: ", f"audience: {config.default_audience}",
              "draft: true", "---", "", "正文。", ""]
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
