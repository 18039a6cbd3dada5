"""The feedback report in the back office: how shoppers rate and complain about each product
or supplier, month by month or quarter by quarter, and what they complain about most, so
operators know which goods and suppliers to act on (and to spot-check).

It combines the catalog's product reviews with customer service's tickets, so it lives
in analytics, above both. Figures are SQL aggregates in a fixed number of queries (six at most),
with a CSV download of either table. Readers need ``catalog.view_productreview`` and
``support.view_ticket`` (operators and analysts); the figures are
``analytics.selectors.feedback``'s.

Definitions (also shown on the page):

- reviews: product reviews written in the period, hidden ones included (each comes from
  a delivered order line, so its rating is a buyer's even when its words were hidden);
- average rating and the share of 1–2 star reviews among them;
- complaints: tickets of type "complaint" opened in the period about the product (the
  ticket's product), or, for tickets without a product, about an order containing it. A
  complaint about an order of three products counts once for each of them, so the rows
  may add up to more than the number of complaints;
- complaint categories: the tickets' categories, over all complaints of the period and
  per supplier.
"""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.support.models import Ticket
from mall.reports import csv_response

from ..selectors.feedback import (
    BUCKETS,
    BY_PRODUCT,
    GROUPINGS,
    MONTH,
    feedback_report,
)

PERMISSIONS = ("catalog.view_productreview", "support.view_ticket")
# Rows where at least this share of reviews gave 1–2 stars are highlighted on the page.
ALERT_LOW_SHARE = 20
MAX_DAYS = 731


# --- The page -----------------------------------------------------------------------------


class FeedbackReportForm(forms.Form):
    by = forms.ChoiceField(label=pgettext_lazy("report", "by"), choices=list(GROUPINGS.items()))
    bucket = forms.ChoiceField(label=_("per"), choices=list(BUCKETS.items()))
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        if start and end and (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most two years."))
        return data


def default_params() -> dict:
    """The last six months, this one included, by product and month."""
    today = timezone.localdate()
    month = today.month - 5
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return {"by": BY_PRODUCT, "bucket": MONTH, "start": datetime.date(year, month, 1), "end": today}


def _text(value) -> str:
    return "—" if value is None else str(value)


def _main_columns(by: str) -> list[tuple[str, object]]:
    columns = [(str(GROUPINGS[by]), lambda row: row.label)]
    if by == BY_PRODUCT:
        columns.append((str(_("supplier")), lambda row: row.supplier))
    columns += [
        (str(_("period")), lambda row: row.period_label),
        (str(_("reviews")), lambda row: row.reviews),
        (str(_("average rating")), lambda row: row.average),
        (str(_("1–2 star reviews (%)")), lambda row: row.low_share),
        (str(_("complaints")), lambda row: row.complaints),
    ]
    return columns


def _review_list_url(by: str, key: int) -> str:
    parameter = "product__id__exact" if by == BY_PRODUCT else "product__supplier__id__exact"
    return f"{reverse('admin:catalog_productreview_changelist')}?{parameter}={key}"


def feedback_report_view(request):
    if not request.user.has_perms(PERMISSIONS):
        raise PermissionDenied
    initial = default_params()
    form = FeedbackReportForm(request.GET if "by" in request.GET else None, initial=initial)
    params = form.cleaned_data if form.is_bound and form.is_valid() else initial
    report = feedback_report(**params)
    columns = _main_columns(report.by)
    category_choices = list(Ticket.Category.choices)
    stamp = f"{report.start:%Y%m%d}-{report.end:%Y%m%d}"
    if request.GET.get("format") == "csv":
        if request.GET.get("table") == "categories":
            header = [str(_("supplier")), str(_("complaints"))] + [
                str(label) for _value, label in category_choices
            ]
            rows = [
                [row.label, row.total, *row.in_order(category_choices)]
                for row in report.supplier_categories
            ]
            return csv_response(f"complaint-categories-{stamp}.csv", header, rows)
        header = [label for label, _value in columns]
        rows = [[value(row) for _label, value in columns] for row in report.rows]
        return csv_response(f"feedback-by-{report.by}-{report.bucket}-{stamp}.csv", header, rows)
    query = request.GET.copy()
    for name, value in params.items():
        query.setdefault(name, value)
    query["format"] = "csv"
    categories_query = query.copy()
    categories_query["table"] = "categories"
    context = {
        **admin.site.each_context(request),
        "title": _("Feedback report"),
        "form": form,
        "report": report,
        "columns": [label for label, _value in columns],
        "text_columns": 3 if report.by == BY_PRODUCT else 2,
        "rows": [
            {
                "cells": [_text(value(row)) for _label, value in columns],
                "url": _review_list_url(report.by, row.key) if row.reviews else None,
                "alert": row.low_share is not None and row.low_share >= ALERT_LOW_SHARE,
            }
            for row in report.rows
        ],
        "category_labels": [label for _value, label in category_choices],
        "supplier_rows": [
            {"label": row.label, "total": row.total, "counts": row.in_order(category_choices)}
            for row in report.supplier_categories
        ],
        "csv_url": "?" + query.urlencode(),
        "categories_csv_url": "?" + categories_query.urlencode(),
        "reviews_url": reverse("admin:catalog_productreview_changelist"),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/feedback_report.html", context)


admin.site.register_page(
    route="analytics/feedback-report/",
    view=feedback_report_view,
    name="analytics_feedback_report",
    label=_("Feedback report"),
    section=_("Customer feedback"),
    permission=PERMISSIONS,
)
