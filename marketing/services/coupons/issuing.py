"""How coupons reach wallets: a shopper claims one (coupon centre, goods pages), an
operator grants them to chosen shoppers or a CSV list, codes are generated in bulk for
outside channels and redeemed by shoppers, a support agent grants one in compensation.

Race-proof by the database: a template's ``issued`` rises by a conditional UPDATE within
``total_quantity`` (a CHECK behind it); a shopper's claims take consecutive
``claim_seq`` numbers, unique per shopper and template and within the limit (a CHECK), so
concurrent claims of one shopper cannot pass the limit either.
"""

import csv
import datetime
import io
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import User
from mall.tracking import record_event

from ...exceptions import CouponRefused
from ...models import Coupon, CouponBatch, CouponTemplate

logger = logging.getLogger("marketing.coupons")

Channel = CouponTemplate.Channel
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CLAIM_TRIES = 3
MAX_BATCH = 50_000
COMPENSATE = "marketing.compensate_coupontemplate"
GRANT = "marketing.grant_coupontemplate"


def validity(template: CouponTemplate, now) -> tuple:
    """When a coupon of ``template`` issued ``now`` may be used: the template's fixed
    dates, or from now for its number of days."""
    if template.valid_until is not None:
        return template.valid_from, template.valid_until
    return now, now + datetime.timedelta(days=template.valid_days)


def _problems_to_issue(template: CouponTemplate, now, count: int = 1) -> list[str]:
    problems = []
    if template.status != CouponTemplate.Status.ACTIVE:
        problems.append(_("“%(name)s” is no longer issued.") % {"name": template.name})
    elif template.valid_until is not None and template.valid_until <= now:
        problems.append(_("“%(name)s” has expired.") % {"name": template.name})
    elif template.total_quantity is not None and template.issued + count > template.total_quantity:
        left = max(template.total_quantity - template.issued, 0)
        if left == 0:
            problems.append(_("“%(name)s” is all gone.") % {"name": template.name})
        else:
            problems.append(
                _("Only %(left)s of “%(name)s” are left.") % {"left": left, "name": template.name}
            )
    return problems


def _take(template: CouponTemplate, count: int) -> None:
    """Raise ``issued`` by ``count`` within the total: one conditional UPDATE."""
    taken = (
        CouponTemplate.objects.filter(pk=template.pk, status=CouponTemplate.Status.ACTIVE)
        .filter(Q(total_quantity__isnull=True) | Q(issued__lte=F("total_quantity") - count))
        .update(issued=F("issued") + count)
    )
    if not taken:
        template.refresh_from_db(fields=["issued", "status", "total_quantity"])
        raise CouponRefused(
            _problems_to_issue(template, timezone.now(), count)
            or [_("“%(name)s” is all gone.") % {"name": template.name}],
            code="sold_out",
        )


def _next_seq(template: CouponTemplate, user) -> int:
    held = Coupon.objects.filter(template=template, user=user, claim_seq__isnull=False).count()
    if held >= template.per_shopper_limit:
        raise CouponRefused(
            [
                _("You already have the %(limit)s of “%(name)s” a shopper may take.")
                % {"limit": template.per_shopper_limit, "name": template.name}
            ],
            code="limit",
        )
    return held + 1


def claim_coupon(*, template: CouponTemplate, user, now=None) -> Coupon:
    """A shopper takes a coupon of a public template (coupon centre, goods pages).

    Never more than the template's total nor the per-shopper limit, however many claims
    arrive at once: the quantity by a conditional UPDATE, the limit by the unique
    ``claim_seq`` (a concurrent claim of the same shopper fails on it and is counted
    again). Raises ``CouponRefused`` (``code``: ``limit``, ``sold_out``, ``refused``) with
    the reason; nothing is written then."""
    if user is None or not user.is_authenticated:
        raise CouponRefused([_("Sign in to claim coupons.")])
    if template.channel != Channel.PUBLIC:
        raise CouponRefused([_("This coupon cannot be claimed.")])
    for attempt in range(CLAIM_TRIES):
        now = timezone.now() if attempt or now is None else now
        try:
            with transaction.atomic():
                fresh = CouponTemplate.objects.get(pk=template.pk)
                problems = _problems_to_issue(fresh, now)
                if problems:
                    raise CouponRefused(problems, code="sold_out")
                seq = _next_seq(fresh, user)
                _take(fresh, 1)
                valid_from, valid_until = validity(fresh, now)
                coupon = Coupon.objects.create(
                    template=fresh,
                    user=user,
                    status=Coupon.Status.AVAILABLE,
                    source=Channel.PUBLIC,
                    claim_seq=seq,
                    claim_limit=fresh.per_shopper_limit,
                    claimed_at=now,
                    valid_from=valid_from,
                    valid_until=valid_until,
                )
                # Recorded in the claim's transaction: a refused claim records nothing.
                record_event("coupon_claimed", template=fresh.pk, coupon=coupon.pk, user=user.pk)
                return coupon
        except IntegrityError:
            continue  # another claim of this shopper took the number: count again
    raise CouponRefused(
        [
            _("You already have the %(limit)s of “%(name)s” a shopper may take.")
            % {"limit": template.per_shopper_limit, "name": template.name}
        ],
        code="limit",
    )


def _require(actor, permission: str) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(permission):
        raise CouponRefused([_("You may not hand out coupons.")], code="forbidden")


@transaction.atomic
def grant_coupons(
    *, template: CouponTemplate, users, actor, reason: str, reference: str = "", now=None
) -> CouponBatch:
    """An operator grants one coupon of ``template`` to each of ``users`` (at most one
    each, whatever the list repeats), with a reason: all or none, within the template's
    total (the per-shopper limit is for claims; a grant is the operator's decision).
    Returns the batch, the record of who granted what and why. Raises ``CouponRefused``
    without the permission or a reason, with no shoppers, or when the template cannot
    issue that many."""
    _require(actor, GRANT)
    reason = (reason or "").strip()
    now = now or timezone.now()
    users = list({user.pk: user for user in users}.values())
    problems = []
    if not reason:
        problems.append(_("Say why the coupons are granted."))
    if not users:
        problems.append(_("Choose at least one shopper."))
    if template.channel in (Channel.PUBLIC, Channel.CODE):
        problems.append(
            _("“%(name)s” is claimed by shoppers or redeemed by code, not granted.")
            % {"name": template.name}
        )
    problems += _problems_to_issue(template, now, len(users))
    if problems:
        raise CouponRefused(problems)
    _take(template, len(users))
    batch = CouponBatch.objects.create(
        template=template,
        kind=CouponBatch.Kind.GRANT,
        quantity=len(users),
        reason=reason[:200],
        reference=reference[:40],
        created_by=actor,
    )
    valid_from, valid_until = validity(template, now)
    Coupon.objects.bulk_create(
        Coupon(
            template=template,
            user=user,
            status=Coupon.Status.AVAILABLE,
            source=template.channel,
            batch=batch,
            granted_by=actor,
            reason=reason[:200],
            claimed_at=now,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        for user in users
    )
    logger.info(
        "coupons granted",
        extra={"template": template.pk, "count": len(users), "actor": actor.pk},
    )
    return batch


def shoppers_from_csv(text: str) -> tuple[list, list[str]]:
    """The shoppers a CSV names, one per row by mobile number or email in the first
    column (a header row is skipped): ``(users, problems)``, every unknown row listed."""
    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if row and row[0].strip()]
    if rows and not any(ch.isdigit() or ch == "@" for ch in rows[0][0]):
        rows = rows[1:]  # a header
    wanted = [row[0].strip() for row in rows]
    phones = [value for value in wanted if "@" not in value]
    emails = [value.lower() for value in wanted if "@" in value]
    found = {
        **{u.phone: u for u in User.objects.filter(phone__in=phones)},
        **{u.email: u for u in User.objects.filter(email__in=emails)},
    }
    problems = [
        _("Row %(row)s: no shopper with “%(value)s”.") % {"row": n, "value": value}
        for n, value in enumerate(wanted, start=1)
        if found.get(value.lower() if "@" in value else value) is None
    ]
    if problems:
        return [], problems
    return [found[value.lower() if "@" in value else value] for value in wanted], []


def grant_from_csv(*, template, text: str, actor, reason: str, filename: str = "") -> CouponBatch:
    """``grant_coupons`` to the shoppers a CSV lists: every unknown row refused at once,
    nothing granted then (``CouponRefused``)."""
    users, problems = shoppers_from_csv(text)
    if problems:
        raise CouponRefused(problems)
    if len(users) > MAX_BATCH:
        raise CouponRefused([_("At most %(max)s shoppers at a time.") % {"max": MAX_BATCH}])
    return grant_coupons(
        template=template, users=users, actor=actor, reason=reason, reference=filename
    )


def _code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{body[:4]}-{body[4:8]}-{body[8:]}"


def generate_codes(*, template, quantity: int, actor, reason: str) -> CouponBatch:
    """``quantity`` unique codes of a code template for outside channels (exported from
    the batch, redeemed by shoppers with ``redeem_code``): counted against the total when
    generated, all or none. Raises ``CouponRefused``."""
    _require(actor, GRANT)
    reason = (reason or "").strip()
    problems = []
    if template.channel != Channel.CODE:
        problems.append(_("Codes are made from a template issued through codes."))
    if not reason:
        problems.append(_("Say what the codes are for."))
    if not 1 <= int(quantity or 0) <= MAX_BATCH:
        problems.append(_("Make between 1 and %(max)s codes.") % {"max": MAX_BATCH})
    problems += _problems_to_issue(template, timezone.now(), int(quantity or 0))
    if problems:
        raise CouponRefused(problems)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                _take(template, quantity)
                batch = CouponBatch.objects.create(
                    template=template,
                    kind=CouponBatch.Kind.CODES,
                    quantity=quantity,
                    reason=reason[:200],
                    created_by=actor,
                )
                codes: set[str] = set()
                while len(codes) < quantity:
                    codes.add(_code())
                Coupon.objects.bulk_create(
                    Coupon(
                        template=template,
                        code=code,
                        status=Coupon.Status.UNCLAIMED,
                        source=Channel.CODE,
                        batch=batch,
                        granted_by=actor,
                        reason=reason[:200],
                    )
                    for code in sorted(codes)
                )
                return batch
        except IntegrityError:
            continue  # a code met one made before (one in 10^17): make the batch again
    raise CouponRefused([_("The codes could not be made; try again.")])  # pragma: no cover


def normalize_code(code: str) -> str:
    text = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return f"{text[:4]}-{text[4:8]}-{text[8:12]}" if len(text) == 12 else (code or "").strip()


def redeem_code(*, code: str, user, now=None) -> Coupon:
    """A shopper enters a code: its coupon moves into their wallet, once (a conditional
    UPDATE on the unredeemed code), within the template's per-shopper limit. Raises
    ``CouponRefused`` for an unknown or used code, an expired or stopped template, or
    the limit reached."""
    if user is None or not user.is_authenticated:
        raise CouponRefused([_("Sign in to redeem a code.")])
    code = normalize_code(code)
    coupon = Coupon.objects.select_related("template").filter(code=code).first()
    if coupon is None:
        raise CouponRefused([_("There is no coupon with this code.")], code="unknown")
    if coupon.status != Coupon.Status.UNCLAIMED:
        raise CouponRefused([_("This code has been redeemed already.")], code="redeemed")
    template = coupon.template
    for attempt in range(CLAIM_TRIES):
        now = timezone.now() if attempt or now is None else now
        try:
            with transaction.atomic():
                if template.status != CouponTemplate.Status.ACTIVE or (
                    template.valid_until is not None and template.valid_until <= now
                ):
                    raise CouponRefused([_("This code can no longer be redeemed.")])
                seq = _next_seq(template, user)
                valid_from, valid_until = validity(template, now)
                redeemed = Coupon.objects.filter(
                    pk=coupon.pk, status=Coupon.Status.UNCLAIMED
                ).update(
                    user=user,
                    status=Coupon.Status.AVAILABLE,
                    claim_seq=seq,
                    claim_limit=template.per_shopper_limit,
                    claimed_at=now,
                    valid_from=valid_from,
                    valid_until=valid_until,
                )
                if not redeemed:
                    raise CouponRefused(
                        [_("This code has been redeemed already.")], code="redeemed"
                    )
                coupon.refresh_from_db()
                record_event("coupon_claimed", template=template.pk, coupon=coupon.pk, user=user.pk)
                return coupon
        except IntegrityError:
            continue
    raise CouponRefused([_("You already have as many of these coupons as a shopper may take.")])


@transaction.atomic
def grant_for_feature(
    *, template: CouponTemplate, user, reason: str, reference: str = "", now=None
) -> Coupon:
    """A coupon another feature hands out (a birthday, a referral reward): one of
    ``template`` to ``user``, within the template's total, recorded with its reason and
    reference (the referral, the year). The calling service decides who deserves it and
    makes it idempotent (e.g. one birthday coupon per year by ``reference``: a second call
    with a reference the shopper already has returns that coupon). Raises
    ``CouponRefused`` when the template cannot issue."""
    now = now or timezone.now()
    if reference:
        existing = Coupon.objects.filter(
            template=template, user=user, batch__reference=reference
        ).first()
        if existing is not None:
            return existing
    problems = _problems_to_issue(template, now)
    if problems:
        raise CouponRefused(problems)
    _take(template, 1)
    batch = CouponBatch.objects.create(
        template=template,
        kind=CouponBatch.Kind.GRANT,
        quantity=1,
        reason=(reason or template.get_channel_display())[:200],
        reference=reference[:40],
        created_by=None,
    )
    valid_from, valid_until = validity(template, now)
    return Coupon.objects.create(
        template=template,
        user=user,
        status=Coupon.Status.AVAILABLE,
        source=template.channel,
        batch=batch,
        reason=batch.reason,
        claimed_at=now,
        valid_from=valid_from,
        valid_until=valid_until,
    )


@transaction.atomic
def grant_compensation(
    *, template: CouponTemplate, shopper, actor, reason: str, reference: str = "", now=None
) -> Coupon:
    """A support agent compensates a shopper with a coupon of a compensation template,
    saying why (the ticket is the reference). An agent grants at most
    ``MALL_COMPENSATION_COUPONS_PER_AGENT_DAY`` a day (supervisors: no limit): counted
    under a lock on the agent's row, so two grants at once cannot pass it. Raises
    ``CouponRefused`` (nothing written)."""
    if actor is None or not actor.is_active or not actor.has_perm(COMPENSATE):
        raise CouponRefused([_("You may not grant compensation coupons.")], code="forbidden")
    now = now or timezone.now()
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(_("Say why the shopper is compensated."))
    if template.channel != Channel.COMPENSATION:
        problems.append(_("Choose a compensation coupon."))
    if shopper is None or shopper.is_staff:
        problems.append(_("Compensation coupons are for shoppers."))
    problems += _problems_to_issue(template, now)
    if problems:
        raise CouponRefused(problems)
    if not actor.has_perm("support.supervise_ticket"):
        User.objects.select_for_update().filter(pk=actor.pk).values_list("pk").get()
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        today = Coupon.objects.filter(
            source=Channel.COMPENSATION, granted_by=actor, claimed_at__gte=start
        ).count()
        limit = settings.MALL_COMPENSATION_COUPONS_PER_AGENT_DAY
        if today >= limit:
            raise CouponRefused(
                [
                    _(
                        "You have granted the %(limit)s compensation coupons an agent may "
                        "grant today; ask a supervisor."
                    )
                    % {"limit": limit}
                ],
                code="limit",
            )
    _take(template, 1)
    batch = CouponBatch.objects.create(
        template=template,
        kind=CouponBatch.Kind.COMPENSATION,
        quantity=1,
        reason=reason[:200],
        reference=reference[:40],
        created_by=actor,
    )
    valid_from, valid_until = validity(template, now)
    coupon = Coupon.objects.create(
        template=template,
        user=shopper,
        status=Coupon.Status.AVAILABLE,
        source=Channel.COMPENSATION,
        batch=batch,
        granted_by=actor,
        reason=reason[:200],
        claimed_at=now,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    logger.info(
        "compensation coupon granted",
        extra={"template": template.pk, "shopper": shopper.pk, "actor": actor.pk, "ref": reference},
    )
    return coupon
