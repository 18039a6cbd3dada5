"""Account pages: register, sign in and out, password reset, the profile and the
shopper's messages."""

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from .. import services
from ..forms.accounts import LoginForm, ProfileForm, RegistrationForm

MESSAGES_PER_PAGE = 20


def register(request):
    if request.user.is_authenticated:
        return redirect("customers:account")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.register_shopper(
            phone=data["phone"],
            email=data["email"],
            display_name=data["display_name"],
            password=data["password1"],
            marketing_consent=data["marketing_consent"],
        )
        login(request, user, backend="customers.auth.PhoneOrEmailBackend")
        messages.success(request, _("Welcome to mall! Your account is ready."))
        return redirect("customers:account")
    return render(request, "customers/register.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "customers/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def locked_out(request, original_response=None, credentials=None):
    """What django-axes shows instead of logging in, while an account is locked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "customers/locked_out.html", {"cooloff_minutes": minutes}, status=429)


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "customers/password_reset_form.html"
    email_template_name = "customers/email/password_reset.txt"
    subject_template_name = "customers/email/password_reset_subject.txt"
    success_url = reverse_lazy("customers:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "customers/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "customers/password_reset_confirm.html"
    success_url = reverse_lazy("customers:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "customers/password_reset_complete.html"


@login_required
def account(request):
    # A copy, so that a rejected form does not leak its values into the page's header.
    form = ProfileForm(request.POST or None, instance=copy.copy(request.user))
    if request.method == "POST" and form.is_valid():
        services.update_profile(
            user=request.user, **{name: form.cleaned_data[name] for name in form.Meta.fields}
        )
        messages.success(request, _("Your profile was saved."))
        return redirect("customers:account")
    default_address = request.user.addresses.filter(is_default=True).first()
    recent = list(request.user.notifications.order_by("-created_at", "-pk")[:3])
    unread = request.user.notifications.filter(read_at__isnull=True).count()
    context = {
        "form": form,
        "default_address": default_address,
        "recent_messages": recent,
        "unread_messages": unread,
    }
    return render(request, "customers/account.html", context)


@login_required
def messages_page(request):
    """The shopper's messages (parcels shipped, delayed, delivered; after-sales decisions;
    ticket replies), newest first. Opening the page marks them read."""
    page = Paginator(
        request.user.notifications.order_by("-created_at", "-pk"), MESSAGES_PER_PAGE
    ).get_page(request.GET.get("page"))
    response = render(request, "customers/messages.html", {"page_obj": page})
    services.mark_notifications_read(user=request.user)
    return response
