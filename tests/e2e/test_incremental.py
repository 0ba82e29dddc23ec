"""An incremental build equals a clean build, byte for byte, whatever the edits before it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator import build as build_module
from generator import index, inputs, load, write
from generator.build import BuildOptions, build
from generator.errors import BuildFailed
from generator.keys import RECORD
from generator.write import OutputTree
from tests.conftest import entry, run_bulletin, saved_right_after_each_look, tree_bytes, write_files

NOW = dt.datetime(2026, 11, 27, 12)
TITLES = ("东湖区推进冬季供暖", "西山縣修繕村道", "市应急管理局部署安全检查", "GDP增长5.2%",
          "关于做好信息报送工作的通知")
TAGS = ("[供暖]", "[安全, 民生]", "[]", "[乡村振兴]")
SOURCES = ("东湖区委办公室", "市应急管理局", "西山縣委辦公室")
FIRST_KEYS = "first-keys.pickle"  # beside content/, not in it

names = st.sampled_from([f"e{n}" for n in range(6)])
operation = st.one_of(
    st.tuples(st.just("write"), names, st.sampled_from(TITLES), st.sampled_from(TAGS), st.sampled_from(SOURCES),
              st.integers(1, 28), st.sampled_from(["", "internal", "restricted", "draft"]),
              st.sampled_from(["", "1", "2"])),
    st.tuples(st.just("body"), names, st.text(alphabet="农村发展安全生产。，GDP 2026\n", max_size=40)),
    st.tuples(st.just("length"), names, st.sampled_from([3000, 4001, 9000])),
    st.tuples(st.just("rename"), names, names),
    st.tuples(st.just("delete"), names),
    st.tuples(st.just("issue file"), st.sampled_from(["1", "2"]), st.sampled_from(["王明", "李建国", ""])),
    st.tuples(st.just("template"), st.sampled_from(["", "<p class='x'>{{ entry.summary }}</p>", "<b>摘</b>"])),
    st.tuples(st.just("config"), st.integers(1, 3), st.sampled_from(["信息", "每日信息"])),
    st.tuples(st.just("search store"), st.sampled_from(["delete", "damage"])),
    st.tuples(st.just("file cache"), st.sampled_from(["torn journal", "damaged journal", "no base", "damaged keys",
                                                      "first build's keys"])),
)


def apply(site: Path, step: tuple) -> None:  # type: ignore[type-arg]
    kind = step[0]
    content = site / "content/info"
    if kind == "write":
        _, name, title, tags, source, day, flag, issue = step
        keys = {"tags": tags, "source": source}
        if flag == "draft":
            keys["draft"] = "true"
        elif flag:
            keys["audience"] = flag
        if issue:
            keys.update(publication="xinxi", issue=issue)
        write_files(site, {f"content/info/{name}.md": entry(title=title, date=f"2026-11-{day:02d}", **keys)})
    elif kind == "body" and (content / f"{step[1]}.md").exists():
        text = (content / f"{step[1]}.md").read_text(encoding="utf-8")
        (content / f"{step[1]}.md").write_text(text + step[2] + "\n", encoding="utf-8")
    elif kind == "length" and (content / f"{step[1]}.md").exists():
        # A text longer than 4,000 characters has chunk files in the search index, which come and go.
        path = content / f"{step[1]}.md"
        front = path.read_text(encoding="utf-8").split("\n---\n", 1)[0]
        path.write_text(f"{front}\n---\n\n{('农村发展，安全生产。' * 1000)[:step[2]]}\n", encoding="utf-8")
    elif kind == "rename" and (content / f"{step[1]}.md").exists() and not (content / f"{step[2]}.md").exists():
        (content / f"{step[1]}.md").rename(content / f"{step[2]}.md")
    elif kind == "delete":
        (content / f"{step[1]}.md").unlink(missing_ok=True)
    elif kind == "issue file":
        _, number, signer = step
        path = site / f"content/issues/xinxi-{number}.yaml"
        if signer:
            write_files(site, {f"content/issues/xinxi-{number}.yaml":
                               f"publication: xinxi\nnumber: {number}\nyear: 2026\nsigner: {signer}\n"})
        else:
            path.unlink(missing_ok=True)
    elif kind == "template":
        path = site / "templates/entry.html"
        if step[1]:
            write_files(site, {"templates/entry.html": '{% extends "theme/entry.html" %}\n'
                                                        "{% block summary %}" + step[1] + "{% endblock %}\n"})
        else:
            path.unlink(missing_ok=True)
    elif kind == "config":
        _, per_page, title = step
        write_files(site, {"bulletin.yaml": f"title: {title}\nper_page: {per_page}\n"})
    elif kind == "search store":  # the cache of indexed partitions is lost or damaged: never trusted
        for path in (site / ".output.builds/cache/search").glob("*"):
            if step[1] == "delete":
                path.unlink()
            else:
                path.write_bytes(b"\x80\x05damaged")
    elif kind == "file cache":  # a build killed while appending to the journal, a disk error, a lost file
        cache = site / ".output.builds/cache"
        journal = cache / "files.journal"
        if step[1] == "torn journal":
            with open(journal, "ab") as out:
                out.write((4096).to_bytes(8, "little") + b"\x80\x05torn")
        elif step[1] == "damaged journal" and journal.exists() and journal.stat().st_size > 40:
            data = bytearray(journal.read_bytes())
            data[30] ^= 0xFF
            journal.write_bytes(bytes(data))
        elif step[1] == "damaged keys":
            (cache / RECORD).write_bytes(b"\x80\x05damaged")
        elif step[1] == "first build's keys":  # the record of another state: it must not be trusted blindly
            shutil.copyfile(site / FIRST_KEYS, cache / RECORD)
        else:
            (cache / "files.pickle").unlink(missing_ok=True)


def clean_build(site: Path) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as fresh:
        output = Path(fresh) / "output"
        build(BuildOptions(site, output, now=NOW, clean=True))
        return tree_bytes(output)


# Chunk files of long texts appear, move to another entry's number and go.
LONG_TEXTS = [("length", "e0", 9000), ("length", "e1", 4001), ("write", "e2", TITLES[0], "[]", SOURCES[0], 1, "", ""),
              ("length", "e0", 3000), ("delete", "e1")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operation, min_size=1, max_size=6))
@example(steps=LONG_TEXTS)
def test_incremental_builds_equal_clean_builds(steps: list[tuple], tmp_path_factory) -> None:  # type: ignore[no-untyped-def, type-arg]
    edit_and_compare(steps, tmp_path_factory)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operation, min_size=1, max_size=6))
@example(steps=LONG_TEXTS)
def test_incremental_builds_equal_clean_builds_across_search_partitions(
        steps: list[tuple], tmp_path_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def, type-arg]
    """Partitions of two entries: edits move entries between partitions and change their number.
    And the spare build folder catches up ahead of each build (write.catch_up) that any file lags."""
    monkeypatch.setattr(index, "PARTITION_DOCS", 2)
    monkeypatch.setattr(write, "CATCH_UP_FROM", 1)
    edit_and_compare(steps, tmp_path_factory)


def edit_and_compare(steps: list[tuple], tmp_path_factory) -> None:  # type: ignore[no-untyped-def, type-arg]
    site = tmp_path_factory.mktemp("site")
    write_files(site, {"content/info/e0.md": entry(title="起点", tags="[供暖]"),
                       "content/info/e1.md": entry(title="第二篇", date="2026-11-21", publication="xinxi", issue="1")})
    output = site / "output"
    build(BuildOptions(site, output, now=NOW))
    shutil.copyfile(site / ".output.builds/cache" / RECORD, site / FIRST_KEYS)
    for step in steps:
        apply(site, step)
        build(BuildOptions(site, output, now=NOW))
        assert tree_bytes(output) == clean_build(site), f"after {step}"
    shutil.rmtree(site)


def test_a_body_edit_makes_only_the_pages_that_show_the_body_again(make_site) -> None:  # type: ignore[no-untyped-def]
    """The items of one issue: an item's page shows the issue's heading, not its items, so an edit
    to the first item leaves the third's page as it was (the second shows the first as previous)."""
    site = make_site({f"content/info/{n}.md": entry(title=f"第{n}条信息", date=f"2026-11-2{n}", publication="xinxi",
                                                     issue=7, body=f"第{n}条正文。") for n in (1, 2, 3)})
    output = site / "output"
    build(BuildOptions(source=site, output=output, now=NOW))
    pages = {n: output / f"info/{n}/index.html" for n in (1, 2, 3)}
    before = {n: page.stat().st_ino for n, page in pages.items()}
    assert "第7期" in pages[3].read_text(), "the item's page names its issue"
    (site / "content/info/1.md").write_text(entry(title="第1条信息", date="2026-11-21", publication="xinxi",
                                                  issue=7, body="第1条正文，改过。"))
    build(BuildOptions(source=site, output=output, now=NOW))
    after = {n: page.stat().st_ino for n, page in pages.items()}
    assert "改过" in pages[1].read_text() and after[1] != before[1]
    assert after[3] == before[3], "the third item's page was made again for an edit it does not show"


def test_a_file_overwritten_keeping_its_size_and_time_is_still_seen(make_site) -> None:  # type: ignore[no-untyped-def]
    """cp -p, rsync -t and unzip keep a file's modification time: an attachment or entry replaced
    by one of the same size that way still reaches the output."""
    site = make_site({"content/info/a.md": entry(title="附件信息", attachments="[名单.txt]", body="第一版正文。"),
                      "content/info/名单.txt": "第一版名单\n"})
    output = site / "output"
    assert run_bulletin("build", "--source", site).returncode == 0
    for path, old, new in (("content/info/名单.txt", "第一版", "第二版"), ("content/info/a.md", "第一版", "第二版")):
        source = site / path
        kept = source.stat()
        source.write_text(source.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        os.utime(source, ns=(kept.st_atime_ns, kept.st_mtime_ns))
        assert source.stat().st_size == kept.st_size and source.stat().st_mtime_ns == kept.st_mtime_ns
    result = run_bulletin("build", "--source", site)
    assert result.returncode == 0, result.stderr
    assert "nothing changed" not in result.stdout
    assert (output / "info/a/名单.txt").read_text(encoding="utf-8") == "第二版名单\n"
    assert "第二版正文" in (output / "info/a/index.html").read_text(encoding="utf-8")


def test_an_attachment_replaced_during_a_read_shows_its_size_at_the_next_build(make_site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The size an entry's page shows and the stat by which the next build knows whether the
    attachment changed describe one version of the file. Taken apart, a file replaced between
    the two left the old size cached against the new file's stat: shown until it changed again."""
    site = make_site({"content/info/a.md": entry(title="附件信息", attachments="[名单.txt]", body="正文。"),
                      "content/info/名单.txt": "旧" * 30})
    output = site / "output"
    saved_right_after_each_look(monkeypatch, "新" * 1000)
    build(BuildOptions(site, output, now=NOW))
    monkeypatch.undo()
    build(BuildOptions(site, output, now=NOW))
    assert (output / "info/a/名单.txt").read_text(encoding="utf-8") == "新" * 1000
    page = (output / "info/a/index.html").read_text(encoding="utf-8")
    assert "2.9 KB" in page and "90 B" not in page


def test_the_index_is_right_when_the_cache_rewrites_its_body_file_meanwhile(make_site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A build writes the cache while its children index the search partitions. When most of the
    cache's body file is dead (here the old version of a long entry), that write makes a new
    one; the children go on reading the other entries' bodies from the old one, which must stay
    as it was until they are done. A slow child makes that order certain here."""
    long_text = "长篇调研报告正文。" * 40_000
    site = make_site({"content/info/a.md": entry(title="长文", body=long_text),
                      **{f"content/info/{n}.md": entry(title=f"第{n}篇", body=f"独有词语{n}号。") for n in "bcd"}})
    output = site / "output"
    build(BuildOptions(site, output, now=NOW))
    cache_folder = site / ".output.builds/cache"
    first = sorted(cache_folder.glob("bodies*.bin"))
    slow = index._index_into

    def after_the_cache_is_written(*args):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        slow(*args)

    monkeypatch.setattr(index, "_index_into", after_the_cache_is_written)
    write_files(site, {"content/info/a.md": entry(title="长文", body=f"{long_text}改过。")})
    build(BuildOptions(site, output, now=NOW))
    second = sorted(cache_folder.glob("bodies*.bin"))
    assert len(first) == 1 and set(first) < set(second), "no new body file: the test proves nothing"
    assert tree_bytes(output) == clean_build(site)
    # The next build, with no reader of the old file left, removes it: the cache does not grow.
    write_files(site, {"content/info/b.md": entry(title="第b篇", body="独有词语b号，又改。")})
    build(BuildOptions(site, output, now=NOW))
    assert sorted(cache_folder.glob("bodies*.bin")) == sorted(set(second) - set(first))
    assert tree_bytes(output) == clean_build(site)


@pytest.mark.parametrize("edited", ["a", "ab"])
def test_a_build_that_cannot_fork_keeps_what_it_read(make_site, monkeypatch, edited) -> None:  # type: ignore[no-untyped-def]
    """A fork refused (a process limit) fails the build, but the files it read stay read: the
    next build reads none of them again. With an entry per search partition, one edit's
    partition is indexed after the cache is written, two edits' partitions before."""
    monkeypatch.setattr(index, "PARTITION_DOCS", 1)
    monkeypatch.setattr(index, "MIN_PARTITION_DOCS", 1)
    site = make_site({f"content/info/{n}.md": entry(title=f"第{n}篇", body=f"正文{n}。") for n in "abc"})
    output = site / "output"
    build(BuildOptions(site, output, now=NOW))
    write_files(site, {f"content/info/{n}.md": entry(title=f"第{n}篇", body="改过的正文。") for n in edited})

    def no_fork(*args):  # type: ignore[no-untyped-def]
        raise BlockingIOError(11, "Resource temporarily unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(index, "prepare", no_fork)
        with pytest.raises(BlockingIOError):
            build(BuildOptions(site, output, now=NOW))
    read = []
    real_read = load.load_file
    monkeypatch.setattr(load, "load_file", lambda source, rel, *rest: read.append(rel) or real_read(source, rel, *rest))
    build(BuildOptions(site, output, now=NOW))
    assert read == []
    assert tree_bytes(output) == clean_build(site)


def test_a_build_failing_after_its_index_workers_started_waits_for_them_and_changes_nothing(
        make_site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The search partitions start indexing in forked workers before the rest of the model is made:
    a failure there leaves no worker running and the site as it was."""
    monkeypatch.setattr(index, "PARTITION_DOCS", 1)
    monkeypatch.setattr(index, "MIN_PARTITION_DOCS", 1)
    site = make_site({f"content/info/{n}.md": entry(title=f"第{n}篇", body=f"正文{n}。") for n in "abc"})
    output = site / "output"
    build(BuildOptions(site, output, now=NOW))
    before = tree_bytes(output)
    write_files(site, {f"content/info/{n}.md": entry(title=f"第{n}篇", body="改过的正文。") for n in "ab"})
    started: list[index.Indexing] = []
    real_prepare = index.prepare
    monkeypatch.setattr(index, "prepare", lambda *args: started.append(real_prepare(*args)) or started[-1])

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in the model")

    with monkeypatch.context() as patched:
        patched.setattr(build_module, "build_site", broken)
        with pytest.raises(RuntimeError, match="a bug in the model"):
            build(BuildOptions(site, output, now=NOW))
    workers = [pid for pid, _ in getattr(started[0].started, "children", [])] if started else []
    assert workers, "no worker was indexing: the test proves nothing"
    for pid in workers:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # waited for already: not left running, nor unwaited
    assert tree_bytes(output) == before
    build(BuildOptions(site, output, now=NOW))
    assert tree_bytes(output) == clean_build(site)


def test_a_problem_an_edit_makes_elsewhere_is_found_after_builds_without_any(make_site) -> None:  # type: ignore[no-untyped-def]
    """A build with no problems between files keeps that answer; deleting or renaming the entry
    another links to changes nothing in the linking entry, and its broken link is still found."""
    site = make_site({"content/info/a.md": entry(title="甲", body="见[乙](b.md)。"),
                      "content/info/b.md": entry(title="乙"), "content/info/c.md": entry(title="丙")})
    output = site / "output"
    for _ in range(2):
        build(BuildOptions(site, output, now=NOW))
    for change in ("delete", "rename"):
        target = site / "content/info/b.md"
        if change == "delete":
            target.unlink()
        else:
            target.rename(site / "content/info/d.md")
        with pytest.raises(BuildFailed) as failed:
            build(BuildOptions(site, output, now=NOW))
        assert [(e.path, e.message) for e in failed.value.errors] == [
            ("content/info/a.md", "the link points to a missing entry 'content/info/b.md'")]
        write_files(site, {"content/info/b.md": entry(title="乙")})
        (site / "content/info/d.md").unlink(missing_ok=True)
        build(BuildOptions(site, output, now=NOW))


def test_settings_edited_while_the_inputs_are_taken_are_read_again(make_site) -> None:  # type: ignore[no-untyped-def]
    """The build reads bulletin.yaml and the cache before it takes the inputs (the command's walk
    runs in another process meanwhile). An edit in between must reach this build, whose record
    of the inputs holds it, or the next build would find nothing to do and keep the old title."""
    site = make_site({"content/info/a.md": entry(title="甲")}, config="title: 旧的标题\n")
    output = site / "output"

    def edited_while_taken() -> inputs.Inputs:
        write_files(site, {"bulletin.yaml": "title: 新的标题\n"})
        return inputs.take(site, output, None, False)

    build(BuildOptions(site, output, now=NOW, inputs=edited_while_taken))
    assert "新的标题" in (output / "index.html").read_text()
    assert tree_bytes(output) == clean_build(site)


def test_a_build_takes_the_output_lock_only_once_it_has_its_inputs(make_site) -> None:  # type: ignore[no-untyped-def]
    """The command's walk may find nothing to build and stop the process that builds, which has
    read the cache meanwhile: until it has the inputs it must not hold the lock, or another
    build started then would find the output taken and fail."""
    site = make_site({"content/info/a.md": entry(title="甲")})
    output = site / "output"
    build(BuildOptions(site, output, now=NOW))
    write_files(site, {"content/info/a.md": entry(title="甲改")})

    def taken_while_another_could_build() -> inputs.Inputs:
        with OutputTree(output).locked():  # fails if this build holds the lock already
            pass
        return inputs.take(site, output, None, False)

    build(BuildOptions(site, output, now=NOW, inputs=taken_while_another_could_build))
    assert "甲改" in (output / "info/a/index.html").read_text()
