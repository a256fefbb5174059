"""`settings_timer`: nameko's @timer with its interval read from the service's settings at start.

    @settings_timer(PaymentSettings, "sweep_interval_s")

nameko's own @timer takes a number fixed at import time; tests and ops need to change it per
environment (config/<env>.yaml, or an env var through ${VAR:default}). The settings class is
a dataclass with `from_config` (kit.config.settings_from_section); its default is the interval
until the container is set up.
"""
from nameko.timer import Timer


class SettingsTimer(Timer):
    def __init__(self, settings_class, setting, **kwargs):
        self.settings_class, self.setting = settings_class, setting
        super().__init__(interval=getattr(settings_class, setting), **kwargs)

    def setup(self):
        settings = self.settings_class.from_config(self.container.config)
        self.interval = float(getattr(settings, self.setting))


settings_timer = SettingsTimer.decorator
