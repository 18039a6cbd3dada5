"""What the floors above orders do when an order is paid (marketing: a qualifying order
lifts the shopper's membership tier at once). Orders never imports them: they register
here from their ``AppConfig.ready``."""

from collections.abc import Callable

PaidHook = Callable[..., None]
_paid_hooks: list[PaidHook] = []


def register_paid_hook(hook: PaidHook) -> PaidHook:
    """Have ``hook(order=...)`` run in the transaction that records ``order`` as paid
    (a provider's money arrived, or nothing was left to pay), after the transition. It
    must be cheap and idempotent (a repeated notification does not call it twice, but a
    later recompute may do the same work); raising aborts the payment's recording. A
    decorator; registering the same hook twice keeps one."""
    if hook not in _paid_hooks:
        _paid_hooks.append(hook)
    return hook


def run_paid_hooks(order) -> None:
    for hook in _paid_hooks:
        hook(order=order)
