import socket

from celery import shared_task

from . import health


@shared_task(ignore_result=True, acks_late=False)
def record_worker_heartbeat() -> None:
    """Beat runs this every MALL_HEARTBEAT_INTERVAL seconds; /readyz reads the stamp.

    Not acks_late: a lost heartbeat is simply replaced by the next one.
    """
    health.record_heartbeat(worker=socket.gethostname())
