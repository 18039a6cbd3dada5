"""Payments, provider notifications and refunds in the admin (read-only: they change
through ``orders.services.payments`` only)."""
