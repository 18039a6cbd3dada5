from .accounts import Address, Notification, User, UserManager
from .knowledge import FaqArticle, FaqCategory
from .service import (
    TICKET_MACHINE,
    FollowUp,
    ServiceTarget,
    Ticket,
    TicketAttachment,
    TicketBreach,
    TicketMessage,
    TicketStatusChange,
)

__all__ = [
    "TICKET_MACHINE",
    "Address",
    "FaqArticle",
    "FaqCategory",
    "FollowUp",
    "Notification",
    "ServiceTarget",
    "Ticket",
    "TicketAttachment",
    "TicketBreach",
    "TicketMessage",
    "TicketStatusChange",
    "User",
    "UserManager",
]
