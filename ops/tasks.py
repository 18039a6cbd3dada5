import socket
import time

from celery import shared_task

from . import backups, health


@shared_task(ignore_result=True, acks_late=False)
def record_worker_heartbeat() -> None:
    """Stamp the worker heartbeat from a task: workers stamp it themselves
    (ops.heartbeat), this shows a task going round the broker to a pool process.

    Not acks_late: a lost heartbeat is simply replaced by the next one.
    """
    health.record_heartbeat(worker=socket.gethostname())


CANARY_KEY = "mall:ops:canary:{token}"


@shared_task(ignore_result=True)
def record_canary(token: str) -> None:
    """Append ``token`` to a Redis list, once per run.

    Fault drills send it with a countdown to see that a delayed task outlives a Redis
    restart and runs exactly once; an operator can send one to see a task go round.
    """
    with health.redis_client() as client:
        client.rpush(CANARY_KEY.format(token=token), time.time())
        client.expire(CANARY_KEY.format(token=token), 3600)


@shared_task(acks_late=True)
def make_backup() -> int:
    """The nightly backup (ops.backups.make_backup); returns the Backup's id. Not
    retried: a failed run is recorded, and the next night's makes a fresh one."""
    return backups.make_backup().pk


@shared_task(acks_late=True)
def restore_drill() -> str:
    """The nightly restore drill (ops.backups.restore_drill); returns its status."""
    return backups.restore_drill().status
