from .knowledge import FaqArticle, FaqCategory
from .macros import Macro
from .tickets import (
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
    "FaqArticle",
    "FaqCategory",
    "FollowUp",
    "Macro",
    "ServiceTarget",
    "Ticket",
    "TicketAttachment",
    "TicketBreach",
    "TicketMessage",
    "TicketStatusChange",
]
