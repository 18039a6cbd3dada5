"""Coupons and gift cards in the REST API: the coupon centre (public), claiming and
redeeming a code, the wallet (usable, used, expired) and gift cards (signed-in shoppers).
Checkout takes the chosen coupon and gift cards as ``choices`` (``/api/v1/checkout/quote/``
and ``/api/v1/orders/``)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.refusals import RefusalSerializer, RefusingView, field_errors, refusal

from ..exceptions import CouponRefused, GiftCardRefused
from ..models import CouponTemplate
from ..selectors import offers
from ..services import coupons, giftcards

MONEY = {"max_digits": 12, "decimal_places": 2}


class ClaimableSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="template.pk")
    name = serializers.CharField(source="template.name")
    terms = serializers.CharField(
        source="label", help_text="满100减10, 9折… in the reader's language."
    )
    valid_until = serializers.DateTimeField(source="template.valid_until", allow_null=True)
    valid_days = serializers.IntegerField(source="template.valid_days", allow_null=True)
    stackable = serializers.BooleanField(source="template.stackable")
    held = serializers.IntegerField(help_text="How many the signed-in shopper has taken.")
    left = serializers.IntegerField(allow_null=True, help_text="Null: no limit.")
    can_claim = serializers.BooleanField()


class CouponSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="template.name")
    terms = serializers.CharField(source="rule_label")
    status = serializers.CharField()
    valid_from = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    order = serializers.CharField(source="order.number", default=None, allow_null=True)


class WalletSerializer(serializers.Serializer):
    usable = CouponSerializer(many=True)
    used = CouponSerializer(many=True)
    expired = CouponSerializer(many=True)


class ClaimSerializer(serializers.Serializer):
    template = serializers.IntegerField(min_value=1)


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)


class GiftCardSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    card = serializers.CharField(source="masked")
    balance = serializers.DecimalField(**MONEY)
    face_value = serializers.DecimalField(**MONEY)
    expires_at = serializers.DateTimeField(allow_null=True)


class BindSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=24)


class CouponCentre(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=["coupons"], responses=ClaimableSerializer(many=True))
    def get(self, request):
        """Coupons shoppers may claim now, with how many the shopper holds."""
        return Response(
            ClaimableSerializer(offers.coupon_centre(user=request.user), many=True).data
        )


class Wallet(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["coupons"], responses=WalletSerializer)
    def get(self, request):
        """The shopper's coupons: usable (soonest to end first), used and expired."""
        return Response(WalletSerializer(offers.wallet(request.user)).data)


class Claim(RefusingView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["coupons"],
        request=ClaimSerializer,
        responses={
            201: CouponSerializer,
            400: OpenApiResponse(RefusalSerializer, description="limit, sold_out, refused"),
            404: OpenApiResponse(description="no such coupon template"),
        },
    )
    def post(self, request):
        """Claim a coupon of a public template; never more than its total or the limit."""
        body = ClaimSerializer(data=request.data)
        if not body.is_valid():
            return field_errors(body.errors)
        template = get_object_or_404(CouponTemplate, pk=body.validated_data["template"])
        try:
            coupon = coupons.claim_coupon(template=template, user=request.user)
        except CouponRefused as error:
            return refusal(error)
        coupon.rule_label = template.name
        return Response(CouponSerializer(coupon).data, status=status.HTTP_201_CREATED)


class Redeem(RefusingView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["coupons"],
        request=CodeSerializer,
        responses={201: CouponSerializer, 400: RefusalSerializer},
    )
    def post(self, request):
        """Redeem a coupon code from an outside channel."""
        body = CodeSerializer(data=request.data)
        if not body.is_valid():
            return field_errors(body.errors)
        try:
            coupon = coupons.redeem_code(code=body.validated_data["code"], user=request.user)
        except CouponRefused as error:
            return refusal(error)
        coupon.rule_label = coupon.template.name
        return Response(CouponSerializer(coupon).data, status=status.HTTP_201_CREATED)


class GiftCards(RefusingView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["coupons"], responses=GiftCardSerializer(many=True))
    def get(self, request):
        """The shopper's gift cards with their balances."""
        cards = offers.gift_cards(request.user)
        return Response(GiftCardSerializer(cards, many=True).data)

    @extend_schema(
        tags=["coupons"],
        request=BindSerializer,
        responses={201: GiftCardSerializer, 400: RefusalSerializer},
    )
    def post(self, request):
        """Add a gift card to the wallet by its number."""
        body = BindSerializer(data=request.data)
        if not body.is_valid():
            return field_errors(body.errors)
        try:
            card = giftcards.bind_gift_card(number=body.validated_data["number"], user=request.user)
        except GiftCardRefused as error:
            return refusal(error)
        return Response(GiftCardSerializer(card).data, status=status.HTTP_201_CREATED)
