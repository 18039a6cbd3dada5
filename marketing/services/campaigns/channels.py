"""Placements and their tracked links: a short code per placement, the link's UTM
parameters, and the click counted when a shopper follows it."""

import secrets
import string
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from mall.money import to_money

from ...exceptions import CampaignInvalid
from ...models import Placement

CODE_ALPHABET = string.ascii_lowercase + string.digits
CODE_LENGTH = 7
CODE_ATTEMPTS = 5

FIELDS = (
    "channel",
    "campaign",
    "name",
    "starts_at",
    "ends_at",
    "amount",
    "impressions",
    "creative",
    "landing_page",
)


def placement_problems(data: dict) -> list[str]:
    problems = []
    if data.get("channel") is None:
        problems.append(_("Choose the channel."))
    if not (data.get("name") or "").strip():
        problems.append(_("Give the placement a name."))
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if not starts or not ends or ends <= starts:
        problems.append(_("A placement ends after it starts."))
    if data.get("amount") is None or data["amount"] < 0:
        problems.append(_("Give the placement's cost (zero or more)."))
    landing = (data.get("landing_page") or "").strip()
    parts = urlsplit(landing)
    if not landing.startswith("/") or landing.startswith("//") or parts.scheme or parts.netloc:
        problems.append(_("The landing page is a path in the shop, such as /products/12/."))
    return problems


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def save_placement(*, actor, data: dict, placement: Placement | None = None) -> Placement:
    """Create a placement with a fresh short code, or change one (its code stays, so
    links already out keep working). Raises ``CampaignInvalid`` with every problem."""
    merged = {name: getattr(placement, name) for name in FIELDS} if placement else {}
    merged.update({name: value for name, value in data.items() if name in FIELDS})
    problems = placement_problems(merged)
    if problems:
        raise CampaignInvalid(problems)
    merged["amount"] = to_money(merged["amount"])
    merged["landing_page"] = merged["landing_page"].strip()
    placement = placement or Placement(created_by=actor)
    for name, value in merged.items():
        setattr(placement, name, value)
    if placement.pk:
        placement.save()
        return placement
    for _attempt in range(CODE_ATTEMPTS):
        placement.code = _new_code()
        try:
            with transaction.atomic():
                placement.save()
            return placement
        except IntegrityError:
            placement.pk = None  # the code was taken: try another
    raise CampaignInvalid([_("No free short code was found; please try again.")])


def utm_parameters(placement: Placement) -> dict[str, str]:
    return {
        "utm_source": placement.channel.source,
        "utm_medium": placement.channel.kind,
        "utm_campaign": placement.code,
    }


def landing_url(placement: Placement) -> str:
    """The landing page with the placement's UTM parameters added to its own query."""
    parts = urlsplit(placement.landing_page)
    query = "&".join(q for q in (parts.query, urlencode(utm_parameters(placement))) if q)
    return urlunsplit(("", "", parts.path, query, parts.fragment))


def follow_link(*, code: str) -> str | None:
    """A shopper follows a tracked link: the click is counted (one UPDATE) and the
    landing URL with the UTM parameters returned; ``None`` for an unknown code."""
    placement = Placement.objects.select_related("channel").filter(code=code).first()
    if placement is None:
        return None
    Placement.objects.filter(pk=placement.pk).update(clicks=F("clicks") + 1)
    return landing_url(placement)
