"""Race tests against the real PostgreSQL: threads that start together at a barrier, each
with its own database connection (closed when it is done, or the test database cannot be
flushed). Use with ``transactional_db``: the threads must see committed data."""

import threading
import time

from django.db import connection

BARRIER_SECONDS = 10
JOIN_SECONDS = 30


def race(work, count: int) -> tuple[list, list[Exception]]:
    """Run ``work(index)`` for ``index`` in ``range(count)``, in ``count`` threads let go at
    once. Returns what the calls returned and what they raised, each in the order they
    finished. Fails when a thread is still running after ``JOIN_SECONDS`` (a deadlock or
    a lock never released), rather than asserting on half the results."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait(timeout=BARRIER_SECONDS)
            results.append(work(index))
        except Exception as error:  # collected for the test to assert on
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {count} threads still running after {JOIN_SECONDS}s"
    return results, errors
