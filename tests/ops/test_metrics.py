"""/metrics: django-prometheus' request metrics and the shop's own, for the monitoring
network only; every metric the alert rules read exists."""

import re
from pathlib import Path

import pytest
import yaml

from catalog.models import StockDiscrepancy
from ops.metrics import count_task_failure
from tests.orders.factories import listed_sku

pytestmark = pytest.mark.django_db

RULES = Path(__file__).resolve().parents[2] / "ops" / "prometheus" / "alerts.yml"


def test_metrics_are_served_to_the_monitoring_network_only(client, redis_client):
    sku = listed_sku(stock=3)
    StockDiscrepancy.objects.create(
        stock=sku.stocks.get(), kind=StockDiscrepancy.Kind.choices[0][0], expected=3, actual=2
    )
    count_task_failure(sender=type("T", (), {"name": "orders.tasks.submit_refund"})())
    client.get("/")
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in body
    assert "django_http_responses_total_by_status_total" in body
    assert 'mall_celery_queue_length{queue="celery"}' in body
    assert 'mall_celery_task_failures_total{task="orders.tasks.submit_refund"} 1.0' in body
    assert "mall_stock_discrepancies_open 1.0" in body
    assert "mall_payments_failed_total 0.0" in body
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


def test_the_alert_rules_read_metrics_that_exist(client, db):
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    assert {rule["alert"] for rule in rules} >= {
        "MallBackupTooOld",
        "MallRestoreDrillTooOld",
        "MallCeleryBacklog",
        "MallTaskFailures",
        "MallPaymentFailures",
        "MallStockDrift",
        "MallHighErrorRate",
    }
    known = {
        "mall_backup_age_seconds",
        "mall_restore_drill_age_seconds",
        "mall_celery_queue_length",
        "mall_celery_task_failures_total",
        "mall_payments_failed_total",
        "mall_payment_notifications_rejected_total",
        "mall_stock_discrepancies_open",
        "django_http_responses_total_by_status_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
    }
    for rule in rules:
        used = set(re.findall(r"\b((?:mall|django)_[a-z_]+)", rule["expr"]))
        assert used and used <= known, rule["alert"]
