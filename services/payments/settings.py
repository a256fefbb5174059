"""The PAYMENTS section of the config, with its defaults.

    PAYMENTS:
      provider: sandbox               # the card gateway (only the sandbox exists so far)
      provider_timeout_s: 3           # every provider call is cut off after this (eventlet.Timeout)
      max_provider_retries: 3         # a timed-out authorise/capture is retried this many times
                                      # by the sweeper, then the payment fails (provider_timeout)
      sweep_interval_s: 5             # how often the sweeper runs (every replica; rows are leased)
      sweep_batch: 100
      fraud_hold_score: 75            # a risk score at or above this holds the payment for review
      fraud_window_s: 60              # the sliding window of the velocity checks
      fraud_velocity_limit: 5         # payments per user or per card in the window (IP: twice it)
      fraud_trusted_ips: 127.0.0.0/8,::1/128   # networks the IP velocity check ignores (our own
                                      # hosts; behind a proxy the gateway sees real client IPs)
      review_deadline_s: 86400        # a held payment nobody reviewed fails (fraud_review_timeout)
      action_deadline_s: 900          # a challenge nobody answered fails (authentication_timeout)
      webhook_url: http://127.0.0.1:8080/api/payments/webhook   # where the provider POSTs
      webhook_secret: ...             # shared with the provider; signs every webhook
      webhook_tolerance_s: 300        # an older signed timestamp is a replay
      webhook_delay_s: 3              # sandbox: how long a challenge takes to "authenticate"
      webhook_poll_s: 0.5             # sandbox: how often due webhooks are looked for
"""
from dataclasses import dataclass

from kit.config import settings_from_section

# Older configs (and the orders team's test env) call the retry count `provider_retries`.
ALIASES = {"max_provider_retries": ("provider_retries",)}


@dataclass(frozen=True)
class PaymentSettings:
    provider: str = "sandbox"
    provider_timeout_s: float = 3.0
    max_provider_retries: int = 3
    sweep_interval_s: float = 5.0
    sweep_batch: int = 100
    fraud_hold_score: int = 75
    fraud_window_s: float = 60.0
    fraud_velocity_limit: int = 5
    fraud_trusted_ips: str = "127.0.0.0/8,::1/128"
    review_deadline_s: float = 86400.0
    action_deadline_s: float = 900.0
    webhook_url: str = "http://127.0.0.1:8080/api/payments/webhook"
    webhook_secret: str = "dev-only-webhook-secret-change-me"
    webhook_tolerance_s: float = 300.0
    webhook_delay_s: float = 3.0
    webhook_poll_s: float = 0.5

    @property
    def lease_s(self):
        """How long a claimed provider call keeps others off the payment: the call's own bound
        plus slack, so a lease only runs out on a process that died mid-call."""
        return self.provider_timeout_s + 5.0

    @classmethod
    def from_config(cls, config):
        return settings_from_section(cls, config, "PAYMENTS", aliases=ALIASES)
