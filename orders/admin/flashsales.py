"""Flash sales in the admin: operators schedule them; claims are read-only."""
