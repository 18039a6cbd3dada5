"""Flash sales in the REST API: the sales live and coming (public) and the buy attempt
(signed-in shoppers), which calls ``marketing.services.flashsales.buy``."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from customers.exceptions import NotSignedIn
from customers.sessions import SessionShopperAuthentication
from mall.refusals import RefusalSerializer, RefusingView, field_errors, refusal
from orders.exceptions import OrderError, OrderRefused
from orders.services.checkout import SHIPPING_METHODS

from ..models import FlashSale
from ..selectors import flashsales as flash_selectors
from ..services import flashsales as flashsale


class SaleProductSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="product_id")
    name = serializers.CharField(source="product.name")


class SaleSkuSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    spec_label = serializers.CharField()


class FlashSaleSerializer(serializers.ModelSerializer):
    product = SaleProductSerializer(source="sku", read_only=True)
    sku = SaleSkuSerializer(read_only=True)
    units_left = serializers.IntegerField(
        read_only=True,
        help_text="Units not yet claimed; cancelled or unpaid orders give theirs back.",
    )
    state = serializers.ChoiceField(choices=FlashSale.State.choices, read_only=True)

    class Meta:
        model = FlashSale
        fields = [
            "id",
            "product",
            "sku",
            "price",
            "quantity",
            "per_shopper_limit",
            "units_left",
            "starts_at",
            "ends_at",
            "state",
        ]
        read_only_fields = fields


class BuySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, default=1)
    address = serializers.IntegerField(
        min_value=1,
        help_text="The id of one of the shopper's own addresses (looked up once the attempt "
        "passed the gate: a crowd's refusals never reach the database).",
    )
    shipping_method = serializers.ChoiceField(choices=list(SHIPPING_METHODS))


class BoughtSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The order number.")
    status = serializers.CharField()
    goods_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    pay_by = serializers.DateTimeField(help_text="Unpaid by then, the order is cancelled.")


class FlashRefusalSerializer(RefusalSerializer):
    code = serializers.ChoiceField(
        choices=[
            "sold_out",
            "not_enough",
            "over_limit",
            "not_started",
            "ended",
            "refused",
            "not_signed_in",
            "invalid",
        ],
    )


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 64},
    location=OpenApiParameter.HEADER,
    required=True,
    description="One key per purchase (at most 64 characters): a retried request with the "
    "same key returns the same order instead of buying again.",
)


@extend_schema(tags=["flash sales"])
class FlashSaleList(generics.ListAPIView):
    """Flash sales live now and announced, soonest first, of listed goods only."""

    permission_classes = [AllowAny]
    serializer_class = FlashSaleSerializer

    def get_queryset(self):
        return flash_selectors.current_sales()


@extend_schema(tags=["flash sales"])
class FlashSaleDetail(generics.RetrieveAPIView):
    """One flash sale (ended ones too) with its units left and state."""

    permission_classes = [AllowAny]
    serializer_class = FlashSaleSerializer

    def get_queryset(self):
        return flash_selectors.public_sales()


@extend_schema(
    tags=["flash sales"],
    request=BuySerializer,
    parameters=[IDEMPOTENCY_KEY],
    responses={
        201: BoughtSerializer,
        400: OpenApiResponse(
            FlashRefusalSerializer,
            description="Bad input (field errors) or a refusal with a detail: not started, "
            "ended, over the per-shopper limit, fewer units left than asked, stock short.",
        ),
        403: OpenApiResponse(
            FlashRefusalSerializer, description="Not signed in, or the session has ended."
        ),
        404: OpenApiResponse(description="No such flash sale."),
        409: OpenApiResponse(FlashRefusalSerializer, description="Sold out."),
    },
)
class FlashSaleBuy(RefusingView):
    """Buy at a flash sale: the order is placed at the flash price and awaits payment
    like any other (unpaid, it is cancelled and its units go back to the sale). The same
    ``Idempotency-Key`` again returns the same order.

    A refused attempt (sold out, over the limit, not started, ended) runs no SQL: the
    shopper is who the session in Redis names, the sale is read from Redis, and the
    answer is built without the ORM. The user row is read and checked (password, active
    account) once the attempt goes on to the database."""

    authentication_classes = [SessionShopperAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        try:
            sale = flash_selectors.sale_to_buy(pk)
        except FlashSale.DoesNotExist:
            raise NotFound() from None
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 64:
            return Response(
                {
                    "detail": _("Send an Idempotency-Key header of 1 to 64 characters."),
                    "code": "refused",
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        body = BuySerializer(data=request.data)
        if not body.is_valid():
            return field_errors(body.errors)
        try:
            order = flashsale.buy(
                sale=sale,
                user=request.user,
                quantity=body.validated_data["quantity"],
                address=body.validated_data["address"],
                shipping_method=body.validated_data["shipping_method"],
                idempotency_key=key,
            )
        except flashsale.SoldOut as error:
            return refusal(error, status.HTTP_409_CONFLICT)
        except NotSignedIn as error:
            return refusal(error, status.HTTP_403_FORBIDDEN)
        except flashsale.NotYourAddress as error:
            # Someone else's address is "not found", never "forbidden": a field error.
            return field_errors({"address": [str(error)]})
        except OrderRefused as error:
            return refusal(error, problems=error.problems)
        except OrderError as error:
            return refusal(error)
        return Response(BoughtSerializer(order).data, status=status.HTTP_201_CREATED)
