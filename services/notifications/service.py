"""The notifications service: the in-app inbox, email and SMS with retries, preferences and
back-in-stock alerts, all driven by the shop's event streams.

Entry points only; the rules live in triggers.py (which event notifies whom), dispatch.py
(channels and preferences), delivery.py (sending and retrying), inbox.py, preferences.py,
stock_alerts.py, recipients.py, chat.py (support chat) and promotions.py; events.py lists every
event and its data.

Error codes: NotFound notification_not_found, conversation_not_found, message_not_found,
promotion_not_found · Conflict conversation_taken, conversation_closed, own_conversation,
promotion_ended, promotion_code_taken · Forbidden staff_only · ValidationFailed
validation_failed (details.fields names each field).
"""
import logging

from kit.rpc import rpc
from nameko.timer import timer

from kit import service_base
from kit.errors import ValidationFailed
from kit.schemas import load
from kit.streams import stream_handler
from services.notifications import (chat, delivery, dispatch, events, inbox, preferences,
                                    presenters, promotions, recipients, stock_alerts, triggers)
from services.notifications.channels.email import Mailer
from services.notifications.channels.sms import SmsGateway
from services.notifications.schemas import (STAFF_ROLES, AgentSchema, AssignSchema,
                                            BackInStockSchema, ChatHistorySchema, ChatListSchema,
                                            ChatMarkReadSchema, ChatPostSchema,
                                            ConversationSchema, ListNotificationsSchema,
                                            MarkReadSchema, PreferencesChangeSchema,
                                            PromotionChangesSchema, PromotionIdSchema,
                                            PromotionListSchema, PromotionSchema, UserSchema,
                                            VariantSchema)
from services.notifications.settings import notification_settings

log = logging.getLogger(__name__)

GROUP = dispatch.CONSUMER
RETRY_SWEEP_S = 1  # how often due retries are looked for; the backoff itself is in the config
PROMOTION_CLOCK_S = 1  # how late a promotion.started/ended may be, at most


class NotificationsService(service_base.SqlService):
    name = "notifications"

    # db, outbox: service_base.SqlService
    mailer = Mailer()
    sms = SmsGateway()

    @property
    def settings(self):
        return notification_settings(self.config)

    # --- reacting to the shop's events ------------------------------------------------------

    @stream_handler("user_events", "order_events", "payment_events", "product_events",
                    group=GROUP)
    def notify_on_event(self, event):
        """Project contacts, write every notice the event causes (once per event id), then
        send what was queued. A send failure is the retry timer's business, not the stream's."""
        if not triggers.concerns_us(event):
            return
        settings = self.settings
        queued = dispatch.Queued()
        with self.db.transaction() as session:
            if not dispatch.first_time(session, event["id"], event["type"]):
                return
            recipients.apply_user_event(session, event)
            for notice in triggers.notices_for(session, event, settings):
                dispatch.dispatch(session, self.outbox, notice, event["id"], settings, queued)
        try:
            self._send(queued.email_ids, queued.sms_ids)
        except Exception:  # committed as queued: the retry timer sends them
            log.exception("sending right after %s %s failed", event["type"], event["id"])

    @timer(interval=RETRY_SWEEP_S)
    def retry_due_messages(self):
        """Send what is due: first attempts left behind, failed ones whose backoff ran out."""
        for channel in self._channels():
            delivery.send_all_due(self.db, self.outbox, channel, self.settings)

    def _send(self, email_ids, sms_ids):
        email, sms = self._channels()
        delivery.send_due(self.db, self.outbox, email, self.settings, ids=email_ids)
        delivery.send_due(self.db, self.outbox, sms, self.settings, ids=sms_ids)

    def _channels(self):
        return delivery.EmailChannel(self.mailer), delivery.SmsChannel(self.sms)

    # --- the inbox --------------------------------------------------------------------------

    @rpc
    def list_notifications(self, user_id, unread_only=False, limit=20, before_id=None):
        """The user's in-app messages, newest first; page on with before_id = the last id."""
        args = load(ListNotificationsSchema(), {"user_id": user_id, "unread_only": unread_only,
                                                "limit": limit, "before_id": before_id})
        return [presenters.notification(n) for n in inbox.page(self.db.session, **args)]

    @rpc
    def unread_count(self, user_id):
        args = load(UserSchema(), {"user_id": user_id})
        return {"user_id": args["user_id"],
                "unread": inbox.unread_count(self.db.session, args["user_id"])}

    @rpc
    def mark_read(self, user_id, notification_ids):
        """Mark some of the user's own messages read (all or none: a foreign id is NotFound)."""
        args = load(MarkReadSchema(), {"user_id": user_id, "notification_ids": notification_ids})
        with self.db.transaction() as session:
            changed = inbox.mark_read(session, args["user_id"], args["notification_ids"])
            return self._read(session, args["user_id"], changed)

    @rpc
    def mark_all_read(self, user_id):
        args = load(UserSchema(), {"user_id": user_id})
        with self.db.transaction() as session:
            changed = inbox.mark_all_read(session, args["user_id"])
            return self._read(session, args["user_id"], changed)

    def _read(self, session, user_id, changed):
        unread = inbox.unread_count(session, user_id)
        if changed:
            self.outbox.add(session, events.READ, events.read(user_id, changed, unread))
        return {"user_id": user_id, "marked": sorted(changed), "unread": unread}

    # --- preferences ------------------------------------------------------------------------

    @rpc
    def get_preferences(self, user_id):
        """{user_id, channels: {email|sms|push|in_app: {category: enabled}}}, defaults filled in."""
        args = load(UserSchema(), {"user_id": user_id})
        return presenters.preferences(args["user_id"],
                                      preferences.matrix(self.db.session, args["user_id"]))

    @rpc
    def update_preferences(self, user_id, changes):
        """Apply {channel: {category: enabled}}; returns the same shape as get_preferences."""
        args = load(UserSchema(), {"user_id": user_id})
        changes = load(PreferencesChangeSchema(), changes)
        if not any(changes.values()):
            raise ValidationFailed("validation_failed", "Nothing to update.",
                                   {"fields": {"_schema": ["Send at least one channel and "
                                                           "category."]}})
        with self.db.transaction() as session:
            matrix = preferences.update(session, args["user_id"], changes)
        return presenters.preferences(args["user_id"], matrix)

    # --- back-in-stock alerts ---------------------------------------------------------------

    @rpc
    def notify_when_back_in_stock(self, user_id, product_id, variant_id):
        """Ask for one alert when the variant is back; asking again keeps the first request."""
        args = load(BackInStockSchema(), {"user_id": user_id, "product_id": product_id,
                                          "variant_id": variant_id})
        with self.db.transaction() as session:
            row, created = stock_alerts.subscribe(session, **args)
            return presenters.subscription(row, created)

    @rpc
    def cancel_back_in_stock(self, user_id, variant_id):
        args = load(VariantSchema(), {"user_id": user_id, "variant_id": variant_id})
        with self.db.transaction() as session:
            return {**args, "cancelled": stock_alerts.cancel(session, **args)}

    @rpc
    def list_back_in_stock(self, user_id):
        """The user's open back-in-stock requests, newest first."""
        args = load(UserSchema(), {"user_id": user_id})
        return [presenters.subscription(s)
                for s in stock_alerts.open_for_user(self.db.session, args["user_id"])]

    # --- support chat -----------------------------------------------------------------------
    # The gateway passes the signed-in user (and checks the staff role before chat_assign and
    # chat_claim_next); only a conversation's customer and its agent get past chat.py.

    @rpc
    def chat_open(self, user_id):
        """The shopper's conversation that is not closed, started if they have none."""
        args = load(UserSchema(), {"user_id": user_id})
        with self.db.transaction() as session:
            return presenters.conversation(chat.open_for(session, self.outbox,
                                                         args["user_id"]))

    @rpc
    def chat_assign(self, agent_id, conversation_id):
        """Give a waiting conversation to this agent (Conflict conversation_taken if another
        agent has it)."""
        args = load(AssignSchema(), {"agent_id": agent_id, "conversation_id": conversation_id})
        with self.db.transaction() as session:
            return presenters.conversation(chat.assign(session, self.outbox, **args))

    @rpc
    def chat_claim_next(self, agent_id):
        """Give this agent the conversation that has waited longest; None if nobody waits."""
        args = load(AgentSchema(), {"agent_id": agent_id})
        with self.db.transaction() as session:
            row = chat.claim_next(session, self.outbox, args["agent_id"])
            return presenters.conversation(row) if row is not None else None

    @rpc
    def chat_post(self, user_id, conversation_id, body):
        args = load(ChatPostSchema(), {"user_id": user_id, "conversation_id": conversation_id,
                                       "body": body})
        with self.db.transaction() as session:
            return presenters.chat_message(chat.post(session, self.outbox, **args))

    @rpc
    def chat_history(self, user_id, conversation_id, before_id=None, limit=50):
        """Messages newest first; page on with before_id = the last id of the page."""
        args = load(ChatHistorySchema(), {"user_id": user_id, "conversation_id": conversation_id,
                                          "before_id": before_id, "limit": limit})
        return [presenters.chat_message(m) for m in chat.history(self.db.session, **args)]

    @rpc
    def chat_mark_read(self, user_id, conversation_id, message_id):
        args = load(ChatMarkReadSchema(), {"user_id": user_id,
                                           "conversation_id": conversation_id,
                                           "message_id": message_id})
        with self.db.transaction() as session:
            return presenters.chat_read(chat.mark_read(session, self.outbox, **args))

    @rpc
    def chat_list(self, user_id, role, limit=100):
        """A customer's conversations; staff: theirs plus every one waiting for an agent."""
        args = load(ChatListSchema(), {"user_id": user_id, "role": role, "limit": limit})
        rows = chat.list_for(self.db.session, args["user_id"], args["role"] in STAFF_ROLES,
                             args["limit"])
        return [presenters.conversation(c) for c in rows]

    @rpc
    def chat_close(self, user_id, conversation_id):
        args = load(ConversationSchema(), {"user_id": user_id,
                                           "conversation_id": conversation_id})
        with self.db.transaction() as session:
            return presenters.conversation(chat.close(session, self.outbox, **args))

    # --- promotions -------------------------------------------------------------------------
    # Staff writes take actor = {"user_id", "role"} from the gateway's token check.

    @timer(interval=PROMOTION_CLOCK_S)
    def announce_promotions(self):
        """promotion.started / promotion.ended for every promotion whose time has come, once
        however many replicas tick."""
        promotions.announce_due(self.db, self.outbox)

    @rpc
    def create_promotion(self, actor, payload):
        actor_id = promotions.require_staff(actor)
        terms = load(PromotionSchema(), payload)
        with self.db.transaction() as session:
            row = promotions.create(session, self.outbox, actor_id, terms)
            return presenters.promotion(row, promotions.db_now(session))

    @rpc
    def update_promotion(self, actor, promotion_id, changes):
        actor_id = promotions.require_staff(actor)
        args = load(PromotionIdSchema(), {"promotion_id": promotion_id})
        changes = load(PromotionChangesSchema(), changes)
        if not changes:
            raise ValidationFailed("validation_failed", "Nothing to update.",
                                   {"fields": {"_schema": ["Send at least one field."]}})
        with self.db.transaction() as session:
            row = promotions.update(session, self.outbox, actor_id, args["promotion_id"],
                                    changes)
            return presenters.promotion(row, promotions.db_now(session))

    @rpc
    def end_promotion(self, actor, promotion_id):
        """End it now; one not started yet is called off. Ending it again changes nothing."""
        actor_id = promotions.require_staff(actor)
        args = load(PromotionIdSchema(), {"promotion_id": promotion_id})
        with self.db.transaction() as session:
            row = promotions.end(session, self.outbox, actor_id, args["promotion_id"])
            return presenters.promotion(row, promotions.db_now(session))

    @rpc
    def active_promotions(self):
        """Live now, for anyone: the soonest to end first."""
        session = self.db.session
        now = promotions.db_now(session)
        return [presenters.promotion(p, now) for p in promotions.active(session)]

    @rpc
    def list_promotions(self, actor, status=None, limit=50, before_id=None):
        """Staff: every promotion (or scheduled|live|ended ones), newest first."""
        promotions.require_staff(actor)
        args = load(PromotionListSchema(), {"status": status, "limit": limit,
                                            "before_id": before_id})
        session = self.db.session
        now = promotions.db_now(session)
        return [presenters.promotion(p, now) for p in promotions.page(session, **args)]
