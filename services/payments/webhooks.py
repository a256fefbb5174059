"""The provider's signed webhooks (a challenge passed or failed), each applied once."""
import logging

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from kit.errors import Conflict
from services.payments.lookups import find, lease_active
from services.payments.models import CAPTURE, VOID, ProcessedWebhook
from services.payments.provider_calls import ProviderCalls
from services.payments.status import S

log = logging.getLogger(__name__)


class Webhooks(ProviderCalls):
    # --- webhooks -----------------------------------------------------------------------------

    def apply_webhook(self, event):
        """A provider event whose signature and age checked out. Each event id applies once:
        a second time is Conflict webhook_replayed and changes nothing."""
        data = event["data"]
        with self.transaction() as session:
            seen = session.execute(
                insert(ProcessedWebhook).values(event_id=event["id"], event_type=event["type"])
                .on_conflict_do_nothing().returning(ProcessedWebhook.event_id)).first()
            if seen is None:
                raise Conflict("webhook_replayed", "This webhook was already processed.",
                               {"event_id": event["id"]})
            payment = self._webhook_payment(session, data)
            if payment is None:
                log.warning("webhook %s (%s) names no payment we know", event["id"],
                            event["type"])
                return {"received": True, "event_id": event["id"], "payment_id": None,
                        "status": None, "applied": False}
            asking = payment.status in (S.INITIATED.value, S.PENDING.value)
            if asking and lease_active(payment):
                # Our authorise call has not returned yet: not recorded, so the provider's
                # retry (it resends anything but a 2xx or webhook_replayed) applies it later.
                raise Conflict("payment_in_progress", "The payment is being authorised; "
                               "send this event again shortly.", {"event_id": event["id"]})
            session.execute(sa.update(ProcessedWebhook)
                            .where(ProcessedWebhook.event_id == event["id"])
                            .values(payment_id=payment.id))
            step, applied = None, False
            # A payment whose authorise timed out on our side (pending) may have reached the
            # provider all the same: its outcome counts as much as a challenge's.
            waiting = payment.status == S.REQUIRES_ACTION.value or asking
            if event["type"] == "authorization.succeeded":
                if waiting:
                    payment.provider_ref = payment.provider_ref or data.get("provider_ref")
                    self._enter(session, payment, S.AUTHORIZED)
                    step = self._step(session, payment, CAPTURE)
                    applied = True
                elif payment.status in (S.CANCELLED.value, S.FAILED.value):
                    # The shopper passed the challenge after we gave up: release the hold.
                    payment.provider_ref = payment.provider_ref or data.get("provider_ref")
                    step = self._step(session, payment, VOID)
            elif event["type"] == "authorization.failed" and waiting:
                payment.provider_ref = payment.provider_ref or data.get("provider_ref")
                self._enter(session, payment, S.FAILED,
                            data.get("failure_code") or "authentication_failed")
                applied = True
            payment_id = payment.id
        self._run(step)
        view = self.view(payment_id)
        return {"received": True, "event_id": event["id"], "payment_id": payment_id,
                "status": view["status"], "applied": applied}

    @staticmethod
    def _webhook_payment(session, data):
        """The payment an event is about: by the provider's charge id, or — when our authorise
        timed out before we learnt that id — by our own reference, if it names no other
        charge."""
        ref = data.get("provider_ref")
        payment = find(session, provider_ref=ref, lock=True) if ref else None
        if payment is None and isinstance(data.get("reference"), str):
            payment = find(session, payment_id=data["reference"], lock=True)
            if payment is not None and payment.provider_ref not in (None, ref):
                return None
        return payment
