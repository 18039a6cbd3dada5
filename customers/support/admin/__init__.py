from . import faq, macros, tickets  # noqa: F401  (importing the modules registers their admins)
