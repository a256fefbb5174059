"""The base classes of the services' classes, so each service.py lists only its own parts.

    class OrdersService(service_base.SqlService):
        name = "orders"
        settings_class = OrderSettings      # self.settings = OrderSettings.from_config(config)
        products = ServiceRpc("products")

`Service` is kit.sidedoor.SideDoor (ping, /health, /metrics, `config`, worker timing) plus
`self.settings`: the service's `settings_class` read from the config, once per worker.
`SqlService` adds what every service that owns a PostgreSQL database has: `db` (kit.db, its
DB_URIS[<name>] database) and `outbox` (kit.outbox: events commit with the rows they describe).
Import the module, not the classes: `nameko run` starts every class with entrypoints that a
service module holds.
"""
from functools import cached_property

from kit import sidedoor
from kit.db import Database
from kit.outbox import Outbox


class Service(sidedoor.SideDoor):
    settings_class = None  # a settings dataclass with from_config(config), if the service has one

    @cached_property
    def settings(self):
        if self.settings_class is None:
            raise AttributeError(f"{type(self).__name__} has no settings_class")
        return self.settings_class.from_config(self.config)


class SqlService(Service):
    db = Database()
    outbox = Outbox()
