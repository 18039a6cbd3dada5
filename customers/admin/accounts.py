from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mall.admin.contacts import MaskedContactsMixin

from ..models import Address, User
from ..services import two_factor


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone")


class AddressInline(MaskedContactsMixin, admin.TabularInline):
    model = Address
    masked_contact_fields = {"mobile": "mobile", "street": "street"}
    extra = 0
    fields = ("recipient", "mobile", "province", "city", "district", "street", "is_default")


@admin.register(User)
class UserAdmin(MaskedContactsMixin, DjangoUserAdmin):
    masked_contact_fields = {"phone": "mobile", "email": "email"}
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("-date_joined",)
    list_display = ("__str__", "phone", "email", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "marketing_consent")
    search_fields = ("phone", "email", "display_name")
    readonly_fields = ("last_login", "date_joined", "marketing_consent_at")
    inlines = [AddressInline]
    fieldsets = (
        (None, {"fields": ("phone", "email", "password")}),
        (
            _("Profile"),
            {"fields": ("display_name", "birthday", "marketing_consent", "marketing_consent_at")},
        ),
        (_("Customer service"), {"fields": ("is_vip", "dedicated_agent")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "phone", "usable_password", "password1", "password2"),
            },
        ),
    )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Roles and staff flags change here: the second factor again first, unless it was
        # passed within MALL_REAUTH_MINUTES.
        if request.method == "POST" and not two_factor.recently_verified(request):
            messages.warning(request, _("Enter your code again to change an account."))
            target = reverse("customers:two_factor")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return super().changeform_view(request, object_id, form_url, extra_context)
