"""Channel spend: what a placement cost on a day, recorded by hand or imported from the
channel's CSV bill. Each entry of a placement that belongs to a campaign is booked on the
campaign's budget ledger (kind 'channel', through ``budget.book``: the same hard cap).

An import is all or nothing: every row is checked first and every bad row reported with
its line number; then all rows are written in one transaction (a budget running out
meanwhile refuses the whole file). The same file imported again (same SHA-256) writes
nothing and returns the first import.
"""

import csv
import datetime
import hashlib
import io
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import format_money, to_money

from ...exceptions import BudgetExhausted, SpendInvalid
from ...models import Campaign, CampaignSpend, ChannelSpend, ChannelSpendImport, Placement
from .budget import book

COLUMNS = ("placement", "date", "amount", "impressions", "note")
REQUIRED = ("placement", "date", "amount")
MAX_BYTES = 1_000_000
MAX_ROWS = 5000
MAX_AMOUNT = Decimal("99999999.99")


def _day_problems(placement: Placement, day: datetime.date) -> list[str]:
    first = timezone.localtime(placement.starts_at).date()
    last = timezone.localtime(placement.ends_at).date()
    if not first <= day <= last:
        return [
            _("%(day)s is outside the placement's period (%(first)s – %(last)s).")
            % {"day": day, "first": first, "last": last}
        ]
    return []


def _amount_problems(amount) -> list[str]:
    if amount is None or amount <= 0 or amount > MAX_AMOUNT:
        return [_("The amount is more than zero.")]
    if amount != amount.quantize(Decimal("0.01")):
        return [_("The amount has at most two decimal places.")]
    return []


def _write(*, actor, placement, spent_on, amount, impressions, note, imported=None, key):
    entry = ChannelSpend.objects.create(
        placement=placement,
        spent_on=spent_on,
        amount=amount,
        impressions=impressions,
        note=note,
        imported=imported,
        created_by=actor,
    )
    if placement.campaign_id:
        entry.booking = book(
            campaign_id=placement.campaign_id,
            amount=amount,
            key=f"{key}:{entry.pk}",
            kind=CampaignSpend.Kind.CHANNEL,
            source=f"placement:{placement.code}",
            actor=actor,
        )
        entry.save(update_fields=["booking"])
    return entry


def spend_problems(*, placement, spent_on, amount, impressions=None) -> list[str]:
    """Every reason a hand-entered spend cannot be recorded (for the admin's form)."""
    problems = _amount_problems(amount)
    if spent_on is None:
        problems.append(_("Give the day."))
    elif placement is not None:
        problems += _day_problems(placement, spent_on)
    if impressions is not None and impressions < 0:
        problems.append(_("Impressions are zero or more."))
    campaign = placement.campaign if placement is not None else None
    if campaign is not None and not problems and amount > campaign.remaining:
        problems.append(
            _("The campaign “%(campaign)s” has %(left)s of its budget left.")
            % {"campaign": campaign, "left": format_money(campaign.remaining)}
        )
    return problems


def record_spend(
    *, actor, placement: Placement, spent_on: datetime.date, amount, impressions=None, note=""
) -> ChannelSpend:
    """Record what ``placement`` cost on ``spent_on`` and book it on its campaign's budget,
    in one transaction. Raises ``SpendInvalid`` with every problem (nothing written) and
    ``BudgetExhausted`` when the campaign's budget cannot take it."""
    amount = Decimal(amount) if amount is not None else None
    problems = spend_problems(
        placement=placement, spent_on=spent_on, amount=amount, impressions=impressions
    )
    if problems:
        raise SpendInvalid(problems)
    with transaction.atomic():
        return _write(
            actor=actor,
            placement=placement,
            spent_on=spent_on,
            amount=to_money(amount),
            impressions=impressions,
            note=note.strip(),
            key="spend",
        )


def _parse(content: bytes) -> tuple[list[dict], list[str]]:
    """The file's rows as dicts with their line numbers, or the problems of its shape."""
    if len(content) > MAX_BYTES:
        return [], [_("The file is larger than 1 MB; split it.")]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_("The file is not UTF-8 text.")]
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [
            _("The first line names the columns; missing: %(missing)s (expected: %(columns)s).")
            % {"missing": ", ".join(missing), "columns": ", ".join(COLUMNS)}
        ]
    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            return [], [_("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS}]
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        rows.append({"line": reader.line_num, **{k: (row.get(k) or "").strip() for k in COLUMNS}})
    if not rows:
        return [], [_("The file has no rows.")]
    return rows, []


def _check(rows: list[dict]) -> tuple[list[dict], list[str]]:
    """Each row checked against the placements (one query) and the campaigns' budgets
    (one query); returns the clean rows and every problem, by line."""
    codes = {row["placement"] for row in rows}
    placements = {
        placement.code: placement
        for placement in Placement.objects.filter(code__in=codes).select_related("campaign")
    }
    problems, clean = [], []
    for row in rows:
        mistakes = []
        placement = placements.get(row["placement"])
        if placement is None:
            mistakes.append(_("no placement has the code “%(code)s”") % {"code": row["placement"]})
        try:
            day = datetime.date.fromisoformat(row["date"])
        except ValueError:
            day = None
            mistakes.append(_("the date is not YYYY-MM-DD"))
        try:
            amount = Decimal(row["amount"].replace(",", ""))
            if not amount.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            amount = None
            mistakes.append(_("the amount is not a number"))
        else:
            mistakes += [str(problem).rstrip(".。").lower() for problem in _amount_problems(amount)]
        impressions = None
        if row["impressions"]:
            if row["impressions"].isdigit():
                impressions = int(row["impressions"])
            else:
                mistakes.append(_("impressions are a whole number"))
        if placement is not None and day is not None:
            mistakes += [str(problem).rstrip(".。") for problem in _day_problems(placement, day)]
        if mistakes:
            problems.append(
                _("Line %(line)s: %(problems)s.")
                % {"line": row["line"], "problems": "; ".join(mistakes)}
            )
            continue
        clean.append(
            {
                "line": row["line"],
                "placement": placement,
                "spent_on": day,
                "amount": to_money(amount),
                "impressions": impressions,
                "note": row["note"][:200],
            }
        )
    # The budgets are checked on the good rows too, so a file is corrected in one go.
    problems += _budget_problems(clean)
    return clean, problems


def _budget_problems(rows: list[dict]) -> list[str]:
    needs: dict[int, Decimal] = defaultdict(Decimal)
    lines: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        if row["placement"].campaign_id:
            needs[row["placement"].campaign_id] += row["amount"]
            lines[row["placement"].campaign_id].append(row["line"])
    problems = []
    for campaign in Campaign.objects.filter(pk__in=needs).order_by("pk"):
        if needs[campaign.pk] > campaign.remaining:
            problems.append(
                _(
                    "Lines %(lines)s: the campaign “%(campaign)s” has %(left)s of its budget "
                    "left, these rows need %(need)s."
                )
                % {
                    "lines": ", ".join(str(line) for line in lines[campaign.pk]),
                    "campaign": campaign,
                    "left": format_money(campaign.remaining),
                    "need": format_money(needs[campaign.pk]),
                }
            )
    return problems


def import_spend(*, actor, content: bytes, filename: str) -> tuple[ChannelSpendImport, bool]:
    """Import a CSV of channel spend (columns: placement code, date YYYY-MM-DD, amount,
    optional impressions and note). All or nothing: raises ``SpendInvalid`` listing every
    bad row, and writes nothing then. Returns the import and whether it is new: the same
    file again (same SHA-256) returns the first import and writes nothing."""
    digest = hashlib.sha256(content).hexdigest()
    earlier = ChannelSpendImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        return earlier, False
    rows, problems = _parse(content)
    if not problems:
        rows, problems = _check(rows)
    if problems:
        raise SpendInvalid(problems)
    try:
        with transaction.atomic():
            made = ChannelSpendImport.objects.create(
                sha256=digest,
                filename=filename[:200],
                rows=len(rows),
                total=sum((row["amount"] for row in rows), Decimal(0)),
                imported_by=actor,
            )
            for row in sorted(rows, key=lambda row: row["placement"].campaign_id or 0):
                row.pop("line")
                _write(actor=actor, imported=made, key=f"import:{digest[:16]}", **row)
    except IntegrityError:
        # The same file imported at the same moment by someone else: theirs stands.
        return ChannelSpendImport.objects.get(sha256=digest), False
    except BudgetExhausted as error:
        raise SpendInvalid([str(error)]) from error
    return made, True
