"""Work on every core: forked children share the parent's data without copying it.

A cold build loads thousands of files and renders thousands of pages; the
parts are independent, so each child takes items as it becomes free and sends
back a small pickled result. fork (not spawn) is what makes this cheap: the children see
the parent's entries, templates and site as they are, with nothing to pickle
on the way in. Where fork is unavailable the work runs in this process.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

PR_SET_PDEATHSIG = 1
PAYLOAD_PIPE = 1 << 20  # bytes: what Linux allows a process without privileges by default
Item = TypeVar("Item")
Result = TypeVar("Result")
Payload = TypeVar("Payload")


def workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def fork_map(function: Callable[[Iterator[Item]], Result], items: Sequence[Item], children: int) -> list[Result]:
    """`function(taken)` in each of up to `children` forked children, where `taken` yields the
    items that child takes (see start); one result per child.

    An exception in a child is raised again here, with the child's traceback in its message.
    """
    return start(function, items, children).results()


def start(function: Callable[[Iterator[Item]], Any], items: Sequence[Item], children: int,
          fork_one: bool = False, pieces: bool = False) -> Started[Any]:
    """Like fork_map, but returns at once: the parent goes on with other work while the children
    run, and collects their results later. `fork_one`: fork even for a single child. `pieces`:
    `function` yields its result piece by piece, each sent as soon as it is made, and results()
    gives every piece of every child: the parent takes them in while the children work, where a
    result sent at the end was taken after them (0.4 s of a cold build's load at 10,000 entries,
    with a core idle). Until the parent reads, a child goes on as far as its pipe holds (a
    megabyte on Linux), then waits.

    A child takes the next items whenever it is ready for more, so all end at about the same time
    however unequal the items are: with halves fixed in advance one core sat idle for the last
    0.1-0.8 s of each forked stage of a cold build, as costs (file creation above all) vary."""
    children = min(children, len(items))
    if children < (1 if fork_one else 2) or not hasattr(os, "fork"):
        if not items:
            return Started([], [])
        result = function(iter(items))
        return Started([], list(result) if pieces else [result])
    claims, step = _claims(len(items))
    processes: list[tuple[int, int]] = []
    try:
        for _ in range(children):
            processes.append(_fork(function, items, claims, step, pieces))
    except BaseException:  # no fork to be had (a process limit): the children started go too
        _stop(processes)
        raise
    finally:
        os.close(claims)
    return Started(processes, None, pieces)


def in_child(function: Callable[[], Result]) -> Started[Result]:
    """function() in a forked child, while this process goes on; results() waits for it."""
    return start(lambda _: function(), [None], 1, fork_one=True)


def _fork(function: Callable[[Iterator[Item]], Any], items: Sequence[Item], claims: int, step: int,
          pieces: bool) -> tuple[int, int]:
    """A child working through the claims: its pid and the read end of the pipe of its messages:
    (None, piece) for each piece, then (True, result) or (False, exception)."""
    parent = os.getpid()
    read_end, write_end = os.pipe()
    if pieces:  # a child gets as far ahead of a busy parent as the pipe holds
        _widen(write_end)
    try:
        pid = os.fork()
    except BaseException:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # the child: work, report, and leave without ever running the parent's code
        try:
            _die_with(parent)
            os.close(read_end)
            whole = True  # no message is cut short in the pipe
            try:
                result = function(_taken(claims, items, step))
                if pieces:
                    for piece in result:
                        message = pickle.dumps((None, piece), protocol=pickle.HIGHEST_PROTOCOL)
                        whole = False
                        _send(write_end, message)
                        whole = True
                    result = None
                message = pickle.dumps((True, result), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as problem:  # everything must reach the parent
                if not whole:  # (Ctrl+C) what followed would be read as the rest of the cut message
                    os._exit(1)
                message = _failure(problem)
            _send(write_end, message)
        finally:
            os._exit(0)
    os.close(write_end)
    return pid, read_end


def _stop(processes: list[tuple[int, int]]) -> None:
    for pid, read_end in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)


CLAIMS = 1024  # at most: 4 bytes each, a page, which a pipe holds without a reader


def _claims(count: int) -> tuple[int, int]:
    """A pipe holding the first item number of every claim, filled before any child starts;
    and the items per claim."""
    read_end, write_end = os.pipe()
    step = -(-count // CLAIMS)
    os.write(write_end, b"".join(first.to_bytes(4, "little") for first in range(0, count, step)))
    os.close(write_end)
    return read_end, step


def _taken(claims: int, items: Sequence[Item], step: int) -> Iterator[Item]:
    """The items of each claim this child reads. A read of 4 bytes from a pipe is never split
    with another reader's, so each claim goes to exactly one child."""
    while len(claim := os.read(claims, 4)) == 4:
        first = int.from_bytes(claim, "little")
        yield from items[first:first + step]


@dataclass
class Started(Generic[Result]):
    """Work handed to forked children (pid, read end of the pipe), or already done here."""

    children: list[tuple[int, int]]
    done: list[Result] | None
    pieces: bool = False  # the children send pieces (start), the last message no result
    failure: BaseException | None = None  # raised again when results() is asked again

    def results(self) -> list[Result]:
        """Wait for every child; the first failure is raised once all have ended. Interrupted
        (Ctrl+C in a process that builds), it stops the children left first: none outlives it.
        The children's messages are read as they come, from all at once."""
        if self.done is not None:
            if self.failure is not None:
                raise self.failure
            return self.done
        import selectors  # here, where there are children: one-process work never needs it

        got: dict[int, list[Any]] = {pid: [] for pid, _ in self.children}
        failure: BaseException | None = None
        reading = {read_end: (pid, bytearray()) for pid, read_end in self.children}
        ended: set[int] = set()  # children that sent their last message
        reaped: set[int] = set()
        try:
            with selectors.DefaultSelector() as selector:
                for read_end in reading:
                    selector.register(read_end, selectors.EVENT_READ)
                while reading:
                    for key, _ in selector.select():
                        read_end = key.fd
                        pid, buffer = reading[read_end]
                        data = os.read(read_end, 1 << 20)
                        buffer += data
                        for ok, value in _messages(buffer):
                            if ok is None:  # a piece
                                got[pid].append(value)
                                continue
                            ended.add(pid)
                            if not ok:
                                failure = failure or value
                            elif not self.pieces:
                                got[pid].append(value)
                        if not data:  # the child has ended
                            selector.unregister(read_end)
                            del reading[read_end]  # first: interrupted, this descriptor is not closed twice
                            os.close(read_end)
                            _, status = os.waitpid(pid, 0)
                            reaped.add(pid)
                            if pid not in ended:
                                failure = failure or RuntimeError(f"a build worker stopped (status {status})")
        except BaseException:
            for pid, read_end in self.children:
                if pid not in reaped:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    with contextlib.suppress(ChildProcessError):  # waited for just before the interrupt
                        os.waitpid(pid, 0)
                if read_end in reading:
                    os.close(read_end)
            self.done = []
            raise
        self.done = [value for pid, _ in self.children for value in got[pid]]
        self.failure = failure
        if failure is not None:
            raise failure
        return self.done


def _widen(write_end: int) -> None:
    """Let a pipe hold PAYLOAD_PIPE bytes before its writer waits (Linux; elsewhere as it is)."""
    with contextlib.suppress(OSError, AttributeError, ImportError):
        import fcntl  # where there is fork

        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PAYLOAD_PIPE)


def _messages(buffer: bytearray) -> Iterator[Any]:
    """The whole framed messages (_send) at the start of `buffer`, unpickled, each taken out of it
    as it is yielded; an incomplete last one stays for the next read."""
    while len(buffer) >= 8 and len(buffer) >= 8 + (size := int.from_bytes(buffer[:8], "little")):
        message = pickle.loads(buffer[8:8 + size])
        del buffer[:8 + size]
        yield message


def _die_with(parent: int) -> None:
    """A build killed at any moment must leave nothing running: a worker outliving its build
    would keep writing into the folder the next build uses."""
    if sys.platform.startswith("linux"):
        import ctypes  # here, in the children: the command's own process never needs it

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _failure(problem: BaseException) -> bytes:
    try:
        data = pickle.dumps((False, problem))
        pickle.loads(data)  # some pickle but cannot be read back (an __init__ of two arguments)
        return data
    except Exception:  # an exception that cannot travel still reports its story
        return pickle.dumps((False, RuntimeError("".join(traceback.format_exception(problem)))))


def _send(fd: int, data: bytes) -> None:
    """One framed message: its length, then its bytes (a pickle)."""
    message = memoryview(len(data).to_bytes(8, "little") + data)
    while message:
        message = message[os.write(fd, message):]


def _receive(fd: int) -> bytes | None:
    """The next framed message, or None when the other end has closed the pipe."""
    head = _read_exactly(fd, 8)
    if head is None:
        return None
    data = _read_exactly(fd, int.from_bytes(head, "little"))
    if data is None:
        raise EOFError("a message was cut short")
    return data


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts, left = [], size
    while left:
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


class Spare:
    """The process that started work ahead (ahead()), offered to that work: it has handed over the
    payload and waits with a core to spare. It runs one function at a time for the work's process,
    with the arguments pickled to it, and needs no fork: forking a process that holds a build
    costs its page tables, and every page either writes afterwards is copied."""

    def __init__(self, requests: int, replies: int):
        self._requests, self._replies = requests, replies
        self._asked: Asked[Any] | None = None

    def start(self, function: str, *args: object) -> Asked[Any]:
        """`function(*args)` in the spare process. `function` is named ("package.module.name"), not
        passed: the asking process need not import what only the spare process runs. One at a
        time: the results of one are taken before the next is started."""
        if self._asked is not None and self._asked.done is None:
            raise RuntimeError("the spare process is running other work: take its results first")
        _send(self._requests, pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL))
        self._asked = Asked(self._replies)
        return self._asked


@dataclass
class Asked(Generic[Result]):
    """Work handed to the spare process; results() as Started's, with the one result."""

    replies: int
    done: list[Result] | None = None

    def results(self) -> list[Result]:
        if self.done is None:
            reply = _receive(self.replies)
            if reply is None:
                raise RuntimeError("the process running work for the build has gone")
            ok, value = pickle.loads(reply)
            if not ok:
                raise value
            self.done = [value]
        return self.done


def _serve(requests: int, replies: int) -> None:
    """Run what the child hands over until its end of the pipe is closed: the child and every
    process it forked have ended (a request cut short too: the child was killed)."""
    while True:
        try:
            request = _receive(requests)
        except EOFError:
            return
        if request is None:
            return
        try:
            function, args = pickle.loads(request)
            module, _, name = function.rpartition(".")
            reply = pickle.dumps((True, getattr(importlib.import_module(module), name)(*args)),
                                 protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as problem:  # the child raises it as its own
            reply = _failure(problem)
        try:
            _send(replies, reply)
        except BrokenPipeError:  # the child has gone; its exit code tells why
            return


@dataclass
class Ahead(Generic[Payload]):
    """A child started on the first part of some work before this process knows whether the work
    is wanted: handed the rest (finish) or stopped. Without a child (pid None) the work runs here."""

    pid: int | None
    handover: int  # the write end of the pipe the payload goes through
    then: Callable[[Callable[[], Payload], Spare | None], int]
    requests: int = -1  # the read end of the pipe of the child's requests to the spare process
    replies: int = -1  # the write end of the pipe of their replies
    ready: Callable[[], object] | None = None  # what readies this process for the child's requests

    def stop(self) -> None:
        if self.pid is not None:
            for fd in (self.handover, self.requests, self.replies):
                os.close(fd)
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)

    def finish(self, payload: Payload) -> int:
        """Hand `payload` to the child: the exit code its `then` returned, 128 + N if signal N ended
        the child. Waited for, so that its time and memory count as this process's children's (as
        `time bulletin build` and the benchmarks read them), as a worker's do. Meanwhile this
        process runs what the child asks of it (Spare)."""
        if self.pid is None:
            return self.then(lambda: payload, None)
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            if self.ready is None:
                _hand_over(self.handover, data)
            else:
                # The child takes the payload when it needs it: a thread hands it over meanwhile
                # (a daemon: Ctrl-C ends this process without waiting for the child to take it).
                import threading

                threading.Thread(target=_hand_over, args=(self.handover, data), daemon=True).start()
                # Not being ready is no failure: what failed fails again, and is told, in the
                # work the child asks for.
                with contextlib.suppress(Exception):
                    self.ready()
            _serve(self.requests, self.replies)
        except BaseException:  # nothing may outlive this process's failure
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            raise
        finally:
            os.close(self.requests)
            os.close(self.replies)
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        return code if code >= 0 else 128 - code


def _take(handover: int) -> Any:
    with os.fdopen(handover, "rb") as incoming:
        data = incoming.read()
    if not data:  # stopped: this process is being killed, and leaves without a word
        os._exit(0)
    return pickle.loads(data)


def _hand_over(handover: int, data: bytes) -> None:
    try:
        with os.fdopen(handover, "wb") as out:
            out.write(data)
    except BrokenPipeError:  # the child failed first (its story is told): its exit code says so
        pass


def ahead(first: Callable[[], object], then: Callable[[Callable[[], Payload], Spare | None], int],
          ready: Callable[[], object] | None = None) -> Ahead[Payload]:
    """Fork a child that runs `first()` at once, then `then(take, spare)`, and ends with the exit
    code that returns (0 to 255), having written to this process's standard streams. `take()`
    returns the payload, waiting until it is handed over (finish): the work goes on as far as it
    can without it. While it hands the payload over, this process runs `ready()` (imports, say),
    then what the child asks of it through `spare` (a Spare). On one core nothing runs ahead:
    the work runs here when handed its payload, with no spare."""
    if not hasattr(os, "fork") or workers() < 2:
        return Ahead(None, -1, then)
    sys.stdout.flush()  # what is buffered now would otherwise be written twice
    sys.stderr.flush()
    parent = os.getpid()
    read_end, write_end = os.pipe()
    _widen(write_end)  # the payload, 0.7 MB at 10,000 files, at once
    requests_read, requests_write = os.pipe()
    replies_read, replies_write = os.pipe()
    # Ctrl-C reaches both processes: only this one answers it (the child dies with it), and not
    # before the child has left the parent's code, whose stack a KeyboardInterrupt would unwind.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if pid == 0:
        code = 1
        try:
            _die_with(parent)
            for fd in (write_end, requests_read, replies_write):
                os.close(fd)
            first()
            code = then(functools.partial(_take, read_end), Spare(requests_write, replies_read))
        except BaseException:  # the child's story reaches the user as this process's would
            traceback.print_exc()
        finally:  # nothing may stop the child from leaving here: it must never run the parent's code
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
            with contextlib.suppress(BaseException):
                sys.stderr.flush()
            os._exit(code)
    for fd in (read_end, requests_write, replies_read):
        os.close(fd)
    return Ahead(pid, write_end, then, requests_read, replies_write, ready)
