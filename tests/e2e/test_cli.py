"""The bulletin command as an editor runs it: exit codes, messages, and an output left alone."""

import datetime as dt
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO, MakeSite, entry, run_bulletin, tree_bytes


def test_build_writes_the_site_and_ends_with_a_summary(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(title="甲信息"), "content/notice/b.md": entry(title="乙通知")})
    result = run_bulletin("build", "--source", site)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^built 2 entries, \d+ pages in \d+\.\d\d s", result.stdout, re.M)
    assert "loaded 2 entries" in result.stderr  # progress
    # Once each, from the child that builds, into a pipe (buffered, as a file or a CI log is).
    assert len(re.findall("^built ", result.stdout, re.M)) == 1 and result.stderr.count("loaded 2 entries") == 1
    assert "甲信息" in (site / "output/info/a/index.html").read_text()


def test_check_prints_every_error_with_file_line_and_hint(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": "---\ntitle: 甲\ndate: 2026-13-01\n---\n",
                      "content/info/b.md": "---\ntitle: [乙\n---\n"})
    result = run_bulletin("check", "--source", site)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith('content/info/a.md:3: date "2026-13-01" is not a valid date — ') for line in lines)
    assert any(line.startswith("content/info/b.md:") and "YAML syntax error" in line for line in lines)
    assert lines[-1] == "checked 0 entries: 2 errors, 0 warnings"


def test_check_passes_a_good_site_and_shows_warnings(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(publication="xinxi", issue=214),
                      "content/info/b.md": entry(publication="xinxi", issue=216)})
    result = run_bulletin("check", "--source", site)
    assert result.returncode == 0
    assert "warning: 信息 2026年第214期 is followed by 第216期" in result.stdout


def test_a_failed_build_leaves_the_last_good_site_byte_identical(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(title="好的")})
    assert run_bulletin("build", "--source", site).returncode == 0
    before = tree_bytes(site / "output")
    (site / "content/info/a.md").write_text("---\ntitle: 坏的\ndate: 2026-11-20\ncolour: red\n---\n")
    result = run_bulletin("build", "--source", site)
    assert result.returncode == 1
    assert "content/info/a.md:4: unknown key 'colour'" in result.stderr
    assert "output was not changed" in result.stderr
    assert tree_bytes(site / "output") == before


def test_usage_errors_exit_2(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry()})
    assert run_bulletin("build", "--bogus").returncode == 2
    assert run_bulletin("build", "--source", site, "--audience", "secret").returncode == 2
    assert run_bulletin("new", "memo", "标题", "--source", site).returncode == 2
    assert run_bulletin().returncode == 2


def test_every_command_has_help() -> None:
    for command in ("build", "check", "new"):
        result = run_bulletin(command, "--help")
        assert result.returncode == 0 and "usage: bulletin" in result.stdout


def test_new_scaffolds_an_entry_that_checks_and_builds_as_a_draft(make_site: MakeSite) -> None:
    site = make_site({})
    result = run_bulletin("new", "info", "东湖区推进冬季供暖保障", "--publication", "xinxi", "--issue", "3",
                          "--source", site)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.name == "dong-hu-qu-tui-jin-dong-ji-gong-nuan-bao-zhang.md"
    text = path.read_text()
    assert 'title: "东湖区推进冬季供暖保障"' in text and "issue: 3" in text and "draft: true" in text
    assert run_bulletin("check", "--source", site).returncode == 0
    assert run_bulletin("build", "--source", site, "--drafts").returncode == 0
    assert "草稿" in (site / "output/info/dong-hu-qu-tui-jin-dong-ji-gong-nuan-bao-zhang/index.html").read_text()


def test_a_folder_without_bulletin_yaml_builds_with_the_defaults(make_site: MakeSite) -> None:
    site = make_site({"content/report/r.md": entry(title="调研")})
    assert not (site / "bulletin.yaml").exists()
    assert run_bulletin("build", "--source", site).returncode == 0
    assert (site / "output/report/r/index.html").exists()
    assert (site / "output/xinxi/index.html").exists() and (site / "output/meiri/index.html").exists()


def test_a_site_overrides_one_block_of_a_theme_template(make_site: MakeSite) -> None:
    site = make_site({
        "content/info/a.md": entry(summary="原摘要"),
        "templates/entry.html": '{% extends "theme/entry.html" %}\n{% block summary %}<p class="mine">本站摘要'
                                "：{{ entry.summary }}</p>{% endblock %}\n",
    })
    assert run_bulletin("build", "--source", site).returncode == 0
    page = (site / "output/info/a/index.html").read_text()
    assert '<p class="mine">本站摘要：原摘要</p>' in page
    assert 'class="entry-facts"' in page, "the other blocks still come from the theme"


def test_a_site_template_can_use_the_themes_filters(make_site: MakeSite) -> None:
    """The filters the theme's helpers offer (day, filesize, excerpt...) are known when the
    templates are checked, not only when they are rendered."""
    site = make_site({
        "content/info/a.md": entry(date="2026-11-20", body="正文第一句。"),
        "templates/entry.html": '{% extends "theme/entry.html" %}\n{% block summary %}<p class="mine">'
                                "{{ entry.date | day }} {{ entry | excerpt }}</p>{% endblock %}\n",
    })
    result = run_bulletin("build", "--source", site)
    assert result.returncode == 0, result.stderr
    assert '<p class="mine">2026年11月20日 正文第一句。</p>' in (site / "output/info/a/index.html").read_text()


def test_a_template_syntax_error_names_the_template_and_line(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(),
                      "templates/entry.html": '{% extends "theme/entry.html" %}\n\n{% block summary %}{% if %}\n'})
    for _ in range(2):  # the second build finds the templates' problems in the cache: still an error
        result = run_bulletin("build", "--source", site)
        assert result.returncode == 1
        assert re.search(r"^templates/entry\.html:3: template error", result.stderr, re.M), result.stderr
        assert not (site / "output").exists()
    (site / "templates/entry.html").write_text('{% extends "theme/entry.html" %}\n')
    result = run_bulletin("build", "--source", site)
    assert result.returncode == 0, result.stderr


def test_an_undefined_template_variable_names_the_template_and_line(make_site: MakeSite) -> None:
    """Line 3, though the value is written out with the title of line 2 (render._CodeGenerator)."""
    site = make_site({"content/info/a.md": entry(),
                      "templates/entry.html": '{% extends "theme/entry.html" %}\n'
                                              "{% block summary %}<p>{{ entry.title }}</p>\n"
                                              "<p>{{ entry.no_such_field }}</p>{% endblock %}\n"})
    result = run_bulletin("build", "--source", site)
    assert result.returncode == 1
    assert re.search(r"^templates/entry\.html:3: template error: .*no_such_field", result.stderr, re.M), result.stderr


def test_a_filter_given_a_literal_follows_the_configuration(make_site: MakeSite) -> None:
    """Jinja runs a filter on a literal while it compiles, and the compiled template is kept
    between builds: the URL must be the configuration's of each build (and not the one of the
    check of every template's syntax, which compiles with stand-ins for the filters)."""
    files = {"content/info/a.md": entry(),
             "templates/entry.html": '{% extends "theme/entry.html" %}\n'
                                     '{% block summary %}<a class="mine" href="{{ "about/" | url }}">关于</a>'
                                     "{% endblock %}\n"}
    for base in ("one", "two"):
        site = make_site(files, config=f"url: http://intranet.example/{base}/\n")
        result = run_bulletin("build", "--source", site)
        assert result.returncode == 0, result.stderr
        assert f'<a class="mine" href="/{base}/about/">' in (site / "output/info/a/index.html").read_text()


def test_a_template_sees_no_site_wide_data(make_site: MakeSite) -> None:
    """A page shows only what its context holds, so that a page is made again whenever what it shows
    changes: a template reading the whole site would show stale data after an edit elsewhere."""
    site = make_site({"content/info/a.md": entry(),
                      "templates/404.html": '{% extends "theme/404.html" %}\n'
                                            "{% block title %}{{ site.entries[0].title }}{% endblock %}\n"})
    result = run_bulletin("build", "--source", site)
    assert result.returncode == 1
    assert re.search(r"^templates/404\.html:2: template error: 'site' is undefined", result.stderr, re.M), \
        result.stderr


def test_the_installed_package_carries_the_default_theme(make_site: MakeSite, tmp_path: Path) -> None:
    """A plain wheel install, no repository around: the theme and its static files come with it."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, REPO],
                   check=True, capture_output=True)
    [wheel] = wheels.glob("bulletin-*.whl")
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    assert (installed / "generator/theme/entry.html").exists()
    site = make_site({"content/info/a.md": entry(title="安装后构建")})
    env = {"PYTHONPATH": str(installed), "PATH": "/usr/bin"}
    where = subprocess.run([sys.executable, "-c", "import generator.themes as t; print(t.theme_dir())"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert where.stdout.strip() == str(installed / "generator/theme")
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--source", site], cwd=tmp_path,
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "安装后构建" in (site / "output/info/a/index.html").read_text()
    assert (site / "output/static/style.css").exists()


def test_a_build_with_nothing_to_do_says_so_and_changes_nothing(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(title="甲"),
                      "content/notice/b.md": entry(title="乙通知", publish_at="2026-12-01")})
    assert run_bulletin("build", "--source", site, "--now", "2026-11-27").returncode == 0
    before = tree_bytes(site / "output")
    again = run_bulletin("build", "--source", site, "--now", "2026-11-28")
    assert "nothing changed since the last build" in again.stdout
    assert tree_bytes(site / "output") == before
    # Crossing an embargo is a change even though no file changed.
    later = run_bulletin("build", "--source", site, "--now", "2026-12-02")
    assert "nothing changed" not in later.stdout
    assert "乙通知" in (site / "output/index.html").read_text()
    # So is an edit, and an added file.
    (site / "content/info/a.md").write_text(entry(title="甲（更新）"), encoding="utf-8")
    edited = run_bulletin("build", "--source", site, "--now", "2026-12-02")
    assert "nothing changed" not in edited.stdout
    assert "甲（更新）" in (site / "output/info/a/index.html").read_text()


def build_in_zone(site: Path, zone: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A build on a server whose own time zone is `zone` (TZ), as a cron job or container runs it."""
    return subprocess.run([sys.executable, "-m", "generator", "build", "--source", str(site), *args],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO), "TZ": zone})


def test_embargoes_follow_the_sites_clock_whatever_the_servers_time_zone(make_site: MakeSite) -> None:
    # utc_offset is +08:00 by default: the site's clock is Beijing time, the server's may be UTC.
    site_now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)

    def moment(hours: int) -> str:
        return f'"{site_now + dt.timedelta(hours=hours):%Y-%m-%d %H:%M}"'

    site = make_site({"content/info/due.md": entry(title="两小时前解禁", publish_at=moment(-2)),
                      "content/info/later.md": entry(title="两小时后解禁", publish_at=moment(2)),
                      "content/info/gone.md": entry(title="两小时前撤下", expire_at=moment(-2))})
    for zone in ("UTC", "America/New_York", "Asia/Shanghai"):
        result = build_in_zone(site, zone)
        assert result.returncode == 0, result.stderr
        listed = (site / "output/info/index.html").read_text(encoding="utf-8")
        assert "两小时前解禁" in listed, zone
        assert "两小时后解禁" not in listed and "两小时前撤下" not in listed, zone


def test_a_date_written_with_an_offset_is_read_on_the_sites_clock(make_site: MakeSite) -> None:
    # 08:00 UTC is 16:00 on the site's clock (+08:00): at 12:00 it is not yet published.
    site = make_site({"content/info/a.md": entry(title="世界时八点解禁", publish_at="2026-11-27T08:00:00+00:00")})
    for zone in ("UTC", "Asia/Shanghai"):
        for now, shown in (("2026-11-27T12:00", False), ("2026-11-27T16:00", True)):
            result = build_in_zone(site, zone, "--now", now)
            assert result.returncode == 0, result.stderr
            listed = (site / "output/info/index.html").read_text(encoding="utf-8")
            assert ("世界时八点解禁" in listed) == shown, (zone, now)


def test_a_date_beyond_year_9999_on_the_sites_clock_is_an_error_with_its_line(make_site: MakeSite) -> None:
    site = make_site({"content/info/a.md": entry(title="远期", publish_at="9999-12-31T20:00:00-05:00")})
    result = run_bulletin("check", "--source", site)
    assert result.returncode == 1, result.stderr
    assert "content/info/a.md:4: publish_at" in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_an_edit_stores_the_edited_body_alone_however_many_bodies_its_search_partition_reads(
        make_site: MakeSite) -> None:
    """The build reads the bodies of the edited entry's search partition to index it; they are
    stored already, and the cache's body file grows by the edited body only, not by theirs."""
    texts = {name: f"第{name}篇正文，" + "调研报告的段落。" * 400 for name in "abcdef"}
    site = make_site({f"content/info/{name}.md": entry(title=f"第{name}篇", body=text) for name, text in texts.items()})
    assert run_bulletin("build", "--source", site).returncode == 0
    cache = site / ".output.builds/cache"
    [bodies] = cache.glob("bodies*.bin")
    before = bodies.stat().st_size
    (site / "content/info/a.md").write_text(entry(title="第a篇", body=texts["a"] + "又补一句。"), encoding="utf-8")
    result = run_bulletin("build", "--source", site)
    assert result.returncode == 0, result.stderr
    assert "indexing 6 entries for search" in result.stderr, "the partition holds every entry"
    one_body = len(texts["a"].encode()) * 2  # its HTML and its text
    assert list(cache.glob("bodies*.bin")) == [bodies], "the body file was written anew"
    assert bodies.stat().st_size - before < 1.5 * one_body
    assert tree_bytes(site / "output")["search/p0/0.json.gz"]  # the index is there
