"""Release names keep publish order, whatever the clock does."""

import datetime as dt
from pathlib import Path

from generator.publish import Releases


def publish_counter(site: Path, releases: Releases, number: int, now: dt.datetime, keep: int) -> str:
    (site / "index.html").write_text(f"第{number}次发布", encoding="utf-8")
    return releases.publish(site, now, keep).release


def test_many_publishes_in_one_second_keep_the_newest(tmp_path: Path) -> None:
    site, releases = tmp_path / "site", Releases(tmp_path / "www")
    site.mkdir()
    now = dt.datetime(2026, 11, 27, 16, 41, 11)
    made = [publish_counter(site, releases, number, now, keep=2) for number in range(120)]
    assert made == sorted(made) and len(set(made)) == 120, "a pruned release's name is never reused"
    assert releases.names() == made[-2:]
    assert releases.current() == made[-1]
    assert (tmp_path / "www" / "index.html").read_text(encoding="utf-8") == "第119次发布"


def test_a_clock_set_back_still_makes_the_newest_release_last(tmp_path: Path) -> None:
    site, releases = tmp_path / "site", Releases(tmp_path / "www")
    site.mkdir()
    later, earlier = dt.datetime(2026, 11, 27, 16, 0), dt.datetime(2026, 11, 27, 15, 0)
    first = publish_counter(site, releases, 1, later, keep=2)
    second = publish_counter(site, releases, 2, earlier, keep=2)
    third = publish_counter(site, releases, 3, earlier, keep=2)
    assert first < second < third
    assert releases.names() == [second, third] and releases.current() == third
