"""The heartbeats of the Celery worker and of Celery beat, each stamped by the process
itself (ops.health reads them for /readyz).

Both are wired in by configuration: ``mall/celery.py`` adds ``WorkerHeartbeat`` to the
worker's consumer, ``CELERY_BEAT_SCHEDULER`` names ``BeatScheduler``.
"""

import logging
import socket
import time

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings

from . import health

logger = logging.getLogger(__name__)


def _stamp(record, **who) -> bool:
    try:
        record(**who)
    except Exception as exc:  # Redis away: the next beat of the heart tries again
        logger.warning("could not record the heartbeat: %r", exc)
        return False
    return True


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A step of the worker's consumer: it starts each time the consumer has connected to
    the broker (again), stamps the heartbeat at once and then every interval, from the
    worker's own event loop, so the stamp stops when the worker stops consuming."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, parent):
        name = parent.hostname or socket.gethostname()
        _stamp(health.record_heartbeat, worker=name)
        self.tref = parent.timer.call_repeatedly(
            settings.MALL_HEARTBEAT_INTERVAL, _stamp, (health.record_heartbeat,), {"worker": name}
        )

    def stop(self, parent):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    shutdown = stop


class BeatScheduler(PersistentScheduler):
    """Celery's default scheduler (the schedule kept in the ``--schedule`` file) that also
    stamps beat's heartbeat, at most every MALL_HEARTBEAT_INTERVAL seconds."""

    def __init__(self, *args, **kwargs):
        self._next_heartbeat = 0.0
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        interval = settings.MALL_HEARTBEAT_INTERVAL
        now = time.monotonic()
        if now >= self._next_heartbeat and _stamp(
            health.record_beat_heartbeat, beat=socket.gethostname()
        ):
            self._next_heartbeat = now + interval
        return min(super().tick(*args, **kwargs), interval)
