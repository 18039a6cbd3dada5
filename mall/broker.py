"""Celery's Redis transport, with one flaw of kombu 5.7 worked around.

When Redis goes away under a worker, the worker closes its broker connection and
connects again. Closing first drains the BRPOP the worker was waiting on; with the
server gone that read raises ``ConnectionError``, and kombu's ``Channel.close`` lets it
escape before it marks the channel closed. ``Connection.collect()`` swallows the error
and detaches the transport, so the second close that Celery makes
(``ignore_errors(connection, connection.close)``) runs the rest of the close against a
transport without its connection: with unacknowledged messages held (every task with a
countdown or an eta is one until it runs) it rebuilds a connection pool to restore them,
reads ``None.hostname``, and the ``AttributeError`` is no connection error, so Celery
stops the worker ("Unrecoverable error: AttributeError ... 'hostname'").

Here a lost connection ends the drain like an empty reply does; the close then goes on,
the channel is marked closed, and restoring the held messages fails with a connection
error that Celery ignores. They stay in Redis's unacked set and come back to the queue
after the broker's ``visibility_timeout`` (``mall/settings.py`` says why it is what it is).

Selected by ``CELERY_BROKER_TRANSPORT``; the broker URL stays ``redis://``.
"""

import logging
from queue import Empty

from kombu.transport import redis

logger = logging.getLogger(__name__)


class Channel(redis.Channel):
    def close(self):
        if self._in_poll:
            try:
                self._brpop_read()
            except Empty:
                pass
            except self.connection_errors as exc:
                # Nothing to drain from a server that is gone; _brpop_read has already
                # cleared _in_poll and disconnected, so the close below goes on.
                logger.info("broker connection lost while closing the channel: %r", exc)
        super().close()


class Transport(redis.Transport):
    Channel = Channel
