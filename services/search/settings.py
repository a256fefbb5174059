"""The SEARCH section of the config, with defaults, as one small object."""
from dataclasses import dataclass

from kit.config import settings_from_section


@dataclass(frozen=True)
class SearchSettings:
    index_prefix: str = "aarya"
    request_timeout_s: float = 1.0
    admin_timeout_s: float = 120.0
    refresh_interval: str = "500ms"
    bulk_window_ms: int = 20
    bulk_max_actions: int = 500
    cache_ttl_s: int = 300
    max_query_length: int = 200
    page_max: int = 100
    suggest_max: int = 20
    personal_boost: float = 0.6
    trends_rollup_interval_s: int = 60
    rpc_timeout_s: float = 10.0

    @classmethod
    def from_config(cls, config):
        return settings_from_section(cls, config, "SEARCH")
