"""Carrier adapters: 快递100 (a tracking service), SF Express, and the sandbox."""
