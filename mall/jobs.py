"""Enqueueing Celery tasks from services.

A service that needs background work enqueues the task by its name once the current
transaction commits, so the task never sees uncommitted rows and a rolled-back action
enqueues nothing. Naming the task (rather than importing the ``tasks`` module) keeps the
direction of imports one way: ``tasks`` call services, services never import ``tasks``.
"""

from celery import current_app
from django.db import transaction


def enqueue(task_name: str, *args, **kwargs) -> None:
    """Send ``task_name(*args, **kwargs)`` to the workers after the current transaction
    commits (at once outside a transaction). Arguments must be JSON-friendly: ids, not
    objects. A broker that is down does not undo the commit: the error is logged by
    ``robust=True`` and the jobs that sweep for unfinished work pick the row up later."""
    transaction.on_commit(
        lambda: current_app.tasks[task_name].delay(*args, **kwargs),
        robust=True,
    )
