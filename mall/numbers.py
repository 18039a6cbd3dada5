"""Numbers of the documents people read out and type in: orders, payments and refunds,
shipments, after-sales cases, tickets, the sandbox provider's trades.

Each is a prefix naming the kind of document, the local date (or date and time) so that
people can place it, then random digits so that numbers say nothing about volumes and
cannot be guessed or counted. The models keep them unique; the digits make a clash rare.
"""

import secrets

from django.utils import timezone

DATE = "%Y%m%d"
DATE_TIME = "%Y%m%d%H%M%S"


def new_number(prefix: str = "", *, digits: int = 10, with_time: bool = False) -> str:
    """``prefix``, today's local date (``YYYYMMDD``, or ``YYYYMMDDhhmmss`` ``with_time``),
    then ``digits`` random digits, e.g. ``new_number("AS")`` → ``AS202603061234567890``."""
    stamp = timezone.localtime().strftime(DATE_TIME if with_time else DATE)
    return f"{prefix}{stamp}{secrets.randbelow(10**digits):0{digits}d}"
