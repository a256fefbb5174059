"""One Alembic history per service: `python -m kit.migrate --env dev upgrade [users ...]`.

Each service keeps its migrations in `services/<name>/migrations/versions`; the env.py there
is two lines that call `run_migrations()` below, so the Alembic wiring exists once.
"""
import argparse
import sys

from alembic import command, context
from alembic.config import Config
from sqlalchemy import create_engine, pool

from kit.config import ROOT, load_config
from kit.topology import ALL_SERVICES


def migrations_dir(service):
    return ROOT / "services" / service / "migrations"


def services_with_migrations():
    return [s for s in ALL_SERVICES if (migrations_dir(s) / "env.py").exists()]


def alembic_config(service, config):
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(service)))
    cfg.set_main_option("sqlalchemy.url", config["DB_URIS"][service].replace("%", "%%"))
    cfg.set_main_option("version_locations", str(migrations_dir(service) / "versions"))
    return cfg


def run_migrations():
    """Called from a service's migrations/env.py (online mode only: we always have a DB)."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default=None, help="config/<env>.yaml (default $AARYA_ENV or dev)")
    sub = parser.add_subparsers(dest="action", required=True)
    up = sub.add_parser("upgrade")
    up.add_argument("services", nargs="*")
    up.add_argument("--to", default="head")
    down = sub.add_parser("downgrade")
    down.add_argument("service")
    down.add_argument("--to", default="-1")
    rev = sub.add_parser("revision")
    rev.add_argument("service")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    config = load_config(args.env)

    if args.action == "upgrade":
        for service in args.services or services_with_migrations():
            print(f"migrating {service} → {args.to}")
            command.upgrade(alembic_config(service, config), args.to)
    elif args.action == "downgrade":
        command.downgrade(alembic_config(args.service, config), args.to)
    elif args.action == "revision":
        command.revision(alembic_config(args.service, config), message=args.message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
