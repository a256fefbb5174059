"""`python -m bridge --env dev|test`: run the AMQP → Redis Streams bridge until SIGTERM."""
import argparse
import logging
import logging.config
import signal
import sys

from bridge.mirror import Mirror
from bridge.settings import bridge_settings
from bridge.sidedoor import SideDoor
from kit.config import load_config

log = logging.getLogger("bridge")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bridge", description=__doc__)
    parser.add_argument("--env", default=None,
                        help="config/<env>.yaml to use (default $AARYA_ENV or dev)")
    args = parser.parse_args(argv)

    config = load_config(args.env)
    if config.get("LOGGING"):
        logging.config.dictConfig(config["LOGGING"])
    else:
        logging.basicConfig(level=logging.INFO)
    settings = bridge_settings(config)

    mirror = Mirror(settings, config)
    sidedoor = SideDoor(mirror.state, settings)
    sidedoor.start()

    def on_signal(signum, _frame):
        log.info("%s: finishing the current batch", signal.Signals(signum).name)
        mirror.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    log.info("bridge starting: queue %s → Redis %s", settings.queue, _redacted(settings.redis_uri))
    mirror.run()
    sidedoor.stop()
    return 0


def _redacted(uri):
    # A Redis URI may carry a password; logs should not.
    scheme, sep, rest = uri.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}"


if __name__ == "__main__":
    sys.exit(main())
