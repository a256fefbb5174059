"""Email over real SMTP (smtplib), configured by NOTIFICATIONS.smtp_* in the service's YAML.

    NOTIFICATIONS:
      smtp_host: 127.0.0.1      smtp_port: 1025      smtp_starttls: false
      smtp_username: ~          smtp_password: ~     smtp_timeout_s: 10
      from_address: "Aarya <no-reply@aarya.local>"

One connection per message: simple, and a dead connection never outlives one send. Failures are
`DeliveryFailed`; `permanent` ones (a 5xx answer: bad address, rejected sender) are not retried.
"""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from nameko.extensions import DependencyProvider

from services.notifications.channels import DeliveryFailed


def smtp_settings(config):
    s = config.get("NOTIFICATIONS", {})
    return {
        "host": s.get("smtp_host") or "127.0.0.1",
        "port": int(s.get("smtp_port") or 25),
        "starttls": str(s.get("smtp_starttls", "false")).lower() in ("1", "true", "yes"),
        "username": s.get("smtp_username") or None,
        "password": s.get("smtp_password") or None,
        "timeout_s": float(s.get("smtp_timeout_s") or 10),
        "from_address": s.get("from_address") or "Aarya <no-reply@aarya.local>",
    }


def compose(from_address, to_address, subject, text, html=None, message_id=None, headers=None):
    """A multipart/alternative message (text, and html when there is one)."""
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain="aarya.local")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


class SmtpMailer:
    """Sends one EmailMessage per call over a fresh SMTP connection."""

    def __init__(self, host, port, from_address, starttls=False, username=None, password=None,
                 timeout_s=10.0, **_):
        self.host, self.port = host, port
        self.from_address = from_address
        self.starttls = starttls
        self.username, self.password = username, password
        self.timeout_s = timeout_s

    def send(self, message):
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"recipient refused: {_describe(exc.recipients)}",
                                 permanent=_all_permanent(exc.recipients.values()))
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}",
                                 permanent=500 <= exc.smtp_code < 600)
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, dropped, TLS
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:500])
        if refused:
            raise DeliveryFailed(f"recipient refused: {_describe(refused)}",
                                 permanent=_all_permanent(refused.values()))


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _describe(refused):
    return "; ".join(f"{rcpt} ({code} {_text(msg)})" for rcpt, (code, msg) in refused.items())


def _all_permanent(answers):
    return all(500 <= code < 600 for code, _ in answers)


class Mailer(DependencyProvider):
    """Gives workers `self.mailer`: an SmtpMailer built from NOTIFICATIONS in the config.

    No ping(): an SMTP outage delays email (it is retried) but must not mark the service
    unhealthy, since the inbox and every RPC still work.
    """

    def setup(self):
        self.mailer = SmtpMailer(**smtp_settings(self.container.config))

    def get_dependency(self, worker_ctx):
        return self.mailer
