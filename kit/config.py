"""Load the platform's YAML config with nameko's own ${ENV_VAR:default} substitution.

nameko processes get their config from `nameko run --config`; the bridge, the gateway, the
launcher and the tests load the same files through `load_config` so every process agrees.
`settings_from_section` turns one section into a service's settings dataclass, with its defaults.
"""
import dataclasses
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


def settings_from_section(cls, config, section, aliases=None, **fixed):
    """A settings dataclass `cls` from `config[section]`, e.g. OrderSettings from ORDERS.

    Each field the section gives (not blank) is converted to its default's type; the others
    keep their defaults. `aliases` maps a field to older names it may still be given as
    ({"max_provider_retries": ("provider_retries",)}); `fixed` are fields set from elsewhere
    in the config (not read from the section)."""
    given = dict((config or {}).get(section) or {})
    for name, others in (aliases or {}).items():
        for other in others:
            if _blank(given.get(name)) and not _blank(given.get(other)):
                given[name] = given[other]
    values = {field.name: type(field.default)(given[field.name])
              for field in dataclasses.fields(cls)
              if field.name not in fixed and not _blank(given.get(field.name))}
    return cls(**fixed, **values)


def _blank(value):
    return value in (None, "")
