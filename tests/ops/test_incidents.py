"""Incidents are recorded in the back office (start, impact, actions, cause, follow-ups),
amended, never deleted; each step is in the audit trail."""

import pytest
from django.urls import reverse

from mall import roles
from ops.models import AuditEvent, Incident
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_operator_records_and_amends_an_incident(client):
    operator = UserFactory(roles=[roles.OPERATOR], email="ops.chen@mall.example")
    client.force_login(operator)
    add = reverse("admin:ops_incident_add")
    response = client.post(
        add,
        {
            "title": "支付回调失败",
            "severity": "critical",
            "started_at_0": "2026-03-01",
            "started_at_1": "20:00:00",
            "impact": "20:00-20:40 shoppers' payments were not confirmed",
            "actions": "20:35 restarted the worker",
            "cause": "",
            "follow_ups": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert incident.recorded_by == operator and incident.is_open
    change = reverse("admin:ops_incident_change", args=[incident.pk])
    data = {
        "title": incident.title,
        "severity": "critical",
        "started_at_0": "2026-03-01",
        "started_at_1": "20:00:00",
        "ended_at_0": "2026-03-01",
        "ended_at_1": "20:40:00",
        "impact": incident.impact,
        "actions": incident.actions,
        "cause": "Redis restarted without its append-only file",
        "follow_ups": "Turn on appendonly in production (ops, by Friday)",
    }
    assert client.post(change, data).status_code == 302
    incident.refresh_from_db()
    assert not incident.is_open and incident.cause.startswith("Redis")
    delete = reverse("admin:ops_incident_delete", args=[incident.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Incident.objects.exists()
    actions = set(
        AuditEvent.objects.filter(target_type="ops.incident").values_list("action", flat=True)
    )
    assert actions == {"admin.add", "admin.change"}
