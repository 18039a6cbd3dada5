"""Admin for stocktake (being built)."""
