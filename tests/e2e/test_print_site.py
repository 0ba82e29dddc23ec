"""The print pages as `bulletin build` writes them: overridable by a site, and rebuilt when what they show changes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MakeSite, entry, run_bulletin


def built(site: Path, now: str = "2026-11-27") -> Path:
    result = run_bulletin("build", "--source", site, "--now", now)
    assert result.returncode == 0, result.stderr
    return (site / "output").resolve()


def test_a_site_replaces_one_block_of_the_print_edition(make_site: MakeSite) -> None:
    site = make_site({
        "content/info/a.md": entry(title="甲", publication="xinxi", issue=3),
        "templates/partials/print_edition.html": '{% extends "theme/partials/print_edition.html" %}\n'
                                                 '{% block print_distribution %}<p class="mine">本单位版记</p>'
                                                 '{% endblock %}\n',
    })
    output = built(site)
    for page in ("xinxi/2026/3/print/index.html", "xinxi/2026/3/index.html"):
        html = (output / page).read_text(encoding="utf-8")
        assert '<p class="mine">本单位版记</p>' in html and 'class="print-name"' in html, page


def test_issue_and_print_pages_follow_where_their_items_link(make_site: MakeSite) -> None:
    """An item's own file does not change when the entry it links to is withdrawn: the pages still must."""
    site = make_site({
        "content/info/a.md": entry(title="甲", publication="xinxi", issue=3, body="详见[通知](../notice/b.md)。"),
        "content/notice/b.md": entry(title="乙", expire_at="2026-11-28"),
    })
    before = built(site, "2026-11-27")
    assert 'href="/notice/b/">通知</a>' in (before / "xinxi/2026/3/print/index.html").read_text(encoding="utf-8")
    after = built(site, "2026-11-29")
    for page in ("xinxi/2026/3/print/index.html", "xinxi/2026/3/index.html"):
        html = (after / page).read_text(encoding="utf-8")
        assert "/notice/b/" not in html and "<span>通知</span>" in html, page
