"""The output folder switches from one complete site to the next in one step."""

from pathlib import Path

import pytest

from generator import write
from generator.errors import BuildFailed
from generator.write import OutputTree, replace_file


def files(pairs: dict[str, str]):  # type: ignore[no-untyped-def]
    def make(paths: list[str], folder: Path) -> None:
        for path in paths:
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            replace_file(folder / path, f"{path}={pairs[path]}".encode())

    return dict(pairs), make


def read(output: Path) -> dict[str, str]:
    return {p.relative_to(output.resolve()).as_posix(): p.read_text()
            for p in output.resolve().rglob("*") if p.is_file()}


def built_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pages: dict[str, str]) -> OutputTree:
    """A site built once; the spare folder catches up from ten files behind."""
    monkeypatch.setattr(write, "CATCH_UP_FROM", 10)
    tree = OutputTree(tmp_path / "output")
    tree.write(*files(pages))
    return tree


def test_each_build_becomes_current_in_one_switch(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({"index.html": "1", "info/a/index.html": "1"}))
    assert (tmp_path / "output").is_symlink()
    assert read(tmp_path / "output") == {"index.html": "index.html=1", "info/a/index.html": "info/a/index.html=1"}
    stats = tree.write(*files({"index.html": "2", "info/b/index.html": "1"}))
    assert read(tmp_path / "output") == {"index.html": "index.html=2", "info/b/index.html": "info/b/index.html=1"}
    assert stats.removed == 1 and not (tmp_path / "output/info/a").exists(), "deleted pages and folders vanish"


def test_unchanged_pages_are_not_rendered_again(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({"a.html": "1", "b.html": "1"}))
    tree.write(*files({"a.html": "1", "b.html": "2"}))
    planned, make = files({"a.html": "1", "b.html": "3"})
    asked: list[str] = []

    def counting(paths: list[str], folder: Path) -> None:
        asked.extend(paths)
        make(paths, folder)

    stats = tree.write(planned, counting)
    assert asked == ["b.html"] and stats.kept == 1
    assert read(tmp_path / "output")["a.html"] == "a.html=1"


def test_no_change_writes_nothing(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({"a.html": "1"}))
    stats = tree.write(*files({"a.html": "1"}))
    assert not stats.switched and stats.written == 0


def test_a_failing_build_leaves_the_current_site_alone(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({"a.html": "1", "b.html": "1"}))
    before = read(tmp_path / "output")
    planned, _ = files({"a.html": "2", "b.html": "2"})

    def failing(paths: list[str], folder: Path) -> None:
        (folder / paths[0]).write_bytes(b"half")
        raise BuildFailed([])

    with pytest.raises(BuildFailed):
        tree.write(planned, failing)
    assert read(tmp_path / "output") == before
    tree.write(*files({"a.html": "3", "b.html": "1"}))  # the half-written spare is repaired
    assert read(tmp_path / "output") == {"a.html": "a.html=3", "b.html": "b.html=1"}


def test_a_real_folder_in_the_way_is_never_deleted(tmp_path: Path) -> None:
    (tmp_path / "output").mkdir()
    (tmp_path / "output/keep.txt").write_text("mine")
    problems = OutputTree(tmp_path / "output").check()
    assert problems and "not made by bulletin" in problems[0].message


def test_output_paths_may_not_leave_the_folder(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed):
        OutputTree(tmp_path / "output").write(*files({"../escape.html": "1"}))
    assert not (tmp_path / "escape.html").exists()


def test_unchanged_files_are_shared_and_a_reader_of_the_old_site_never_sees_them_change(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({"a.html": "1", "b.html": "1"}))
    tree.write(*files({"a.html": "1", "b.html": "2"}))  # a.html is linked, not copied
    live = (tmp_path / "output").resolve()
    assert (live / "a.html").stat().st_nlink == 2
    before = (live / "a.html").open()  # a reader holding the current site's file
    tree.write(*files({"a.html": "3", "b.html": "2"}))
    assert read(tmp_path / "output")["a.html"] == "a.html=3"
    assert before.read() == "a.html=1", "the old site's file did not change under its reader"
    assert (live / "a.html").read_text() == "a.html=1", "the previous build folder is still whole"


def test_thousands_of_unchanged_files_in_many_folders_are_all_shared(tmp_path: Path) -> None:
    """The first build after a full one links every unchanged file, by threads when there are many."""
    pages = {f"{kind}/{n % 97}/{n}/index.html": "1" for kind in ("info", "notice") for n in range(1500)}
    assert len(pages) > write.LINKED_BY_THREADS
    tree = OutputTree(tmp_path / "output")
    tree.write(*files(pages))
    changed = {**pages, "info/5/5/index.html": "2", "notice/new/index.html": "1"}
    stats = tree.write(*files(changed))
    assert (stats.copied, stats.written) == (len(pages) - 1, 2)
    live = (tmp_path / "output").resolve()
    assert read(tmp_path / "output") == {path: f"{path}={text}" for path, text in changed.items()}
    assert all((live / path).stat().st_nlink == 2 for path in pages if path != "info/5/5/index.html")


def test_a_file_the_spare_folder_holds_from_the_build_before_last_is_replaced_by_the_current_one(
        tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({"a.html": "1"}))  # folder A
    tree.write(*files({"a.html": "2"}))  # folder B, now current
    current = (tmp_path / "output").resolve()
    stats = tree.write(*files({"a.html": "2", "b.html": "1"}))  # back into A, which holds a.html=1
    assert stats.copied == 1 and read(tmp_path / "output") == {"a.html": "a.html=2", "b.html": "b.html=1"}
    assert (current / "a.html").read_text() == "a.html=2" and (current / "a.html").stat().st_nlink == 2


def test_a_spare_folder_far_behind_is_linked_while_the_build_goes_on_and_write_finds_it_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = {f"info/{n}/index.html": "1" for n in range(40)}
    tree = built_once(tmp_path, monkeypatch, pages)  # the first build: the spare folder is not there at all
    catching_up = tree.catch_up()
    assert catching_up is not None
    assert not tree.manifest_path("b").exists(), "a spare folder being changed is not trusted meanwhile"
    changed = {**pages, "info/3/index.html": "2"}
    planned, make = files(changed)
    asked: list[str] = []

    def counting(paths: list[str], folder: Path) -> None:
        asked.extend(paths)
        make(paths, folder)

    stats = tree.write(planned, counting, catching_up=catching_up)
    assert asked == ["info/3/index.html"] and (stats.copied, stats.written) == (0, 1)
    assert read(tmp_path / "output") == {path: f"{path}={text}" for path, text in changed.items()}
    live = (tmp_path / "output").resolve()
    assert all((live / path).stat().st_nlink == 2 for path in pages if path != "info/3/index.html")
    assert tree.catch_up() is None, "one file behind: nothing to do ahead"


def test_a_build_failing_while_the_spare_folder_catches_up_leaves_it_caught_up_and_trusted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = {f"notice/{n}.html": "1" for n in range(30)}
    tree = built_once(tmp_path, monkeypatch, pages)
    with pytest.raises(BuildFailed), tree.catching_up(clean=False) as catching_up:
        assert catching_up is not None
        raise BuildFailed([])
    assert tree.manifest(tree.live_slot()) == tree.manifest("b"), "the spare folder holds the live one's files"
    assert read(tmp_path / ".output.builds/b") == read(tmp_path / "output")
    stats = tree.write(*files({**pages, "notice/new.html": "1"}))
    assert (stats.copied, stats.written, stats.kept) == (0, 1, 30)


def test_a_spare_folder_of_unknown_content_is_left_to_be_repaired_by_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = {f"info/{n}.html": "1" for n in range(30)}
    tree = built_once(tmp_path, monkeypatch, pages)
    (tmp_path / ".output.builds/b/info/old").mkdir(parents=True)
    for stray in ("stray.html", "info/stray.html", "info/old/index.html"):
        (tmp_path / ".output.builds/b" / stray).write_text("from a killed build")
    assert tree.catch_up() is None
    tree.write(*files({**pages, "info/0.html": "2"}))
    assert read(tmp_path / "output") == {path: f"{path}={text}" for path, text in {**pages, "info/0.html": "2"}.items()}
    assert not (tmp_path / "output/info/old").exists(), "a folder emptied of strays goes too"


def test_after_a_build_that_changed_every_page_the_spare_folder_catches_up_untrusted_until_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "CATCH_UP_FROM", 10)
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({f"info/{n}.html": "1" for n in range(30)}))  # folder a
    pages = {f"info/{n}.html": "2" for n in range(30)}
    tree.write(*files(pages))  # folder b, every page new: a lags by all of them
    assert tree.manifest_path("a").exists()
    catching_up = tree.catch_up()
    assert catching_up is not None
    assert not tree.manifest_path("a").exists(), "a killed build must not leave a manifest of what was there"
    catching_up.finish()
    assert tree.manifest("a") == tree.manifest("b") and read(tmp_path / ".output.builds/a") == read(tmp_path / "output")
    stats = tree.write(*files({**pages, "info/0.html": "3"}))
    assert (stats.copied, stats.written) == (0, 1)
    assert read(tmp_path / "output")["info/0.html"] == "info/0.html=3"


def test_a_spare_page_the_live_site_no_longer_has_is_not_published_after_catching_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "CATCH_UP_FROM", 10)
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({**{f"info/{n}.html": "1" for n in range(30)}, "gone.html": "1"}))  # folder a
    pages = {f"info/{n}.html": "2" for n in range(30)}
    tree.write(*files(pages))  # folder b: gone.html is gone, a lags by every page
    catching_up = tree.catch_up()
    assert catching_up is not None
    tree.write(*files({**pages, "info/0.html": "3"}), catching_up=catching_up)
    assert "gone.html" not in read(tmp_path / "output")


def test_a_linking_that_fails_only_costs_its_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file in the spare folder where the live one has a folder: the child cannot link, the build
    does all as it would have without it."""
    monkeypatch.setattr(write, "CATCH_UP_FROM", 10)
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({"x": "1", **{f"info/{n}.html": "1" for n in range(30)}}))  # folder a holds a file x
    pages = {"x/index.html": "2", **{f"info/{n}.html": "2" for n in range(30)}}
    tree.write(*files(pages))  # folder b holds a folder x
    catching_up = tree.catch_up()
    assert catching_up is not None
    stats = tree.write(*files({**pages, "info/0.html": "3"}), catching_up=catching_up)
    assert stats.switched and read(tmp_path / "output") == {
        path: f"{path}={text}" for path, text in {**pages, "info/0.html": "3"}.items()}


def test_a_manifest_that_cannot_be_read_is_no_manifest(tmp_path: Path) -> None:
    """A build killed while it wrote a folder's manifest: what the folder holds is unknown, and a
    file there that the site no longer has must not be published."""
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({"a.html": "1", "draft.html": "1"}))  # folder a
    tree.write(*files({"a.html": "2"}))  # folder b
    tree.manifest_path("a").write_bytes(b"\x80\x05torn")
    assert tree.trusted_manifest("a") is None
    tree.write(*files({"a.html": "3"}))  # back into a
    assert read(tmp_path / "output") == {"a.html": "a.html=3"}


def test_a_hint_that_cannot_be_read_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "CATCH_UP_FROM", 10)
    tree = OutputTree(tmp_path / "output")
    tree.write(*files({f"info/{n}.html": "1" for n in range(30)}))
    (tmp_path / ".output.builds" / write.LAG).write_text("many")
    assert tree.catch_up() is None
