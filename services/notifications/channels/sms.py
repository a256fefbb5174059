"""SMS through a provider. `SmsProvider` is the interface a real gateway (Twilio, MSG91, ...)
implements; `SandboxSmsProvider` needs no network and is what dev and test run.

    NOTIFICATIONS:
      sms_provider: sandbox

The sandbox accepts any E.164 number, remembers what it sent (`sent`, newest last) and fails
deterministically for the test numbers in SANDBOX_FAILURES, so every path can be exercised.
"""
import collections
import logging
import re
import threading
import uuid

from nameko.extensions import DependencyProvider

from services.notifications.channels import DeliveryFailed

log = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

# number -> (error, permanent). Twilio's magic-number style, so the numbers look familiar.
SANDBOX_FAILURES = {
    "+15005550001": ("invalid destination number", True),
    "+15005550002": ("number cannot receive SMS", True),
    "+15005550009": ("carrier temporarily unavailable", False),
}


def normalise_number(raw):
    """'+91 98765-43210' -> '+919876543210'; None if it cannot be an E.164 number."""
    if not raw:
        return None
    number = re.sub(r"[ ()-]", "", str(raw))
    return number if E164.match(number) else None


class SmsProvider:
    """Send one text message; return the provider's message id or raise DeliveryFailed."""

    name = "abstract"

    def send(self, to_number, body):
        raise NotImplementedError


SentSms = collections.namedtuple("SentSms", "message_id to_number body")


class SandboxSmsProvider(SmsProvider):
    name = "sandbox"

    def __init__(self, keep=1000):
        self.sent = collections.deque(maxlen=keep)
        self._lock = threading.Lock()

    def send(self, to_number, body):
        if not E164.match(to_number or ""):
            raise DeliveryFailed(f"not an E.164 number: {to_number!r}", permanent=True)
        failure = SANDBOX_FAILURES.get(to_number)
        if failure:
            error, permanent = failure
            raise DeliveryFailed(error, permanent=permanent)
        message_id = f"SBX{uuid.uuid4().hex[:24]}"
        with self._lock:
            self.sent.append(SentSms(message_id, to_number, body))
        log.info("sandbox SMS %s to %s: %s", message_id, to_number, body)
        return message_id


PROVIDERS = {"sandbox": SandboxSmsProvider}


def make_provider(config):
    name = (config.get("NOTIFICATIONS", {}).get("sms_provider") or "sandbox").lower()
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise ValueError(f"unknown NOTIFICATIONS.sms_provider {name!r}; known: "
                         f"{', '.join(sorted(PROVIDERS))}")


class SmsGateway(DependencyProvider):
    """Gives workers `self.sms`: the provider named by NOTIFICATIONS.sms_provider."""

    def setup(self):
        self.provider = make_provider(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.provider
