"""Stock reports in the back office: stock value (by warehouse, by category), turnover and
days of supply, slow movers, and replenishment with suggested purchase quantities.

Pages for whoever holds ``catalog.view_stock_reports`` (analysts, operators; others get
403), listed on the admin index under "Stock reports". Each has a small filter form,
totals, pages of 50 rows and a CSV download of every row. The figures come from
``analytics.selectors.stock`` and, for replenishment, ``catalog.selectors.stock`` (computed
in SQL, a fixed number of queries per page).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Supplier, Warehouse
from catalog.selectors import stock as replenishment
from mall.reports import csv_response

from ..selectors import stock as stock_reports

PERMISSION = "catalog.view_stock_reports"
PER_PAGE = 50
SECTION = _("Stock reports")


# --- Cells ------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d")
    return str(value)


def _csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return str(value)


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable  # row -> the value (for the page and the CSV)
    numeric: bool = True
    link: Callable | None = None  # (row, context) -> URL or None
    missing: str = "—"  # shown when the value is None (e.g. "no cost")


def key(name):
    """A column value read from a dict row or an annotated object."""
    return lambda row: row[name] if isinstance(row, dict) else getattr(row, name)


def sku_code(row):
    return row.code


def product_name(row):
    return row.product.name


@dataclass
class ReportData:
    rows: object  # a queryset or a list
    totals: dict = field(default_factory=dict)
    extra_links: list = field(default_factory=list)  # (label, url)


# --- Filters ----------------------------------------------------------------------------------


class ReportFilterForm(forms.Form):
    days = forms.IntegerField(label=_("period (days)"), min_value=1, max_value=730)
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"), queryset=Warehouse.objects.all(), required=False
    )
    supplier = forms.ModelChoiceField(
        label=_("supplier"),
        queryset=Supplier.objects.filter(status=Supplier.Status.APPROVED),
        required=False,
    )
    low_only = forms.BooleanField(label=_("low stock only"), required=False)

    def __init__(self, data, *, fields, initial):
        super().__init__(data, initial=initial)
        for name in list(self.fields):
            if name not in fields:
                del self.fields[name]
        for name, value in initial.items():
            if name in self.fields:
                self.fields[name].required = self.fields[name].required and value is None

    def params(self) -> dict:
        if self.is_bound and self.is_valid():
            return {name: self.cleaned_data[name] for name in self.fields}
        return {name: self.initial.get(name) for name in self.fields}


# --- The reports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    description: str
    columns: list[Column]
    build: Callable  # (request, **params) -> ReportData
    filters: dict = field(default_factory=dict)  # field name -> default
    total_keys: tuple = ()  # the totals under each column (None: blank)

    @property
    def url_name(self):
        return f"analytics_stock_{self.slug.replace('-', '_')}"


def _value_columns(first: Column) -> list[Column]:
    return [
        first,
        Column(_("units"), key("units")),
        Column(_("value at cost"), key("value")),
        Column(_("SKUs"), key("skus")),
        Column(_("SKUs without cost"), key("skus_without_cost")),
        Column(_("units without cost (not valued)"), key("units_without_cost")),
    ]


VALUE_TOTALS = (None, "units", "value", "skus", "skus_without_cost", "units_without_cost")


def _warehouse_label(row):
    warehouse = row["warehouse"]
    label = f"{warehouse.name} ({warehouse.code})"
    return label if warehouse.is_active else f"{label} — {_('inactive')}"


def _category_label(row):
    return str(row["category"]) if row["top"] else f"    └ {row['category']}"


def _build_by_warehouse(request):
    rows, totals = stock_reports.stock_value_by_warehouse()
    return ReportData(rows, totals)


def _build_by_category(request, *, warehouse):
    rows, totals = stock_reports.stock_value_by_category(warehouse=warehouse)
    return ReportData(rows, totals)


def _build_turnover(request, *, days, warehouse):
    rows = stock_reports.turnover(period_days=days, warehouse=warehouse)
    return ReportData(rows, stock_reports.turnover_totals(rows, period_days=days))


def _build_slow_movers(request, *, days, warehouse):
    rows = stock_reports.slow_movers(days=days, warehouse=warehouse)
    return ReportData(rows, stock_reports.slow_mover_totals(rows))


def _receipt_url(supplier_id, warehouse, lines) -> str:
    entries = (":".join(str(part) for part in line if part is not None) for line in lines)
    params = {"supplier": supplier_id, "lines": ",".join(entries)}
    if warehouse is not None:
        params["warehouse"] = warehouse.pk
    return reverse("admin:catalog_purchasereceipt_add") + "?" + urlencode(params)


def _can_receive(request) -> bool:
    return request.user.has_perm("catalog.add_purchasereceipt")


def _build_replenishment(request, *, low_only, supplier, warehouse):
    rows = replenishment.replenishment_list(low_only=low_only, supplier=supplier)
    data = ReportData(rows, replenishment.replenishment_totals(rows))
    if supplier is not None and request.user.has_perm("catalog.add_purchaseorder"):
        # Draft a purchase order of everything suggested (the add page takes them).
        params = {"supplier": supplier.pk}
        if warehouse is not None:
            params["warehouse"] = warehouse.pk
        data.extra_links.append(
            (
                _("Draft a purchase order to %(supplier)s from the suggestions")
                % {"supplier": supplier},
                reverse("admin:catalog_purchaseorder_add") + "?" + urlencode(params),
            )
        )
    if supplier is not None and _can_receive(request):
        # One receipt for everything suggested from this supplier (one more query).
        wanted = [
            tuple(line)
            for line in rows.filter(suggested__gt=0).values_list("pk", "suggested", "unit_cost")
        ][:200]
        if wanted:
            data.extra_links.append(
                (
                    _("Receive everything suggested from %(supplier)s") % {"supplier": supplier},
                    _receipt_url(supplier.pk, warehouse, wanted),
                )
            )
    return data


def _receive_link(row, request, params):
    qualified = row.product.supplier.status == Supplier.Status.APPROVED
    if row.suggested <= 0 or not qualified or not _can_receive(request):
        return None
    line = (row.pk, row.suggested, row.unit_cost)  # the last cost paid, as a suggestion
    return _receipt_url(row.product.supplier_id, params.get("warehouse"), [line])


REPORTS = [
    Report(
        slug="stock-value-by-warehouse",
        title=_("Stock value by warehouse"),
        description=_(
            "Units on hand (reserved included) valued at each SKU's latest purchase cost. "
            "SKUs never received on a purchase receipt have no cost: they are counted apart, "
            "not valued at 0."
        ),
        columns=_value_columns(Column(_("warehouse"), _warehouse_label, numeric=False)),
        build=_build_by_warehouse,
        total_keys=VALUE_TOTALS,
    ),
    Report(
        slug="stock-value-by-category",
        title=_("Stock value by category"),
        description=_(
            "Stock value per top-level category, with the categories the goods are filed "
            "in below it. Valued at each SKU's latest purchase cost; SKUs without a cost "
            "are counted apart."
        ),
        columns=_value_columns(Column(_("category"), _category_label, numeric=False)),
        build=_build_by_category,
        filters={"warehouse": None},
        total_keys=VALUE_TOTALS,
    ),
    Report(
        slug="turnover",
        title=_("Inventory turnover and days of supply"),
        description=_(
            "Units sold = sales minus returns in the period. Cost of goods sold = units sold "
            "× latest unit cost. Average inventory = (stock at the start of the period, "
            "from the ledger, + stock now) / 2. Turnover = cost of goods sold / average "
            "inventory value over the period. Days of supply = available units / average "
            "daily units sold."
        ),
        columns=[
            Column(_("SKU"), sku_code, numeric=False),
            Column(_("product"), product_name, numeric=False),
            Column(_("units sold"), key("units_sold")),
            Column(_("unit cost"), key("unit_cost"), missing=_("no cost")),
            Column(_("cost of goods sold"), key("cogs")),
            Column(_("on hand at start"), key("on_hand_start")),
            Column(_("on hand"), key("on_hand")),
            Column(_("average inventory value"), key("average_value")),
            Column(_("turnover"), key("turnover")),
            Column(_("available"), key("available")),
            Column(_("days of supply"), key("days_of_supply")),
        ],
        build=_build_turnover,
        filters={"days": 90, "warehouse": None},
        total_keys=(
            "skus",
            None,
            "units_sold",
            None,
            "cogs",
            None,
            None,
            "average_value",
            "turnover",
            "available",
            "days_of_supply",
        ),
    ),
    Report(
        slug="slow-movers",
        title=_("Slow movers"),
        description=_(
            "SKUs holding stock with no sale in the period (or never sold), highest stock "
            "value first; SKUs without a cost come last."
        ),
        columns=[
            Column(_("SKU"), sku_code, numeric=False),
            Column(_("product"), product_name, numeric=False),
            Column(_("on hand"), key("on_hand")),
            Column(_("unit cost"), key("unit_cost"), missing=_("no cost")),
            Column(_("stock value"), key("stock_value"), missing=_("no cost")),
            Column(_("last sale"), key("last_sale"), numeric=False, missing=_("never")),
        ],
        build=_build_slow_movers,
        filters={"days": 60, "warehouse": None},
        total_keys=("skus", None, "units", None, "value", None),
    ),
    Report(
        slug="replenishment",
        title=_("Low stock and replenishment"),
        description=_(
            "Average daily sales = units sold in the last 28 days / 28. Reorder point = "
            "average daily sales × the supplier's lead time + safety stock, rounded up. "
            "Stock is low at or below the reorder point. Suggested purchase = reorder point "
            "+ average daily sales × %(cover)s days of cover, rounded up, − available units. "
            "Available units are counted over the sellable stock of active warehouses. "
            "The warehouse chosen here receives the purchase."
        ),
        columns=[
            Column(_("SKU"), sku_code, numeric=False),
            Column(_("product"), product_name, numeric=False),
            Column(_("supplier"), lambda row: row.product.supplier.name, numeric=False),
            Column(_("lead time (days)"), key("lead_time")),
            Column(_("safety stock"), key("safety_stock")),
            Column(_("available"), key("available")),
            Column(_("sold in 28 days"), key("sold")),
            Column(_("average daily sales"), key("avg_daily")),
            Column(_("reorder point"), key("reorder_point")),
            Column(_("days of supply"), key("days_of_supply")),
            Column(_("low"), lambda row: _("yes") if row.low else "", numeric=False),
            Column(_("suggested purchase"), key("suggested"), link=_receive_link),
        ],
        build=_build_replenishment,
        filters={"low_only": True, "supplier": None, "warehouse": None},
        total_keys=(
            "skus",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "low",
            "suggested",
        ),
    ),
]


# --- Views ------------------------------------------------------------------------------------


def _check(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _form(report, request):
    # An untouched page shows the defaults; a submitted one (even with the box unticked)
    # reads the form.
    data = request.GET if "filtered" in request.GET else None
    return ReportFilterForm(data, fields=report.filters, initial=dict(report.filters))


def _csv_response(report, data) -> HttpResponse:
    rows = data.rows.iterator() if hasattr(data.rows, "iterator") else data.rows
    return csv_response(
        f"{report.slug}.csv",
        [column.label for column in report.columns],
        ([_csv(column.value(row)) for column in report.columns] for row in rows),
    )


def _cells(report, row, request, params):
    cells = []
    for column in report.columns:
        value = column.value(row)
        link = column.link(row, request, params) if column.link else None
        cells.append(
            {
                "text": column.missing if value is None else _text(value),
                "link": link,
                "numeric": column.numeric,
                "strong": isinstance(row, dict) and row.get("top"),
            }
        )
    return cells


def _totals(report, totals):
    if not totals:
        return []
    cells = []
    for index, name in enumerate(report.total_keys):
        value = totals.get(name) if name else None
        if index == 0:
            label = _("Total") if name is None else f"{_('Total')} ({_text(value)})"
            cells.append({"text": label, "numeric": False})
        else:
            cells.append({"text": "" if name is None else _text(value), "numeric": True})
    return cells


def report_view(report: Report):
    def view(request):
        _check(request)
        form = _form(report, request)
        params = form.params()
        data = report.build(request, **params)
        if request.GET.get("format") == "csv":
            return _csv_response(report, data)
        page = Paginator(data.rows, PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        csv_query = query.copy()
        csv_query["format"] = "csv"
        context = {
            **admin.site.each_context(request),
            "title": report.title,
            "report": report,
            "description": str(report.description) % {"cover": settings.MALL_REPLENISH_COVER_DAYS},
            "form": form,
            "columns": report.columns,
            "rows": [_cells(report, row, request, params) for row in page.object_list],
            "totals": _totals(report, data.totals),
            "page_obj": page,
            "page_query": query.urlencode(),
            "csv_url": "?" + csv_query.urlencode(),
            "extra_links": data.extra_links,
            "without_cost": data.totals.get("skus_without_cost"),
            "reports_url": reverse("admin:analytics_stock_reports"),
        }
        request.current_app = admin.site.name
        return TemplateResponse(request, "admin/analytics/stock/report.html", context)

    view.__name__ = report.url_name
    return view


def reports_index(request):
    _check(request)
    context = {
        **admin.site.each_context(request),
        "title": SECTION,
        "reports": [
            {"title": r.title, "description": r.description, "url": reverse(f"admin:{r.url_name}")}
            for r in REPORTS
        ],
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/stock/index.html", context)


admin.site.register_page(
    route="analytics/stock-reports/",
    view=reports_index,
    name="analytics_stock_reports",
    label=_("All stock reports"),
    section=SECTION,
    permission=PERMISSION,
)
for _report in REPORTS:
    admin.site.register_page(
        route=f"analytics/stock-reports/{_report.slug}/",
        view=report_view(_report),
        name=_report.url_name,
        label=_report.title,
        section=SECTION,
        permission=PERMISSION,
    )
