"""The audit trail: a price change, a refund and a role change are there with their
authors; logins, failed logins, logouts, exports and admin changes (field by field) too;
and nobody can edit or delete an entry, through the admin or the database."""

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from mall import roles
from ops.models import AuditEvent, RefundEvent, SkuPriceEvent
from orders.models import Refund
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import PASSWORD, UserFactory
from tests.orders import paying
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def security_officer(db):
    return UserFactory(roles=[roles.SECURITY], email="security@mall.example")


def test_a_price_change_a_refund_and_a_role_change_are_kept_with_their_authors(
    client, security_officer
):
    # A price change, requested and applied by an operator in the admin.
    operator = UserFactory(roles=[roles.OPERATOR], email="operator.wang@mall.example")
    sku = make_listed_product(category=tea_categories(), prices=("45.00",)).skus.get()
    client.force_login(operator)
    client.post(
        reverse("admin:catalog_pricechange_add"),
        {"sku": sku.pk, "amount": "42.00", "reason": "促销", "reference_amount": ""},
    )
    price_rows = SkuPriceEvent.objects.filter(pgh_obj__sku=sku, pgh_label="insert")
    assert price_rows.filter(amount="42.00").exists()
    assert price_rows.get(amount="42.00").pgh_context.metadata["user"] == operator.pk

    # A refund: the shopper cancels a paid order through the API.
    order = place(items=[(listed_sku(stock=5), 1)])
    paying.pay(order)
    api = APIClient()
    api.force_authenticate(order.user)
    assert (
        api.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "不要了"}).status_code == 200
    )
    refund = Refund.objects.get(payment__order=order)
    inserted = RefundEvent.objects.get(pgh_obj_id=refund.pk, pgh_label="insert")
    assert inserted.pgh_context.metadata["user"] == order.user.pk

    # A role change, by a superuser in the admin's user form.
    admin_user = UserFactory(email="root@mall.example", is_staff=True, is_superuser=True)
    clerk = UserFactory(email="clerk.li@mall.example", display_name="")
    client.force_login(admin_user)
    page = client.get(reverse("admin:customers_user_change", args=[clerk.pk]))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "groups": [Group.objects.get(name=roles.WAREHOUSE).pk],
            "is_staff": "on",
            "is_active": "on",
            "user_permissions": [],
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        }
    )
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(reverse("admin:customers_user_change", args=[clerk.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    role_change = AuditEvent.objects.get(action="roles.change", target_id=str(clerk.pk))
    assert role_change.actor == admin_user and role_change.data["added"] == [roles.WAREHOUSE]
    admin_change = AuditEvent.objects.get(action="admin.change", target_id=str(clerk.pk))
    assert admin_change.actor_label == "root@mall.example"
    assert admin_change.data["changes"]["is_staff"] == ["False", "True"]

    # The security role reads all three, with their authors, in the back office.
    client.force_login(security_officer)
    trail = client.get(reverse("admin:ops_auditevent_changelist")).content.decode()
    assert "roles.change" in trail and "root@mall.example" in trail
    history = client.get(reverse("admin:pghistory_events_changelist"))
    assert history.status_code == 200


def test_logins_failed_logins_logouts_and_exports_are_kept(client):
    user = UserFactory(phone="13912345670")
    login = reverse("customers:login")
    client.post(login, {"username": user.phone, "password": "wrong"})
    client.post(login, {"username": user.phone, "password": PASSWORD})
    client.post(reverse("customers:logout"))
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["auth.login_failed", "auth.login", "auth.logout"]
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.data["identifier"] == "139****5670"  # never the number itself

    analyst = UserFactory(roles=[roles.ANALYST], email="analyst@mall.example")
    client.force_login(analyst)
    response = client.get(reverse("admin:analytics_stock_slow_movers"), {"format": "csv"})
    assert response.status_code == 200
    export = AuditEvent.objects.get(action="export.download")
    assert export.actor == analyst and export.data["filename"].endswith(".csv")


def test_nobody_can_edit_or_delete_an_entry(client, security_officer):
    event = AuditEvent.objects.create(action="auth.login", actor_label="someone")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    change = reverse("admin:ops_auditevent_change", args=[event.pk])
    delete = reverse("admin:ops_auditevent_delete", args=[event.pk])
    assert client.post(change, {"action": "nothing happened"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    for statement in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="edited"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: connection.cursor().execute("DELETE FROM ops_auditevent"),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    event.refresh_from_db()
    assert event.action == "auth.login"
    row = SkuPriceEvent.objects.first()
    if row is not None:
        with pytest.raises(DatabaseError), transaction.atomic():
            SkuPriceEvent.objects.filter(pk=row.pk).update(amount="0.01")
