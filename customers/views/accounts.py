"""Account pages: register, sign in and out, password reset, the profile and the
shopper's messages."""

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from mall.throttle import limit_reached, over_limit

from .. import services
from ..forms.accounts import LoginForm, ProfileForm, RegistrationForm

MESSAGES_PER_PAGE = 20


def too_many_requests(request):
    response = render(request, "customers/too_many_requests.html", status=429)
    response["Retry-After"] = "600"
    return response


def register(request):
    if request.user.is_authenticated:
        return redirect("customers:account")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and over_limit(
        request, group="accounts.register", rate=settings.MALL_REGISTRATIONS_PER_ADDRESS
    ):
        return too_many_requests(request)
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
    """Sign in. Besides django-axes (failures per account and address), the failures from
    one address across all accounts are counted: one guess at each of many accounts
    (password spraying) is held up after ``MALL_LOGIN_FAILURES_PER_ADDRESS``."""

    template_name = "customers/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    throttle_group = "accounts.login-failures"

    def post(self, request, *args, **kwargs):
        rate = settings.MALL_LOGIN_FAILURES_PER_ADDRESS
        if limit_reached(request, group=self.throttle_group, rate=rate):
            return too_many_requests(request)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        rate = settings.MALL_LOGIN_FAILURES_PER_ADDRESS
        over_limit(self.request, group=self.throttle_group, rate=rate)  # count the failure
        return super().form_invalid(form)


def locked_out(request, original_response=None, credentials=None):
    """What django-axes shows instead of logging in, while an account is locked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "customers/locked_out.html", {"cooloff_minutes": minutes}, status=429)


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    """The reset link by email, at most ``MALL_PASSWORD_RESETS_PER_EMAIL`` mails to one
    address (beyond it the page answers as if sent, so it tells nobody whether the email
    has an account) and ``MALL_PASSWORD_RESETS_PER_ADDRESS`` requests from one network
    address (beyond it a 429)."""

    template_name = "customers/password_reset_form.html"
    email_template_name = "customers/email/password_reset.txt"
    subject_template_name = "customers/email/password_reset_subject.txt"
    success_url = reverse_lazy("customers:password_reset_done")

    def post(self, request, *args, **kwargs):
        rate = settings.MALL_PASSWORD_RESETS_PER_ADDRESS
        if over_limit(request, group="accounts.password-reset", rate=rate):
            return too_many_requests(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        if over_limit(
            self.request,
            group="accounts.password-reset-email",
            key=lambda group, request: email,
            rate=settings.MALL_PASSWORD_RESETS_PER_EMAIL,
        ):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


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
