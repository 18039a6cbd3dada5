"""Admin for reports (being built)."""
