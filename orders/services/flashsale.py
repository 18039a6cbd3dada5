"""Flash sales (秒杀): a Redis gate in front of PostgreSQL. Filled by the flash-sale work;
the function below is its contract with the order services."""


def release_claim(*, order) -> None:
    """The flash-sale claim of ``order`` (if any) gives its units back to the sale: the
    order was cancelled or never paid. Runs inside the caller's transaction; the Redis
    counter follows on commit. Does nothing for an order without a live claim."""
    return None
