"""Enqueueing Celery tasks from services.

A service that needs background work enqueues the task by its name once the current
transaction commits, so the task never sees uncommitted rows and a rolled-back action
enqueues nothing. Naming the task (rather than importing the ``tasks`` module) keeps the
direction of imports one way: ``tasks`` call services, services never import ``tasks``.
"""

from celery import current_app
from celery.exceptions import NotRegistered
from django.db import transaction


def _task(name: str):
    try:
        return current_app.tasks[name]
    except NotRegistered:
        # Celery discovers the apps' tasks modules lazily (a worker at start-up); a web
        # process imports them the first time it enqueues.
        current_app.loader.import_default_modules()
        return current_app.tasks[name]


def enqueue(task_name: str, *args, **kwargs) -> None:
    """Send ``task_name(*args, **kwargs)`` to the workers after the current transaction
    commits (at once outside a transaction). Arguments must be JSON-friendly: ids, not
    objects. A broker that is down does not undo the commit: the error is logged by
    ``robust=True`` and the jobs that sweep for unfinished work pick the row up later.
    Raises ``NotRegistered`` at once for a task name that does not exist."""
    task = _task(task_name)
    transaction.on_commit(lambda: task.delay(*args, **kwargs), robust=True)


def enqueue_later(task_name: str, *args, countdown: int, **kwargs) -> None:
    """Like ``enqueue``, run ``countdown`` seconds after the commit (keep it short: a
    worker holds a delayed task unacknowledged until it runs)."""
    task = _task(task_name)
    transaction.on_commit(
        lambda: task.apply_async(args=args, kwargs=kwargs, countdown=countdown), robust=True
    )
