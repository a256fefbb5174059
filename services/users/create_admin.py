"""Create an admin account: `python -m services.users.create_admin --env dev --email … --username …`.

The password comes from --password, $AARYA_ADMIN_PASSWORD, or is generated and printed once.
With --if-missing it does nothing when an admin already exists, so `make up` can run it every
time. The account and its `user.created` event commit together through the outbox; the users
service's relay publishes the event.
"""
import argparse
import secrets
import sys

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from kit.config import load_config
from kit.db import make_engine
from kit.errors import ServiceError
from kit.outbox import outbox_table
from kit.envelope import make_envelope
from services.users import accounts
from services.users.models import User


def create_admin(config, email, username, password, full_name="Administrator"):
    engine = make_engine(config["DB_URIS"]["users"], pool_size=1)
    outbox = outbox_table(sa.MetaData())
    try:
        with sessionmaker(bind=engine)() as session, session.begin():
            user = accounts.create_user(session, email, username, password, full_name,
                                        role="admin")
            envelope = make_envelope("user.created", "users", {
                "user_id": user.id, "email": user.email, "username": user.username,
                "full_name": user.full_name, "role": user.role}, correlation_id="create_admin")
            session.execute(outbox.insert().values(id=envelope["id"], event_type="user.created",
                                                   envelope=envelope))
            return user.id
    finally:
        engine.dispose()


def admin_exists(config):
    engine = make_engine(config["DB_URIS"]["users"], pool_size=1)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(User)
                               .where(User.role == "admin")) > 0
    finally:
        engine.dispose()


def main(argv=None):
    import os
    parser = argparse.ArgumentParser(description="Create the first (or another) admin user.")
    parser.add_argument("--env", default=None)
    parser.add_argument("--email", default="admin@aarya.local")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default=os.environ.get("AARYA_ADMIN_PASSWORD"))
    parser.add_argument("--if-missing", action="store_true",
                        help="do nothing if an admin already exists")
    args = parser.parse_args(argv)
    config = load_config(args.env)
    if args.if_missing and admin_exists(config):
        print("an admin already exists; nothing to do")
        return 0
    password = args.password or secrets.token_urlsafe(12)
    try:
        user_id = create_admin(config, args.email, args.username, password)
    except ServiceError as exc:
        print(f"cannot create admin: {exc}", file=sys.stderr)
        return 1
    shown = password if not args.password else "(as given)"
    print(f"admin created: id={user_id} email={args.email} password={shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
