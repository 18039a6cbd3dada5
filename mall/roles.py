"""Staff roles: one Django group per role, holding exactly the permissions it needs.

``ROLE_PERMISSIONS`` is the one place that says who may do what. The groups are created
and kept equal to it by ``sync_role_groups``, which runs after every ``migrate`` (a
``post_migrate`` receiver): an issue that adds models adds their permissions here, and
nothing else. (The data migrations that called it before that receiver existed stay, but
leave out permissions of models not migrated yet.)
"""

OPERATOR = "operator"
WAREHOUSE = "warehouse"
SUPPORT_AGENT = "support_agent"
SUPPORT_SUPERVISOR = "support_supervisor"
ANALYST = "analyst"
# A supplier's own people: they work on their own supplier's records only (purchase
# orders to confirm or amend, qualification documents to renew); the admin and the
# services narrow every query to the supplier the account belongs to.
SUPPLIER = "supplier"
# Security staff: read the audit trail, backups and drills; record incidents.
SECURITY = "security"
# Managers: steer by the KPIs and set the targets.
MANAGER = "manager"


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
        *_perms("catalog", "add change delete view", "searchsynonym"),
        # Stock changes only through the inventory services, which write the ledger.
        *_perms("catalog", "view", "warehouse", "stock", "stockmovement", "reservation"),
        *_perms("catalog", "adjust transfer", "stock"),
        "catalog.view_stock_reports",
        *_perms("catalog", "view change", "stockdiscrepancy"),
        *_perms("catalog", "add change view approve", "stocktake"),
        *_perms("catalog", "view change", "stocktakeline"),
        *_perms("catalog", "add view", "purchasereceipt", "purchasereceiptline"),
        # Purchase orders are drafted (from the replenishment list or by hand), sent and
        # received here (as purchase receipts are); a supplier's amendment is accepted
        # here. Supplier re-review tasks, low-stock alerts, holidays and the cycle counts
        # are worked here too.
        *_perms("catalog", "add change view send confirm receive", "purchaseorder"),
        *_perms("catalog", "view", "purchaseorderline", "receiptdifference", "skucost"),
        *_perms("catalog", "view change", "rereviewtask", "lowstockalert"),
        *_perms("catalog", "add change view delete", "holiday"),
        "catalog.review_qualificationdocument",
        # Orders are read here; they change through their services only: risk review
        # and cancellation (with its refund) are the operators' actions.
        *_perms("orders", "view", "order", "orderline", "payment", "paymentnotification"),
        *_perms("orders", "review cancel", "order"),
        *_perms("orders", "add change view delete", "blockedcontact"),
        *_perms("orders", "view", "refund"),
        *_perms("marketing", "add change view", "flashsale"),
        *_perms("marketing", "view", "flashsaleclaim"),
        # Promotions are planned here; one deeper than MALL_PROMOTION_APPROVAL_DEPTH is
        # approved by a second operator (the service refuses the one who submitted it).
        *_perms("marketing", "add change view approve", "promotion"),
        *_perms("marketing", "view", "promotionstatuschange", "appliedoffer"),
        # Coupons: templates, grants (chosen shoppers, CSV lists), codes and their export.
        *_perms("marketing", "add change view grant", "coupontemplate"),
        *_perms("marketing", "view", "coupon", "couponbatch", "couponuse"),
        # Gift cards are issued with a reason; finance reads the liability report.
        *_perms("marketing", "add view", "giftcard"),
        *_perms("marketing", "view", "giftcardentry"),
        # Campaigns: drafted and run by operators, approved by a manager (four eyes).
        *_perms("marketing", "add change view watch", "campaign"),
        *_perms("marketing", "view", "campaignspend", "campaignstatuschange"),
        *_perms("marketing", "add change view", "channel", "channelagreement", "placement"),
        # Channel spend: entered or imported (booked on the campaign's budget).
        *_perms("marketing", "add view", "channelspend"),
        *_perms("marketing", "view", "channelspendimport"),
        "marketing.view_liability_report",
        # Membership: tiers and their benefits are set here; points move only through the
        # points services (an adjustment with its reason).
        *_perms("marketing", "add change view", "tier"),
        *_perms("marketing", "view change", "membership"),
        *_perms("marketing", "view", "tierchange", "pointsaccount", "pointsentry"),
        *_perms("marketing", "add adjust", "pointsentry"),
        # Fulfilment is followed here; logistics exceptions are resolved here (reship,
        # refund, claim); after-sales cases are read (agents decide them).
        *_perms("orders", "view", "shipment", "shipmentline", "trackingevent"),
        *_perms("orders", "view change", "logisticscase"),
        *_perms("orders", "view", "aftersalescase", "aftersalesline"),
        # The knowledge base and the product reviews are kept by operators; the
        # feedback report reads tickets.
        *_perms("support", "add change view", "faqcategory", "faqarticle"),
        # Macros (canned answers that also act) are kept with the FAQ.
        *_perms("support", "add change view delete", "macro"),
        *_perms("catalog", "view change moderate", "productreview"),
        *_perms("catalog", "view", "reviewphoto"),
        *_perms("support", "view", "ticket"),
        # Operators record incidents and read the backups' state.
        *_perms("ops", "add change view", "incident"),
        *_perms("ops", "view", "backup", "restoredrill"),
    },
    WAREHOUSE: {
        *_perms("catalog", "view", "warehouse", "stock", "stockmovement", "product", "sku"),
        *_perms("catalog", "view", "reservation", "stockdiscrepancy", "stocktake"),
        "catalog.transfer_stock",
        # Warehouse staff count (enter quantities) and receive deliveries.
        *_perms("catalog", "view change", "stocktakeline"),
        *_perms("catalog", "add view", "purchasereceipt", "purchasereceiptline"),
        *_perms("catalog", "view receive", "purchaseorder"),
        *_perms("catalog", "view", "purchaseorderline", "receiptdifference"),
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
        *_perms("support", "view work", "ticket"),
        *_perms("support", "view", "faqcategory", "faqarticle", "followup"),
        *_perms("support", "add", "faqarticle"),
        # A compensation coupon from the ticket view, with a reason (a daily limit each).
        "marketing.compensate_coupontemplate",
    },
    SUPPORT_SUPERVISOR: {
        *_perms("orders", "view", "order", "orderline", "shipment", "trackingevent"),
        *_perms("orders", "view decide", "aftersalescase"),
        *_perms("orders", "view", "aftersalesline", "logisticscase"),
        # Everything an agent does, plus every agent's figures, reassigning, the full
        # contact details, and the service targets.
        *_perms("support", "view work supervise", "ticket"),
        "support.see_contact_details",
        *_perms("support", "view change", "servicetarget"),
        *_perms("support", "view", "faqcategory", "faqarticle", "followup", "ticketbreach"),
        *_perms("support", "add", "faqarticle"),
        "marketing.compensate_coupontemplate",
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
        *_perms("support", "view", "ticket"),
        # Promotion and coupon figures, the gift-card liability.
        *_perms("marketing", "view", "promotion", "coupontemplate", "giftcard"),
        "marketing.view_liability_report",
        # The KPI dashboard, the targets and the data-quality checks (analytics).
        *_perms("analytics", "view", "dailykpi", "target", "qualitycheck"),
        "analytics.view_dashboard",
        # RFM segments; reports and segments exported (CSV/XLSX, by a job), without the
        # shoppers' mobile numbers and emails.
        *_perms("analytics", "view", "customerscore"),
        "analytics.export_report",
    },
    # Managers steer by the KPIs: they read what analysts read and set the targets.
    MANAGER: {
        # Campaigns: approved or rejected by a manager who did not write them.
        *_perms("marketing", "view approve watch", "campaign"),
        *_perms("marketing", "view", "campaignspend", "campaignstatuschange"),
        *_perms("marketing", "view", "channelspend", "channelspendimport"),
        *_perms("analytics", "view", "dailykpi", "target", "qualitycheck"),
        "analytics.view_dashboard",
        "analytics.set_target",
        *_perms("analytics", "view", "customerscore"),
        # Exports, with contact details (a segment as a coupon audience for marketing).
        "analytics.export_report",
        "analytics.export_contacts",
        "catalog.view_stock_reports",
        *_perms("orders", "view", "order", "orderline", "logisticscase"),
    },
    # Reads the audit trail and the row history (ops); changes nothing.
    SECURITY: {
        *_perms("ops", "view", "auditevent", "backup", "restoredrill"),
        "ops.view_row_history",
        *_perms("ops", "add change view", "incident"),
    },
}

ROLE_PERMISSIONS[SUPPLIER] = {
    # Their own supplier's record and documents (renewals go to review), their own
    # purchase orders (confirm or amend). The admin shows them nothing else.
    *_perms("catalog", "view", "supplier"),
    *_perms("catalog", "add view", "qualificationdocument"),
    *_perms("catalog", "view confirm", "purchaseorder"),
    *_perms("catalog", "view", "purchaseorderline", "receiptdifference"),
}

# Roles that work in the Django admin; support roles work in the ticket view instead.
BACK_OFFICE_ROLES = {OPERATOR, WAREHOUSE, ANALYST, SUPPLIER, SECURITY, MANAGER}
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


def sync_role_groups(apps, *, strict: bool = True) -> None:
    """Create every role group and set its permissions to exactly ``ROLE_PERMISSIONS``.

    Takes an app registry (a migration's ``apps`` or ``django.apps.apps``) and creates
    missing permissions first, since Django only creates them after ``migrate`` ends.
    Raises ``LookupError`` for a permission that names no model, so a typo fails loudly;
    with ``strict=False`` such names are left out instead (a migration runs while other
    apps' models may not exist yet; ``sync_after_migrate`` completes the groups).
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
    wanted = set().union(*ROLE_PERMISSIONS.values())
    existing = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.filter(
            content_type__app_label__in={name.split(".")[0] for name in wanted}
        ).values_list("pk", "content_type__app_label", "codename")
    }
    for role, names in ROLE_PERMISSIONS.items():
        unknown = sorted(names - existing.keys())
        if unknown and strict:
            raise LookupError(f"Role {role!r} names an unknown permission {unknown[0]!r}.")
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([existing[name] for name in names if name in existing])


def sync_after_migrate(sender, *, apps=None, **kwargs) -> None:
    """``post_migrate`` receiver: after every ``migrate`` (and every test flush) the role
    groups equal ``ROLE_PERMISSIONS``, whatever order the apps' migrations ran in. A
    permission of a model not migrated yet (``migrate`` to an older migration) is left
    out until the migration that creates it has run. (``flush`` sends no ``apps``: the
    live registry then.)"""
    if apps is None:
        from django.apps import apps
    sync_role_groups(apps, strict=False)
