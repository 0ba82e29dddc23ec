"""The same corpus entries as a minimal Hugo site, for benchmarks/build.py.

content/posts/<slug>.md with YAML front matter (title, date, tags, slug) and the
same Markdown body; a theme of our own in layouts/ (no downloaded theme): one
page per entry, the home page, the posts section, the tags taxonomy and each tag
paginated by 20, and RSS feeds limited to 20 items (the default is every page,
which is not what a bulletin needs). Written for Hugo >= 0.146 (its template
lookup without layouts/_default/); pagination is `[pagination] pagerSize`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from corpus import Document, entry_text, quote

CONFIG = """\
baseURL = "http://127.0.0.1/"
title = "信息"
locale = "zh-CN"
defaultContentLanguage = "zh"
hasCJKLanguage = true
enableRobotsTXT = false

[pagination]
pagerSize = 20

[taxonomies]
tag = "tags"

[services.rss]
limit = 20
"""

BASEOF = """\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ block "title" . }}{{ .Title }} - {{ site.Title }}{{ end }}</title>
</head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav><a href="{{ "/posts/" | relURL }}">全部</a> <a href="{{ "/tags/" | relURL }}">标签</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"""

SINGLE = """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p class="meta"><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2006年1月2日" }}</time>
{{ with .GetTerms "tags" }}{{ range . }} <a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}{{ end }}</p>
{{ .Content }}
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">上一篇：{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">下一篇：{{ .Title }}</a>{{ end }}</nav>
</article>
{{ end }}
"""

LIST = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ $pages := .Pages }}
{{ if .IsHome }}{{ $pages = site.RegularPages }}{{ end }}
{{ $paginator := .Paginate $pages }}
<ul>
{{ range $paginator.Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <time>{{ .Date.Format "2006-01-02" }}</time>
<p>{{ .Summary | plainify | truncate 120 }}</p></li>
{{ end }}
</ul>
<nav class="pagination">
{{ with $paginator.Prev }}<a href="{{ .URL }}">上一页</a>{{ end }}
第 {{ $paginator.PageNumber }} / {{ $paginator.TotalPages }} 页
{{ with $paginator.Next }}<a href="{{ .URL }}">下一页</a>{{ end }}
</nav>
{{ end }}
"""


def slug(doc: Document) -> str:
    return f"d{doc.number:05d}"


def tags(doc: Document) -> list[str]:
    """The entry's tags, exactly as the bulletin site gives them."""
    _, text = entry_text(doc)
    line = next(line for line in text.split("\n") if line.startswith("tags: ["))
    return [tag.strip() for tag in line[len("tags: ["):-1].split(",") if tag.strip()]


def entry_file(doc: Document, title: str | None = None, body: str | None = None) -> tuple[str, str]:
    lines = ["---", f"title: {quote(title if title is not None else doc.title)}", f"date: {doc.date}",
             f"tags: [{', '.join(quote(t) for t in tags(doc))}]", f"slug: {slug(doc)}", "---", "",
             body if body is not None else doc.body, ""]
    return f"content/posts/{slug(doc)}.md", "\n".join(lines)


def page_url(doc: Document) -> str:
    return f"/posts/{slug(doc)}/"


def make_site(target: Path, docs: list[Document]) -> None:
    if target.exists():
        shutil.rmtree(target)
    (target / "content" / "posts").mkdir(parents=True)
    (target / "layouts").mkdir()
    (target / "hugo.toml").write_text(CONFIG, encoding="utf-8")
    (target / "content" / "posts" / "_index.md").write_text('---\ntitle: "全部信息"\n---\n', encoding="utf-8")
    for name, text in (("baseof.html", BASEOF), ("single.html", SINGLE), ("list.html", LIST)):
        (target / "layouts" / name).write_text(text, encoding="utf-8")
    for doc in docs:
        path, text = entry_file(doc)
        (target / path).write_text(text, encoding="utf-8")
