"""Admin for purchasing (being built)."""
