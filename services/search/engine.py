"""Elasticsearch as a nameko dependency: one client per process, fast failure, typed errors.

Shoppers' requests get SEARCH.request_timeout_s (1 s) and no retries, so an unreachable
Elasticsearch answers `Unavailable("search_unavailable")` (503 at the gateway) within that
time instead of hanging a worker; index administration (create, alias swaps, bulk loads) gets
the longer admin timeout. Health is reported, never raised, so the side door stays up.
"""
import logging
from contextlib import contextmanager

import elastic_transport
from elasticsearch import ApiError, Elasticsearch
from nameko.extensions import DependencyProvider

from kit.errors import Unavailable
from kit.retry import run_forever
from services.search import indices
from services.search.settings import SearchSettings

log = logging.getLogger(__name__)
logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)  # a line per request


def make_client(config, settings=None):
    settings = settings or SearchSettings.from_config(config)
    return Elasticsearch(config["ELASTICSEARCH_URI"], request_timeout=settings.request_timeout_s,
                         max_retries=0, retry_on_timeout=False)


def search_unavailable(exc):
    return Unavailable("search_unavailable", "Search is unavailable right now; please retry "
                       "shortly.", {"reason": type(exc).__name__})


@contextmanager
def translated():
    """Connection trouble and server-side 5xx/429 become Unavailable; the rest propagate."""
    try:
        yield
    except (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout) as exc:
        raise search_unavailable(exc) from None
    except ApiError as exc:
        if exc.meta.status in (429, 502, 503, 504) or exc.meta.status >= 500:
            raise search_unavailable(exc) from None
        raise


class SearchEngine:
    """What a worker sees as `self.es`."""

    def __init__(self, client, settings):
        self.client = client
        self.settings = settings

    @property
    def admin(self):
        return self.client.options(request_timeout=self.settings.admin_timeout_s)

    def alias(self, kind):
        return indices.alias_name(self.settings.index_prefix, kind)

    def ping(self):
        try:
            self.client.cluster.health(timeout="1s")
            return True
        except Exception:  # reported as false on /health; never raised
            return False


class Engine(DependencyProvider):
    def setup(self):
        self.settings = SearchSettings.from_config(self.container.config)
        self.client = make_client(self.container.config, self.settings)
        self.engine = SearchEngine(self.client, self.settings)

    def start(self):
        self.container.spawn_managed_thread(self._ensure_indices, identifier="ensure_indices")

    def _ensure_indices(self):
        """Create the first index behind each alias; retry every 5 s while Elasticsearch is down."""
        import eventlet
        pending = list(indices.KINDS)

        def ensure_next():
            indices.ensure_alias(self.engine.admin, self.settings.index_prefix, pending[0],
                                 self.settings.refresh_interval)
            pending.pop(0)

        run_forever(ensure_next, name="preparing the search indices", stopped=lambda: not pending,
                    sleep=eventlet.sleep, start=5.0, cap=5.0, quiet=(Exception,))

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.engine
