"""Staff roles: one Django group per role, holding exactly the permissions it needs.

``ROLE_PERMISSIONS`` is the one place that says who may do what. The groups are created
and kept equal to it by data migrations that call ``sync_role_groups``; an issue that adds
models adds their permissions here and a migration that calls it again.
"""

OPERATOR = "operator"
WAREHOUSE = "warehouse"
SUPPORT_AGENT = "support_agent"
SUPPORT_SUPERVISOR = "support_supervisor"
ANALYST = "analyst"


def _perms(app_label: str, actions: str, *models: str) -> set[str]:
    """``_perms("catalog", "add change", "sku")`` -> {"catalog.add_sku", "catalog.change_sku"}."""
    return {f"{app_label}.{action}_{model}" for action in actions.split() for model in models}


ROLE_PERMISSIONS: dict[str, set[str]] = {
    OPERATOR: {
        # Operators look shoppers up (orders and complaints lead to them) but do not edit them.
        "customers.view_user",
        "customers.view_address",
        # Goods admission and listings. Nothing there is deleted but words and photos:
        # suppliers and goods leave through transitions, which keep their history.
        *_perms(
            "catalog",
            "add change view",
            "supplier",
            "qualificationdocument",
            "category",
            "categoryattribute",
            "product",
            "sku",
            "productimage",
            "prohibitedword",
            "spotcheck",
        ),
        *_perms("catalog", "delete", "prohibitedword", "productimage"),
        # Prices change only through requests; a big one needs a second operator.
        *_perms("catalog", "add view approve", "pricechange"),
        *_perms("catalog", "view", "skuprice"),
        # Stock changes only through the inventory services, which write the ledger.
        *_perms("catalog", "view", "warehouse", "stock", "stockmovement", "reservation"),
        *_perms("catalog", "adjust transfer", "stock"),
        "catalog.view_stock_reports",
        *_perms("catalog", "view change", "stockdiscrepancy"),
        *_perms("catalog", "add change view approve", "stocktake"),
        *_perms("catalog", "view change", "stocktakeline"),
        *_perms("catalog", "add view", "purchasereceipt", "purchasereceiptline"),
        # Orders are read here; they change through their services only: risk review
        # and cancellation (with its refund) are the operators' actions.
        *_perms("orders", "view", "order", "orderline", "payment", "paymentnotification"),
        *_perms("orders", "review cancel", "order"),
        *_perms("orders", "add change view delete", "blockedcontact"),
        *_perms("orders", "view", "refund"),
        *_perms("orders", "add change view", "flashsale"),
        *_perms("orders", "view", "flashsaleclaim"),
        # Fulfilment is followed here; logistics exceptions are resolved here (reship,
        # refund, claim); after-sales cases are read (agents decide them).
        *_perms("orders", "view", "shipment", "shipmentline", "trackingevent"),
        *_perms("orders", "view change", "logisticscase"),
        *_perms("orders", "view", "aftersalescase", "aftersalesline"),
        # The knowledge base and the product reviews are kept by operators; the
        # feedback report reads tickets.
        *_perms("customers", "add change view", "faqcategory", "faqarticle"),
        *_perms("catalog", "view change moderate", "productreview"),
        *_perms("catalog", "view", "reviewphoto"),
        *_perms("customers", "view", "ticket"),
    },
    WAREHOUSE: {
        *_perms("catalog", "view", "warehouse", "stock", "stockmovement", "product", "sku"),
        *_perms("catalog", "view", "reservation", "stockdiscrepancy", "stocktake"),
        "catalog.transfer_stock",
        # Warehouse staff count (enter quantities) and receive deliveries.
        *_perms("catalog", "view change", "stocktakeline"),
        *_perms("catalog", "add view", "purchasereceipt", "purchasereceiptline"),
        *_perms("orders", "view", "order", "orderline"),
        # Pick, pack and ship; receive and inspect what shoppers send back.
        *_perms("orders", "view", "shipment", "shipmentline", "trackingevent"),
        *_perms("orders", "pack ship", "shipment"),
        *_perms("orders", "view inspect", "aftersalescase"),
        *_perms("orders", "view", "aftersalesline"),
    },
    # Support staff work in the ticket view (/support/), not the admin: these permissions
    # are checked there.
    SUPPORT_AGENT: {
        *_perms("orders", "view", "order", "orderline", "shipment", "trackingevent"),
        *_perms("orders", "view decide", "aftersalescase"),
        *_perms("orders", "view", "aftersalesline", "logisticscase"),
        # Tickets are worked in the ticket view; good answers become draft articles.
        *_perms("customers", "view work", "ticket"),
        *_perms("customers", "view", "faqcategory", "faqarticle", "followup"),
        *_perms("customers", "add", "faqarticle"),
    },
    SUPPORT_SUPERVISOR: {
        *_perms("orders", "view", "order", "orderline", "shipment", "trackingevent"),
        *_perms("orders", "view decide", "aftersalescase"),
        *_perms("orders", "view", "aftersalesline", "logisticscase"),
        # Everything an agent does, plus every agent's figures, reassigning, the full
        # contact details, and the service targets.
        *_perms("customers", "view work supervise", "ticket"),
        "customers.see_contact_details",
        *_perms("customers", "view change", "servicetarget"),
        *_perms("customers", "view", "faqcategory", "faqarticle", "followup", "ticketbreach"),
        *_perms("customers", "add", "faqarticle"),
    },
    ANALYST: {
        *_perms(
            "catalog",
            "view",
            "product",
            "sku",
            "supplier",
            "category",
            "skuprice",
            "pricechange",
            "stock",
            "stockmovement",
            "purchasereceipt",
        ),
        "catalog.view_stock_reports",
        *_perms("orders", "view", "order", "orderline", "shipment", "logisticscase"),
        *_perms("orders", "view", "aftersalescase"),
        *_perms("catalog", "view", "productreview"),
        *_perms("customers", "view", "ticket"),
    },
}

# Roles that work in the Django admin; support roles work in the ticket view instead.
BACK_OFFICE_ROLES = {OPERATOR, WAREHOUSE, ANALYST}
SUPPORT_ROLES = {SUPPORT_AGENT, SUPPORT_SUPERVISOR}


def _role_names(user) -> set[str]:
    # Cached on the user object: templates and checks ask several times per request.
    if not hasattr(user, "_mall_role_names"):
        user._mall_role_names = set(user.groups.values_list("name", flat=True))
    return user._mall_role_names


def has_role(user, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    return bool(_role_names(user) & set(roles))


def is_back_office(user) -> bool:
    return user.is_superuser or has_role(user, *BACK_OFFICE_ROLES)


def sync_role_groups(apps) -> None:
    """Create every role group and set its permissions to exactly ``ROLE_PERMISSIONS``.

    Takes an app registry (a migration's ``apps`` or ``django.apps.apps``) and creates
    missing permissions first, since Django only creates them after ``migrate`` ends.
    Raises ``LookupError`` for a permission that names no model, so a typo fails loudly.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # create_permissions skips app configs without a models module, which is every
        # config of a migration's registry; restore the value so a live registry is intact.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        try:
            create_permissions(app_config, verbosity=0)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for name in sorted(names):
            app_label, codename = name.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None:
                raise LookupError(f"Role {role!r} names an unknown permission {name!r}.")
            permissions.append(found)
        group.permissions.set(permissions)
