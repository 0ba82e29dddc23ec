"""The same corpus entries as a Pelican 4.12 site, for benchmarks/build.py.

content/<slug>.md with Pelican's Markdown metadata (Title, Date, Tags, Slug,
Category = the bulletin entry type), the default theme (notmyidea), pagination
by 20, tag pages on, no feeds, relative URLs. The content cache
(LOAD_CONTENT_CACHE / CACHE_CONTENT) is on, so a re-run reuses the parsed
Markdown of unchanged files; a cold run starts without the cache folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from corpus import Document, entry_text
from hugo_site import slug, tags

CONFIG = """\
AUTHOR = "综合科"
SITENAME = "信息"
SITEURL = ""
PATH = "content"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh_cn"
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
RELATIVE_URLS = True
DEFAULT_PAGINATION = 20
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TAG_FEED_ATOM = None
LOAD_CONTENT_CACHE = True
CACHE_CONTENT = True
CACHE_PATH = {cache!r}
"""


def kind(doc: Document) -> str:
    return entry_text(doc)[0].split("/")[1]


def entry_file(doc: Document, title: str | None = None, body: str | None = None) -> tuple[str, str]:
    title = (title if title is not None else doc.title).replace("\n", " ")
    lines = [f"Title: {title}", f"Date: {doc.date}", f"Tags: {', '.join(tags(doc))}",
             f"Slug: {slug(doc)}", f"Category: {kind(doc)}", "",
             body if body is not None else doc.body, ""]
    return f"content/{slug(doc)}.md", "\n".join(lines)


def page_url(doc: Document) -> str:
    return f"/{slug(doc)}.html"


def make_site(target: Path, docs: list[Document], cache: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    (target / "content").mkdir(parents=True)
    (target / "pelicanconf.py").write_text(CONFIG.format(cache=str(cache)), encoding="utf-8")
    for doc in docs:
        path, text = entry_file(doc)
        (target / path).write_text(text, encoding="utf-8")
