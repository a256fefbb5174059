"""Ways a message leaves the shop: email over SMTP (email.py), SMS through a provider (sms.py).

In-app and push messages need no channel here: they are outbox events the gateway delivers.
"""


class DeliveryFailed(Exception):
    """A message did not go out. `permanent` means retrying the same message cannot help."""

    def __init__(self, message, permanent=False):
        super().__init__(message)
        self.permanent = permanent
