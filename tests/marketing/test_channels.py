"""Channels and placements: each placement gets a short code whose link counts the click
and lands on the page with the placement's UTM parameters; bad input is refused whole."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.exceptions import CampaignInvalid
from marketing.models import Channel, Placement
from marketing.services.campaigns import channels
from tests.marketing.campaign_helpers import campaign, operator

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def douyin():
    return Channel.objects.get_or_create(
        source="douyin", defaults={"name": "抖音", "kind": Channel.Kind.SHORT_VIDEO}
    )[0]


def placement(**fields):
    now = timezone.now()
    data = {
        "channel": fields.pop("channel", None) or douyin(),
        "name": "达人短视频",
        "starts_at": now - DAY,
        "ends_at": now + DAY,
        "amount": Decimal("500"),
        "landing_page": "/products/",
        **fields,
    }
    return channels.save_placement(actor=operator(), data=data)


def test_a_placement_gets_a_short_code_and_a_tracked_link(client):
    made = placement(campaign=campaign(), landing_page="/products/?sort=new")
    assert len(made.code) == channels.CODE_LENGTH

    response = client.get(f"/go/{made.code}")

    assert response.status_code == 302
    assert response["Location"] == (
        f"/products/?sort=new&utm_source=douyin&utm_medium=short_video&utm_campaign={made.code}"
    )
    response = client.get(f"/go/{made.code}")
    made.refresh_from_db()
    assert made.clicks == 2


def test_an_unknown_code_is_a_404(client):
    assert client.get("/go/nosuchcode").status_code == 404


def test_the_landing_page_must_be_in_the_shop():
    for bad in ("https://evil.example/", "//evil.example/x", "products/"):
        with pytest.raises(CampaignInvalid, match="landing page"):
            placement(landing_page=bad)
    assert not Placement.objects.exists()


def test_every_problem_is_listed():
    now = timezone.now()
    with pytest.raises(CampaignInvalid) as refused:
        channels.save_placement(
            actor=operator(),
            data={"channel": None, "name": "", "starts_at": now, "ends_at": now, "amount": None},
        )
    assert len(refused.value.problems) == 5


def test_changing_a_placement_keeps_its_code():
    made = placement()
    code = made.code
    changed = channels.save_placement(
        actor=operator(), data={"amount": Decimal("800")}, placement=made
    )
    assert (changed.code, changed.amount) == (code, Decimal("800.00"))
