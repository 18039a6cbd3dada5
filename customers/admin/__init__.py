from . import accounts  # noqa: F401  (registers the account admins)
