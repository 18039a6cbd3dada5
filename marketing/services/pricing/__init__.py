"""Pricing carts with promotions, coupons and gift cards: the engine (``engine``, pure),
the rules it reads (``rules``, ``catalogue``), how it speaks (``labels``), the source and
hooks orders calls (``source``, ``hooks``) and the re-check after returns (``rechecks``)."""
