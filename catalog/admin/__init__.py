"""The operators' back office for the catalog. Importing the modules registers the admins."""

from . import admission, inventory, listing  # noqa: F401
