"""A real Celery worker in a thread of the test process, for tests of scheduled jobs.

``worker`` (a fixture) consumes from a Redis database of its own on the test server;
``worker.run(task, **kwargs)`` sends the task through the broker and waits for the worker
to finish it. Worker tests commit their rows (``transactional_db``) so that the worker's
own database connection sees them. ``tests/conftest.py`` offers the fixture to every test
module; request it before ``db``/``transactional_db``.
"""

import logging
import os
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis as redis_lib
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from celery.signals import task_postrun
from django.db import connections
from kombu import pools as kombu_pools

from mall.celery import app as celery_app


class WorkerRuns:
    """Sends tasks through the broker and waits for the worker to finish each one."""

    def __init__(self, broker_url: str):
        self.broker_url = broker_url
        self.finished: dict[str, tuple[str, object]] = {}
        self.changed = threading.Condition()

    def on_postrun(self, task_id=None, state=None, retval=None, **kwargs):
        if state in ("SUCCESS", "FAILURE"):  # not RETRY: a retried run comes back
            with self.changed:
                self.finished[task_id] = (state, retval)
                self.changed.notify_all()

    def run(self, task, timeout=30, **kwargs):
        # A producer of our own: the app's pooled one may still hold a connection to the
        # broker an earlier test used.
        with celery_app.connection_for_write(self.broker_url) as connection:
            result = task.apply_async(kwargs=kwargs, producer=connection.Producer())
        assert not isinstance(result, EagerResult)
        with self.changed:
            done = self.changed.wait_for(lambda: result.id in self.finished, timeout=timeout)
        assert done, f"the worker did not finish {task.name} within {timeout} s"
        state, retval = self.finished[result.id]
        assert state == "SUCCESS", retval
        return retval


def _forget_broker_connections():
    # The app keeps a pool of broker connections for sending tasks (``delay`` inside a
    # task, an on_commit hook): without this, a task sent while the worker runs could go
    # to the broker an earlier test used, and never reach this worker.
    # (A worker stopping closes the pools it used; kombu keeps them in a registry, so a
    # later send would find a closed pool there: the registry is emptied too.)
    kombu_pools.reset()
    celery_app._pool = None
    if "amqp" in celery_app.__dict__:
        celery_app.amqp._producer_pool = None


@pytest.fixture
def worker(settings):
    """A real Celery worker in a thread of this process, consuming from a Redis database
    of its own on the test server: other tests empty db 0 and may run workers there, and
    a worker of theirs must not take (or flush) our messages.

    Request it before ``db``/``transactional_db``: starting a worker runs Celery's Django
    fixup, which closes this thread's database connections.
    """
    assert not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)), (
        "request the worker fixture before db / transactional_db"
    )
    broker_url = urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{1 + os.getpid() % 15}"))
    broker = redis_lib.Redis.from_url(broker_url)
    broker.flushdb()  # no message left over from an interrupted run
    conf = celery_app.conf
    saved = {
        key: getattr(conf, key)
        for key in ("broker_url", "task_always_eager", "worker_hijack_root_logger")
    }
    conf.broker_url = broker_url
    conf.task_always_eager = False  # the task must travel through the broker
    conf.worker_hijack_root_logger = False
    _forget_broker_connections()
    # Starting a worker sets up Celery's logging: the root logger's handlers and level
    # (to the worker's log level), which later tests of request logging rely on.
    root = logging.getLogger()
    root_handlers, root_level = root.handlers[:], root.level
    runs = WorkerRuns(broker_url)
    task_postrun.connect(runs.on_postrun, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False):
            yield runs
    finally:
        task_postrun.disconnect(runs.on_postrun)
        for key, value in saved.items():
            setattr(conf, key, value)
        _forget_broker_connections()
        root.handlers[:] = root_handlers
        root.setLevel(root_level)
        broker.flushdb()
        broker.close()
