"""A batch shared with a forked child gives what working through it alone gives."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from nightvoice.base import sharing


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def test_the_second_half_is_done_by_a_child_and_the_results_keep_their_order(
    two_cpus: None,
) -> None:
    results = sharing.map_shared(square_and_pid, range(100), least=10)
    assert [square for square, _ in results] == [n * n for n in range(100)]
    pids = [pid for _, pid in results]
    assert set(pids[:50]) == {os.getpid()} and os.getpid() not in pids[50:]


def test_a_small_batch_or_one_cpu_is_done_here_alone(
    two_cpus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = {os.getpid()}
    assert {pid for _, pid in sharing.map_shared(square_and_pid, range(5), least=10)} == here
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert {pid for _, pid in sharing.map_shared(square_and_pid, range(100), least=10)} == here


def test_with_another_thread_running_nothing_is_forked(two_cpus: None) -> None:
    """A fork copies only the calling thread: a lock the other holds would stay locked."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        results = sharing.map_shared(square_and_pid, range(100), least=10)
    finally:
        stop.set()
        other.join()
    assert {pid for _, pid in results} == {os.getpid()}


def failing_in_a_child(n: int) -> int:
    if n >= 50 and os.getpid() != PARENT:
        raise ValueError("only the child fails")
    return n


PARENT = os.getpid()


def test_a_child_that_fails_leaves_its_half_to_this_process(two_cpus: None) -> None:
    assert sharing.map_shared(failing_in_a_child, range(100), least=10) == list(range(100))


def test_a_failure_here_ends_the_child_and_is_raised(
    two_cpus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = []
    fork = os.fork

    def recorded_fork() -> int:
        child = fork()
        if child:
            children.append(child)
        return child

    def fails_here(n: int) -> int:
        if n == 20 and os.getpid() == PARENT:
            raise KeyError(n)
        return n

    monkeypatch.setattr(os, "fork", recorded_fork)
    with pytest.raises(KeyError):
        sharing.map_shared(fails_here, range(100), least=10)
    assert len(children) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0], os.WNOHANG)  # ended and reaped: no zombie left behind


def interrupted_in_a_child(n: int) -> int:
    if n == 60 and os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the system's default there, death
    return n


def test_a_signal_ends_the_child_as_the_system_does_and_this_process_does_its_half(
    two_cpus: None,
) -> None:
    assert sharing.map_shared(interrupted_in_a_child, range(100), least=10) == list(range(100))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # here, unchanged
