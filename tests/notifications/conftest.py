"""Fixtures for the notifications stories: a real SMTP server, the service's own database, and
events written onto the real streams.

`smtp` is an aiosmtpd server in a thread of the test process, listening where the service's
config says (NOTIFICATIONS.smtp_host/smtp_port of config/<AARYA_TEST_ENV>.yaml), so the service
under test speaks real SMTP to it; tests read what it received, and can stop and restart it.
Nothing of ours is mocked.

The session `platform` empties every table, seeded ones included, so the templates the
migration seeds are put back here from that same migration before the first story.
"""
import email
import importlib.util
import socket
import threading
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.dialects.postgresql import insert

from kit.config import ROOT
from kit.envelope import make_envelope, to_stream_fields
from kit.topology import STREAM_FOR_SOURCE
from services.notifications.dispatch import CONSUMER
from tests.support import harness

MIGRATION = (ROOT / "services" / "notifications" / "migrations" / "versions"
             / "0001_notifications_schema.py")
# Mail to these local parts is refused with a 550, as a real server does for a dead mailbox.
REFUSED_PREFIX = "bounce-"


class Received:
    def __init__(self, mail_from, rcpt_tos, raw):
        self.mail_from = mail_from
        self.rcpt_tos = rcpt_tos
        self.message = email.message_from_bytes(raw, policy=policy.default)

    @property
    def subject(self):
        return str(self.message["Subject"])

    @property
    def template(self):
        return str(self.message["X-Aarya-Template"])

    def text(self):
        return self.message.get_body(preferencelist=("plain",)).get_content()

    def html(self):
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


class _Handler:
    def __init__(self, mailbox):
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith(REFUSED_PREFIX):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.mailbox.add(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server that keeps every message it accepted."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self._messages = []
        self._lock = threading.Lock()
        self._controller = None

    def add(self, received):
        with self._lock:
            self._messages.append(received)

    def start(self):
        if _port_taken(self.host, self.port):
            raise RuntimeError(f"SMTP port {self.host}:{self.port} of NOTIFICATIONS.smtp_port is "
                               f"taken; is another copy of this suite running in this env?")
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self):
        return self._controller is not None

    def messages(self, to=None, template=None):
        with self._lock:
            found = list(self._messages)
        return [m for m in found if (to is None or to in m.rcpt_tos)
                and (template is None or m.template == template)]

    def wait_for(self, to, template, timeout=20):
        return harness.wait_for(lambda: self.messages(to, template), timeout=timeout,
                                message=f"a {template} email to {to}")[0]


def _port_taken(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def smtp(config):
    settings = config.get("NOTIFICATIONS") or {}
    if not settings.get("smtp_port"):
        pytest.fail(f"config/{harness.TEST_ENV}.yaml has no NOTIFICATIONS.smtp_port: the "
                    f"service and this SMTP server must agree on it")
    server = SmtpServer(settings["smtp_host"], int(settings["smtp_port"]))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_up(smtp):
    """A story may stop the server; the next one starts with it up again."""
    if not smtp.running:
        smtp.start()
    yield smtp
    if not smtp.running:
        smtp.start()


def _seed_templates(engine):
    spec = importlib.util.spec_from_file_location("notifications_0001", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    table = sa.table("notification_templates", sa.column("key"), sa.column("channel"),
                     sa.column("subject"), sa.column("html"), sa.column("text"),
                     sa.column("version"))
    rows = [{"key": k, "channel": c, "subject": s, "html": h, "text": t, "version": 1}
            for k, c, s, h, t in migration.SEED_TEMPLATES]
    with engine.begin() as conn:
        conn.execute(insert(table).values(rows).on_conflict_do_nothing())


@pytest.fixture(scope="session")
def notifications_db(config, platform):
    engine = sa.create_engine(config["DB_URIS"]["notifications"])
    _seed_templates(engine)
    yield NotificationsDb(engine)
    engine.dispose()


class NotificationsDb:
    """Read-only looks at what ops would check with psql: the delivery logs."""

    def __init__(self, engine):
        self.engine = engine

    def rows(self, sql, **params):
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]

    def email_logs(self, user_id, template=None):
        return self.rows("SELECT * FROM email_logs WHERE user_id = :u "
                         "AND (CAST(:t AS text) IS NULL OR template = :t) ORDER BY id",
                         u=user_id, t=template)

    def sms_logs(self, user_id, template=None):
        return self.rows("SELECT * FROM sms_logs WHERE user_id = :u "
                         "AND (CAST(:t AS text) IS NULL OR template = :t) ORDER BY id",
                         u=user_id, t=template)


@pytest.fixture(scope="session")
def shop(config, platform, notifications_db, redis_db):
    return Shop(redis_db)


class Shop:
    """Writes well-formed events onto the real streams, as the owning services would."""

    def __init__(self, redis_db):
        self.redis = redis_db

    def publish(self, event_type, source, data, occurred_at=None):
        """XADD a new envelope to the source's stream; returns (envelope, entry id)."""
        envelope = make_envelope(event_type, source, data, correlation_id="test-notifications",
                                 occurred_at=occurred_at)
        return envelope, self.redeliver(envelope)

    def redeliver(self, envelope):
        """XADD the very same envelope again (what a replayed dead letter looks like)."""
        return self.redis.xadd(STREAM_FOR_SOURCE[envelope["source"]], to_stream_fields(envelope))

    def entry_of(self, stream, event_type, **data_match):
        """The entry id of the newest matching event on a stream, or None."""
        for entry_id, event in reversed(harness.stream_events(self.redis, stream)):
            if event["type"] == event_type and all(
                    event["data"].get(k) == v for k, v in data_match.items()):
                return entry_id
        return None

    def wait_consumed(self, stream, entry_id, timeout=20):
        """Until notification_consumer has read `entry_id` and acked everything it read."""
        def consumed():
            for group in self.redis.xinfo_groups(stream):
                if group["name"] == CONSUMER:
                    return (_entry(group["last-delivered-id"]) >= _entry(entry_id)
                            and group["pending"] == 0)
            return False
        harness.wait_for(consumed, timeout=timeout, message=f"{CONSUMER} to ack {entry_id}")


def _entry(entry_id):
    ms, _, seq = str(entry_id).partition("-")
    return int(ms), int(seq or 0)
