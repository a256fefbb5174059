"""The ORDERS section of the config, with its defaults, read once per worker.

    ORDERS:
      payment_deadline_s: 900     # pending / payment_pending longer than this: the sweeper asks
                                  # payments and finishes or cancels (reason payment_timeout)
      held_deadline_s: 86400      # a payment held for a fraud review waits this long for staff
      sweep_interval_s: 30        # how often the sweeper runs (every replica; rows are locked)
      sweep_batch: 200            # orders looked at per sweep
      settle_after_s: 10          # a follow-up call (commit stock, clear cart, release, return)
                                  # missing this long after the order last moved is redone
      rpc_timeout_s: 8            # products and cart calls give up after this
      payments_timeout_s: 8       # payments calls give up after this (above the provider's
                                  # own timeout, so a slow card still answers `pending`)
      idempotency_ttl_s: 86400    # an Idempotency-Key is remembered this long
"""
from dataclasses import dataclass

from kit.config import settings_from_section


@dataclass(frozen=True)
class OrderSettings:
    payment_deadline_s: float = 900.0
    held_deadline_s: float = 86400.0
    sweep_interval_s: float = 30.0
    sweep_batch: int = 200
    settle_after_s: float = 10.0
    rpc_timeout_s: float = 8.0
    payments_timeout_s: float = 8.0
    idempotency_ttl_s: float = 86400.0

    @classmethod
    def from_config(cls, config):
        return settings_from_section(cls, config, "ORDERS")
