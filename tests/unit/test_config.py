import datetime as dt
from pathlib import Path

from generator.config import default_config, load_config, parse_config


def test_no_bulletin_yaml_gives_the_product_defaults(tmp_path: Path) -> None:
    config, errors = load_config(tmp_path)
    assert not errors and config is not None
    assert list(config.types) == ["info", "report", "notice", "circular"]
    assert list(config.publications) == ["xinxi", "meiri"]
    assert list(config.audiences) == ["public", "internal", "restricted"]
    assert config.default_audience == "internal" and config.language == "zh-Hans"


def test_every_bad_key_is_reported_with_its_line() -> None:
    text = "title: 信息\nlanguage: en\nper_page: 0\ncolour: red\ntypes:\n  Info Items: 信息\n"
    config, errors = parse_config(text, "bulletin.yaml")
    assert config is None
    shown = [str(e) for e in errors]
    assert any(s.startswith("bulletin.yaml:2: unknown language 'en'") for s in shown)
    assert any(s.startswith("bulletin.yaml:3: per_page must be") for s in shown)
    assert any(s.startswith("bulletin.yaml:4: unknown configuration key 'colour'") for s in shown)
    assert any(s.startswith("bulletin.yaml:6: 'Info Items' is not a valid key") for s in shown)


def test_type_may_not_take_a_url_the_site_uses() -> None:
    _, errors = parse_config("types:\n  search: 搜索\n", "bulletin.yaml")
    assert "used by the site itself" in errors[0].message


def test_running_numbering_and_closed_source_list() -> None:
    config, errors = parse_config(
        "publications:\n  meiri: {name: 每日要情, numbering: running}\nsources: [甲局, 乙局]\n", "b.yaml")
    assert not errors and config is not None
    assert config.publications["meiri"].numbering == "running"
    assert config.sources == ("甲局", "乙局")


def test_base_path_comes_from_the_url() -> None:
    config, _ = parse_config("url: http://intranet.example/bulletin\n", "b.yaml")
    assert config is not None and config.base_path == "/bulletin/"
    assert default_config().base_path == "/"


def test_the_sites_clock_is_its_utc_offset() -> None:
    config, errors = parse_config('utc_offset: "-05:30"\n', "bulletin.yaml")
    assert config is not None and not errors
    assert config.zone.utcoffset(None) == -dt.timedelta(hours=5, minutes=30)
    moment = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
    assert config.local(moment) == dt.datetime(2026, 11, 27, 2, 30)
    assert config.clock(moment) == dt.datetime(2026, 11, 27, 2, 30)
    assert config.clock(dt.datetime(2026, 11, 27, 8, 0)) == dt.datetime(2026, 11, 27, 8, 0), "naive: as written"
    off = abs(config.clock() - dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=5.5))
    assert off < dt.timedelta(minutes=1)


def test_an_offset_beyond_a_day_is_an_error_not_a_crash() -> None:
    for offset in ("+24:00", "+08:60", "-99:00"):
        config, errors = parse_config(f'utc_offset: "{offset}"\n', "bulletin.yaml")
        assert config is None and [e.line for e in errors] == [1], offset
        assert "utc_offset" in errors[0].message
