"""Flash sales in the admin: operators schedule them; claims are read-only.

A sale is written only through ``marketing.services.flashsales``: the add page is a form
that calls ``schedule_sale`` (its refusal comes back as form errors), the actions end a
live sale early or call off one that has not started. The list shows, per sale, the
units claimed and left by the database and the Redis gate's own counter, which may run
below the database while attempts are under way (and is recomputed every minute).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from catalog.models import SKU
from mall.admin.actions import perform_each

from ..forms.campaigns import campaign_field
from ..models import FlashSale, FlashSaleClaim
from ..services import flash_gate as flashsale_gate
from ..services import flashsales as flashsale


class ScheduleFlashSaleForm(forms.Form):
    sku = forms.ModelChoiceField(queryset=SKU.objects.select_related("product"), label=_("SKU"))
    price = forms.DecimalField(label=_("flash price"), max_digits=12, decimal_places=2)
    quantity = forms.IntegerField(label=_("units offered"), min_value=1)
    per_shopper_limit = forms.IntegerField(
        label=_("limit per shopper"),
        min_value=1,
        initial=1,
        help_text=_("Units one shopper may buy; each shopper places one order per sale."),
    )
    starts_at = forms.SplitDateTimeField(label=_("starts at"), widget=AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(label=_("ends at"), widget=AdminSplitDateTime)
    campaign = campaign_field()

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["sku"]
        field.widget = AutocompleteSelect(FlashSale._meta.get_field("sku"), admin_site)
        field.widget.choices = field.choices


class FlashSaleClaimInline(admin.TabularInline):
    """Who holds units of the sale, with their order: one query for any number of rows."""

    model = FlashSaleClaim
    fields = ("user", "quantity", "order_link", "order_status", "released", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("order"))
    def order_link(self, claim):
        if claim.order is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[claim.order_id]),
            claim.order.number,
        )

    @admin.display(description=_("order status"))
    def order_status(self, claim):
        return claim.order.get_status_display() if claim.order else "—"


@admin.action(description=_("End the selected live sales now"), permissions=["change"])
def end_sales(modeladmin, request, queryset):
    perform_each(
        modeladmin,
        request,
        queryset,
        lambda sale: flashsale.end_sale(sale=sale, actor=request.user),
        # The plural is chosen by the "count" that perform_each puts in.
        done=ngettext_lazy("%(count)d sale ended.", "%(count)d sales ended.", "count"),
        refusals=(flashsale.FlashSaleError,),
    )


@admin.action(description=_("Call off the selected upcoming sales"), permissions=["change"])
def call_off_sales(modeladmin, request, queryset):
    perform_each(
        modeladmin,
        request,
        queryset,
        lambda sale: flashsale.call_off_sale(sale=sale, actor=request.user),
        done=ngettext_lazy("%(count)d sale called off.", "%(count)d sales called off.", "count"),
        refusals=(flashsale.FlashSaleError,),
    )


@admin.register(FlashSale)
class FlashSaleAdmin(admin.ModelAdmin):
    list_display = (
        "sku",
        "price",
        "quantity",
        "per_shopper_limit",
        "sold",
        "units_left",
        "gate_left",
        "state",
        "starts_at",
        "ends_at",
    )
    list_select_related = ("sku__product",)
    search_fields = ("sku__code", "sku__product__name")
    date_hierarchy = "starts_at"
    actions = [end_sales, call_off_sales]
    inlines = [FlashSaleClaimInline]
    fields = (
        "sku",
        "price",
        "quantity",
        "per_shopper_limit",
        "sold",
        "units_left",
        "gate_left",
        "starts_at",
        "ends_at",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sku__product", "created_by")

    def has_change_permission(self, request, obj=None):
        # The list's actions (end, call off) need it; a sale's own page is read-only.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # The gate counters of the page's sales in one Redis round trip.
        sales = list(changelist.result_list)
        counters = flashsale_gate.gate_counters(sale.pk for sale in sales)
        for sale in sales:
            sale.gate_counter = counters.get(sale.pk)
        return changelist

    @admin.display(description=_("gate counter"))
    def gate_left(self, sale):
        if not hasattr(sale, "gate_counter"):
            sale.gate_counter = flashsale_gate.gate_counters([sale.pk])[sale.pk]
        return "—" if sale.gate_counter is None else sale.gate_counter

    @admin.display(description=_("state"))
    def state(self, sale):
        return sale.state.label

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ScheduleFlashSaleForm(
            request.POST if request.method == "POST" else None,
            initial={"sku": request.GET.get("sku")} if request.GET.get("sku") else None,
            admin_site=self.admin_site,
        )
        if request.method == "POST" and form.is_valid():
            try:
                sale = flashsale.schedule_sale(**form.cleaned_data, actor=request.user)
            except flashsale.FlashSaleInvalid as error:
                for problem in error.problems:
                    form.add_error(None, problem)
            else:
                self.message_user(
                    request,
                    _("The flash sale of %(sku)s is scheduled.") % {"sku": sale.sku},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:marketing_flashsale_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Schedule a flash sale"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "marketing/flashsale/admin_schedule.html", context)
