"""Page views and client events from the gateway (POST /api/analytics/events).

A batch is validated whole before anything is written; each event counts once by its
client-made id (a retried batch changes nothing). Page views land in `page_views`, the rest in
`user_events`; both move the session in `user_sessions` and emit analytics.page_view /
analytics.user_event through the outbox, in the same transaction.
"""
import sqlalchemy as sa

from services.analytics import events, points
from services.analytics.recording import bump_daily, claim, queue_points, touch_session

T = sa.text


def record_batch(session, outbox, batch):
    """Returns (accepted, duplicates): how many events were new, how many seen before."""
    accepted = duplicates = 0
    session_id, user_id = batch["session_id"], batch["user_id"]
    for item in batch["events"]:
        event_id, at = str(item["id"]), item["occurred_at"]
        if not claim(session, event_id, f"client.{item['type']}"):
            duplicates += 1
            continue
        accepted += 1
        if item["type"] == "page_view":
            session.execute(T(
                "INSERT INTO page_views (event_id, session_id, user_id, path, product_id, "
                "referrer, viewed_at) VALUES (:e, :s, :u, :p, :pid, :r, :t)"),
                {"e": event_id, "s": session_id, "u": user_id, "p": item["path"],
                 "pid": item["product_id"], "r": item["referrer"], "t": at})
            touch_session(session, session_id, user_id, at, pages=1)
            queue_points(session, points.page_view(event_id, at, "page"))
            bump_daily(session, at.date(), "page_view")
            outbox.add(session, events.PAGE_VIEW, {
                "session_id": session_id, "user_id": user_id, "path": item["path"],
                "product_id": item["product_id"], "viewed_at": at.isoformat()})
        else:
            session.execute(T(
                "INSERT INTO user_events (event_id, session_id, user_id, event_type, product_id, "
                "data, occurred_at) VALUES (:e, :s, :u, :k, :pid, CAST(:d AS jsonb), :t)"),
                {"e": event_id, "s": session_id, "u": user_id, "k": item["type"],
                 "pid": item["product_id"], "d": _json(item["data"]), "t": at})
            touch_session(session, session_id, user_id, at)
            outbox.add(session, events.USER_EVENT, {
                "session_id": session_id, "user_id": user_id, "event_type": item["type"],
                "product_id": item["product_id"], "occurred_at": at.isoformat()})
    return accepted, duplicates


def _json(value):
    import json
    return json.dumps(value, default=str)
