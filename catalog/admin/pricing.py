"""Admin for pricing (being built)."""
