"""The site model: what is published, and how issues and collections hang together."""

import datetime as dt
from pathlib import Path

from generator.config import default_config
from generator.load import load
from generator.model import build_site, check, next_change
from tests.conftest import MakeSite, entry, write_files

NOW = dt.datetime(2026, 11, 27, 12)


def site_of(root: Path, audience: str = "internal", drafts: bool = False):  # type: ignore[no-untyped-def]
    config = default_config()
    loaded = load(root, config)
    assert not loaded.errors, loaded.errors
    return build_site(loaded, config, audience, NOW, drafts)


def problems_of(root: Path) -> list[str]:
    config = default_config()
    return [str(p) for p in check(load(root, config), config)]


def test_duplicate_slug_names_both_files(make_site: MakeSite) -> None:
    root = make_site({"content/info/a.md": entry(), "content/info/b.md": entry(slug="a")})
    [message] = problems_of(root)
    assert message.startswith("content/info/b.md:4: the slug 'a' is already used by content/info/a.md")


def test_two_entries_in_the_same_place_of_an_issue(make_site: MakeSite) -> None:
    place = "{number: 5, item: 1}"
    root = make_site({"content/info/a.md": entry(publication="xinxi", issue=place),
                      "content/info/b.md": entry(publication="xinxi", issue=place)})
    [message] = problems_of(root)
    assert message.startswith("content/info/b.md:5: item 1 of this issue is already taken by content/info/a.md")


def test_broken_link_between_entries(make_site: MakeSite) -> None:
    root = make_site({"content/info/a.md": entry(body="见[通知](../notice/gone.md)")})
    [message] = problems_of(root)
    assert message.startswith("content/info/a.md:6: the link points to a missing entry 'content/notice/gone.md'")


def test_gap_in_issue_numbers_is_a_warning(make_site: MakeSite) -> None:
    root = make_site({"content/info/a.md": entry(publication="xinxi", issue=214),
                      "content/info/b.md": entry(publication="xinxi", issue=216)})
    config = default_config()
    [problem] = check(load(root, config), config)
    assert problem.warning and "第214期 is followed by 第216期: 第215期 missing" in problem.message


def test_audiences_drafts_embargo_and_expiry(make_site: MakeSite) -> None:
    root = make_site({
        "content/info/public.md": entry(title="公开", audience="public"),
        "content/info/internal.md": entry(title="内部"),
        "content/info/restricted.md": entry(title="限阅", audience="restricted"),
        "content/info/draft.md": entry(title="草稿", draft="true"),
        "content/info/embargo.md": entry(title="未到时间", publish_at="2026-12-01"),
        "content/info/expired.md": entry(title="已过期", expire_at="2026-11-01"),
    })
    titles = {a: {e.title for e in site_of(root, a).entries} for a in ("public", "internal", "restricted")}
    assert titles["public"] == {"公开"}
    assert titles["internal"] == {"公开", "内部"}
    assert titles["restricted"] == {"公开", "内部", "限阅"}
    assert "草稿" in {e.title for e in site_of(root, drafts=True).entries}


def test_issue_items_in_their_numbered_order_and_issues_newest_first(make_site: MakeSite) -> None:
    root = make_site({
        "content/info/a.md": entry(title="二", publication="xinxi", issue="{number: 2, item: 2}"),
        "content/info/b.md": entry(title="一", publication="xinxi", issue="{number: 2, item: 1}"),
        "content/info/c.md": entry(title="旧", publication="xinxi", issue=1),
    })
    site = site_of(root)
    view = next(v for v in site.publications if v.publication.key == "xinxi")
    assert [(i.number, [e.title for e in i.items]) for i in view.issues] == [(2, ["一", "二"]), (1, ["旧"])]
    assert view.issues[0].url == "xinxi/2026/2/"
    assert site.neighbours["content/info/b.md"] == (None, site.by_path["content/info/a.md"])


def test_an_issue_whose_items_are_all_excluded_is_not_listed(make_site: MakeSite) -> None:
    root = make_site({"content/info/a.md": entry(publication="xinxi", issue=7, audience="restricted")})
    assert not next(v for v in site_of(root).publications if v.publication.key == "xinxi").issues


def test_collections_only_hold_published_entries(make_site: MakeSite) -> None:
    root = make_site({
        "content/info/a.md": entry(title="甲", source="市农业农村局", tags="[乡村振兴, 农业]"),
        "content/info/b.md": entry(title="乙", source="秘密单位", tags="[秘密标签]", audience="restricted"),
    })
    site = site_of(root)
    assert [c.key for c in site.sources] == ["市农业农村局"]
    assert sorted(c.key for c in site.tags) == ["乡村振兴", "农业"]
    assert site.tag_url("乡村振兴") == "tags/xiang-cun-zhen-xing/"
    assert [c.key for c in site.months] == ["2026-11"]


def test_related_entries_share_tags(make_site: MakeSite) -> None:
    root = make_site({
        "content/info/a.md": entry(tags="[防汛]", date="2026-11-01"),
        "content/info/b.md": entry(tags="[防汛]", date="2026-11-02"),
        "content/info/c.md": entry(tags="[教育]", date="2026-11-03"),
    })
    related = site_of(root).related
    assert [e.path for e in related["content/info/a.md"]] == ["content/info/b.md"]
    assert related["content/info/c.md"] == ()


def test_running_numbering_issues_ignore_the_year_and_meet_their_issue_file(make_site: MakeSite) -> None:
    config = "publications:\n  meiri: {name: 每日要情, numbering: running}\n"
    root = make_site({
        "content/info/a.md": entry(date="2026-12-31", publication="meiri", issue=338),
        "content/info/b.md": entry(date="2027-01-01", publication="meiri", issue=339),
        "content/issues/meiri-338.yaml": "publication: meiri\nnumber: 338\nsigner: 陈志远\n",
    }, config=config)
    from generator.config import load_config

    cfg, _ = load_config(root)
    assert cfg is not None
    loaded = load(root, cfg)
    assert not loaded.errors and not check(loaded, cfg)
    [view] = build_site(loaded, cfg, "internal", NOW + dt.timedelta(days=60)).publications
    assert [(i.url, i.info and i.info.signer) for i in view.issues] == [("meiri/339/", None),
                                                                        ("meiri/338/", "陈志远")]


def test_a_tag_or_unit_written_in_both_scripts_is_one(make_site: MakeSite) -> None:
    root = make_site({
        "content/info/a.md": entry(title="甲", tags="[乡村振兴]", source="南江县委办公室"),
        "content/info/b.md": entry(title="乙", tags="[鄉村振興]", source="南江縣委辦公室"),
        "content/info/c.md": entry(title="丙", tags="[乡村振兴]", source="南江县委办公室"),
    })
    site = site_of(root)
    [tag] = site.tags
    [unit] = site.sources
    assert (tag.name, len(tag.entries)) == ("乡村振兴", 3), "called by its most used spelling"
    assert (unit.name, len(unit.entries)) == ("南江县委办公室", 3)
    assert site.tag_url("鄉村振興") == site.tag_url("乡村振兴") == tag.url
    assert {site.unit(e) for e in site.entries} == {"南江县委办公室"}


def test_the_next_change_is_the_first_moment_or_the_new_year(make_site: MakeSite) -> None:
    root = make_site({"content/info/a.md": entry(title="甲", pinned_until='"2027-03-01"'),
                      "content/info/b.md": entry(title="乙", publish_at='"2026-12-01 08:00"'),
                      "content/info/c.md": entry(title="丙", expire_at='"2026-11-27 12:00"')})
    entries = load(root, default_config()).entries
    assert next_change(entries, NOW) == dt.datetime(2026, 12, 1, 8), "c's moment has passed: b's is next"
    assert next_change(entries, dt.datetime(2026, 12, 31, 23)) == dt.datetime(2027, 1, 1), "the year turns first"
    assert next_change(entries, dt.datetime(2027, 1, 1)) == dt.datetime(2027, 3, 1)


def test_a_site_arranged_as_the_last_build_was_equals_one_arranged_afresh(make_site: MakeSite) -> None:
    """After an edit that moves no entry (a title, a body), the issues, collections and neighbours
    are the last build's, filled with this build's entries; after one that moves an entry (its
    date), they are made again. Either way the site equals one made without a memo."""
    files = {f"content/{kind}/{n}.md": entry(title=f"第{n}条", date=f"2026-11-{n + 1:02d}", tags=f"[标签{n % 3}]",
                                             source=f"单位{n % 2}", **({"publication": "xinxi", "issue": 7}
                                                                      if n % 2 else {}))
             for n, kind in enumerate(("info", "report", "info", "notice", "info", "report"))}
    root = make_site({**files, "content/issues/xinxi-2026-7.yaml": "publication: xinxi\nyear: 2026\nnumber: 7\n"
                                                                   "signer: 陈志远\n"})
    config = default_config()
    memo: dict[str, object] = {}
    build_site(load(root, config), config, "internal", NOW, memo=memo)
    for path, changed, moved in (("content/info/2.md", {"title": "改过的标题"}, False),
                                 ("content/report/1.md", {"title": "第1条", "body": "改过的正文。"}, False),
                                 ("content/info/4.md", {"title": "第4条", "date": "2026-10-01"}, True)):
        before = memo["arranged"]
        n = int(path.rsplit("/", 1)[1].removesuffix(".md"))
        write_files(root, {path: entry(**{"date": f"2026-11-{n + 1:02d}", "tags": f"[标签{n % 3}]",
                                          "source": f"单位{n % 2}", **({"publication": "xinxi", "issue": 7}
                                                                      if n % 2 else {}), **changed})})
        loaded = load(root, config)
        reused = build_site(loaded, config, "internal", NOW, memo=memo)
        assert (memo["arranged"] is before) != moved, f"{path}: the arrangement was {'kept' if moved else 'made'}"
        assert reused == build_site(loaded, config, "internal", NOW), path
    [view] = [v for v in reused.publications if v.issues]
    assert view.issues[0].info is not None and view.issues[0].info.signer == "陈志远"
    assert [e.title for tag in reused.tags for e in tag.entries if e.path == "content/info/2.md"] == ["改过的标题"]
