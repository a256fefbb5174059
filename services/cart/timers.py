"""`config_timer`: nameko's @timer with its interval read from config when the service starts.

    @config_timer("CART", "abandon_scan_interval_s", default=60)

nameko's own @timer takes a number fixed at import time; tests and ops need to change it per
environment (config/<env>.yaml, or an env var through ${VAR:default}).
"""
from nameko.timer import Timer


class ConfigTimer(Timer):
    def __init__(self, section, key, default, eager=False, **kwargs):
        self.section, self.key, self.default = section, key, default
        super().__init__(interval=default, eager=eager, **kwargs)

    def setup(self):
        section = self.container.config.get(self.section) or {}
        self.interval = float(section.get(self.key, self.default))


config_timer = ConfigTimer.decorator
