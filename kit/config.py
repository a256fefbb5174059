"""Load the platform's YAML config with nameko's own ${ENV_VAR:default} substitution.

nameko processes get their config from `nameko run --config`; the bridge, the gateway, the
launcher and the tests load the same files through `load_config` so every process agrees.
"""
import os
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"

setup_yaml_parser()


def config_path(env=None):
    """`config/<env>.yaml`; env defaults to $AARYA_ENV or `dev`."""
    env = env or os.environ.get("AARYA_ENV", "dev")
    return CONFIG_DIR / f"{env}.yaml"


def load_config(env_or_path=None):
    """Parse a config file (by env name or path), resolving ${VAR:default} from the environment."""
    path = Path(env_or_path) if env_or_path and str(env_or_path).endswith(".yaml") else config_path(env_or_path)
    with open(path) as fh:
        return yaml.safe_load(fh)
