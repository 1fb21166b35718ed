"""The daemon threads port calls and TUI workers run in: used again, never shared with a hung call."""

from __future__ import annotations

import threading
import time

from relui.daemon_pool import IDLE_NAME, DaemonPool

WAIT = 5.0  # generous: a shared, noisy machine; each wait ends as soon as its event is set


def run_and_wait(pool: DaemonPool, name: str = "relui test job") -> threading.Thread:
    """Run one job; the thread that ran it."""
    ran: list[threading.Thread] = []
    done = threading.Event()

    def job() -> None:
        ran.append(threading.current_thread())
        done.set()

    pool.run(job, name)
    assert done.wait(WAIT)
    return ran[0]


def test_one_call_after_another_reuses_one_daemon_thread() -> None:
    pool = DaemonPool()
    first = run_and_wait(pool)
    time.sleep(0.01)  # let it go back to waiting
    threads = {run_and_wait(pool) for _ in range(20)}
    assert threads == {first}
    assert first.daemon


def test_a_hung_call_keeps_its_thread_and_the_next_call_gets_another() -> None:
    pool = DaemonPool()
    release = threading.Event()
    started = threading.Event()

    def hangs() -> None:
        started.set()
        release.wait(WAIT * 4)

    pool.run(hangs, "relui hung cluster.color_states")
    assert started.wait(WAIT)
    try:
        run_and_wait(pool)  # answered although the only thread so far is stuck
        assert "relui hung cluster.color_states" in {t.name for t in threading.enumerate()}
    finally:
        release.set()


def test_a_thread_is_named_for_the_call_it_runs_and_idle_between() -> None:
    pool = DaemonPool()
    seen: list[str] = []
    done = threading.Event()

    def job() -> None:
        seen.append(threading.current_thread().name)
        done.set()

    pool.run(job, "relui prometheus metrics.current")
    assert done.wait(WAIT)
    assert seen == ["relui prometheus metrics.current"]
    thread = run_and_wait(pool, "relui helm releases.history")
    for _ in range(100):
        if thread.name == IDLE_NAME:
            break
        time.sleep(0.01)
    assert thread.name == IDLE_NAME


def test_idle_threads_end() -> None:
    pool = DaemonPool(idle_seconds=0.05)
    thread = run_and_wait(pool)
    thread.join(WAIT)
    assert not thread.is_alive()
    assert run_and_wait(pool) is not thread  # a new thread serves the next job


def test_many_jobs_from_many_threads_each_run_exactly_once() -> None:
    pool = DaemonPool(idle_seconds=0.01)  # threads come and go while jobs arrive: the token race
    counts = [0] * 2000
    lock = threading.Lock()
    all_done = threading.Semaphore(0)

    def job(i: int) -> None:
        with lock:
            counts[i] += 1
        if i % 97 == 0:
            time.sleep(0.002)
        all_done.release()

    def submit(part: range) -> None:
        for i in part:
            pool.run(lambda i=i: job(i), "relui stress")  # type: ignore[misc]
            if i % 50 == 0:
                time.sleep(0.02)  # let threads time out and leave between bursts

    submitters = [threading.Thread(target=submit, args=(range(k, 2000, 4),)) for k in range(4)]
    for t in submitters:
        t.start()
    for t in submitters:
        t.join()
    for _ in range(2000):
        assert all_done.acquire(timeout=WAIT), f"{counts.count(0)} jobs never ran"
    assert counts == [1] * 2000


def test_an_error_in_a_job_does_not_end_its_thread() -> None:
    pool = DaemonPool()

    def fails() -> None:
        raise RuntimeError("a job that did not catch its own error")

    first = run_and_wait(pool)
    pool.run(fails, "relui failing")
    time.sleep(0.05)
    assert run_and_wait(pool) is first
