"""Cart, checkout and order endpoints for signed-in shoppers. Each endpoint acts only on
the requesting shopper's own cart, addresses and orders (anyone else's order is a 404)."""

import logging

from django.db import DatabaseError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.statemachine import IllegalTransition

from ..exceptions import CartError, OrderError, OrderRefused, TotalChanged
from ..models import Order
from ..selectors import orders as selectors
from ..services import cart as carts
from ..services import ordering, payments
from ..services.fulfilment import FulfilmentError
from ..views.payments import payment_urls
from . import serializers as s

logger = logging.getLogger(__name__)


def _cart_body(request):
    view = selectors.cart_view(carts.cart_of(user=request.user), user=request.user)
    return s.CartSerializer(view).data


class CartView(APIView):
    @extend_schema(tags=["orders"], responses=s.CartSerializer)
    def get(self, request):
        """The shopper's cart, every line re-checked now: its current price, whether that
        changed since it was last shown, the units available and any problem."""
        view = selectors.cart_view(carts.cart_of(user=request.user), user=request.user)
        body = s.CartSerializer(view).data
        carts.note_prices_shown(view)
        return Response(body)


class CartLines(APIView):
    @extend_schema(tags=["orders"], request=s.CartLineInput, responses={201: s.CartSerializer})
    def post(self, request):
        """Add units of a SKU on sale (added to the line already there)."""
        data = s.CartLineInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            carts.add_to_cart(
                cart=carts.open_cart(user=request.user),
                sku_id=data.validated_data["sku"],
                quantity=data.validated_data["quantity"],
            )
        except CartError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(_cart_body(request), status=status.HTTP_201_CREATED)


class CartLine(APIView):
    @extend_schema(tags=["orders"], request=s.CartQuantityInput, responses=s.CartSerializer)
    def patch(self, request, sku):
        """Set a line's quantity; 0 removes the line."""
        data = s.CartQuantityInput(data=request.data)
        data.is_valid(raise_exception=True)
        cart = carts.cart_of(user=request.user)
        if cart is None:
            raise NotFound()
        try:
            carts.set_quantity(cart=cart, sku_id=sku, quantity=data.validated_data["quantity"])
        except CartError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(_cart_body(request))

    @extend_schema(tags=["orders"], responses={204: None})
    def delete(self, request, sku):
        """Remove a line (404 when it is not in the cart)."""
        cart = carts.cart_of(user=request.user)
        if cart is None or not carts.remove_from_cart(cart=cart, sku_id=sku):
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


def _orderable_view(request, **priced):
    """The cart, refused (400) with its problems or when empty; ``priced`` (province,
    method) says where and how its totals ship."""
    view = selectors.cart_view(carts.cart_of(user=request.user), user=request.user, **priced)
    if view.problems:
        raise ValidationError({"detail": _("Fix your cart first."), "problems": view.problems})
    if not view.orderable:
        raise ValidationError({"detail": _("Your cart is empty.")})
    return view


class CheckoutQuote(APIView):
    @extend_schema(tags=["orders"], request=s.CheckoutInput, responses=s.TotalsSerializer)
    def post(self, request):
        """What the cart costs to an address by a shipping method, line by line: goods,
        shipping fee, discounts and the total to pass back as ``expected_total``."""
        data = s.CheckoutInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        view = _orderable_view(
            request,
            province=data.validated_data["address"].province,
            method=data.validated_data["shipping_method"],
            choices=data.validated_data["choices"],
        )
        return Response(s.TotalsSerializer(view.totals).data)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="One key per order the shopper means to place (1-64 characters): a retry "
    "with the same key returns the first order instead of placing another.",
)


class OrderList(generics.ListAPIView):
    serializer_class = s.OrderSerializer

    def get_queryset(self):
        return selectors.orders_of(self.request.user)

    @extend_schema(tags=["orders"])
    def get(self, request, *args, **kwargs):
        """The shopper's orders, newest first."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["orders"],
        parameters=[IDEMPOTENCY_KEY],
        request=s.PlaceOrderInput,
        responses={
            201: s.OrderDetailSerializer,
            200: OpenApiResponse(s.OrderDetailSerializer, description="The same key again."),
            400: OpenApiResponse(description="Field errors, or every problem of the cart."),
            409: OpenApiResponse(description="The total moved from expected_total."),
        },
    )
    def post(self, request, *args, **kwargs):
        """Place an order for every line of the cart: atomic and idempotent per
        ``Idempotency-Key``. The cart's ordered lines are removed."""
        key = request.headers.get("Idempotency-Key", "").strip()
        if not 1 <= len(key) <= 64:
            raise ValidationError(
                {"Idempotency-Key": _("Send an Idempotency-Key header of 1 to 64 characters.")}
            )
        placed = Order.objects.filter(user=request.user, idempotency_key=key).first()
        if placed is not None:
            return Response(self._detail(placed), status=status.HTTP_200_OK)
        data = s.PlaceOrderInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        view = _orderable_view(request)
        values = data.validated_data
        try:
            order = ordering.place_order(
                user=request.user,
                address=values["address"],
                items=[(line.sku_id, line.quantity) for line in view.lines],
                shipping_method=values["shipping_method"],
                idempotency_key=key,
                invoice_title=values["invoice_title"],
                tax_number=values["tax_number"],
                expected_total=values["expected_total"],
                cart=view.cart,
                choices=values["choices"],
            )
        except TotalChanged as error:
            return Response(
                {
                    "detail": str(error),
                    "expected": str(error.expected),
                    "actual": str(error.actual),
                },
                status=status.HTTP_409_CONFLICT,
            )
        except OrderRefused as error:
            raise ValidationError(
                {"detail": str(error), "problems": [str(p) for p in error.problems]}
            ) from None
        return Response(self._placed(order), status=status.HTTP_201_CREATED)

    def _placed(self, order):
        """The order read back with everything the detail shows; if the database fails
        after the commit, the order is placed all the same, so the answer is built from
        what ``place_order`` committed: never an error that makes the shopper order again."""
        try:
            return self._detail(order)
        except DatabaseError:
            logger.warning("order %s placed; reading it back failed", order.number, exc_info=True)
            return s.PlacedOrderSerializer(order).data

    def _detail(self, order):
        return s.OrderDetailSerializer(selectors.order_detail(number=order.number)).data


def _own_order(request, number) -> Order:
    try:
        return selectors.order_detail(number=number, user=request.user)
    except Order.DoesNotExist:
        raise NotFound() from None


class OrderDetail(APIView):
    @extend_schema(tags=["orders"], responses=s.OrderDetailSerializer)
    def get(self, request, number):
        """One of the shopper's orders with its lines, timeline and payments."""
        return Response(s.OrderDetailSerializer(_own_order(request, number)).data)


class OrderCancel(APIView):
    @extend_schema(
        tags=["orders"],
        request=s.CancelInput,
        responses={
            200: s.OrderDetailSerializer,
            409: OpenApiResponse(description="Too late to cancel: a parcel has left."),
        },
    )
    def post(self, request, number):
        """Cancel an order before shipment; a paid order is refunded in full."""
        order = _own_order(request, number)
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            ordering.cancel_order(
                order=order, actor=request.user, reason=data.validated_data["reason"]
            )
        except (IllegalTransition, FulfilmentError) as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except OrderError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(s.OrderDetailSerializer(_own_order(request, number)).data)


class OrderPay(APIView):
    @extend_schema(
        tags=["orders"],
        request=None,
        responses={201: s.PaymentStartSerializer, 409: OpenApiResponse(description="Not payable.")},
    )
    def post(self, request, number):
        """Start a payment (or pay again after a failure) and get the provider's page."""
        order = _own_order(request, number)
        try:
            started = payments.start_payment(
                order=order, actor=request.user, **payment_urls(request)
            )
        except OrderError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(s.PaymentStartSerializer(started).data, status=status.HTTP_201_CREATED)
