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
