"""The Celery app. Workers and beat are started with ``celery -A mall worker|beat``."""

import os

from celery import Celery
from django.db import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")

# How every task of the shop retries, unless it says otherwise: a lost database
# connection is retried with backoff; any other error fails the run loudly.
RETRY_POLICY = {
    "acks_late": True,  # a worker killed mid-run leaves the message for another worker
    "autoretry_for": (OperationalError,),
    "max_retries": 5,
    "retry_backoff": 30,  # 30 s, 60 s, 120 s, ... with jitter
    "retry_backoff_max": 600,
    "retry_jitter": True,
}

app = Celery("mall")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker stamps its own heartbeat for /readyz (named, not imported: ops is above mall).
app.steps["consumer"].add("ops.heartbeat:WorkerHeartbeat")
