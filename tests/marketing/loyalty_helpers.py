"""Helpers for the membership and points tests: tiers set as an operator would, points
given through the adjustment service, orders through the real services."""

import importlib
from decimal import Decimal

from marketing.models import Tier
from marketing.services import loyalty
from marketing.services.pricing import catalogue
from tests.marketing.promo_helpers import operator


def tiers(**thresholds) -> dict[str, Tier]:
    """The four tiers of the migration, with test thresholds: ``silver=("100", 1)``. (A
    transactional test before this one flushed the tables: they are made again.)"""
    if not Tier.objects.exists():
        from django.apps import apps

        importlib.import_module("marketing.migrations.0007_default_tiers").create(apps, None)
    for code, (spend, orders) in thresholds.items():
        Tier.objects.filter(code=code).update(min_spend=Decimal(spend), min_orders=orders)
    catalogue.forget()
    return {tier.code: tier for tier in Tier.objects.all()}


def give_points(user, points: int, *, reason="测试积分"):
    return loyalty.adjust_points(user=user, points=points, reason=reason, actor=operator())


def use_points() -> dict:
    return {"points": ["use"]}
