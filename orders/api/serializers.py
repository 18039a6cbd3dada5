"""Serializers of the cart, checkout and order endpoints."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Address

from ..models import Order, OrderLine, Payment, Refund, Shipment, TrackingEvent
from ..services.cart import MAX_QUANTITY
from ..services.checkout import SHIPPING_METHODS
from ..validators import clean_tax_number

MONEY = {"max_digits": 12, "decimal_places": 2}


class CartLineSerializer(serializers.Serializer):
    sku = serializers.IntegerField(source="sku_id")
    product = serializers.CharField(source="sku.product.name", default=None)
    product_id = serializers.IntegerField(source="sku.product_id", default=None)
    spec = serializers.CharField(source="sku.spec_label", default="")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY, allow_null=True)
    line_total = serializers.DecimalField(**MONEY, allow_null=True)
    available = serializers.IntegerField()
    problem = serializers.CharField(allow_null=True, help_text="Why the line cannot be ordered.")
    price_changed = serializers.BooleanField()
    price_seen = serializers.DecimalField(**MONEY, allow_null=True)


class CartSerializer(serializers.Serializer):
    lines = CartLineSerializer(many=True)
    problems = serializers.ListField(child=serializers.CharField())
    goods_total = serializers.DecimalField(
        **MONEY, source="totals.goods_total", default=None, allow_null=True
    )


class CartLineInput(serializers.Serializer):
    sku = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)


class CartQuantityInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)


@extend_schema_field(OpenApiTypes.INT)
class OwnAddressField(serializers.PrimaryKeyRelatedField):
    """An address of the requesting shopper; anyone else's is "does not exist"."""

    def get_queryset(self):
        return Address.objects.filter(user=self.context["request"].user)


class CheckoutInput(serializers.Serializer):
    address = OwnAddressField()
    shipping_method = serializers.ChoiceField(choices=list(SHIPPING_METHODS), default="standard")
    choices = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=64), max_length=20),
        required=False,
        default=dict,
        help_text='The shopper\'s choices the quote offers, by name: {"coupon": ["12"], '
        '"gift_card": ["3"]}. Left out: the defaults (the best coupon, no gift card).',
    )


class PlaceOrderInput(CheckoutInput):
    invoice_title = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    tax_number = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
    expected_total = serializers.DecimalField(
        **MONEY,
        required=False,
        allow_null=True,
        default=None,
        help_text="The total the shopper saw; the order is refused (409) if it moved.",
    )

    def validate_tax_number(self, value):
        return clean_tax_number(value)

    def validate(self, data):
        if data.get("tax_number") and not data.get("invoice_title", "").strip():
            raise serializers.ValidationError(
                {"invoice_title": _("A company invoice needs the company's name.")}
            )
        return data


class TotalsLineSerializer(serializers.Serializer):
    sku = serializers.IntegerField(source="sku.pk")
    product = serializers.CharField(source="sku.product.name")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY)
    line_total = serializers.DecimalField(**MONEY)


class DiscountSerializer(serializers.Serializer):
    source = serializers.CharField(help_text='What gave it: "promotion:12", "coupon:3".')
    kind = serializers.ChoiceField(choices=["goods", "shipping"])
    label = serializers.CharField(help_text="The line the shopper reads, in their language.")
    amount = serializers.DecimalField(**MONEY)


class GiftSerializer(serializers.Serializer):
    sku = serializers.IntegerField(source="sku.pk")
    product = serializers.CharField(source="sku.product.name")
    quantity = serializers.IntegerField()
    value = serializers.DecimalField(**MONEY)
    label = serializers.CharField()


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    note = serializers.CharField()
    selected = serializers.BooleanField()
    disabled = serializers.BooleanField()


class ChoiceSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Send the chosen values back under this name.")
    title = serializers.CharField()
    multiple = serializers.BooleanField()
    options = OptionSerializer(many=True)


class StoredValueSerializer(serializers.Serializer):
    source = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class TotalsSerializer(serializers.Serializer):
    lines = TotalsLineSerializer(many=True)
    goods_total = serializers.DecimalField(**MONEY)
    shipping_fee = serializers.DecimalField(**MONEY)
    discounts = DiscountSerializer(many=True)
    discount_total = serializers.DecimalField(**MONEY)
    shipping_discount = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    gifts = GiftSerializer(many=True)
    hints = serializers.ListField(child=serializers.CharField())
    choices = ChoiceSerializer(many=True)
    stored_value = StoredValueSerializer(many=True)
    amount_due = serializers.DecimalField(
        **MONEY, help_text="What is left to pay through a payment provider."
    )


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "sku",
            "product_name",
            "sku_code",
            "sku_label",
            "unit_price",
            "quantity",
            "line_total",
            "discount_total",
            "gift_source",
        ]


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    transition = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    # In the request's language (a note the system wrote is kept as a message id).
    reason = serializers.CharField(source="reason_text")


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["refund_no", "amount", "status", "reason", "created_at", "completed_at"]


class PaymentSerializer(serializers.ModelSerializer):
    refunds = RefundSerializer(many=True)

    class Meta:
        model = Payment
        fields = [
            "out_trade_no",
            "provider",
            "amount",
            "status",
            "refunded_amount",
            "paid_at",
            "refunds",
        ]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "placed_at",
            "pay_by",
            "goods_total",
            "shipping_fee",
            "discount_total",
            "shipping_discount",
            "total",
            "stored_value_paid",
            "shipping_method",
            "recipient",
            "mobile",
            "province",
            "city",
            "district",
            "street",
            "postal_code",
            "invoice_title",
            "tax_number",
            "lines",
        ]


class TrackingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["kind", "description", "location", "occurred_at"]


class ShipmentSerializer(serializers.ModelSerializer):
    events = TrackingEventSerializer(many=True, help_text="Newest first.")

    class Meta:
        model = Shipment
        fields = [
            "number",
            "status",
            "carrier",
            "tracking_number",
            "estimated_delivery",
            "shipped_at",
            "delivered_at",
            "events",
        ]


class OrderDiscountSerializer(serializers.Serializer):
    source = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField(source="text")
    amount = serializers.DecimalField(**MONEY)


class OrderDetailSerializer(OrderSerializer):
    discounts = OrderDiscountSerializer(many=True, help_text="Each source's discount.")
    timeline = TimelineEntrySerializer(many=True)
    payments = PaymentSerializer(many=True)
    shipments = ShipmentSerializer(many=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "discounts", "timeline", "payments", "shipments"]


class PlacedOrderSerializer(OrderSerializer):
    """A just-placed order from what ``place_order`` committed, read from memory: its
    lines, its first timeline entry, and no payments or shipments yet."""

    lines = OrderLineSerializer(many=True, source="placed_lines")
    discounts = OrderDiscountSerializer(many=True, source="placed_discounts")
    timeline = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()
    shipments = serializers.SerializerMethodField()

    class Meta(OrderDetailSerializer.Meta):
        pass

    def get_timeline(self, order) -> list:
        return [TimelineEntrySerializer(order.placed_history).data]

    def get_payments(self, order) -> list:
        return []

    def get_shipments(self, order) -> list:
        return []


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class PaymentStartSerializer(serializers.Serializer):
    out_trade_no = serializers.CharField(source="payment.out_trade_no")
    amount = serializers.DecimalField(**MONEY, source="payment.amount")
    redirect_url = serializers.URLField(help_text="Send the shopper here to pay.")
