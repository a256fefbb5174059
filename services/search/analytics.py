"""What shoppers searched and clicked: search_queries, search_analytics, search_trends."""
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from kit.errors import NotFound
from services.search import events
from services.search.models import SearchAnalytics, SearchQuery, SearchTrend


def normalise(q):
    return " ".join(q.lower().split())[:200]


def record_search(session, outbox, search_id, user_id, request, total, product_ids):
    session.add(SearchQuery(search_id=search_id, user_id=user_id, query=request["q"],
                            results_count=total))
    session.add(SearchAnalytics(search_id=search_id, query=request["q"],
                                filters={**request["filters"], "sort": request["sort"]},
                                results=product_ids))
    outbox.add(session, events.QUERY, {
        "search_id": search_id, "user_id": user_id, "query": request["q"],
        "filters": request["filters"], "sort": request["sort"], "results_count": total})


def record_click(session, outbox, search_id, product_id, position, user_id):
    row = session.scalar(sa.select(SearchAnalytics).where(SearchAnalytics.search_id == search_id)
                         .with_for_update())
    if row is None:
        raise NotFound("search_not_found", f"No search {search_id}.", {"search_id": search_id})
    if row.clicked_result == product_id:
        return False  # a repeated click report changes nothing
    row.clicked_result, row.clicked_position, row.clicked_at = product_id, position, sa.func.now()
    outbox.add(session, events.RESULT_CLICKED, {
        "search_id": search_id, "user_id": user_id, "query": row.query,
        "product_id": product_id, "position": position})
    return True


def query_frequency(session, query):
    """How often a normalised query ran with results (the suggestion weight)."""
    return session.scalar(sa.select(sa.func.count()).select_from(SearchQuery).where(
        sa.func.lower(SearchQuery.query) == query, SearchQuery.results_count > 0)) or 0


def rollup_trends(session, day=None):
    """search_trends for `day` (default today, UTC): one row per normalised query, recomputed
    from search_queries (idempotent: run it as often as you like)."""
    day = day or date.today()
    counts = session.execute(sa.text("""
        SELECT lower(regexp_replace(btrim(query), '\\s+', ' ', 'g')) AS q, count(*) AS n
        FROM search_queries
        WHERE query <> '' AND timestamp >= :start AND timestamp < :end
        GROUP BY 1"""), {"start": day, "end": day + timedelta(days=1)}).all()
    for q, n in counts:
        stmt = insert(SearchTrend).values(query=q[:200], frequency=n, date=day)
        session.execute(stmt.on_conflict_do_update(constraint="uq_search_trends_query_date",
                                                   set_={"frequency": n}))
    return len(counts)


def trending(session, days, limit):
    since = date.today() - timedelta(days=days - 1)
    rows = session.execute(sa.select(SearchTrend.query, sa.func.sum(SearchTrend.frequency))
                           .where(SearchTrend.date >= since)
                           .group_by(SearchTrend.query)
                           .order_by(sa.func.sum(SearchTrend.frequency).desc(), SearchTrend.query)
                           .limit(limit)).all()
    return [{"query": q, "frequency": int(n)} for q, n in rows]
