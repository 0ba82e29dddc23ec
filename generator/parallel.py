"""Work on every core: forked children share the parent's data without copying it.

A cold build loads thousands of files and renders thousands of pages; the
parts are independent, so each child takes a share and sends back a small
pickled result. fork (not spawn) is what makes this cheap: the children see
the parent's entries, templates and site as they are, with nothing to pickle
on the way in. Where fork is unavailable the work runs in this process.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

PR_SET_PDEATHSIG = 1
Item = TypeVar("Item")
Result = TypeVar("Result")


def workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def fork_map(function: Callable[[Sequence[Item]], Result], shares: Sequence[Sequence[Item]]) -> list[Result]:
    """`function(share)` for each share, one forked child per share; results in order.

    An exception in a child is raised again here, with the child's traceback in its message.
    """
    return start(function, shares).results()


def start(function: Callable[[Sequence[Item]], Result], shares: Sequence[Sequence[Item]],
          fork_one: bool = False) -> Started[Result]:
    """Like fork_map, but returns at once: the parent goes on with other work while the children
    run, and collects their results later. `fork_one`: fork even for a single share."""
    if len(shares) < (1 if fork_one else 2) or not hasattr(os, "fork"):
        return Started([], [function(share) for share in shares])
    children = []
    parent = os.getpid()
    for share in shares:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: work, report, and leave without ever running the parent's code
            try:
                _die_with(parent)
                os.close(read_end)
                try:
                    payload = pickle.dumps((True, function(share)), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException as problem:  # everything must reach the parent
                    payload = _failure(problem)
                with os.fdopen(write_end, "wb") as out:
                    out.write(payload)
            finally:
                os._exit(0)
        os.close(write_end)
        children.append((pid, read_end))
    return Started(children, None)


@dataclass
class Started(Generic[Result]):
    """Work handed to forked children (pid, read end of the pipe), or already done here."""

    children: list[tuple[int, int]]
    done: list[Result] | None

    def results(self) -> list[Result]:
        """Wait for every child; the first failure is raised once all have ended."""
        if self.done is not None:
            return self.done
        results = []
        failure: BaseException | None = None
        for pid, read_end in self.children:
            with os.fdopen(read_end, "rb") as incoming:
                data = incoming.read()
            _, status = os.waitpid(pid, 0)
            if not data:
                failure = failure or RuntimeError(f"a build worker stopped (status {status})")
                continue
            ok, value = pickle.loads(data)
            if ok:
                results.append(value)
            else:
                failure = failure or value
        self.done = results
        if failure is not None:
            raise failure
        return results


def _die_with(parent: int) -> None:
    """A build killed at any moment must leave nothing running: a worker outliving its build
    would keep writing into the folder the next build uses."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _failure(problem: BaseException) -> bytes:
    try:
        return pickle.dumps((False, problem))
    except Exception:  # an exception that cannot be pickled still reports its story
        return pickle.dumps((False, RuntimeError("".join(traceback.format_exception(problem)))))


def split(items: Sequence[Item], parts: int) -> list[list[Item]]:
    """`parts` contiguous shares of nearly equal size (fewer when there are few items)."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    shares, start = [], 0
    for number in range(parts):
        end = start + size + (1 if number < extra else 0)
        shares.append(list(items[start:end]))
        start = end
    return shares
