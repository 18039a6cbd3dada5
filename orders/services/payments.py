"""Payments through a provider adapter (``orders.providers``): starting a payment,
handling the provider's signed notifications, querying, and refunds that never pay more
than was paid. Filled by the payments work; the functions below are its contract with
the rest of the orders app."""


def close_open_payments(*, order, reason: str = "") -> int:
    """Close every payment of ``order`` still awaiting the shopper (the order was
    cancelled), at the provider too, so the hosted page no longer takes money. A payment
    that still arrives later is refunded by the notification handler. Returns how many
    were closed. Runs inside the caller's transaction."""
    return 0


def refund_order(*, order, actor, reason: str, idempotency_key: str) -> list:
    """Refund what is left of every successful payment of ``order`` (it is being
    cancelled after payment). Idempotent per ``idempotency_key``. Returns the refunds."""
    return []
