"""Carts: a guest's (by session) or a signed-in shopper's, merged on login.

A cart holds only what the shopper chose (SKU and quantity). Prices and availability are
read fresh every time the cart is shown or ordered; the price last shown is kept only to
tell the shopper that it changed.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Cart(models.Model):
    user = models.OneToOneField(
        "customers.User", null=True, blank=True, on_delete=models.CASCADE, related_name="cart"
    )
    session_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(session_key__isnull=False),
                name="cart_has_an_owner",
            )
        ]

    def __str__(self):
        return f"cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(_("quantity"))
    # The price the shopper last saw for this line: only to tell them when it changed.
    # What they pay is always read fresh from the price history.
    price_seen = models.DecimalField(
        _("price last shown"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="cart_line_sku_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity"),
        ]

    def __str__(self):
        return f"{self.sku_id} × {self.quantity}"
