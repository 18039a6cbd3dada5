"""Operators set coupon templates up (and stop issuing them); every write changes the
rules' version so that every process prices with it at once."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import to_money

from ...exceptions import CouponRefused
from ...models import CouponTemplate
from ..pricing import catalogue

FIELDS = (
    "name",
    "kind",
    "amount",
    "percent_off",
    "max_discount",
    "threshold",
    "valid_from",
    "valid_until",
    "valid_days",
    "total_quantity",
    "per_shopper_limit",
    "stackable",
    "return_on_refund",
    "channel",
    "brands",
    "excluded_brands",
    "campaign",
)
SCOPE = (
    "products",
    "categories",
    "suppliers",
    "excluded_products",
    "excluded_categories",
    "excluded_suppliers",
)


def template_problems(data: dict, *, template: CouponTemplate | None = None) -> list[str]:
    """Every reason a template as described cannot be saved (empty when it can)."""
    problems = []
    kind = data.get("kind")
    if not (data.get("name") or "").strip():
        problems.append(_("Give the coupon a name."))
    if kind == CouponTemplate.Kind.AMOUNT_OFF:
        if not data.get("amount") or data["amount"] <= 0:
            problems.append(_("A money-off coupon needs the amount it takes off."))
        elif data.get("threshold") and data["amount"] > data["threshold"] > 0:
            problems.append(_("The amount off cannot be more than the minimum spend."))
    elif kind == CouponTemplate.Kind.PERCENT_OFF:
        percent = data.get("percent_off")
        if percent is None or not 0 < percent < 100:
            problems.append(_("A percentage coupon takes between 0 and 100 percent off."))
    else:
        problems.append(_("Choose the type of coupon."))
    if (data.get("valid_until") is None) == (data.get("valid_days") is None):
        problems.append(_("Give either an end date or a number of days after claiming."))
    if (
        data.get("valid_until")
        and data.get("valid_from")
        and data["valid_until"] <= data["valid_from"]
    ):
        problems.append(_("A coupon must end after it starts."))
    if data.get("valid_until") and template is None and data["valid_until"] <= timezone.now():
        problems.append(_("A new coupon must end in the future."))
    total = data.get("total_quantity")
    if template is not None and total is not None and total < template.issued:
        problems.append(
            _("%(issued)s are issued already: the total cannot be lower.")
            % {"issued": template.issued}
        )
    if (data.get("per_shopper_limit") or 0) < 1:
        problems.append(_("A shopper may take at least one."))
    return problems


def _money(value):
    return None if value in (None, "") else to_money(value)


@transaction.atomic
def save_template(*, data: dict, actor, template: CouponTemplate | None = None) -> CouponTemplate:
    """Create a coupon template from ``data`` (the form's fields, scope included) or change
    ``template``: what has been issued keeps its own dates and terms (the engine prices
    a coupon by its template as it is now). Raises ``CouponRefused`` with every problem."""
    problems = template_problems(data, template=template)
    if problems:
        raise CouponRefused(problems)
    template = template or CouponTemplate(created_by=actor)
    for name in FIELDS:
        if name in data:
            setattr(template, name, data[name])
    for name in ("amount", "max_discount", "threshold"):
        setattr(template, name, _money(getattr(template, name)))
    template.threshold = template.threshold or to_money(0)
    if template.kind == CouponTemplate.Kind.AMOUNT_OFF:
        template.percent_off = None
        template.max_discount = None
    else:
        template.amount = None
    template.save()
    for name in SCOPE:
        if name in data:
            getattr(template, name).set(data[name])
    catalogue.bump()
    return template


@transaction.atomic
def stop_template(*, template: CouponTemplate, actor) -> CouponTemplate:
    """Stop issuing a template; coupons already in wallets stay usable until they end."""
    CouponTemplate.objects.filter(pk=template.pk).update(status=CouponTemplate.Status.STOPPED)
    template.refresh_from_db()
    catalogue.bump()
    return template
