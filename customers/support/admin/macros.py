"""Macros in the back office (operators keep them with the FAQ): the answer with its
placeholders, what it sets, and an optional compensation coupon with its reason."""

from django.contrib import admin

from customers.support.models import Macro


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "priority", "then", "tag_list", "coupon_template", "active", "position")
    list_editable = ("active", "position")
    list_filter = ("active", "then")
    search_fields = ("name", "body")
    autocomplete_fields = ()
    list_select_related = ("coupon_template",)
    fields = (
        "name",
        "body",
        "priority",
        "then",
        "tags",
        "coupon_template",
        "coupon_reason",
        "active",
        "position",
    )

    @admin.display(description=Macro._meta.get_field("tags").verbose_name)
    def tag_list(self, obj):
        return "、".join(obj.tags)
