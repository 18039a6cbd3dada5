"""A database made by the previous release migrates forward with its data intact.

The previous release had no ``support`` or ``marketing`` app: tickets, the FAQ and the
other customer-service models lived in ``customers``, flash sales in ``orders``. The
restructuring moved them by migration *state* only (``SeparateDatabaseAndState``, the
tables keep their names through ``Meta.db_table``) and moved their ``django_content_type``
rows with a ``RunPython``, so that the permissions groups hold keep working.

This test builds such a database for real, in a scratch PostgreSQL database on the test
server: it migrates to the previous release's migration leaves, fills it with a realistic
set of rows (shopper, agent, goods, stock with its ledger, an order, a ticket on it, the
FAQ, a flash sale claimed by that order, a group holding permissions on the moved models),
migrates forward with ``manage.py migrate`` and checks everything with the current models.

The rows are written with the *historical* models of the previous release's migration
state (``loader.project_state(targets).apps``), not the current models, factories or
services: the current ones describe the new state (``support.Ticket``, fields added
later, services that expect the new apps) and would write a database the previous release
never made. Content types and permissions are created as that release's ``migrate`` did
at its end (its post_migrate ``create_contenttypes``/``create_permissions``, run on the
historical registry). Each phase runs in its own ``python`` process, because Django is
configured once per process and must point at the scratch database; the phases hand
their findings back as JSON on stdout.

Without the content-type ``RunPython`` of support's and marketing's 0001 the upgrade would
still run, but ``migrate``'s post_migrate would make new ``support``/``marketing`` content
types with new ids and new permissions, and the group would keep holding the old
``customers.*``/``orders.*`` ones: the content-type id and group checks below fail then.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
from psycopg2 import sql

from mall.roles import ROLE_PERMISSIONS

REPO = Path(__file__).resolve().parents[2]

# The previous release's migration leaves; it had no support or marketing app at all, and
# analytics had no models (so no migrations) yet.
PREVIOUS_LEAVES = {
    "customers": "0016_ticket_paused_minutes",
    "catalog": "0007_review_moderation_history",
    "orders": "0011_refund_field_labels",
}
NEW_APPS = ("support", "marketing", "ops", "analytics")

MOVED_TO_SUPPORT = [
    "faqcategory",
    "faqarticle",
    "servicetarget",
    "ticket",
    "followup",
    "ticketbreach",
    "ticketmessage",
    "ticketattachment",
    "ticketstatuschange",
]
MOVED_TO_MARKETING = ["flashsale", "flashsaleclaim"]

# The permissions the group holds, by their names before and after the move.
GROUP_PERMISSIONS_BEFORE = [
    "customers.view_ticket",
    "customers.work_ticket",
    "orders.view_flashsale",
]
GROUP_PERMISSIONS_AFTER = ["marketing.view_flashsale", "support.view_ticket", "support.work_ticket"]

# Tables whose rows must all survive (the moved models' tables keep their old names).
TABLES = [
    "customers_user",
    "auth_group",
    "customers_user_groups",
    "catalog_supplier",
    "catalog_category",
    "catalog_product",
    "catalog_sku",
    "catalog_warehouse",
    "catalog_stock",
    "catalog_stockmovement",
    "catalog_reservation",
    "orders_order",
    "orders_orderline",
    "customers_ticket",
    "customers_ticketmessage",
    "customers_ticketstatuschange",
    "customers_faqcategory",
    "customers_faqarticle",
    "orders_flashsale",
    "orders_flashsaleclaim",
]

RESULT_MARKER = "UPGRADE-RESULT "


# --- Run in the subprocesses (Django configured against the scratch database) -----------


def _emit(result: dict) -> None:
    print(RESULT_MARKER + json.dumps(result, default=str), flush=True)


def _table_counts() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (fixed names)
            counts[table] = cursor.fetchone()[0]
    return counts


def _previous_release_targets(loader) -> list[tuple[str, str | None]]:
    targets = []
    for app_label, leaf in sorted(loader.graph.leaf_nodes()):
        if app_label in NEW_APPS:
            targets.append((app_label, None))
        else:
            targets.append((app_label, PREVIOUS_LEAVES.get(app_label, leaf)))
    return targets


def seed_previous_release() -> None:
    """Migrate the empty scratch database to the previous release and fill it through that
    release's historical models. Prints the ids and key fields of what it made."""
    import datetime
    from decimal import Decimal

    import django

    django.setup()

    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    executor = MigrationExecutor(connection)
    targets = _previous_release_targets(executor.loader)
    executor.migrate(targets)
    executor.loader.build_graph()
    applied = sorted(f"{app}.{name}" for app, name in executor.loader.applied_migrations)
    old = executor.loader.project_state([t for t in targets if t[1] is not None]).apps

    # What the previous release's `migrate` did at its end (post_migrate): content types
    # and permissions of its models, custom ones (Ticket's work_ticket) included.
    for app_config in global_apps.get_app_configs():
        if app_config.models_module is not None:
            create_contenttypes(app_config, verbosity=0, apps=old)
            create_permissions(app_config, verbosity=0, apps=old)

    def model(label):
        return old.get_model(label)

    now = timezone.now()
    User = model("customers.User")
    shopper = User.objects.create(
        email="shopper@example.com", phone="13800138000", password="!", display_name="Li Lei"
    )
    agent = User.objects.create(
        email="agent@example.com", password="!", display_name="Agent Han", is_staff=True
    )

    supplier = model("catalog.Supplier").objects.create(
        name="Hangzhou Tea Co.",
        credit_code="91330100MA27XYZ12K",
        contact_name="Wang",
        contact_phone="13900139000",
        contact_email="",
        address="",
        status="approved",
    )
    category = model("catalog.Category").objects.create(name="茶叶", name_en="Tea", slug="tea")
    product = model("catalog.Product").objects.create(
        supplier=supplier,
        category=category,
        name="Longjing 250 g",
        subtitle="",
        brand="",
        description="",
        origin="",
        usage="",
        after_sales_terms="",
        video="",
        status="listed",
        listed_at=now,
    )
    sku = model("catalog.SKU").objects.create(
        product=product, code="LJ-250", barcode="", weight_grams=300
    )
    warehouse = model("catalog.Warehouse").objects.create(
        code="hz-1", name="Hangzhou 1", province="浙江省", city="杭州市"
    )
    stock = model("catalog.Stock").objects.create(sku=sku, warehouse=warehouse, on_hand=7)
    StockMovement = model("catalog.StockMovement")
    movements = [
        StockMovement.objects.create(
            stock=stock, kind="receipt", quantity=10, reason="", reference="PR-1"
        ),
        StockMovement.objects.create(
            stock=stock,
            kind="reservation",
            quantity=0,
            reserved_change=3,
            reason="",
            reference="M0001",
        ),
        StockMovement.objects.create(
            stock=stock,
            kind="sale",
            quantity=-3,
            reserved_change=-3,
            reason="",
            reference="M0001",
        ),
    ]
    reservation = model("catalog.Reservation").objects.create(
        stock=stock, quantity=3, reference="M0001", status="consumed", closed_at=now
    )

    order = model("orders.Order").objects.create(
        number="M0001",
        user=shopper,
        status="completed",
        recipient="Li Lei",
        mobile="13800138000",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        street="1 Tea Road",
        postal_code="",
        shipping_method="standard",
        goods_total=Decimal("45.00"),
        shipping_fee=Decimal("8.00"),
        total=Decimal("53.00"),
        invoice_title="",
        tax_number="",
        idempotency_key="key-1",
        pay_by=now + datetime.timedelta(minutes=30),
        delivered_at=now,
    )
    line = model("orders.OrderLine").objects.create(
        order=order,
        sku=sku,
        product_name=product.name,
        sku_code=sku.code,
        sku_label="",
        image="",
        unit_price=Decimal("15.00"),
        quantity=3,
        line_total=Decimal("45.00"),
        reservation=reservation,
    )

    ticket = model("customers.Ticket").objects.create(
        number="T0001",
        type="complaint",
        category="quality",
        priority="high",
        status="assigned",
        subject="The tea arrived crushed",
        first_response_due=now + datetime.timedelta(hours=1),
        resolution_due=now + datetime.timedelta(days=1),
        rating_comment="",
        shopper=shopper,
        assignee=agent,
        order=order,
        product=product,
    )
    message = model("customers.TicketMessage").objects.create(
        ticket=ticket, author=shopper, body="Half of the leaves are dust."
    )
    status_change = model("customers.TicketStatusChange").objects.create(
        subject=ticket,
        transition="assign",
        from_state="new",
        to_state="assigned",
        actor=agent,
        reason="",
    )
    faq_category = model("customers.FaqCategory").objects.create(
        name="配送", name_en="Delivery", slug="delivery"
    )
    article = model("customers.FaqArticle").objects.create(
        category=faq_category,
        title="货物破损怎么办？",
        title_en="What if my parcel arrives damaged?",
        body="请在七天内联系客服。",
        body_en="Contact us within seven days.",
        status="published",
        source_ticket=ticket,
        created_by=agent,
    )

    flash_sale = model("orders.FlashSale").objects.create(
        sku=sku,
        price=Decimal("15.00"),
        quantity=5,
        per_shopper_limit=3,
        sold=3,
        starts_at=now - datetime.timedelta(days=2),
        ends_at=now - datetime.timedelta(days=1),
        created_by=agent,
    )
    claim = model("orders.FlashSaleClaim").objects.create(
        flash_sale=flash_sale, user=shopper, order=order, quantity=3
    )

    ContentType = model("contenttypes.ContentType")
    Permission = model("auth.Permission")
    Group = model("auth.Group")
    permissions = []
    for name in GROUP_PERMISSIONS_BEFORE:
        app_label, codename = name.split(".")
        permissions.append(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    group = Group.objects.create(name="upgrade check: ticket desk")
    group.permissions.set(permissions)
    agent.groups.add(group)

    def content_type_ids(app_label, names):
        return dict(
            ContentType.objects.filter(app_label=app_label, model__in=names).values_list(
                "model", "id"
            )
        )

    _emit(
        {
            "applied": applied,
            "shopper": shopper.pk,
            "agent": agent.pk,
            "product": product.pk,
            "sku": sku.pk,
            "stock": {"id": stock.pk, "on_hand": stock.on_hand},
            "movements": [m.pk for m in movements],
            "reservation": reservation.pk,
            "order": {"id": order.pk, "number": order.number, "total": str(order.total)},
            "line": line.pk,
            "ticket": {"id": ticket.pk, "number": ticket.number, "subject": ticket.subject},
            "message": message.pk,
            "status_change": status_change.pk,
            "faq_category": faq_category.pk,
            "article": {"id": article.pk, "title": article.title},
            "flash_sale": {"id": flash_sale.pk, "sold": flash_sale.sold},
            "claim": claim.pk,
            "group": group.pk,
            "group_permission_ids": sorted(p.pk for p in permissions),
            "support_content_types": content_type_ids("customers", MOVED_TO_SUPPORT),
            "marketing_content_types": content_type_ids("orders", MOVED_TO_MARKETING),
            "counts": _table_counts(),
        }
    )


def inspect_current_release() -> None:
    """After the upgrade: read everything back through the current models and report."""
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder
    from django.db.models import Sum

    from catalog.models import Stock
    from customers.support.models import FaqArticle, Ticket
    from marketing.models import FlashSale, FlashSaleClaim
    from orders.models import Order

    ticket = Ticket.objects.get(number="T0001")
    order = Order.objects.get(number="M0001")
    stock = Stock.objects.get(sku__code="LJ-250")
    article = FaqArticle.objects.get(category__slug="delivery")
    flash_sale = FlashSale.objects.get(sku__code="LJ-250")
    claim = FlashSaleClaim.objects.get(flash_sale=flash_sale)
    group = Group.objects.get(name="upgrade check: ticket desk")
    agent = get_user_model().objects.get(email="agent@example.com")

    def content_types(app_label, names):
        return dict(
            ContentType.objects.filter(app_label=app_label, model__in=names).values_list(
                "model", "id"
            )
        )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass('customers_ticket') IS NOT NULL, "
            "to_regclass('orders_flashsale') IS NOT NULL, "
            "to_regclass('support_ticket') IS NOT NULL, "
            "to_regclass('marketing_flashsale') IS NOT NULL"
        )
        tables = dict(
            zip(
                ["customers_ticket", "orders_flashsale", "support_ticket", "marketing_flashsale"],
                cursor.fetchone(),
                strict=True,
            )
        )

    _emit(
        {
            "applied": sorted(
                f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
            ),
            "ticket": {
                "id": ticket.pk,
                "number": ticket.number,
                "subject": ticket.subject,
                "order": ticket.order_id,
                "shopper": ticket.shopper_id,
                "assignee": ticket.assignee_id,
                "messages": list(ticket.messages.values_list("pk", flat=True)),
                "timeline": list(ticket.timeline.values_list("pk", flat=True)),
            },
            "article": {
                "id": article.pk,
                "title": article.title,
                "category": article.category_id,
                "source_ticket": article.source_ticket_id,
            },
            "flash_sale": {"id": flash_sale.pk, "sold": flash_sale.sold, "sku": flash_sale.sku_id},
            "claim": {"id": claim.pk, "order": claim.order_id, "flash_sale": claim.flash_sale_id},
            "order": {
                "id": order.pk,
                "number": order.number,
                "total": str(order.total),
                "lines": list(order.lines.values_list("pk", "reservations", "sku_id")),
                "tickets": list(order.tickets.values_list("pk", flat=True)),
                "flash_claim": order.flash_claim.pk,
            },
            # The delivery details, written in clear by the old release, are encrypted
            # by the migration and read back the same.
            "order_contact": [order.mobile, order.street, order.mobile_index != ""],
            "order_contact_stored": _stored_contact(connection, order.pk),
            "stock": {
                "id": stock.pk,
                "on_hand": stock.on_hand,
                "reserved": stock.reserved,
                "movements": list(stock.movements.values_list("pk", flat=True)),
                "ledger_sum": stock.movements.aggregate(total=Sum("quantity"))["total"],
                "ledger_reserved_sum": stock.movements.aggregate(total=Sum("reserved_change"))[
                    "total"
                ],
            },
            "model_content_types": {
                "ticket": ContentType.objects.get_for_model(Ticket).pk,
                "flashsale": ContentType.objects.get_for_model(FlashSale).pk,
            },
            "support_content_types": content_types("support", MOVED_TO_SUPPORT),
            "marketing_content_types": content_types("marketing", MOVED_TO_MARKETING),
            "left_behind": list(
                ContentType.objects.filter(
                    app_label="customers", model__in=MOVED_TO_SUPPORT
                ).values_list("app_label", "model")
            )
            + list(
                ContentType.objects.filter(
                    app_label="orders", model__in=MOVED_TO_MARKETING
                ).values_list("app_label", "model")
            ),
            "group_permissions": sorted(
                f"{app_label}.{codename}"
                for app_label, codename in Permission.objects.filter(group=group).values_list(
                    "content_type__app_label", "codename"
                )
            ),
            "group_permission_ids": sorted(group.permissions.values_list("pk", flat=True)),
            "role_groups": {
                role: sorted(
                    f"{app_label}.{codename}"
                    for app_label, codename in Permission.objects.filter(
                        group__name=role
                    ).values_list("content_type__app_label", "codename")
                )
                for role in ROLE_PERMISSIONS
            },
            "agent_has_perm": {
                name: agent.has_perm(name)
                for name in [*GROUP_PERMISSIONS_AFTER, *GROUP_PERMISSIONS_BEFORE]
            },
            "tables": tables,
            "counts": _table_counts(),
        }
    )


# --- The test ------------------------------------------------------------------------------


def _run_python(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (
        f"python {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )
    return proc.stdout


def _run_phase(env: dict[str, str], function: str) -> dict:
    stdout = _run_python(env, "-c", f"import tests.ops.test_upgrade as t; t.{function}()")
    results = [line for line in stdout.splitlines() if line.startswith(RESULT_MARKER)]
    assert len(results) == 1, stdout
    return json.loads(results[0].removeprefix(RESULT_MARKER))


@pytest.fixture
def scratch_database_url():
    """A new, empty database on the test server, dropped afterwards whatever happened."""
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    name = f"upgrade_{secrets.token_hex(6)}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield parts._replace(path=f"/{name}").geturl()
        finally:
            with admin.cursor() as cursor:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    finally:
        admin.close()


def _stored_contact(connection, pk) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile, street FROM orders_order WHERE id = %s", [pk])
        return [value[:5] for value in cursor.fetchone()]


def test_previous_release_database_upgrades_with_its_data_and_permissions(
    scratch_database_url,
):
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url,
        "DJANGO_SETTINGS_MODULE": "mall.settings",
        "DB_CONN_MAX_AGE": "0",
    }

    before = _run_phase(env, "seed_previous_release")
    # The scratch database really is the previous release's: none of the moves applied.
    assert "customers.0016_ticket_paused_minutes" in before["applied"]
    assert not {
        "customers.0017_customer_service_moves_to_support",
        "orders.0012_flash_sales_move_to_marketing",
        "support.0001_initial",
        "marketing.0001_initial",
    } & set(before["applied"])
    assert set(before["support_content_types"]) == set(MOVED_TO_SUPPORT)
    assert set(before["marketing_content_types"]) == set(MOVED_TO_MARKETING)
    assert len(before["group_permission_ids"]) == len(GROUP_PERMISSIONS_BEFORE)

    # The upgrade, as it is run in production (post_migrate receivers included).
    _run_python(env, "manage.py", "migrate", "--no-input")

    after = _run_phase(env, "inspect_current_release")
    assert {
        "customers.0017_customer_service_moves_to_support",
        "orders.0012_flash_sales_move_to_marketing",
        "support.0001_initial",
        "marketing.0001_initial",
    } <= set(after["applied"])

    # Not a row lost or added: the tables were kept, not recreated.
    assert after["counts"] == before["counts"]
    assert after["tables"] == {
        "customers_ticket": True,
        "orders_flashsale": True,
        "support_ticket": False,
        "marketing_flashsale": False,
    }

    # Orders and the stock ledger.
    assert after["order_contact"] == ["13800138000", "1 Tea Road", True]
    assert after["order_contact_stored"] == ["enc1:", "enc1:"]
    assert after["order"] == {
        "id": before["order"]["id"],
        "number": before["order"]["number"],
        "total": before["order"]["total"],
        "lines": [[before["line"], before["reservation"], before["sku"]]],
        "tickets": [before["ticket"]["id"]],
        "flash_claim": before["claim"],
    }
    assert after["stock"] == {
        "id": before["stock"]["id"],
        "on_hand": before["stock"]["on_hand"],
        "reserved": 0,
        "movements": before["movements"],
        "ledger_sum": before["stock"]["on_hand"],
        "ledger_reserved_sum": 0,
    }

    # Tickets, now support's, with their order, messages and timeline.
    assert after["ticket"] == {
        **before["ticket"],
        "order": before["order"]["id"],
        "shopper": before["shopper"],
        "assignee": before["agent"],
        "messages": [before["message"]],
        "timeline": [before["status_change"]],
    }
    assert after["article"] == {
        **before["article"],
        "category": before["faq_category"],
        "source_ticket": before["ticket"]["id"],
    }

    # Flash sales, now marketing's, with the claim on the order.
    assert after["flash_sale"] == {**before["flash_sale"], "sku": before["sku"]}
    assert after["claim"] == {
        "id": before["claim"],
        "order": before["order"]["id"],
        "flash_sale": before["flash_sale"]["id"],
    }

    # The content types moved with their ids (no orphans, no duplicates), so the
    # permissions pointing at them, and the groups holding those, followed.
    assert after["support_content_types"] == before["support_content_types"]
    assert after["marketing_content_types"] == before["marketing_content_types"]
    assert after["left_behind"] == []
    assert after["model_content_types"] == {
        "ticket": before["support_content_types"]["ticket"],
        "flashsale": before["marketing_content_types"]["flashsale"],
    }
    assert after["group_permission_ids"] == before["group_permission_ids"]
    assert after["group_permissions"] == GROUP_PERMISSIONS_AFTER
    assert after["agent_has_perm"] == {
        **dict.fromkeys(GROUP_PERMISSIONS_AFTER, True),
        **dict.fromkeys(GROUP_PERMISSIONS_BEFORE, False),
    }
    # The role groups were completed by the post_migrate sync with the moved models'
    # permissions under their new names.
    assert after["role_groups"] == {role: sorted(names) for role, names in ROLE_PERMISSIONS.items()}
