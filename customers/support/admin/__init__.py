from . import faq, tickets  # noqa: F401  (importing the modules registers their admins)
