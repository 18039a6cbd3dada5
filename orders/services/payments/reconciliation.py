"""The daily bill reconciliation: each provider's statement of a day (its bill) against the
shop's books of that day, and every payment or refund that differs, for operators. Like
the stock reconciliation it reports and never "fixes": a difference is for a person."""

import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ...models import BillDifference, BillReconciliation, Payment, Refund
from ...providers.base import PaymentProvider, ProviderError
from ...providers.registry import enabled_names, get_provider

logger = logging.getLogger("orders.payments")

Kind = BillDifference.Kind


def _shop_books(provider: str, bill_date) -> tuple[dict, dict]:
    # Money that arrived that day (also payments refunded since: the bill lists them
    # too), and refunds paid that day; days in the shop's time zone (Beijing, as the
    # providers' bills).
    payments = dict(
        Payment.objects.filter(provider=provider, paid_at__date=bill_date).values_list(
            "out_trade_no", "amount"
        )
    )
    refunds = {
        refund_no: (out_trade_no, amount)
        for refund_no, out_trade_no, amount in Refund.objects.filter(
            payment__provider=provider,
            status=Refund.Status.SUCCEEDED,
            completed_at__date=bill_date,
        ).values_list("refund_no", "payment__out_trade_no", "amount")
    }
    return payments, refunds


def _compare(mine: dict, theirs: dict, entry: str) -> list[BillDifference]:
    found = []
    for key in sorted(set(mine) | set(theirs)):
        shop, bill = mine.get(key), theirs.get(key)
        out_trade_no, shop_amount = shop if isinstance(shop, tuple) else (key, shop)
        if isinstance(bill, tuple):
            out_trade_no, bill_amount = bill
        else:
            bill_amount = bill
        if shop_amount == bill_amount:
            continue
        kind = (
            Kind.MISSING_IN_BILL
            if bill_amount is None
            else Kind.MISSING_IN_SHOP
            if shop_amount is None
            else Kind.AMOUNT
        )
        found.append(
            BillDifference(
                kind=kind,
                entry=entry,
                out_trade_no=out_trade_no,
                refund_no=key if entry == BillDifference.Entry.REFUND else "",
                shop_amount=shop_amount,
                bill_amount=bill_amount,
            )
        )
    return found


def reconcile_bill(*, provider: str, bill_date: datetime.date) -> BillReconciliation:
    """Compare ``provider``'s bill of ``bill_date`` with the shop's books: payments whose
    money arrived that day and refunds paid that day, by payment number (refunds by
    refund number). Records one ``BillReconciliation`` per provider and day, with a
    ``BillDifference`` for each payment or refund missing from the bill, missing from
    the shop's books, or of another amount. Run again for the same day, it replaces that
    day's findings (idempotent). A bill that cannot be had (not published yet, provider
    unreachable) is recorded as the run's ``error`` and raises ``ProviderError``."""
    adapter = get_provider(provider)
    try:
        entries = adapter.fetch_bill(bill_date=bill_date)
    except ProviderError as error:
        BillReconciliation.objects.update_or_create(
            provider=provider,
            bill_date=bill_date,
            defaults={"ran_at": timezone.now(), "error": str(error)[:200]},
        )
        logger.warning(
            "bill not reconciled",
            extra={"provider": provider, "date": str(bill_date), "error": str(error)},
        )
        raise
    bill_payments: dict[str, Decimal] = defaultdict(Decimal)
    bill_refunds: dict[str, tuple[str, Decimal]] = {}
    for entry in entries:
        if entry.kind == "refund":
            key = entry.refund_no or f"?{entry.out_trade_no}:{len(bill_refunds)}"
            bill_refunds[key] = (entry.out_trade_no, entry.amount)
        else:
            bill_payments[entry.out_trade_no] += entry.amount
    shop_payments, shop_refunds = _shop_books(provider, bill_date)
    differences = _compare(shop_payments, dict(bill_payments), BillDifference.Entry.PAYMENT)
    differences += _compare(shop_refunds, bill_refunds, BillDifference.Entry.REFUND)
    with transaction.atomic():
        run, _created = BillReconciliation.objects.update_or_create(
            provider=provider,
            bill_date=bill_date,
            defaults={
                "ran_at": timezone.now(),
                "bill_lines": len(entries),
                "shop_lines": len(shop_payments) + len(shop_refunds),
                "differences": len(differences),
                "error": "",
            },
        )
        run.lines.all().delete()
        for difference in differences:
            difference.reconciliation = run
        BillDifference.objects.bulk_create(differences)
    if differences:
        logger.error(
            "the provider's bill differs from the shop's books",
            extra={"provider": provider, "date": str(bill_date), "differences": len(differences)},
        )
    return run


def reconcile_payment_bills(*, bill_date: datetime.date | None = None) -> dict[str, int]:
    """The daily job: reconcile yesterday's bill (Beijing time) of every provider switched
    on that publishes one. Returns the differences found by provider (-1: no bill yet)."""
    bill_date = bill_date or timezone.localdate() - datetime.timedelta(days=1)
    found = {}
    for name in enabled_names():
        try:
            adapter = get_provider(name)
        except ProviderError:
            found[name] = -1
            continue
        if type(adapter).fetch_bill is PaymentProvider.fetch_bill:
            continue  # publishes no bill (the sandbox)
        try:
            found[name] = reconcile_bill(provider=name, bill_date=bill_date).differences
        except ProviderError:
            found[name] = -1
    return found
