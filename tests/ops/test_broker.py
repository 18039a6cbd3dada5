"""How the shop talks to its broker: kombu's Redis transport with our fix (mall/broker.py;
the fault drill in tests/faults kills Redis under a worker), and a visibility timeout
chosen for the shop's countdowns."""

from django.conf import settings

import catalog.tasks
import customers.tasks
import orders.tasks
from mall import broker
from mall.celery import RETRY_POLICY
from mall.celery import app as celery_app


def test_the_broker_is_redis_through_our_transport(settings):
    connection = celery_app.connection_for_write(settings.REDIS_URL)

    assert connection.transport_cls == "mall.broker:Transport"
    assert connection.transport.Channel is broker.Channel
    assert connection.as_uri().startswith("mall.broker:Transport://")


def _longest_countdown() -> int:
    """The longest delay any task of the shop is sent or retried with."""
    delays = list(settings.MALL_SANDBOX_NOTIFY_RETRY_DELAYS)
    for module in (catalog.tasks, orders.tasks, customers.tasks):
        for value in vars(module).values():
            if getattr(value, "retry_backoff", False):
                delays.append(getattr(value, "retry_backoff_max", 600))  # Celery's default cap
    return max(delays)


def test_visibility_timeout_is_set_above_the_longest_countdown():
    options = celery_app.conf.broker_transport_options

    # Set on purpose, not kombu's hour: it is how late a killed worker's tasks come back.
    timeout = options.get("visibility_timeout")
    assert timeout is not None
    assert timeout < 3600
    # A delayed task waits in a worker unacknowledged; a shorter timeout would send it to
    # a second worker before it ran.
    assert timeout > _longest_countdown() >= RETRY_POLICY["retry_backoff_max"]
    assert options["unacked_restore_interval"] <= 60
