"""Promotions: time-boxed discounts made by staff, live between starts_at and ends_at.

Status is a matter of the clock: scheduled before starts_at, live until ends_at, ended after
(or once staff ended it early). The clock (`announce_due`, run every second by a timer in each
replica) writes promotion.started when a start has passed and promotion.ended when an end has.
Each is announced exactly once however many replicas tick: the announcement is claimed with
`UPDATE ... SET started_event_at = now() WHERE started_event_at IS NULL ... RETURNING` in the
same transaction as its outbox row, so only one transaction can ever win it. Creating or
changing a promotion whose start has already passed announces it at once, the same way.

A promotion is ended once it has started, so listeners always hear started before ended; one
called off before it started hears only promotion.ended. promotion.updated tells listeners a
live promotion changed. Changes to a scheduled one say nothing until it starts.

Rules between fields (check_terms), for new and changed promotions alike: ends_at after
starts_at and still ahead; one discount, either discount_percent (1-90) or discount_amount in
minor units with its currency; product_ids or category, not both (neither: the whole shop).
A live promotion's start cannot move; an ended one cannot change.
"""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.notifications import events, presenters
from services.notifications.models import Promotion
from services.notifications.schemas import STAFF_ROLES

# What a promotion says, as opposed to its bookkeeping (who, when, announcements).
TERMS = ("title", "description", "code", "discount_percent", "discount_amount", "currency",
         "starts_at", "ends_at", "product_ids", "category")
BATCH = 100  # announcements per clock tick and kind; the next tick carries on

_NOT_ENDED_EARLY = Promotion.ended_at.is_(None)
_STATUS = {
    "scheduled": sa.and_(_NOT_ENDED_EARLY, Promotion.starts_at > sa.func.now()),
    "live": sa.and_(_NOT_ENDED_EARLY, Promotion.starts_at <= sa.func.now(),
                    Promotion.ends_at > sa.func.now()),
    "ended": sa.or_(Promotion.ended_at.isnot(None), Promotion.ends_at <= sa.func.now()),
}


def require_staff(actor):
    """The actor's user id if they are support or admin staff, else Forbidden `staff_only`."""
    if (not isinstance(actor, dict) or actor.get("role") not in STAFF_ROLES
            or not isinstance(actor.get("user_id"), int) or isinstance(actor["user_id"], bool)
            or actor["user_id"] < 1):
        raise Forbidden("staff_only", "Only support and admin staff may manage promotions.")
    return actor["user_id"]


def db_now(session):
    """The transaction's own clock (now() in PostgreSQL): every decision in one transaction
    sees the same instant, and replicas share the database's clock, not their own."""
    return session.scalar(sa.select(sa.func.now()))


def invalid(fields):
    return ValidationFailed("validation_failed", "Some fields are invalid.", {"fields": fields})


def check_terms(terms, now):
    """Raise ValidationFailed naming every field that breaks a rule between fields."""
    problems = {}
    if terms["ends_at"] <= terms["starts_at"]:
        problems["ends_at"] = ["Must be after starts_at."]
    elif terms["ends_at"] <= now:
        problems["ends_at"] = ["Must be in the future."]
    percent, amount = terms.get("discount_percent"), terms.get("discount_amount")
    if (percent is None) == (amount is None):
        message = ["Send discount_percent or discount_amount."] if percent is None else \
            ["Send discount_percent or discount_amount, not both."]
        problems["discount_percent"] = problems["discount_amount"] = message
    if amount is not None and not terms.get("currency"):
        problems["currency"] = ["Required with discount_amount."]
    if amount is None and terms.get("currency"):
        problems["currency"] = ["Only with discount_amount."]
    if terms.get("product_ids") and terms.get("category"):
        problems["category"] = ["Send product_ids or category, not both."]
    if problems:
        raise invalid(problems)


def _normalised(terms):
    terms = dict(terms)
    for name in ("title", "description"):
        if isinstance(terms.get(name), str):
            terms[name] = terms[name].strip() or None
    if terms.get("code"):
        terms["code"] = terms["code"].upper()  # codes are typed by shoppers in any case
    if terms.get("product_ids"):
        terms["product_ids"] = sorted(set(terms["product_ids"]))
    return terms


def _check_code_free(session, code, promotion_id=None):
    if not code:
        return
    query = sa.select(Promotion.id).where(sa.func.upper(Promotion.code) == code,
                                          Promotion.ended_event_at.is_(None))
    if promotion_id is not None:
        query = query.where(Promotion.id != promotion_id)
    if session.scalar(query) is not None:
        raise _code_taken(code)


def _code_taken(code):
    return Conflict("promotion_code_taken", f"Code {code} belongs to a promotion still running.",
                    {"code": code})


def _flush(session, code):
    try:
        session.flush()
    except IntegrityError as exc:  # two staff saving the same code at once: the index decides
        if "ux_promotions_code" in str(exc.orig):
            raise _code_taken(code)
        raise


def _locked(session, promotion_id):
    row = session.scalar(sa.select(Promotion).where(Promotion.id == promotion_id)
                         .with_for_update())
    if row is None:
        raise NotFound("promotion_not_found", f"No such promotion: {promotion_id}.",
                       {"promotion_id": promotion_id})
    return row


# --- announcements (the only writers of started_event_at / ended_event_at) --------------------

def _claim(session, marker, due, ids=None):
    """Set `marker` on due promotions whose marker is unset; the rows this transaction won."""
    chosen = sa.select(Promotion.id).where(marker.is_(None), *due)
    if ids is not None:
        chosen = chosen.where(Promotion.id.in_(ids))
    chosen = chosen.order_by(Promotion.id).limit(BATCH).with_for_update(skip_locked=True)
    return session.scalars(
        sa.update(Promotion)
        .where(Promotion.id.in_(chosen.scalar_subquery()), marker.is_(None))
        .values({marker.key: sa.func.now()})
        .returning(Promotion)
        .execution_options(synchronize_session=False, populate_existing=True)).all()


def announce_starts(session, outbox, ids=None):
    now = db_now(session)
    started = _claim(session, Promotion.started_event_at,
                     (Promotion.starts_at <= sa.func.now(), _NOT_ENDED_EARLY), ids)
    for row in started:
        outbox.add(session, events.PROMOTION_STARTED, presenters.promotion(row, now))
    return started


def announce_ends(session, outbox, ids=None):
    now = db_now(session)
    ended = _claim(session, Promotion.ended_event_at,
                   (sa.or_(Promotion.ended_at.isnot(None), Promotion.ends_at <= sa.func.now()),
                    # started first; only one called off before its start ends unstarted
                    sa.or_(Promotion.started_event_at.isnot(None),
                           Promotion.ended_at.isnot(None))), ids)
    for row in ended:
        outbox.add(session, events.PROMOTION_ENDED, presenters.promotion(row, now))
    return ended


def announce_due(db, outbox):
    """One clock tick: starts first, in their own transaction, so an end never overtakes its
    start. Returns (started, ended) counts."""
    with db.transaction() as session:
        started = len(announce_starts(session, outbox))
    with db.transaction() as session:
        ended = len(announce_ends(session, outbox))
    return started, ended


# --- staff writes -----------------------------------------------------------------------------

def create(session, outbox, actor_id, terms):
    """A new promotion; announced at once if its start has already passed."""
    now = db_now(session)
    terms = _normalised({name: terms.get(name) for name in TERMS})
    check_terms(terms, now)
    _check_code_free(session, terms["code"])
    row = Promotion(**terms, created_by=actor_id)
    session.add(row)
    _flush(session, terms["code"])
    announce_starts(session, outbox, ids=[row.id])
    return row


def update(session, outbox, actor_id, promotion_id, changes):
    """Change a scheduled or live promotion; listeners hear of it if it is live."""
    row = _locked(session, promotion_id)
    now = db_now(session)
    status = presenters.promotion_status(row, now)
    if status == "ended":
        raise Conflict("promotion_ended", "This promotion is over and cannot change.",
                       {"promotion_id": promotion_id})
    changes = _normalised(changes)
    if status == "live" and "starts_at" in changes and changes["starts_at"] != row.starts_at:
        raise invalid({"starts_at": ["A live promotion's start cannot move."]})
    merged = {name: getattr(row, name) for name in TERMS}
    merged.update(changes)
    check_terms(merged, now)
    if "code" in changes:
        _check_code_free(session, changes["code"], promotion_id)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = actor_id, now
    _flush(session, changes.get("code"))
    if not announce_starts(session, outbox, ids=[row.id]) and row.started_event_at is not None:
        outbox.add(session, events.PROMOTION_UPDATED, presenters.promotion(row, now))
    return row


def end(session, outbox, actor_id, promotion_id):
    """End a promotion now (call it off, if it has not started). Ending an ended one changes
    nothing."""
    row = _locked(session, promotion_id)
    if row.ended_event_at is not None:
        return row
    now = db_now(session)
    announce_starts(session, outbox, ids=[row.id])  # a start the clock has not announced yet
    if presenters.promotion_status(row, now) != "ended":
        row.ended_at, row.ended_by, row.updated_by, row.updated_at = now, actor_id, actor_id, now
        session.flush()
    announce_ends(session, outbox, ids=[row.id])
    return row


# --- reading ----------------------------------------------------------------------------------

def active(session):
    """Live promotions, the soonest to end first."""
    return session.scalars(sa.select(Promotion).where(_STATUS["live"])
                           .order_by(Promotion.ends_at, Promotion.id)).all()


def page(session, status=None, limit=50, before_id=None):
    """Every promotion (or those with `status`), newest first; page on with before_id."""
    query = sa.select(Promotion)
    if status:
        query = query.where(_STATUS[status])
    if before_id:
        query = query.where(Promotion.id < before_id)
    return session.scalars(query.order_by(Promotion.id.desc()).limit(limit)).all()
