"""Refusals in the REST API: one shape for every "no" an endpoint answers itself.

A refusal is ``{"detail": ..., "code": ...}``: ``detail`` says what went wrong in the
reader's language, ``code`` is stable for programs (``sold_out``, ``limit``, ``invalid``).
Bad input (a serializer's errors) is ``code`` ``invalid`` with each field's messages
under ``fields``, never beside ``detail`` and ``code``, where a field of the same name
(a coupon's ``code``) would clash with them. A body that is not JSON at all is bad input
in the same shape, not DRF's bare ``{"detail"}``.

Endpoints subclass ``RefusingView`` (JSON bodies only) and answer with ``refusal`` and
``field_errors``; ``RefusalSerializer`` documents the shape in the OpenAPI schema."""

from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.parsers import BoundedJSONParser


class RefusalSerializer(serializers.Serializer):
    """The shape of a refusal, for ``extend_schema`` (endpoints with their own list of
    codes subclass it and narrow ``code``)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="With code 'invalid': each field's messages, under the field's name.",
    )
    problems = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Every reason, when there is more than one.",
    )


def refusal(error, http_status: int = status.HTTP_400_BAD_REQUEST, *, problems=()) -> Response:
    """A domain error as a refusal: its message, its ``code`` (``refused`` without one)
    and, when given, every problem it found."""
    body = {"detail": str(error), "code": getattr(error, "code", "refused")}
    if problems:
        body["problems"] = [str(problem) for problem in problems]
    return Response(body, status=http_status)


def field_errors(errors) -> Response:
    """Bad input: a serializer's errors (or ``{field: [message]}``) under ``fields``."""
    body = {"detail": _("Check the fields marked."), "code": "invalid", "fields": errors}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class RefusingView(APIView):
    """JSON bodies only, and one that does not parse is a refusal like any other bad input.
    The CSRF check of a signed-in session reads the body before the view, so the parse
    error is caught here rather than around ``request.data``."""

    parser_classes = [BoundedJSONParser]

    def handle_exception(self, exc):
        if isinstance(exc, ParseError):
            body = {"detail": str(exc.detail), "code": "invalid"}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)
