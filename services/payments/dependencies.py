"""The payments service's own dependencies: the card provider, and timers set from config.

`Provider` gives workers the configured PaymentProvider (PAYMENTS.provider; the sandbox is the
only one so far). It has its own Redis client: the sandbox's vault and charges stand for the
provider's side, not ours. `settings_timer("sweep_interval_s")` is nameko's @timer with its
interval read from the PAYMENTS section when the service starts.
"""
from nameko.extensions import DependencyProvider
from nameko.timer import Timer

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


class SettingsTimer(Timer):
    def __init__(self, setting, **kwargs):
        self.setting = setting
        super().__init__(interval=getattr(PaymentSettings, setting), **kwargs)

    def setup(self):
        self.interval = float(getattr(PaymentSettings.from_config(self.container.config),
                                      self.setting))


settings_timer = SettingsTimer.decorator
