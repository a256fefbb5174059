"""Support chat: a shopper, at most one agent, their messages and how far each has read.

Only the conversation's customer and its assigned agent see or touch it; anyone else is told
it does not exist (conversation_not_found), never that it is someone else's. A shopper has at
most one conversation that is not closed: opening again returns that one. An agent takes a
waiting conversation by id (assign) or the oldest waiting one (claim_next); when two agents
race for the same one the first wins and the second hears conversation_taken. A closed
conversation stays readable by both sides and takes no more messages.

Every change writes its chat.* event (events.py) in the same transaction. Messages lock their
conversation row, so a message and an assignment or a close are ordered: the event of a
message names the agent who had the conversation when it was written.
"""
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from kit.errors import Conflict, NotFound
from services.notifications import events, presenters
from services.notifications.models import ChatConversation as Conversation
from services.notifications.models import ChatMessage as Message
from services.notifications.models import ChatRead

_LIVE = Conversation.status != "closed"


def _not_found(conversation_id):
    return NotFound("conversation_not_found", f"No such conversation: {conversation_id}.",
                    {"conversation_id": conversation_id})


def _as_participant(session, user_id, conversation_id, lock=False):
    """The conversation if `user_id` is its customer or its agent, else NotFound."""
    query = sa.select(Conversation).where(
        Conversation.id == conversation_id,
        sa.or_(Conversation.customer_id == user_id, Conversation.agent_id == user_id))
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise _not_found(conversation_id)
    return row


def _announce(session, outbox, event_type, row, **extra):
    outbox.add(session, event_type, events.conversation(presenters.conversation(row), **extra))


def _set(session, conditions, **values):
    """UPDATE the conversations matching `conditions`; the changed rows, freshly loaded."""
    return session.scalars(
        sa.update(Conversation).where(*conditions)
        .values(updated_at=sa.func.now(), **values).returning(Conversation)
        .execution_options(synchronize_session=False, populate_existing=True)).all()


def open_for(session, outbox, customer_id):
    """The shopper's conversation that is not closed, started (and announced) if none."""
    for _ in range(2):  # the live one may close between our insert and our read: try again
        started = session.scalars(
            insert(Conversation).values(customer_id=customer_id, status="open")
            .on_conflict_do_nothing(index_elements=["customer_id"],
                                    index_where=sa.text("status <> 'closed'"))
            .returning(Conversation)).first()
        if started is not None:
            _announce(session, outbox, events.CHAT_OPENED, started)
            return started
        live = session.scalar(sa.select(Conversation).where(
            Conversation.customer_id == customer_id, _LIVE))
        if live is not None:
            return live
    raise Conflict("conversation_busy", "Please try again.", {"customer_id": customer_id})


def assign(session, outbox, agent_id, conversation_id):
    """Give a waiting conversation to the agent. Asking for one you already have returns it."""
    taken = _set(session, (Conversation.id == conversation_id, Conversation.status == "open",
                           Conversation.customer_id != agent_id),
                 agent_id=agent_id, status="assigned")
    if taken:
        _announce(session, outbox, events.CHAT_ASSIGNED, taken[0])
        return taken[0]
    row = session.get(Conversation, conversation_id)
    if row is None:
        raise _not_found(conversation_id)
    if row.status == "assigned" and row.agent_id == agent_id:
        return row
    if row.status == "closed":
        raise Conflict("conversation_closed", "This conversation is closed.",
                       {"conversation_id": conversation_id})
    if row.customer_id == agent_id:
        raise Conflict("own_conversation", "An agent cannot answer their own conversation.",
                       {"conversation_id": conversation_id})
    raise Conflict("conversation_taken", "Another agent has this conversation.",
                   {"conversation_id": conversation_id, "agent_id": row.agent_id})


def claim_next(session, outbox, agent_id):
    """Give the agent the conversation that has waited longest, or None if none waits.
    Replicas and agents claiming at once each get a different one (SKIP LOCKED)."""
    oldest = (sa.select(Conversation.id)
              .where(Conversation.status == "open", Conversation.customer_id != agent_id)
              .order_by(Conversation.id).limit(1).with_for_update(skip_locked=True))
    taken = _set(session, (Conversation.id == oldest.scalar_subquery(),
                           Conversation.status == "open"),
                 agent_id=agent_id, status="assigned")
    if not taken:
        return None
    _announce(session, outbox, events.CHAT_ASSIGNED, taken[0])
    return taken[0]


def post(session, outbox, user_id, conversation_id, body):
    """A message from the customer or the assigned agent; the conversation moves up lists."""
    conversation = _as_participant(session, user_id, conversation_id, lock=True)
    if conversation.status == "closed":
        raise Conflict("conversation_closed", "This conversation is closed.",
                       {"conversation_id": conversation_id})
    role = "customer" if conversation.customer_id == user_id else "agent"
    message = Message(conversation_id=conversation_id, sender_id=user_id, sender_role=role,
                      body=body)
    session.add(message)
    session.flush()
    conversation.updated_at = message.created_at
    outbox.add(session, events.CHAT_MESSAGE,
               events.chat_message(presenters.chat_message(message), conversation))
    return message


def history(session, user_id, conversation_id, before_id=None, limit=50):
    """Messages newest first; page on with before_id = the last id of the page."""
    _as_participant(session, user_id, conversation_id)
    query = sa.select(Message).where(Message.conversation_id == conversation_id)
    if before_id:
        query = query.where(Message.id < before_id)
    return session.scalars(query.order_by(Message.id.desc()).limit(limit)).all()


def mark_read(session, outbox, user_id, conversation_id, message_id):
    """Move the participant's read marker up to `message_id` (never back); announce a move."""
    conversation = _as_participant(session, user_id, conversation_id)
    if session.scalar(sa.select(Message.id).where(
            Message.id == message_id, Message.conversation_id == conversation_id)) is None:
        raise NotFound("message_not_found", f"No such message: {message_id}.",
                       {"conversation_id": conversation_id, "message_id": message_id})
    stmt = insert(ChatRead).values(conversation_id=conversation_id, user_id=user_id,
                                   last_read_message_id=message_id)
    moved = session.execute(stmt.on_conflict_do_update(
        index_elements=["conversation_id", "user_id"],
        set_={"last_read_message_id": stmt.excluded.last_read_message_id,
              "updated_at": sa.func.now()},
        where=ChatRead.last_read_message_id < stmt.excluded.last_read_message_id,
    ).returning(ChatRead.last_read_message_id)).scalar()
    row = session.scalar(sa.select(ChatRead).where(ChatRead.conversation_id == conversation_id,
                                                   ChatRead.user_id == user_id)
                         .execution_options(populate_existing=True))
    if moved is not None:
        outbox.add(session, events.CHAT_READ,
                   events.chat_read(presenters.chat_read(row), conversation))
    return row


def list_for(session, user_id, staff, limit=100):
    """A shopper's conversations; for staff, the ones they have plus every one still waiting.
    The most recently active first."""
    if staff:
        mine = sa.or_(sa.and_(Conversation.agent_id == user_id, Conversation.status == "assigned"),
                      sa.and_(Conversation.status == "open", Conversation.customer_id != user_id))
    else:
        mine = Conversation.customer_id == user_id
    return session.scalars(sa.select(Conversation).where(mine).order_by(
        Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit)).all()


def close(session, outbox, user_id, conversation_id):
    """Either participant ends the conversation; closing a closed one changes nothing."""
    conversation = _as_participant(session, user_id, conversation_id, lock=True)
    if conversation.status == "closed":
        return conversation
    (closed,) = _set(session, (Conversation.id == conversation_id,),
                     status="closed", closed_at=sa.func.now(), closed_by=user_id)
    _announce(session, outbox, events.CHAT_CLOSED, closed, closed_by=user_id)
    return closed
