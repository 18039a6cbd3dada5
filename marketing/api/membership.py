"""The member centre in the REST API: the signed-in shopper's tier, progress, benefits and
points (``/api/v1/membership/``), the points history (``/api/v1/membership/points/``) and
one entry of it. Every object is the shopper's own: another shopper's entry is a 404.
Checkout takes points as the choice ``points: ["use"]`` (``/api/v1/checkout/quote/`` and
``/api/v1/orders/``)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import PointsEntry
from ..selectors.loyalty import HISTORY_ROWS, member_centre

MONEY = {"max_digits": 14, "decimal_places": 2}


class TierSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="__str__", help_text="In the reader's language.")
    rank = serializers.IntegerField()
    min_spend = serializers.DecimalField(**MONEY)
    min_orders = serializers.IntegerField()
    points_multiplier = serializers.DecimalField(max_digits=4, decimal_places=2)
    member_discount_percent = serializers.DecimalField(max_digits=4, decimal_places=1)
    free_shipping_over = serializers.DecimalField(allow_null=True, **MONEY)
    early_access_minutes = serializers.IntegerField()
    support_priority = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    next_tier = TierSerializer(allow_null=True)
    spend_needed = serializers.DecimalField(**MONEY)
    orders_needed = serializers.IntegerField()
    percent = serializers.IntegerField()


class PointsEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    points = serializers.IntegerField()
    expires_on = serializers.DateField(allow_null=True)
    order = serializers.CharField(source="order.number", default=None, allow_null=True)
    created_at = serializers.DateTimeField()


class MemberCentreSerializer(serializers.Serializer):
    tier = TierSerializer(allow_null=True)
    spend_12m = serializers.DecimalField(**MONEY)
    orders_12m = serializers.IntegerField()
    downgrade_on = serializers.DateField(allow_null=True)
    progress = ProgressSerializer()
    tiers = TierSerializer(many=True)
    balance = serializers.IntegerField()
    expiring_points = serializers.IntegerField()
    expiring_on = serializers.DateField()
    entries = PointsEntrySerializer(many=True)


class MemberCentre(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["membership"], responses=MemberCentreSerializer)
    def get(self, request):
        """The shopper's own membership: tier, progress to the next, benefits of every
        tier, points balance, what ends soon and the latest entries."""
        return Response(MemberCentreSerializer(member_centre(request.user)).data)


class PointsHistory(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["membership"],
        parameters=[OpenApiParameter("before", int, description="Entries older than this id.")],
        responses={
            200: PointsEntrySerializer(many=True),
            400: OpenApiResponse(description="``before`` is not a whole number."),
        },
    )
    def get(self, request):
        """The shopper's own points entries, newest first, 50 at a time (``before``: the
        last id seen)."""
        entries = PointsEntry.objects.filter(user=request.user).select_related("order")
        before = request.query_params.get("before")
        if before is not None:
            if not before.isdigit():
                return Response({"before": [_("Enter a whole number.")]}, status=400)
            entries = entries.filter(pk__lt=int(before))
        rows = entries.order_by("-pk")[:HISTORY_ROWS]
        return Response(PointsEntrySerializer(rows, many=True).data)


class PointsEntryDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["membership"],
        responses={200: PointsEntrySerializer, 404: OpenApiResponse(description="Not yours.")},
    )
    def get(self, request, pk):
        """One of the shopper's own entries (another shopper's is not found)."""
        entry = get_object_or_404(
            PointsEntry.objects.select_related("order"), pk=pk, user=request.user
        )
        return Response(PointsEntrySerializer(entry).data)
