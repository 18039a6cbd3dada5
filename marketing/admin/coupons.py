"""Coupons in the admin: templates written in a form (no JSON) and stopped by an action;
from a template, a grant to chosen shoppers or a CSV list, or a batch of codes for outside
channels, exported as CSV; every batch with its reason and author; coupons read-only.
The list shows each template's issued, used, discount given and GMV (SQL aggregates)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mall.admin.actions import ServiceAction, ServiceActionsMixin, make_admin_action
from mall.admin.readonly import ReadOnlyInline, ReadOnlyMixin
from mall.reports import csv_response

from ..exceptions import CouponRefused
from ..forms.coupons import CodesForm, CouponTemplateForm, GrantForm, template_initial
from ..models import Coupon, CouponBatch, CouponTemplate, CouponUse
from ..selectors.figures import with_template_figures
from ..services import coupons
from ..services.pricing import catalogue, labels

Channel = CouponTemplate.Channel
GRANT = "marketing.grant_coupontemplate"
GRANTED_CHANNELS = (Channel.GRANT, Channel.BIRTHDAY, Channel.REFERRAL, Channel.COMPENSATION)

TEMPLATE_ACTIONS = (
    ServiceAction(
        name="stop_issuing",
        label=_("Stop issuing (coupons in wallets stay usable)"),
        done=_("%(count)d template(s) stopped."),
        perform=lambda template, actor, _reason: coupons.stop_template(
            template=template, actor=actor
        ),
    ),
)


class BatchInline(ReadOnlyInline):
    model = CouponBatch
    fields = ("created_at", "kind", "quantity", "reason", "reference", "created_by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(CouponTemplate)
class CouponTemplateAdmin(ServiceActionsMixin, admin.ModelAdmin):
    service_actions = TEMPLATE_ACTIONS
    actions = [make_admin_action(spec) for spec in TEMPLATE_ACTIONS]
    list_display = (
        "name",
        "rule",
        "channel",
        "status",
        "issued",
        "total_quantity",
        "used_shown",
        "discount_given_shown",
        "gmv_shown",
        "validity",
        "hand_out",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("name",)
    inlines = [BatchInline]

    def get_queryset(self, request):
        return with_template_figures(super().get_queryset(request))

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rule"))
    def rule(self, template):
        return labels.coupon_terms(catalogue.template_rule(template, {}, scope=False))

    @admin.display(description=_("validity"))
    def validity(self, template):
        if template.valid_until:
            return template.valid_until.strftime("%Y-%m-%d %H:%M")
        return _("%(days)s days after claiming") % {"days": template.valid_days}

    @admin.display(description=_("used"), ordering="used")
    def used_shown(self, template):
        return template.used

    @admin.display(description=_("discount given"), ordering="discount_given")
    def discount_given_shown(self, template):
        return template.discount_given

    @admin.display(description=_("GMV"), ordering="gmv")
    def gmv_shown(self, template):
        return template.gmv

    @admin.display(description=_("hand out"))
    def hand_out(self, template):
        if template.channel == Channel.CODE:
            url, text = (
                reverse("admin:marketing_coupontemplate_codes", args=[template.pk]),
                _("Make codes"),
            )
        elif template.channel in GRANTED_CHANNELS:
            url, text = (
                reverse("admin:marketing_coupontemplate_grant", args=[template.pk]),
                _("Grant"),
            )
        else:
            return "—"
        return format_html('<a href="{}">{}</a>', url, text)

    def get_urls(self):
        return [
            path(
                "<int:pk>/grant/",
                self.admin_site.admin_view(self.grant_view),
                name="marketing_coupontemplate_grant",
            ),
            path(
                "<int:pk>/codes/",
                self.admin_site.admin_view(self.codes_view),
                name="marketing_coupontemplate_codes",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template_name, **context):
        context = {**self.admin_site.each_context(request), "opts": self.opts, **context}
        request.current_app = self.admin_site.name
        return TemplateResponse(request, template_name, context)

    # --- The template's form ---------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._form_view(request, None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        template = get_object_or_404(CouponTemplate, pk=object_id)
        return self._form_view(request, template)

    def _form_view(self, request, template):
        form = CouponTemplateForm(
            request.POST or None,
            initial=template_initial(template) if template else {"threshold": 0},
            admin_site=self.admin_site,
        )
        if request.method == "POST" and form.is_valid():
            try:
                saved = coupons.save_template(
                    data=form.cleaned_data, actor=request.user, template=template
                )
            except CouponRefused as error:
                for problem in error.problems:
                    form.add_error(None, problem)
            else:
                self.message_user(
                    request, _("The coupon “%(name)s” is saved.") % {"name": saved.name}
                )
                return HttpResponseRedirect(reverse("admin:marketing_coupontemplate_changelist"))
        batches = template.batches.select_related("created_by")[:20] if template else []
        return self._page(
            request,
            "admin/marketing/coupontemplate/form.html",
            title=template.name if template else _("A coupon template"),
            form=form,
            template=template,
            batches=batches,
            can_change=self.has_change_permission(request, template),
            media=self.media + form.media,
        )

    # --- Handing coupons out -------------------------------------------------------------------

    def _require_grant(self, request):
        if not request.user.has_perm(GRANT):
            raise PermissionDenied

    def grant_view(self, request, pk):
        self._require_grant(request)
        template = get_object_or_404(CouponTemplate, pk=pk)
        form = GrantForm(request.POST or None, request.FILES or None, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("csv_text") is not None:
                    batch = coupons.grant_from_csv(
                        template=template,
                        text=data["csv_text"],
                        actor=request.user,
                        reason=data["reason"],
                        filename=data["csv_file"].name,
                    )
                else:
                    batch = coupons.grant_coupons(
                        template=template,
                        users=data["shoppers"],
                        actor=request.user,
                        reason=data["reason"],
                    )
            except CouponRefused as error:
                for problem in error.problems:
                    form.add_error(None, problem)
            else:
                self.message_user(
                    request,
                    _("%(count)s coupon(s) of “%(name)s” granted.")
                    % {"count": batch.quantity, "name": template.name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:marketing_coupontemplate_change", args=[template.pk])
                )
        return self._page(
            request,
            "admin/marketing/coupontemplate/hand_out.html",
            title=_("Grant “%(name)s”") % {"name": template.name},
            form=form,
            template=template,
            multipart=True,
            submit=_("Grant"),
            media=self.media + form.media,
        )

    def codes_view(self, request, pk):
        self._require_grant(request)
        template = get_object_or_404(CouponTemplate, pk=pk)
        form = CodesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                batch = coupons.generate_codes(
                    template=template,
                    quantity=form.cleaned_data["quantity"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except CouponRefused as error:
                for problem in error.problems:
                    form.add_error(None, problem)
            else:
                self.message_user(
                    request,
                    _("%(count)s codes made; download them from the batch.")
                    % {"count": batch.quantity},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:marketing_couponbatch_change", args=[batch.pk])
                )
        return self._page(
            request,
            "admin/marketing/coupontemplate/hand_out.html",
            title=_("Codes of “%(name)s”") % {"name": template.name},
            form=form,
            template=template,
            submit=_("Make the codes"),
            media=self.media + form.media,
        )


@admin.register(CouponBatch)
class CouponBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "template",
        "kind",
        "quantity",
        "reason",
        "reference",
        "created_by",
        "export",
    )
    list_filter = ("kind",)
    list_select_related = ("template", "created_by")
    search_fields = ("template__name", "reason", "reference")
    fields = (
        "template",
        "kind",
        "quantity",
        "reason",
        "reference",
        "created_by",
        "created_at",
        "export",
    )
    readonly_fields = fields

    @admin.display(description=_("codes"))
    def export(self, batch):
        if batch.kind != CouponBatch.Kind.CODES:
            return "—"
        return format_html(
            '<a href="{}" class="export-codes">{}</a>',
            reverse("admin:marketing_couponbatch_export", args=[batch.pk]),
            _("Download the codes (CSV)"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="marketing_couponbatch_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, pk):
        """The codes of a batch with whether and when each was redeemed: one query."""
        if not request.user.has_perm(GRANT):
            raise PermissionDenied
        batch = get_object_or_404(CouponBatch, pk=pk, kind=CouponBatch.Kind.CODES)
        rows = batch.coupons.order_by("pk").values_list(
            "code", "status", "claimed_at", "valid_until"
        )
        return csv_response(
            f"coupon-codes-{batch.pk}.csv",
            [_("code"), _("status"), _("redeemed at"), _("valid until")],
            (
                [
                    code,
                    status,
                    claimed.isoformat() if claimed else "",
                    until.isoformat() if until else "",
                ]
                for code, status, claimed, until in rows
            ),
        )


class UseInline(ReadOnlyInline):
    model = CouponUse
    fields = ("order", "used_at", "released_at", "release_reason")


@admin.register(Coupon)
class CouponAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "template",
        "user",
        "code",
        "status",
        "source",
        "valid_until",
        "order",
        "granted_by",
    )
    list_filter = ("status", "source")
    list_select_related = ("template", "user", "order", "granted_by")

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj):
        return obj.pk

    search_fields = ("code", "user__phone", "user__email", "template__name")
    raw_id_fields = ("user", "order")
    inlines = [UseInline]
    fields = (
        "template",
        "user",
        "code",
        "status",
        "source",
        "batch",
        "granted_by",
        "reason",
        "claimed_at",
        "valid_from",
        "valid_until",
        "order",
        "used_at",
        "reminded_at",
    )
    readonly_fields = fields
