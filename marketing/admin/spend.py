"""Channel spend in the admin: what a placement cost on a day, entered by hand (through
``record_spend``) or imported from the channel's CSV bill (``import_spend``: every bad
row listed, nothing written unless the whole file is good, the same file twice writes
once). Both book the spend on the placement's campaign budget."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from mall.admin.readonly import ReadOnlyMixin
from mall.errors import DomainError

from ..models import ChannelSpend, ChannelSpendImport
from ..services.campaigns import spend


class SpendForm(forms.ModelForm):
    class Meta:
        model = ChannelSpend
        fields = ("placement", "spent_on", "amount", "impressions", "note")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        for problem in spend.spend_problems(
            placement=data.get("placement"),
            spent_on=data.get("spent_on"),
            amount=data.get("amount"),
            impressions=data.get("impressions"),
        ):
            self.add_error(None, problem)
        return data


class SpendImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, first line: placement,date,amount,impressions,note (impressions and "
            "note may be empty). The placement is its short code, the date YYYY-MM-DD."
        ),
    )


@admin.register(ChannelSpend)
class ChannelSpendAdmin(admin.ModelAdmin):
    form = SpendForm
    change_list_template = "admin/marketing/channelspend/change_list.html"
    list_display = ("spent_on", "placement", "amount", "impressions", "imported", "created_by")
    list_filter = ("placement__channel", "placement__campaign")
    list_select_related = ("placement__channel", "imported", "created_by")
    date_hierarchy = "spent_on"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service: booked on the campaign's budget in the same transaction."""
        data = form.cleaned_data
        try:
            saved = spend.record_spend(
                actor=request.user,
                placement=data["placement"],
                spent_on=data["spent_on"],
                amount=data["amount"],
                impressions=data.get("impressions"),
                note=data.get("note") or "",
            )
        except DomainError as error:
            raise _Refused(str(error)) from error
        obj.pk = saved.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except _Refused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="marketing_channelspend_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SpendImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                made, new = spend.import_spend(
                    actor=request.user,
                    content=upload.read(spend.MAX_BYTES + 1),
                    filename=upload.name,
                )
            except DomainError as error:
                problems = getattr(error, "problems", [str(error)])
            else:
                if new:
                    text = _("Imported %(rows)s rows (%(total)s) from %(file)s.")
                else:
                    text = _(
                        "This file was imported before (%(rows)s rows, %(total)s): nothing new."
                    )
                params = {"rows": made.rows, "total": made.total, "file": made.filename}
                self.message_user(
                    request, text % params, messages.SUCCESS if new else messages.WARNING
                )
                return HttpResponseRedirect(reverse("admin:marketing_channelspend_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import channel spend"),
            "opts": self.opts,
            "form": form,
            "problems": problems,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/marketing/channelspend/import.html", context)


class _Refused(Exception):
    pass


@admin.register(ChannelSpendImport)
class ChannelSpendImportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("imported_at", "filename", "rows", "total", "imported_by")
    list_select_related = ("imported_by",)
