"""The shopper's address book: list, add, edit, delete, make default. Someone else's
address is "not found", never "forbidden"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..forms.addresses import AddressForm
from ..models import Address


@login_required
def address_list(request):
    addresses = Address.objects.filter(user=request.user)
    return render(request, "customers/address_list.html", {"addresses": addresses})


def _next_in_shop(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _own_address(request, pk) -> Address:
    # Someone else's address is "not found", never "forbidden": its existence is private.
    return get_object_or_404(Address, pk=pk, user=request.user)


@login_required
def address_edit(request, pk=None):
    address = _own_address(request, pk) if pk is not None else Address(user=request.user)
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        services.save_address(user=request.user, address=form.instance)
        messages.success(request, _("The address was saved."))
        # Back to where the shopper came from (the checkout, say) when that is in the shop.
        return redirect(_next_in_shop(request) or "customers:address_list")
    context = {"form": form, "address": address, "next": _next_in_shop(request)}
    return render(request, "customers/address_form.html", context)


@login_required
@require_POST
def address_delete(request, pk):
    try:
        services.delete_address(user=request.user, address_id=pk)
    except Address.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The address was deleted."))
    return redirect("customers:address_list")


@login_required
@require_POST
def address_make_default(request, pk):
    try:
        services.set_default_address(user=request.user, address_id=pk)
    except Address.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("This is now your default address."))
    return redirect("customers:address_list")
