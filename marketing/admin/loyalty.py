"""Membership in the admin: tiers and their benefits (operators set them), memberships
(a tier set by hand and the VIP override go through ``set_tier``), the tier history and
the points ledger, read-only; a points adjustment is added here with its reason and goes
through ``adjust_points`` (the ledger is never edited)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from customers.models import User
from mall.admin.readonly import ReadOnlyMixin

from ..exceptions import MarketingError
from ..models import Membership, PointsAccount, PointsEntry, Tier, TierChange
from ..services import loyalty


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = (
        "rank",
        "name",
        "name_en",
        "code",
        "min_spend",
        "min_orders",
        "points_multiplier",
        "member_discount_percent",
        "free_shipping_over",
        "early_access_minutes",
        "support_priority",
    )
    list_display_links = ("name",)
    ordering = ("rank",)

    def has_delete_permission(self, request, obj=None):
        return False  # members and their history point at it


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "tier",
        "qualified_tier",
        "spend_12m",
        "orders_12m",
        "downgrade_on",
        "vip_override",
        "computed_at",
    )
    list_filter = ("tier", "vip_override")
    list_select_related = ("user", "tier", "qualified_tier")
    search_fields = ("user__phone", "user__email", "user__display_name")
    fields = (
        "user",
        "tier",
        "vip_override",
        "qualified_tier",
        "spend_12m",
        "orders_12m",
        "downgrade_on",
        "computed_at",
    )
    readonly_fields = (
        "user",
        "qualified_tier",
        "spend_12m",
        "orders_12m",
        "downgrade_on",
        "computed_at",
    )

    def has_add_permission(self, request):
        return False  # every shopper gets one from the recompute

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            loyalty.set_tier(
                user=obj.user,
                tier=form.cleaned_data["tier"],
                vip_override=form.cleaned_data["vip_override"],
                actor=request.user,
            )
        except MarketingError as error:
            messages.error(request, str(error))


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "from_tier",
        "to_tier",
        "reason",
        "spend_12m",
        "orders_12m",
        "actor",
    )
    list_filter = ("reason", "to_tier")
    list_select_related = ("user", "from_tier", "to_tier", "actor")
    search_fields = ("user__phone", "user__email")
    date_hierarchy = "created_at"


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("user", "balance")
    list_select_related = ("user",)
    search_fields = ("user__phone", "user__email")
    ordering = ("-balance",)


class AdjustPointsForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        label=_("shopper"), queryset=User.objects.filter(is_staff=False), widget=forms.NumberInput
    )
    points = forms.IntegerField(
        label=_("points"), help_text=_("Positive to add, negative to take (never below zero).")
    )
    reason = forms.CharField(label=_("reason"), max_length=200)

    class Meta:
        model = PointsEntry
        fields = ("user", "points", "reason")

    def clean(self):
        data = super().clean()
        user, points = data.get("user"), data.get("points")
        if user is not None and points is not None and points < 0:
            balance = loyalty.balance_of(user)
            if balance + points < 0:
                raise forms.ValidationError(
                    _("The shopper has %(balance)s points: at most that can be taken."),
                    params={"balance": balance},
                )
        return data


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "kind",
        "points",
        "expires_on",
        "order",
        "actor",
        "reason",
    )
    list_filter = ("kind",)
    list_select_related = ("user", "order", "actor")
    search_fields = ("user__phone", "user__email", "order__number", "key")
    date_hierarchy = "created_at"
    form = AdjustPointsForm

    def has_add_permission(self, request):
        return request.user.has_perm("marketing.adjust_pointsentry")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        try:
            entry = loyalty.adjust_points(
                user=form.cleaned_data["user"],
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except MarketingError as error:
            messages.error(request, str(error))
            return
        obj.pk = entry.pk

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:  # refused by the service (a race the form could not see)
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)
