"""The catalog's queues on the back-office home (``admin.site.register_queue``): what waits
for a decision of the person looking, one COUNT query each."""

import datetime

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    PriceChange,
    Product,
    ProductStatusChange,
    QualificationDocument,
    Stocktake,
    Supplier,
    SupplierStatusChange,
)
from mall.approval import asked_by


def goods_to_review(request) -> int:
    return (
        Product.objects.filter(status=Product.Status.SUBMITTED)
        .annotate(asked_by_id=asked_by(ProductStatusChange, "submit"))
        .exclude(asked_by_id=request.user.pk)
        .count()
    )


def suppliers_to_approve(request) -> int:
    return (
        Supplier.objects.filter(status=Supplier.Status.UNDER_REVIEW)
        .annotate(asked_by_id=asked_by(SupplierStatusChange, "start_review"))
        .exclude(asked_by_id=request.user.pk)
        .count()
    )


def supplier_applications(request) -> int:
    return Supplier.objects.filter(status=Supplier.Status.APPLIED).count()


def prices_to_approve(request) -> int:
    pending = PriceChange.objects.filter(status=PriceChange.Status.PENDING)
    return pending.exclude(requested_by=request.user).count()


def stocktakes_to_approve(request) -> int:
    return Stocktake.objects.filter(status=Stocktake.Status.SUBMITTED).count()


def _expiry_window():
    today = timezone.localdate()
    return today, today + datetime.timedelta(days=settings.MALL_DOCUMENT_EXPIRY_WARNING_DAYS)


def expiring_documents(request) -> int:
    today, until = _expiry_window()
    return QualificationDocument.objects.filter(valid_to__gte=today, valid_to__lte=until).count()


def expiring_documents_url(request) -> str:
    today, until = _expiry_window()
    return (
        reverse("admin:catalog_qualificationdocument_changelist")
        + f"?valid_to__gte={today.isoformat()}&valid_to__lte={until.isoformat()}"
    )


for label, count, url, permission in (
    (
        _("Goods to review"),
        goods_to_review,
        "admin:catalog_product_changelist?approval=mine",
        "catalog.change_product",
    ),
    (
        _("Supplier applications to review"),
        supplier_applications,
        "admin:catalog_supplier_changelist?status__exact=applied",
        "catalog.change_supplier",
    ),
    (
        _("Suppliers awaiting my approval"),
        suppliers_to_approve,
        "admin:catalog_supplier_changelist?approval=mine",
        "catalog.change_supplier",
    ),
    (
        _("Price changes awaiting my approval"),
        prices_to_approve,
        "admin:catalog_pricechange_changelist?approval=mine",
        "catalog.approve_pricechange",
    ),
    (
        _("Stocktakes to approve"),
        stocktakes_to_approve,
        "admin:catalog_stocktake_changelist?status__exact=submitted",
        "catalog.approve_stocktake",
    ),
    (
        _("Documents expiring soon"),
        expiring_documents,
        expiring_documents_url,
        "catalog.view_qualificationdocument",
    ),
):
    admin.site.register_queue(label=label, count=count, url=url, permission=permission)
