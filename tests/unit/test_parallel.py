"""Work shared by forked children: every item done once, by whichever child is free."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator import parallel
from tests.conftest import REPO


def taken_by_child(items: Iterator[int]) -> tuple[int, list[int]]:
    return os.getpid(), list(items)


def test_every_item_is_done_exactly_once_even_with_more_items_than_claims() -> None:
    items = list(range(parallel.CLAIMS * 5 + 3))
    results = parallel.fork_map(taken_by_child, items, 2)
    assert len(results) == 2
    assert len({pid for pid, _ in results} | {os.getpid()}) == 3, "two children, neither of them this process"
    done = [item for _, taken in results for item in taken]
    assert sorted(done) == items


def slow_first(items: Iterator[int]) -> list[int]:
    taken = []
    for item in items:
        time.sleep(3.0 if item == 0 else 0.002)
        taken.append(item)
    return taken


def test_a_child_held_up_by_a_slow_item_leaves_the_rest_to_the_other() -> None:
    # Halves fixed in advance would give the slow item's child fifty quick ones as well.
    results = parallel.fork_map(slow_first, list(range(101)), 2)
    slow_child = next(taken for taken in results if 0 in taken)
    assert len(slow_child) <= 10, f"the child with the slow item also took {len(slow_child) - 1} others"
    assert sorted(item for taken in results for item in taken) == list(range(101))


def fails_on_seven(items: Iterator[int]) -> int:
    for item in items:
        if item == 7:
            raise ValueError("item 7 is bad")
    return 0


def test_an_error_in_a_child_is_raised_in_the_parent() -> None:
    with pytest.raises(ValueError, match="item 7 is bad"):
        parallel.fork_map(fails_on_seven, list(range(50)), 2)


def test_one_child_means_this_process_unless_asked_to_fork() -> None:
    [(pid, taken)] = parallel.fork_map(taken_by_child, [1, 2, 3], 1)
    assert (pid, taken) == (os.getpid(), [1, 2, 3])
    [(pid, taken)] = parallel.start(taken_by_child, [1, 2, 3], 1, fork_one=True).results()
    assert pid != os.getpid() and taken == [1, 2, 3]
    assert parallel.fork_map(taken_by_child, [], 2) == []


def test_a_fork_refused_midway_leaves_no_child_and_no_open_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """At a process limit the second fork fails: the error reaches the caller, and the child
    already started is stopped and its pipes closed, not left running with nobody to wait for it."""
    real_fork, forks = os.fork, []

    def second_fork_refused() -> int:
        if forks:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        forks.append(real_fork())
        return forks[-1]

    open_before = set(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(os, "fork", second_fork_refused)
    with pytest.raises(BlockingIOError):
        parallel.start(slow_first, list(range(20)), 2)
    assert set(os.listdir("/proc/self/fd")) == open_before
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # already waited for: it is gone


@pytest.fixture
def two_cores(monkeypatch):  # type: ignore[no-untyped-def]
    """Work runs ahead only where there is a second core: these tests mean it to."""
    monkeypatch.setattr(parallel, "workers", lambda: 2)


@pytest.mark.usefixtures("two_cores")
def test_work_begun_ahead_is_finished_in_the_child_with_the_payload(tmp_path) -> None:  # type: ignore[no-untyped-def]
    record = tmp_path / "record"

    def first() -> None:
        record.write_text(f"first in {os.getpid()}\n")

    def then(take: Callable[[], dict[str, int]], spare: parallel.Spare | None) -> int:
        with record.open("a") as out:
            out.write(f"then {take()['n']} in {os.getpid()}\n")
        return 7

    begun = parallel.ahead(first, then)
    assert begun.finish({"n": 42}) == 7
    first_line, then_line = record.read_text().splitlines()
    child = first_line.removeprefix("first in ")
    assert child != str(os.getpid()), "the work ran in this process"
    assert then_line == f"then 42 in {child}"


@pytest.mark.usefixtures("two_cores")
def test_work_begun_ahead_and_stopped_goes_no_further(tmp_path) -> None:  # type: ignore[no-untyped-def]
    record = tmp_path / "record"
    begun = parallel.ahead(lambda: time.sleep(0.2), lambda take, spare: record.write_text(take()) or 0)
    begun.stop()
    time.sleep(0.4)
    assert not record.exists()
    with pytest.raises(ChildProcessError):
        os.waitpid(begun.pid or 0, os.WNOHANG)  # stopped and reaped: no such child left


@pytest.mark.usefixtures("two_cores")
def test_a_failure_in_work_begun_ahead_is_told_and_exits_1(capfd) -> None:  # type: ignore[no-untyped-def]
    def then(take: Callable[[], str], spare: parallel.Spare | None) -> int:
        raise ValueError(f"bad {take()}")

    assert parallel.ahead(lambda: None, then).finish("payload") == 1
    assert "ValueError: bad payload" in capfd.readouterr().err


@pytest.mark.usefixtures("two_cores")
def test_a_child_killed_by_a_signal_exits_as_a_shell_would_say() -> None:
    def then(take: Callable[[], None], spare: parallel.Spare | None) -> int:
        os.kill(os.getpid(), signal.SIGKILL)
        return 0

    assert parallel.ahead(lambda: None, then).finish(None) == 128 + signal.SIGKILL


def test_on_one_core_work_begun_ahead_runs_here(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(parallel, "workers", lambda: 1)
    def then(take: Callable[[], int], spare: parallel.Spare | None) -> int:
        return os.getpid() % 200 + take() + (100 if spare else 0)

    assert parallel.ahead(lambda: None, then, ready=lambda: None).finish(5) == os.getpid() % 200 + 5


@pytest.mark.usefixtures("two_cores")
def test_a_failure_before_the_payload_is_told_once_and_exits_1(capfd) -> None:  # type: ignore[no-untyped-def]
    def first() -> None:
        raise ImportError("no module named numpy")

    begun = parallel.ahead(first, lambda take, spare: 0)
    time.sleep(0.3)  # the child has failed and gone before the payload is handed over
    assert begun.finish("x" * 1_000_000) == 1
    err = capfd.readouterr().err
    assert err.count("ImportError: no module named numpy") == 1 and "BrokenPipeError" not in err


READY: list[int] = []  # in the process that runs ahead(): the pids ready() ran in


def pid_and_readiness(number: int) -> tuple[int, int, list[int]]:
    """Run by the spare process: where it runs, and whether ready() ran there first."""
    return os.getpid(), number * 2, list(READY)


def refuse(number: int) -> int:
    raise ValueError(f"no work for {number}")


def ask_the_spare(take: Callable[[], str], spare: parallel.Spare | None) -> int:
    """In the child: ask the spare process for a function of the payload; tell by the exit code."""
    assert spare is not None
    if take() == "refused":
        try:
            spare.start(f"{__name__}.refuse", 7).results()
        except ValueError as problem:
            return 3 if str(problem) == "no work for 7" else 4
        return 5
    asked = spare.start(f"{__name__}.pid_and_readiness", 21)
    pid, double, ready = asked.results()[0]
    return 10 if (pid == os.getppid() and double == 42 and ready == [pid]) else 11


@pytest.mark.usefixtures("two_cores")
def test_the_child_hands_work_to_the_process_that_started_it_which_readied_itself() -> None:
    READY.clear()
    assert parallel.ahead(lambda: None, ask_the_spare, ready=lambda: READY.append(os.getpid())).finish("go") == 10


@pytest.mark.usefixtures("two_cores")
def test_a_failure_in_the_spare_process_is_raised_in_the_child_that_asked() -> None:
    assert parallel.ahead(lambda: None, ask_the_spare).finish("refused") == 3


@pytest.mark.usefixtures("two_cores")
def test_the_spare_process_readies_itself_while_the_child_is_not_yet_reading_its_payload(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The payload, larger than a pipe holds, waits for the child, busy with its start; the
    process that started it readies itself meanwhile, not once the child has taken it."""
    taking_from = tmp_path / "taking"
    readied_from: list[float] = []

    def then(take: Callable[[], bytes], spare: parallel.Spare | None) -> int:
        taking_from.write_text(str(time.perf_counter()))
        return 0 if len(take()) == 5_000_000 else 1

    def ready() -> None:
        readied_from.append(time.perf_counter())

    begun = parallel.ahead(lambda: time.sleep(0.5), then, ready=ready)
    assert begun.finish(b"x" * 5_000_000) == 0
    assert readied_from[0] < float(taking_from.read_text()), "ready() waited for the child to take its payload"


@pytest.mark.usefixtures("two_cores")
def test_work_begun_ahead_goes_on_until_it_takes_the_payload(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The child works on while this process is still busy; only take() waits for the payload."""
    record = tmp_path / "record"

    def then(take: Callable[[], str], spare: parallel.Spare | None) -> int:
        record.write_text(f"before {time.perf_counter()}\n")
        payload = take()
        with record.open("a") as out:
            out.write(f"{payload} {time.perf_counter()}\n")
        return 0

    begun = parallel.ahead(lambda: None, then)
    time.sleep(0.5)  # busy, as with a walk
    handed = time.perf_counter()
    assert begun.finish("payload") == 0
    (_, before), (payload, after) = (line.split() for line in record.read_text().splitlines())
    assert payload == "payload"
    assert float(before) < handed <= float(after), "the child waited for the payload before its work"


class TwoArguments(Exception):
    def __init__(self, first: str, second: str):
        super().__init__(f"{first} and {second}")


def refuse_oddly(number: int) -> int:
    raise TwoArguments("pickled", "not read back")


def ask_and_die(take: Callable[[], str], spare: parallel.Spare | None) -> int:
    """In the child: be killed halfway through sending a request (as by the OOM killer)."""
    assert spare is not None
    take()
    os.write(spare._requests, (1000).to_bytes(8, "little") + b"half of it")
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def ask_for_the_odd_refusal(take: Callable[[], str], spare: parallel.Spare | None) -> int:
    assert spare is not None
    take()
    try:
        spare.start(f"{__name__}.refuse_oddly", 1).results()
    except RuntimeError as problem:
        return 3 if "TwoArguments: pickled and not read back" in str(problem) else 4
    return 5


def ask_twice_at_once(take: Callable[[], str], spare: parallel.Spare | None) -> int:
    assert spare is not None
    take()
    spare.start(f"{__name__}.pid_and_readiness", 1)
    try:
        spare.start(f"{__name__}.pid_and_readiness", 2)
    except RuntimeError:
        return 3
    return 4


@pytest.mark.usefixtures("two_cores")
def test_a_child_killed_while_it_asks_the_spare_process_ends_as_a_killed_child_does(capfd) -> None:  # type: ignore[no-untyped-def]
    assert parallel.ahead(lambda: None, ask_and_die).finish("go") == 128 + signal.SIGKILL
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.usefixtures("two_cores")
def test_an_exception_the_child_cannot_read_back_still_tells_its_story() -> None:
    assert parallel.ahead(lambda: None, ask_for_the_odd_refusal).finish("go") == 3


@pytest.mark.usefixtures("two_cores")
def test_the_spare_process_runs_one_request_at_a_time() -> None:
    assert parallel.ahead(lambda: None, ask_twice_at_once).finish("go") == 3


CTRL_C_SCRIPT = """
import os, sys, time
from pathlib import Path
from generator import parallel

marker = Path(sys.argv[1])

def then(take, spare):
    payload = take()
    marker.write_text(payload)
    return 0

begun = parallel.ahead(lambda: time.sleep(1.5), then, ready=lambda: None)
print(begun.pid, flush=True)
begun.finish("x" * 5_000_000)
"""


def test_ctrl_c_while_the_work_ahead_waits_ends_it_and_leaves_nothing_running(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C reaches the command while its child, still starting, has not taken a payload larger
    than a pipe: the command ends, and the child with it, before the child goes on."""
    marker = tmp_path / "went-on"
    process = subprocess.Popen([sys.executable, "-c", CTRL_C_SCRIPT, str(marker)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout is not None
    child = int(process.stdout.readline())
    time.sleep(0.3)  # in finish(), handing the payload over
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode != 0 and "KeyboardInterrupt" in err
    time.sleep(2.0)  # the child's start is over: had it lived, it would have taken the payload by now
    assert not marker.exists(), "the child went on after Ctrl-C"
    assert not alive(child)


def alive(pid: int) -> bool:
    """Whether a process has not ended (a zombie waiting for a reaper has)."""
    try:
        # pid (comm) state ...: comm may hold spaces and parentheses
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in "ZX"
    except OSError:
        return False


def test_waiting_interrupted_stops_the_children_left_and_returns_with_none_running() -> None:
    """Ctrl+C in a process that builds while it waits for its workers: none outlives the wait."""
    def sleeper(_: Iterator[None]) -> None:
        time.sleep(60)

    started = parallel.start(sleeper, [None, None], 2)
    pids = [pid for pid, _ in started.children]
    previous = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(KeyboardInterrupt):
            started.results()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already waited for: stopped, not left running
    assert started.results() == [], "asked again, it does not wait for what is gone"


def test_work_in_a_child_returns_its_value() -> None:
    assert parallel.in_child(lambda: os.getpid()).results()[0] != os.getpid()


def pieces_of(items: Iterator[int]) -> Iterator[tuple[int, list[int]]]:
    """Two pieces per item, each large enough that a child's pieces fill its pipe many times over;
    an item takes long enough that both children take some."""
    for item in items:
        time.sleep(0.01)
        yield os.getpid(), [item] * 40_000
        yield os.getpid(), [-item - 1] * 40_000


@pytest.mark.parametrize("children", [1, 2])
def test_every_piece_of_every_child_reaches_the_parent(children: int) -> None:
    items = list(range(40))
    got = parallel.start(pieces_of, items, children, pieces=True).results()
    assert sorted(piece[0] for _, piece in got) == sorted([*items, *(-item - 1 for item in items)])
    pids = [pid for pid, _ in got]
    if children == 1:
        assert set(pids) == {os.getpid()}
    else:
        assert len(set(pids) - {os.getpid()}) == 2, "both children sent pieces"
    assert pids == sorted(pids, key=pids.index), "a child's pieces come together"
    for pid in set(pids):
        made = [piece[0] for by, piece in got if by == pid]
        assert made[::2] == sorted(made[::2]) and made[1::2] == [-item - 1 for item in made[::2]], \
            "in the order the child made them"


def failing_after_a_piece(items: Iterator[int]) -> Iterator[int]:
    for item in items:
        yield item
        if item == 3:
            raise ValueError("entry 3 is broken")


def test_a_failure_after_some_pieces_is_raised_in_the_parent() -> None:
    with pytest.raises(ValueError, match="entry 3 is broken"):
        parallel.start(failing_after_a_piece, list(range(8)), 2, pieces=True).results()


def killed_after_a_piece(items: Iterator[int]) -> Iterator[int]:
    for item in items:
        yield item
        if item == 3:
            os.kill(os.getpid(), signal.SIGKILL)


def test_a_child_killed_after_some_pieces_is_a_failure_not_a_short_result() -> None:
    with pytest.raises(RuntimeError, match="a build worker stopped"):
        parallel.start(killed_after_a_piece, list(range(8)), 2, pieces=True).results()


def test_a_child_that_dies_in_the_middle_of_a_message_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def cut_short(fd: int, data: bytes) -> None:  # what a child killed while sending leaves
        os.write(fd, len(data).to_bytes(8, "little") + data[:len(data) // 2])
        os._exit(0)

    monkeypatch.setattr(parallel, "_send", cut_short)  # in the children, forked after it
    with pytest.raises(RuntimeError, match="a build worker stopped"):
        parallel.start(pieces_of, list(range(8)), 2, pieces=True).results()


def test_a_failure_is_raised_again_when_the_results_are_asked_again() -> None:
    started = parallel.start(failing_after_a_piece, list(range(8)), 2, pieces=True)
    for _ in range(2):
        with pytest.raises(ValueError, match="entry 3 is broken"):
            started.results()
