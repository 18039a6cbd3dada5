"""Payments through a provider adapter (``orders.providers``): starting a payment,
handling the provider's signed notifications, querying, and refunds that never pay more
than was paid.

Guarantees, and what gives them:

- **Money is recorded once.** A payment's money arrives at most once: ``paid_at`` is set
  by a conditional UPDATE (``paid_at IS NULL``) under the order's and the payment's row
  locks (order first, as every order service locks). A repeated notification, or a
  notification and a query racing, find it set and change nothing. An order keeps one
  successful payment (a partial unique index); money that cannot be kept (the order was
  cancelled, or paid by another payment) is refunded in full at once.
- **Refunds never exceed what was paid.** ``Payment.refunded_amount`` counts every refund
  asked for (pending, done or failed) and is raised by a conditional UPDATE that keeps
  it within ``amount``; a CHECK constraint is the last guard. Each refund has a unique
  ``idempotency_key``: a repeated or concurrent request with the same key returns the
  first refund.
- **Money leaves only after the decision is committed.** A refund is sent to the provider
  by the task ``orders.tasks.submit_refund``, enqueued with ``transaction.on_commit``; the
  provider pays once per ``Refund.refund_no`` (its own idempotency), so a retried task,
  the safety-net job and a person retrying can never pay twice. A provider that cannot
  be reached leaves the refund ``pending`` (retried with backoff, then by the job every
  few minutes); one that refuses leaves it ``failed`` with the reason, for a person.
- **Notifications can be late or lost.** The return page and the job
  ``confirm_open_payments`` ask the provider (``confirm_by_query``) and apply the same
  rules.

Logger ``orders.payments``: rejected notifications (bad signature, wrong amount, unknown
payment), late and double payments, provider errors.

By step: ``starting`` (a payment begins at the provider), ``notices`` (the money arrives,
by notification or query), ``closing`` (open payments of a cancelled order), ``refunds``
(money back, never more than was paid), ``prepaid`` (an order discounts and gift cards
cover in full, paid without a provider), ``reconciliation`` (each provider's daily bill
against the shop's books). Callers use the names re-exported here (``payments.refund``).
"""

from .closing import close_open_payments
from .hooks import register_paid_hook
from .notices import (
    CONFIRM_WINDOW,
    UNVERIFIED_BODY_MAX_CHARS,
    confirm_by_query,
    confirm_open_payments,
    handle_notification,
)
from .prepaid import settle_without_provider
from .reconciliation import reconcile_bill, reconcile_payment_bills
from .refunds import refund, refund_order, resubmit_pending_refunds, retry_refund, submit_refund
from .starting import OUT_TRADE_NO, PaymentStart, start_payment

__all__ = [
    "CONFIRM_WINDOW",
    "OUT_TRADE_NO",
    "UNVERIFIED_BODY_MAX_CHARS",
    "PaymentStart",
    "close_open_payments",
    "confirm_by_query",
    "confirm_open_payments",
    "handle_notification",
    "reconcile_bill",
    "reconcile_payment_bills",
    "refund",
    "refund_order",
    "register_paid_hook",
    "resubmit_pending_refunds",
    "retry_refund",
    "settle_without_provider",
    "start_payment",
    "submit_refund",
]
