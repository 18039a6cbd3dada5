"""Helpers for the campaign tests: campaigns made and moved through the services, as an
operator and a manager would."""

import datetime
from decimal import Decimal

from django.utils import timezone

from marketing.services import campaigns
from marketing.services.pricing import catalogue
from tests.customers.factories import UserFactory

HOUR = datetime.timedelta(hours=1)


def manager(**fields):
    return UserFactory(roles=["manager"], **fields)


def operator(**fields):
    return UserFactory(roles=["operator"], **fields)


def plan(**fields) -> dict:
    now = timezone.now()
    return {
        "name": fields.pop("name", "双十二大促"),
        "theme": "年终回馈",
        "audience": "all",
        "goal_gmv": Decimal("10000.00"),
        "goal_orders": 100,
        "goal_new_customers": 10,
        "starts_at": now - HOUR,
        "ends_at": now + 24 * HOUR,
        "budget": Decimal(fields.pop("budget", "1000.00")),
        "cost_estimate": Decimal("800.00"),
        "risk_assessment": "库存不足",
        "contingency_plan": "提前备货",
        **fields,
    }


def campaign(*, author=None, approver=None, state="running", **fields):
    """A campaign drafted by ``author`` (an operator, its owner) and taken to ``state``
    (draft, submitted, approved or running) through the services."""
    author = author or operator()
    made = campaigns.save_campaign(actor=author, data=plan(owner=author, **fields))
    if state != "draft":
        campaigns.submit_campaign(campaign=made, actor=author)
    if state in ("approved", "running"):
        campaigns.approve_campaign(campaign=made, actor=approver or manager())
    if state == "running":
        campaigns.start_campaign(campaign=made, actor=author)
    made.refresh_from_db()
    catalogue.forget()
    return made
