"""Operating targets: a year's figure per metric, split into months (quarters are the sums
of their months)."""

import calendar
import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import to_money

from ..exceptions import TargetRefused
from ..metrics import BY_KEY, CATEGORY_TARGETABLE, CHANNEL_TARGETABLE, COUNT, TARGETABLE
from ..models import Target, TargetMonth
from ..selectors.kpis import monthly_values


def _quantize(value: Decimal, kind: str) -> Decimal:
    if kind == COUNT:
        return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return to_money(value)


def _split(amount: Decimal, weights: list[Decimal], kind: str) -> list[Decimal]:
    """``amount`` in proportion to ``weights``, rounded; December takes what rounding left
    over, so the months always add up to the year."""
    total = sum(weights)
    months = [_quantize(amount * weight / total, kind) for weight in weights[:11]]
    return [*months, amount - sum(months)]


def set_target(
    *,
    year: int,
    metric: str,
    split: str,
    actor,
    amount=None,
    months: list | None = None,
    category=None,
    channel: str = "",
) -> Target:
    """Set (or replace) the ``year``'s target for ``metric`` and its twelve months, for
    the whole shop, or for one ``category`` (with its subcategories) or one ``channel``:
    ``split`` "even" spreads ``amount`` by days, "seasonality" in proportion to the same
    metric's months of the year before, "manual" takes ``months`` (twelve figures; the
    year is their sum). Atomic; the months always add up to the year.

    Raises ``TargetRefused`` for a metric that does not add up over days (a rate) or that
    the category's or channel's facts do not carry, both a category and a channel, a
    missing or negative figure, twelve months not given by hand, or no figures last year
    to take the seasonality from. Nothing is written then."""
    target_metric = BY_KEY.get(metric)
    if target_metric is None or target_metric not in TARGETABLE:
        raise TargetRefused(_("Targets can be set only for figures that add up over days."))
    channel = (channel or "").strip()
    if category is not None and channel:
        raise TargetRefused(_("A target is for a category or for a channel, not both."))
    if category is not None and metric not in CATEGORY_TARGETABLE:
        raise TargetRefused(
            _("A category's target can be set for %(metrics)s only.")
            % {"metrics": ", ".join(str(BY_KEY[key].label) for key in CATEGORY_TARGETABLE)}
        )
    if channel and metric not in CHANNEL_TARGETABLE:
        raise TargetRefused(
            _("A channel's target can be set for %(metrics)s only.")
            % {"metrics": ", ".join(str(BY_KEY[key].label) for key in CHANNEL_TARGETABLE)}
        )
    if split not in Target.Split.values:
        raise TargetRefused(_("Choose how the year is split into months."))
    kind = target_metric.kind
    try:
        if split == Target.Split.MANUAL:
            if not months or len(months) != 12:
                raise TargetRefused(_("Give a target for each of the twelve months."))
            figures = [_quantize(Decimal(str(m)), kind) for m in months]
            amount = sum(figures)
        else:
            amount = _quantize(Decimal(str(amount)), kind) if amount not in (None, "") else None
            if amount is None:
                raise TargetRefused(_("Give the target for the year."))
    except InvalidOperation as error:
        raise TargetRefused(_("Give the targets as numbers.")) from error
    if amount < 0 or (split == Target.Split.MANUAL and min(figures) < 0):
        raise TargetRefused(_("A target cannot be below zero."))
    if split == Target.Split.EVEN:
        figures = _split(
            amount, [Decimal(calendar.monthrange(year, m)[1]) for m in range(1, 13)], kind
        )
    elif split == Target.Split.SEASONALITY:
        last_year = monthly_values(
            year=year - 1,
            metric=target_metric,
            category_id=category.pk if category is not None else None,
            channel=channel,
        )
        weights = [Decimal(last_year.get(m) or 0) for m in range(1, 13)]
        if sum(weights) <= 0:
            raise TargetRefused(
                _("There are no figures of %(year)s to take the seasonality from: split "
                  "the year evenly or by hand.") % {"year": year - 1}
            )  # fmt: skip
        figures = _split(amount, weights, kind)
    with transaction.atomic():
        target, _created = Target.objects.update_or_create(
            year=year,
            metric=metric,
            category=category,
            channel=channel,
            defaults={"amount": amount, "split": split, "set_by": actor, "set_at": timezone.now()},
        )
        target.months.all().delete()
        TargetMonth.objects.bulk_create(
            [
                TargetMonth(target=target, month=month, amount=figure)
                for month, figure in enumerate(figures, start=1)
            ]
        )
    return target


def month_days(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(
        year, month, calendar.monthrange(year, month)[1]
    )
