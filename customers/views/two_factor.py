"""Staff's second factor: set up an authenticator app (QR code, then a code from it, then
the recovery codes shown once), and pass it after signing in or before a sensitive
action (/accounts/two-factor/?next=...)."""

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from ..services import two_factor


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("Six digits from your authenticator app, or one of your recovery codes."),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/admin/"


@never_cache
@login_required
def second_factor(request):
    user = request.user
    if not user.is_staff:
        raise Http404
    device = two_factor.authenticator(user)
    form = CodeForm(request.POST or None)
    if device is None:
        return _set_up(request, form)
    if request.method == "POST" and form.is_valid():
        if two_factor.verify(request=request, user=user, token=form.cleaned_data["token"]):
            return redirect(_next(request))
        form.add_error("token", _("That code is not right (or was used already). Try again."))
    context = {"form": form, "next": _next(request), "reauth": two_factor.is_verified(request)}
    return render(request, "customers/two_factor/verify.html", context)


def _set_up(request, form):
    user = request.user
    pending = two_factor.pending_authenticator(user)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_authenticator(
            request=request, user=user, token=form.cleaned_data["token"]
        )
        if codes is not None:
            context = {"codes": codes, "next": _next(request)}
            return render(request, "customers/two_factor/recovery_codes.html", context)
        form.add_error("token", _("That code is not right. Check the app's clock and try again."))
    qr = segno.make(pending.config_url, micro=False)
    context = {
        "form": form,
        "next": _next(request),
        # segno writes the SVG itself (no user input in it): safe to embed.
        "qr_svg": mark_safe(qr.svg_inline(scale=4)),  # noqa: S308
        "secret": pending.config_url.split("secret=")[1].split("&")[0],
    }
    return render(request, "customers/two_factor/set_up.html", context)
