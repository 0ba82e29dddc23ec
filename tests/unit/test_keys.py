"""Page keys after an edit: reusing the last build's keys must give the keys a full pass gives."""

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.build import check_sources
from generator.entry import Body, Entry
from generator.keys import RECORD, key, site_keys
from generator.load import Loaded
from generator.model import Site, build_site
from generator.pages import Fingerprints, plan, skeleton
from tests.conftest import REPO

NOW = dt.datetime(2026, 11, 27, 12)
SHARED = "templates and configuration"

# What an entry shows (entry.CONTENT_FIELDS), each changed as an edit of the file would change it.
CONTENT_EDITS: dict[str, Callable[[Entry], Any]] = {
    "title": lambda e: e.title + "（修订）",
    "summary": lambda e: e.summary + "补充摘要。",
    "authors": lambda e: (*e.authors, "新作者"),
    "extra": lambda e: (*e.extra, ("note", "补记")),
    "body": lambda e: Body(e.html + "<p>补充正文。</p>", e.text + "补充正文。"),
}


@pytest.fixture(scope="module")
def sample() -> tuple[Loaded, Site]:
    config, loaded, problems = check_sources(REPO)
    assert config is not None and loaded is not None and not [p for p in problems if not p.warning]
    return loaded, build_site(loaded, config, config.default_audience, NOW)


def with_entry(loaded: Loaded, site: Site, edited: Entry) -> Site:
    entries = tuple(edited if e.path == edited.path else e for e in loaded.entries)
    return build_site(dataclasses.replace(loaded, entries=entries), site.config, site.audience, NOW)


def full_keys(site: Site) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Every page's key, and which pages hold each entry."""
    fingerprints, holding = Fingerprints(), {}
    keys = {}
    for page in plan(site, REPO):
        keys[page.path] = key(SHARED, page, fingerprints)
        for path in fingerprints.reached.get(id(page.context), ()):
            holding.setdefault(path, set()).add(page.path)
    return keys, holding


def test_what_an_entry_shows_reaches_only_the_pages_that_hold_the_entry(sample: tuple[Loaded, Site]) -> None:
    """The rule of pages.py, on every entry of the sample bulletin (issues, links, attachments,
    related entries, statistics): an edit to any content field changes only pages holding it."""
    loaded, site = sample
    before, holding = full_keys(site)
    for entry in site.entries:
        for name, change in CONTENT_EDITS.items():
            edited = dataclasses.replace(entry, **{name: change(entry)}, digest=entry.digest + "'")
            assert edited.placement == entry.placement, name
            changed_site = with_entry(loaded, site, edited)
            assert skeleton(changed_site) == skeleton(site)
            after, _ = full_keys(changed_site)
            changed = {path for path in before if after[path] != before[path]}
            assert f"{entry.url}index.html" in changed
            assert changed <= holding[entry.path], f"{entry.path} {name}: {changed - holding[entry.path]}"


def test_a_link_moved_to_another_line_leaves_the_entry_where_it_stands(sample: tuple[Loaded, Site]) -> None:
    """An edit above a link moves it down; only a link to another entry changes where the entry stands."""
    _, site = sample
    linking = next(e for e in site.entries if e.links)
    moved = dataclasses.replace(linking, links=tuple((target, line + 3) for target, line in linking.links))
    assert moved.placement == linking.placement
    other = next(e.path for e in site.entries if e.path not in dict(linking.links))
    retargeted = dataclasses.replace(linking, links=((other, 1), *linking.links[1:]))
    assert retargeted.placement != linking.placement


def test_reused_keys_equal_a_full_pass(sample: tuple[Loaded, Site], tmp_path: Path) -> None:
    loaded, site = sample
    first = site_keys(SHARED, site, plan(site, REPO), tmp_path)
    assert first == full_keys(site)[0]
    entry = site.entries[3]
    retitled = with_entry(loaded, site, dataclasses.replace(entry, title="新标题", digest="new"))
    redated = with_entry(loaded, site, dataclasses.replace(entry, date=entry.date - dt.timedelta(days=40),
                                                           digest="newer"))
    for changed_site in (retitled, redated, site):
        reused = site_keys(SHARED, changed_site, plan(changed_site, REPO), tmp_path)
        assert reused == full_keys(changed_site)[0]
    assert reused == first  # back to the first state


@pytest.mark.parametrize("damage", [b"", b"\x80\x05damaged", b"\x80\x05N."])
def test_a_damaged_record_is_not_trusted(sample: tuple[Loaded, Site], tmp_path: Path, damage: bytes) -> None:
    loaded, site = sample
    site_keys(SHARED, site, plan(site, REPO), tmp_path)
    (tmp_path / RECORD).write_bytes(damage)
    retitled = with_entry(loaded, site, dataclasses.replace(site.entries[0], title="新标题", digest="new"))
    assert site_keys(SHARED, retitled, plan(retitled, REPO), tmp_path) == full_keys(retitled)[0]


def test_keys_stay_right_through_a_run_of_edits_to_one_entry_then_others(sample: tuple[Loaded, Site],
                                                                          tmp_path: Path) -> None:
    """The record is not written again while one entry alone differs from it: each build keys that
    entry's pages again, and an edit to a second entry makes the record new."""
    loaded, site = sample
    site_keys(SHARED, site, plan(site, REPO), tmp_path)
    first, second = site.entries[3], site.entries[7]
    states = [with_entry(loaded, site, dataclasses.replace(first, title=f"第{n}稿", digest=f"a{n}")) for n in range(3)]
    edits = {first.path: dataclasses.replace(first, title="第2稿", digest="a2"),
             second.path: dataclasses.replace(second, title="另一篇改了", digest="b1")}
    both = build_site(dataclasses.replace(loaded, entries=tuple(edits.get(e.path, e) for e in loaded.entries)),
                      site.config, site.audience, NOW)
    back = with_entry(loaded, site, edits[second.path])
    for changed_site in (*states, site, states[0], both, back, site):
        assert site_keys(SHARED, changed_site, plan(changed_site, REPO), tmp_path) == full_keys(changed_site)[0]
