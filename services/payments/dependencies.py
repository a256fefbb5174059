"""The payments service's own dependency: the card provider.

`Provider` gives workers the configured PaymentProvider (PAYMENTS.provider; the sandbox is the
only one so far). It has its own Redis client: the sandbox's vault and charges stand for the
provider's side, not ours. (Its timers are kit.timers.settings_timer over PaymentSettings.)
"""
from nameko.extensions import DependencyProvider

from kit.redis_client import RedisClient
from services.payments.sandbox import SandboxProvider, http_session
from services.payments.settings import PaymentSettings

PROVIDERS = {"sandbox": SandboxProvider}


class Provider(DependencyProvider):
    def setup(self):
        self.settings = PaymentSettings.from_config(self.container.config)
        if self.settings.provider not in PROVIDERS:
            raise ValueError(f"unknown PAYMENTS.provider {self.settings.provider!r}; "
                             f"known: {', '.join(PROVIDERS)}")
        self.redis = RedisClient.from_url(self.container.config["REDIS_URI"],
                                          decode_responses=True)
        self.http = http_session()
        self.provider = PROVIDERS[self.settings.provider](self.redis, self.settings, self.http)

    def stop(self):
        self.http.close()
        self.redis.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.provider

