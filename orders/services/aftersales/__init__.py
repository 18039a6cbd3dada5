"""After-sales (售后): returns, exchanges, refunds without return and repairs of delivered
goods, from the shopper's request to the money or the goods going back.

The case follows ``AFTER_SALES_MACHINE``; every step here is one service with its own
transaction that writes a timeline row (who, when, from, to, why)::

    requested → approved → in_transit → received → refunded | replacement_shipped | repaired
    approved → refunded (a refund without return needs no parcel)
    requested → rejected; requested | approved → withdrawn; done or rejected → closed

Who acts: the shopper requests, withdraws and sends the goods back; support staff with
``orders.decide_aftersalescase`` approve or reject (with a reason); the warehouse, with
``orders.inspect_aftersalescase``, receives and inspects, ships replacements and records
repairs. What follows a decision happens at once, in its own transaction after it: a
refund without return is refunded on approval, a return on inspection, an exchange's
replacement is sent on inspection. When that step is refused (stock short, the payment
has nothing left), the decision stands and the step waits for a person (the admin's
actions, see ``orders.admin.aftersales``); ``FollowUp.problem`` says why.

Guarantees:

- **No over-claim.** A case covers units of the order's lines; the order row is locked
  first, so two requests at once cannot claim the same units twice. Units stay covered by
  a live return or refund for good, by an exchange or a repair while it is open.
- **Windows by the law** (``claim_deadline``): counted in calendar days from the day after
  delivery. ``MALL_NO_REASON_RETURN_DAYS`` (7) for returns without a reason, refused for
  goods excluded from them (``Product.no_reason_return``); ``MALL_QUALITY_CLAIM_DAYS``
  (15) for returns, exchanges and refunds of faulty goods; ``MALL_WARRANTY_DAYS`` (365)
  for repairs. Every refusal is listed at once (``AfterSalesRefused.problems``).
- **Refunds pay once and never more than was paid** (``refund_case``): the amount comes
  from one policy function (``refund_due``); the payment's refund has the idempotency key
  ``aftersales-<case number>`` and the case row is locked, so repeated or concurrent
  attempts return the first refund; ``payments.refund`` keeps every refund of the payment
  within what it received.
- **Returned goods are booked.** Resaleable units go back to stock with a return
  movement (``inventory.return_to_stock``) in the warehouse that shipped them; the others
  are written off with a reason (they left the stock when they were sold).

Logger ``orders.aftersales``: automatic steps that did not happen.

By step: ``rules`` (windows, what may be claimed, who acts), ``requests`` (the shopper asks,
withdraws, sends back), ``decisions`` (support approves, rejects, closes), ``inspection``
(the warehouse receives and inspects, records repairs), ``outcomes`` (what follows a
decision: the refund or the replacement), ``refunds`` (what is due and paying it).
Callers use the names re-exported here (``aftersales.request_case``).
"""

from ...exceptions import AfterSalesError, AfterSalesRefused
from .decisions import approve_case, close_case, reject_case, return_instructions
from .inspection import Inspection, receive_and_inspect, repair_case
from .outcomes import ship_replacement
from .refunds import (
    Recheck,
    RefundDue,
    refund_case,
    refund_due,
    refund_units,
    register_case_refund_hook,
    register_full_refund_hook,
    register_refund_recheck,
    register_stored_value_refund,
    retry_refund,
)
from .requests import request_case, send_back, withdraw_case
from .rules import (
    CLAIMABLE_ORDERS,
    DECIDE,
    FAULT_REASONS,
    GOODS_COME_BACK,
    INSPECT,
    MAX_PHOTOS,
    MONEY_BACK,
    RETURN_CARRIERS,
    FollowUp,
    carrier_label,
    case_url,
    claim_deadline,
    claimable_units,
    claimed_units,
    refund_key,
    upheld_cases,
    window_days,
)

__all__ = [
    "CLAIMABLE_ORDERS",
    "DECIDE",
    "FAULT_REASONS",
    "GOODS_COME_BACK",
    "INSPECT",
    "MAX_PHOTOS",
    "MONEY_BACK",
    "RETURN_CARRIERS",
    "AfterSalesError",
    "AfterSalesRefused",
    "FollowUp",
    "Inspection",
    "Recheck",
    "RefundDue",
    "approve_case",
    "carrier_label",
    "case_url",
    "claim_deadline",
    "claimable_units",
    "claimed_units",
    "close_case",
    "receive_and_inspect",
    "refund_case",
    "refund_due",
    "refund_key",
    "refund_units",
    "register_case_refund_hook",
    "register_full_refund_hook",
    "register_refund_recheck",
    "register_stored_value_refund",
    "reject_case",
    "repair_case",
    "request_case",
    "retry_refund",
    "return_instructions",
    "send_back",
    "ship_replacement",
    "upheld_cases",
    "window_days",
    "withdraw_case",
]
