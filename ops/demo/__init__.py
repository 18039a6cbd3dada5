"""Demo data for bin/shop and the tests: a catalog with photos, shoppers and staff, orders in
every state, tickets, the FAQ and reviews. Each module seeds one part through the apps' own
services (never by writing their tables), idempotently; ``seed_demo`` runs them in order."""
