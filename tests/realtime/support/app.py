"""The real gateway app with a few real-time settings taken from the environment, for tests.

    REALTIME_CLIENT_BUFFER=8 gunicorn -c gateway/gunicorn_conf.py \
        'tests.realtime.support.app:create_app()'

config/<env>.yaml has no ${VAR} for these GATEWAY keys, so a story that needs a tiny client
buffer (the slow consumer) or another chat backend starts its gateway through this factory;
everything else is the gateway exactly as deployed.
"""
import os

from gateway.app import create_app as create_gateway_app
from kit.config import load_config

OVERRIDABLE = ("client_buffer", "drop_grace_s", "heartbeat_s", "presence_ttl_s",
               "chat_service")


def create_app():
    config = load_config(os.environ.get("AARYA_ENV"))
    for name in OVERRIDABLE:
        value = os.environ.get(f"REALTIME_{name.upper()}")
        if value:
            config["GATEWAY"][name] = value
    return create_gateway_app(config=config)
