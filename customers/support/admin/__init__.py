# Importing the modules registers their admins and pages.
from . import faq, reports, tickets  # noqa: F401
