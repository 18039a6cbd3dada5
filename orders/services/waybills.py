"""Waybills (shipping labels) as PDF: one A6 page per parcel with the carrier, the
tracking number as a Code 128 barcode (the shipment number while the parcel has no
tracking number yet), sender warehouse, recipient and the goods. Built with reportlab
(its Code 128 and its built-in Chinese font STSong-Light, so nothing is embedded or
downloaded). Reads only; the admin checks who may print."""

import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ..carriers import registry as carriers
from ..models import Shipment

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def barcode_value(shipment: Shipment) -> str:
    """What the label's barcode says: the tracking number, or the shipment number before
    the parcel is handed to a carrier."""
    return shipment.tracking_number or shipment.number


def render_waybills(shipments: Iterable[Shipment]) -> bytes:
    """A PDF with one label per shipment, in the order given. Each shipment needs its
    ``order``, ``warehouse`` and ``lines__order_line`` loaded (``waybill_shipments``)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A6, pageCompression=1)
    pdf.setTitle(_("Waybills"))
    pdf.setCreator("mall")
    font = _font()
    width, height = A6
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    count = 0
    for shipment in shipments:
        count += 1
        order = shipment.order
        y = height - 12 * mm
        pdf.setFont(font, 13)
        carrier = carriers.label(shipment.carrier) if shipment.carrier else _("carrier not chosen")
        pdf.drawString(8 * mm, y, str(carrier))
        pdf.setFont(font, 8)
        pdf.drawRightString(width - 8 * mm, y, printed)
        value = barcode_value(shipment)
        code = Code128(value, barHeight=16 * mm, barWidth=0.9, humanReadable=True)
        code.drawOn(pdf, max(2 * mm, (width - code.width) / 2), y - 26 * mm)
        y -= 34 * mm
        pdf.setFont(font, 9)
        lines = [
            _("Parcel %(number)s · order %(order)s")
            % {"number": shipment.number, "order": order.number},
            _("To: %(name)s %(mobile)s") % {"name": order.recipient, "mobile": order.mobile},
            f"{order.province}{order.city}{order.district}",
            order.street,
            _("From: %(warehouse)s") % {"warehouse": shipment.warehouse.name},
        ]
        for text in lines:
            pdf.drawString(8 * mm, y, str(text)[:48])
            y -= 5 * mm
        y -= 2 * mm
        pdf.setFont(font, 8)
        for line in shipment.lines.all():
            item = line.order_line
            pdf.drawString(8 * mm, y, f"{item.sku_code} {item.product_name} {item.sku_label}"[:56])
            pdf.drawRightString(width - 8 * mm, y, f"× {line.quantity}")
            y -= 4.5 * mm
            if y < 10 * mm:
                break
        pdf.showPage()
    if not count:
        pdf.setFont(font, 12)
        pdf.drawString(8 * mm, height / 2, _("No parcels to label."))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
