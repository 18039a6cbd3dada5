"""Helpers for customer-service tests: staff of each role, tickets opened through the real
service, deadlines moved into the past (as time passing would), uploads, FAQ articles."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from customers.support.models import FaqArticle, FaqCategory, Ticket
from customers.support.services import knowledge, tickets
from mall import roles
from tests.customers.factories import UserFactory


def staff(role: str, **fields):
    return UserFactory(roles=[role], **fields)


def agent(**fields):
    return staff(roles.SUPPORT_AGENT, **fields)


def supervisor(**fields):
    return staff(roles.SUPPORT_SUPERVISOR, **fields)


def open_ticket(shopper=None, *, type_=Ticket.Type.COMPLAINT, subject="包裹破损", **kwargs):
    """A ticket opened by its shopper (a new one unless given) through the service."""
    shopper = shopper or UserFactory()
    kwargs.setdefault("body", "收到的包裹外箱破了，里面的茶叶罐凹了。")
    return tickets.open_ticket(actor=shopper, type_=type_, subject=subject, **kwargs)


def backdate(ticket: Ticket, *, minutes: int) -> Ticket:
    """Move the ticket's opening and deadlines ``minutes`` into the past."""
    delta = datetime.timedelta(minutes=minutes)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=ticket.created_at - delta,
        first_response_due=ticket.first_response_due - delta,
        resolution_due=ticket.resolution_due - delta,
    )
    ticket.refresh_from_db()
    return ticket


def due_in(ticket: Ticket, *, first=None, resolution=None) -> Ticket:
    """Set the deadlines to ``first`` / ``resolution`` minutes from now."""
    now = timezone.now()
    fields = {}
    if first is not None:
        fields["first_response_due"] = now + datetime.timedelta(minutes=first)
    if resolution is not None:
        fields["resolution_due"] = now + datetime.timedelta(minutes=resolution)
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


def jpeg(name="photo.jpg", *, color="tomato", size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf(name="invoice.pdf") -> SimpleUploadedFile:
    data = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def article(title="包裹破损怎么办？", body="请拍照后在订单页申请售后，我们会优先处理。", **fields):
    category = FaqCategory.objects.first() or FaqCategory.objects.create(
        name="售后", name_en="After-sales", slug="after-sales"
    )
    fields.setdefault("status", FaqArticle.Status.PUBLISHED)
    return knowledge.save_article(
        article=FaqArticle(category=category, title=title, body=body, **fields)
    )
