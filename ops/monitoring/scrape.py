"""A Prometheus scrape config for the processes of a platform, one target per process.

    python -m ops.monitoring.scrape --env dev > /tmp/prometheus.yml   # this machine's ports

Each target carries `process=<name>`, the name platformctl, compose and k8s use; the list comes
from `Platform.names()`, so a new service is scraped without editing anything here.
(ops/docker/prometheus.yml is the same for the compose network; tests/deploy checks it.)
"""
import argparse
import sys
from urllib.parse import urlsplit

import yaml

from kit.config import ROOT

RULES = sorted(str(p) for p in (ROOT / "ops" / "monitoring" / "rules").glob("*.yml"))


def metrics_targets(platform):
    """{process name: 'host:port'} of every process's /metrics."""
    return {name: urlsplit(platform.url(name)).netloc for name in platform.names()}


def scrape_config(targets, interval="15s", rule_files=RULES):
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": list(rule_files),
        "scrape_configs": [{
            "job_name": "aarya",
            "metrics_path": "/metrics",
            "static_configs": [{"targets": [hostport], "labels": {"process": name}}
                               for name, hostport in sorted(targets.items())],
        }],
    }


def main(argv=None):
    from ops.platformctl import Platform

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default=None)
    parser.add_argument("--interval", default="15s")
    args = parser.parse_args(argv)
    config = scrape_config(metrics_targets(Platform(env=args.env)), args.interval)
    yaml.safe_dump(config, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
