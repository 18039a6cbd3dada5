"""Who has a ticket open: each agent's page tells Redis "I am looking at this ticket" when
it opens and every ``PING_SECONDS`` while it stays open. An agent counts as present for
``MALL_SUPPORT_PRESENCE_SECONDS`` after their last ping, so a closed tab drops out by
itself. One sorted set per ticket (member: agent, score: last ping), expiring with its
last member; nothing in PostgreSQL. Redis down: no warning, never an error page."""

import logging
import time

import redis
from django.conf import settings

from mall import pagecache

logger = logging.getLogger(__name__)

PING_SECONDS = 30
KEY = "mall:support:presence:{}"


def _ttl() -> int:
    return settings.MALL_SUPPORT_PRESENCE_SECONDS


def look_at(*, ticket_number: str, user, now: float | None = None) -> list[str]:
    """Record that ``user`` has the ticket open and return the names of the other agents
    who have it open now (oldest look first)."""
    now = time.time() if now is None else now
    ttl = _ttl()
    key = KEY.format(ticket_number)
    name = user.display_name or user.get_username()
    member = f"{user.pk}:{name}"
    try:
        pipe = pagecache.client().pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", now - ttl)
        # One entry per agent even if their name changed: drop their older entries.
        pipe.zrange(key, 0, -1)
        found = pipe.execute()[1]
        stale = [m for m in found if m.decode().split(":", 1)[0] == str(user.pk)]
        pipe = pagecache.client().pipeline(transaction=True)
        if stale:
            pipe.zrem(key, *stale)
        pipe.zadd(key, {member: now})
        pipe.expire(key, ttl)
        pipe.zrange(key, 0, -1)
        members = pipe.execute()[-1]
    except redis.RedisError:
        logger.warning("ticket presence unavailable", exc_info=True)
        return []
    others = []
    for raw in members:
        pk, _sep, other_name = raw.decode().partition(":")
        if pk != str(user.pk):
            others.append(other_name)
    return others


def leave(*, ticket_number: str, user) -> None:
    """The agent closed the ticket's page (best effort; the expiry covers the rest)."""
    key = KEY.format(ticket_number)
    try:
        client = pagecache.client()
        mine = [m for m in client.zrange(key, 0, -1) if m.decode().split(":", 1)[0] == str(user.pk)]
        if mine:
            client.zrem(key, *mine)
    except redis.RedisError:
        logger.warning("ticket presence unavailable", exc_info=True)
