"""The notifications service's pure rules, without a broker: money, backoff, templates, the
SMS sandbox, what a user event says about where to reach someone, and the SMTP client against
a real (in-thread) SMTP server.
"""
import importlib.util
import socket
import uuid

import pytest

from services.notifications import recipients, triggers
from services.notifications.channels import DeliveryFailed
from services.notifications.channels.email import SmtpMailer, compose
from services.notifications.channels.sms import SandboxSmsProvider, normalise_number
from services.notifications.dispatch import _context
from services.notifications.models import NotificationTemplate
from services.notifications.settings import backoff_s
from services.notifications.templates import TEMPLATE_CATEGORY, render
from tests.notifications.conftest import MIGRATION, SmtpServer

SETTINGS = {"shop_name": "Aarya", "shop_url": "https://aarya.example", "retry_base_s": 30.0,
            "retry_max_s": 3600.0}


def seed_rows():
    spec = importlib.util.spec_from_file_location("notifications_0001", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return [NotificationTemplate(key=k, channel=c, subject=s, html=h, text=t, version=1)
            for k, c, s, h, t in migration.SEED_TEMPLATES]


def test_money_is_formatted_from_integer_minor_units():
    assert triggers.money(2999900, "INR") == "₹29,999.00"
    assert triggers.money(1999, "usd") == "$19.99"
    assert triggers.money(1500, "JPY") == "JPY 1,500"
    assert triggers.money(12345, "CHF") == "CHF 123.45"
    assert triggers.money(None) is None


def test_backoff_doubles_per_attempt_up_to_the_cap():
    assert [backoff_s(SETTINGS, n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_s(SETTINGS, 20) == 3600


def test_every_seeded_template_has_a_category_and_renders_from_what_its_trigger_gives():
    user = type("R", (), {"full_name": "Asha Rao"})()
    samples = {
        "welcome": triggers.welcome(None, {"data": {"user_id": 1}}, SETTINGS),
        "order_confirmation": triggers.order_confirmation(None, {"data": {
            "order_id": 7, "user_id": 1, "total_amount": 129900, "currency": "INR",
            "items": [{}]}}, SETTINGS),
        "order_shipped": triggers.order_shipped(None, {"type": "order.shipped", "data": {
            "order_id": 7, "user_id": 1}}, SETTINGS),
        "payment_failed": triggers.payment_failed(None, {"data": {
            "order_id": 7, "user_id": 1, "amount": 129900}}, SETTINGS),
        "back_in_stock": [triggers.Notice(1, "back_in_stock", triggers._product(
            {"product_id": 3, "sku": "TEE-M", "new": 2}, SETTINGS), {})],
    }
    rows = seed_rows()
    assert {r.key for r in rows} == set(TEMPLATE_CATEGORY) == set(samples)
    for row in rows:
        (notice,) = samples[row.key]
        rendered = render(row, _context(notice, user, SETTINGS))
        assert rendered.text and "{{" not in rendered.text, (row.key, row.channel)
        if row.channel in ("email", "push", "in_app"):
            assert rendered.subject and "\n" not in rendered.subject
        if row.channel == "sms":
            assert len(rendered.text) <= 160, (row.key, rendered.text)

    (notice,) = samples["order_confirmation"]
    email = render(next(r for r in rows if r.key == "order_confirmation" and r.channel == "email"),
                   _context(notice, user, SETTINGS))
    assert email.subject == "Order #7 confirmed"
    assert "(1 item) totalling ₹1,299.00" in email.text
    assert "https://aarya.example/orders/7" in email.text


def test_html_is_escaped_but_text_is_not():
    row = NotificationTemplate(key="welcome", channel="email", subject="Hi {{ full_name }}",
                               html="<p>{{ full_name }}</p>", text="{{ full_name }}", version=1)
    rendered = render(row, {"full_name": "<b>Ann & Co</b>"})
    assert rendered.html == "<p>&lt;b&gt;Ann &amp; Co&lt;/b&gt;</p>"
    assert rendered.text == "<b>Ann & Co</b>"


def test_the_sms_sandbox_records_what_it_sent_and_fails_test_numbers_deterministically():
    sandbox = SandboxSmsProvider()
    message_id = sandbox.send("+919876543210", "hello")
    assert [(s.message_id, s.to_number, s.body) for s in sandbox.sent] == [
        (message_id, "+919876543210", "hello")]
    with pytest.raises(DeliveryFailed) as refused:
        sandbox.send("+15005550001", "hello")
    assert refused.value.permanent and str(refused.value) == "invalid destination number"
    with pytest.raises(DeliveryFailed) as busy:
        sandbox.send("+15005550009", "hello")
    assert not busy.value.permanent
    with pytest.raises(DeliveryFailed) as bad:
        sandbox.send("98765", "hello")
    assert bad.value.permanent
    assert len(sandbox.sent) == 1


def test_numbers_are_normalised_to_e164_or_dropped():
    assert normalise_number("+91 98765-43210") == "+919876543210"
    assert normalise_number("(+1) 500-555-0001") == "+15005550001"
    assert normalise_number("9876543210") is None  # no country code: cannot text it safely
    assert normalise_number(None) is None


def test_user_events_say_where_to_reach_someone():
    created = {"type": "user.created", "data": {"user_id": 1, "email": "a@x.com",
                                                "full_name": "A", "role": "customer"}}
    assert recipients.contact_fields(created) == {"email": "a@x.com", "full_name": "A"}
    updated = {"type": "user.updated", "data": {"user_id": 1, "changes": {
        "phone": {"old": None, "new": "+911234567890"}, "bio": {"old": "", "new": "hi"}}}}
    assert recipients.contact_fields(updated) == {"phone": "+911234567890"}
    assert recipients.contact_fields({"type": "user.activity", "data": {"user_id": 1}}) == {}


def test_only_events_that_can_notify_are_looked_at():
    assert triggers.concerns_us({"type": "user.created", "data": {}})
    assert not triggers.concerns_us({"type": "user.activity", "data": {}})
    assert not triggers.concerns_us({"type": "product.inventory.updated",
                                     "data": {"status": "low_stock"}})
    assert triggers.concerns_us({"type": "order.status.updated",
                                 "data": {"new_status": "shipped"}})
    assert not triggers.concerns_us({"type": "order.status.updated", "data": {"status": "paid"}})


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_smtp_client_delivers_and_classifies_failures_against_a_real_server():
    port = _free_port()
    server = SmtpServer("127.0.0.1", port)
    server.start()
    try:
        mailer = SmtpMailer("127.0.0.1", port, "Aarya <no-reply@aarya.local>", timeout_s=5)
        to = f"asha-{uuid.uuid4().hex[:6]}@example.com"
        mailer.send(compose(mailer.from_address, to, "Hello", "plain body", "<p>html body</p>",
                            message_id="<fixed-1@aarya.local>"))
        (got,) = server.messages(to)
        assert got.subject == "Hello" and got.text().strip() == "plain body"
        assert got.html().strip() == "<p>html body</p>"
        assert got.message["Message-ID"] == "<fixed-1@aarya.local>"

        with pytest.raises(DeliveryFailed) as bounced:
            mailer.send(compose(mailer.from_address, "bounce-x@example.com", "Hi", "body"))
        assert bounced.value.permanent and "550" in str(bounced.value)
    finally:
        server.stop()
    with pytest.raises(DeliveryFailed) as down:
        SmtpMailer("127.0.0.1", port, "a@b.c", timeout_s=2).send(
            compose("a@b.c", "d@e.f", "Hi", "body"))
    assert not down.value.permanent

