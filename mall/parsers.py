"""Request-body parsers for the API: DRF's, hardened against hostile bodies."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python's recursion limit
    (``"[" * 100_000``) is a 400 "JSON parse error" like any other broken JSON instead of
    a ``RecursionError`` and a 500. No shopper's request nests more than a few levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from error
