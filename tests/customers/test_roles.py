"""Staff roles: the groups the migration creates, and who gets into the admin."""

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from mall import roles
from mall.roles import ROLE_PERMISSIONS, sync_role_groups
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMIN_INDEX = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")
USER_CHANGELIST = reverse("admin:customers_user_changelist")
USER_ADD = reverse("admin:customers_user_add")


def _permission_names(group):
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_the_roles_are_declared():
    assert set(ROLE_PERMISSIONS) == {
        "operator",
        "warehouse",
        "support_agent",
        "support_supervisor",
        "analyst",
        "supplier",
        "security",
        "manager",
    }
    assert set(ROLE_PERMISSIONS) == roles.BACK_OFFICE_ROLES | roles.SUPPORT_ROLES
    assert not roles.BACK_OFFICE_ROLES & roles.SUPPORT_ROLES


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_migration_created_each_group_with_exactly_its_permissions(role):
    group = Group.objects.get(name=role)

    assert _permission_names(group) == ROLE_PERMISSIONS[role]


def test_operator_may_view_but_not_change_shoppers():
    permissions = _permission_names(Group.objects.get(name="operator"))
    about_accounts = {"user", "address", "notification"}
    assert {
        name
        for name in permissions
        if name.startswith("customers.") and name.rsplit("_", 1)[1] in about_accounts
    } == {"customers.view_user", "customers.view_address"}
    # Tickets are read (for the feedback report), never worked, from the admin.
    assert "support.view_ticket" in permissions
    assert "support.work_ticket" not in permissions


def test_a_supplier_account_reads_its_own_records_and_changes_nothing_of_the_shop():
    """The supplier role's permissions: its company, documents and purchase orders; no
    stock, no prices, no orders, no shoppers (the admin narrows every list to its own
    supplier besides, see tests/catalog/test_purchase_order_admin.py)."""
    permissions = ROLE_PERMISSIONS["supplier"]
    assert permissions == {
        "catalog.view_supplier",
        "catalog.add_qualificationdocument",
        "catalog.view_qualificationdocument",
        "catalog.view_purchaseorder",
        "catalog.confirm_purchaseorder",
        "catalog.view_purchaseorderline",
        "catalog.view_receiptdifference",
    }
    assert not any(name.startswith(("orders.", "customers.", "marketing.")) for name in permissions)


def test_sync_role_groups_restores_drifted_permissions():
    operator = Group.objects.get(name="operator")
    operator.permissions.add(Permission.objects.get(codename="change_user"))
    Group.objects.get(name="analyst").delete()

    sync_role_groups(django_apps)

    for role, names in ROLE_PERMISSIONS.items():
        assert _permission_names(Group.objects.get(name=role)) == names
    # Running it against the live registry leaves the registry as it was.
    assert django_apps.get_app_config("customers").models_module is not None
    assert django_apps.get_app_config("auth").models_module is not None


def test_sync_role_groups_rejects_an_unknown_permission(monkeypatch):
    monkeypatch.setitem(ROLE_PERMISSIONS, "operator", {"customers.fly_user"})

    with pytest.raises(LookupError, match=r"customers\.fly_user"):
        sync_role_groups(django_apps)


def test_a_migration_that_runs_before_other_apps_models_leaves_their_permissions_out():
    # A fresh database right after the first roles migration: no catalog or orders
    # models, so none of their permissions.
    Permission.objects.filter(content_type__app_label__in=["catalog", "orders"]).delete()
    early = MigrationLoader(connection).project_state([("customers", "0002_staff_roles")]).apps
    with pytest.raises(LookupError):
        sync_role_groups(early)

    sync_role_groups(early, strict=False)

    for role, names in ROLE_PERMISSIONS.items():
        expected = {name for name in names if name.split(".")[0] not in {"catalog", "orders"}}
        assert _permission_names(Group.objects.get(name=role)) == expected
    # The post_migrate sync at the end of migrate completes them.
    sync_role_groups(django_apps)
    for role, names in ROLE_PERMISSIONS.items():
        assert _permission_names(Group.objects.get(name=role)) == names


def test_an_unknown_permission_is_left_out_when_not_strict(monkeypatch):
    monkeypatch.setitem(ROLE_PERMISSIONS, "operator", {"customers.fly_user", "customers.view_user"})

    sync_role_groups(django_apps, strict=False)

    assert _permission_names(Group.objects.get(name="operator")) == {"customers.view_user"}


@pytest.mark.django_db(transaction=True)
def test_the_groups_are_complete_again_after_a_flush():
    # Every migrate and every flush ends with post_migrate: the groups follow the roles.
    call_command("flush", interactive=False, verbosity=0)

    for role, names in ROLE_PERMISSIONS.items():
        assert _permission_names(Group.objects.get(name=role)) == names


# --- Who gets into the admin -----------------------------------------------------------


@pytest.mark.parametrize("url", [ADMIN_INDEX, USER_CHANGELIST])
@pytest.mark.parametrize("role", sorted(roles.SUPPORT_ROLES))
def test_support_staff_are_sent_to_the_admin_login(client, role, url):
    agent = UserFactory(roles=[role])
    assert agent.is_staff
    client.force_login(agent)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{ADMIN_LOGIN}?next={url}"


def test_operator_sees_users_read_only(client):
    operator = UserFactory(roles=["operator"])
    shopper = UserFactory(display_name="顾客甲")
    client.force_login(operator)

    assert client.get(ADMIN_INDEX).status_code == 200
    changelist = client.get(USER_CHANGELIST)
    assert changelist.status_code == 200
    assert "顾客甲" in changelist.content.decode()
    assert client.get(USER_ADD).status_code == 403
    change_url = reverse("admin:customers_user_change", args=[shopper.pk])
    detail = client.get(change_url)
    assert detail.status_code == 200
    assert detail.context["has_change_permission"] is False
    response = client.post(change_url, {"display_name": "改名", "email": "x@example.com"})
    assert response.status_code == 403
    shopper.refresh_from_db()
    assert shopper.display_name == "顾客甲"


@pytest.mark.parametrize("role", ["warehouse", "analyst"])
def test_other_back_office_roles_get_into_the_admin_but_not_to_users(client, role):
    client.force_login(UserFactory(roles=[role]))

    assert client.get(ADMIN_INDEX).status_code == 200
    assert client.get(USER_CHANGELIST).status_code == 403


def test_a_shopper_cannot_open_the_admin(client):
    client.force_login(UserFactory())

    response = client.get(ADMIN_INDEX)

    assert response.status_code == 302
    assert response.url == f"{ADMIN_LOGIN}?next={ADMIN_INDEX}"


def test_staff_without_a_role_cannot_open_the_admin(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(ADMIN_INDEX).status_code == 302


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get(USER_CHANGELIST)

    assert response.status_code == 302
    assert response.url.startswith(ADMIN_LOGIN)


def test_a_superuser_can_open_the_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get(ADMIN_INDEX).status_code == 200
    assert client.get(USER_CHANGELIST).status_code == 200
    assert client.get(USER_ADD).status_code == 200


def test_an_inactive_operator_cannot_open_the_admin(client):
    operator = UserFactory(roles=["operator"], is_active=False)
    client.force_login(operator)

    assert client.get(ADMIN_INDEX).status_code == 302
