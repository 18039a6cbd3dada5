"""Advertising channels in the admin: each channel with its agreements (fee model, rate,
dates, contact, document), and placements bought from it, each showing its tracked link
(``/go/<code>``) and the UTM parameters the link adds. Placements are saved through
``marketing.services.campaigns.channels`` (which gives each its short code)."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import Channel, ChannelAgreement, Placement
from ..services.campaigns import channels


class AgreementInline(admin.TabularInline):
    model = ChannelAgreement
    extra = 0
    fields = ("fee_model", "rate", "starts_on", "ends_on", "contact", "document")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "source", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "source")
    inlines = [AgreementInline]

    def has_delete_permission(self, request, obj=None):
        return False


class PlacementForm(forms.ModelForm):
    class Meta:
        model = Placement
        fields = channels.FIELDS

    def clean(self):
        data = super().clean()
        for problem in channels.placement_problems(data):
            self.add_error(None, problem)
        return data


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    form = PlacementForm
    list_display = (
        "name",
        "channel",
        "campaign",
        "starts_at",
        "ends_at",
        "amount",
        "clicks",
        "link",
    )
    list_filter = ("channel", "campaign")
    list_select_related = ("channel", "campaign")
    search_fields = ("name", "code")
    readonly_fields = ("code", "clicks", "link", "landing_with_utm", "created_by")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = channels.save_placement(
            actor=request.user,
            data=form.cleaned_data,
            placement=Placement.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.display(description=_("tracked link"))
    def link(self, placement):
        if not placement.code:
            return "—"
        url = reverse("tracked_links:go", args=[placement.code])
        return format_html('<code class="tracked-link">{}</code>', url)

    @admin.display(description=_("landing page with UTM"))
    def landing_with_utm(self, placement):
        if not placement.code:
            return "—"
        return format_html("<code>{}</code>", channels.landing_url(placement))
