"""Carrier adapters: the sandbox (pretend parcels with tracking events, delays and losses)."""
