"""The staff metrics, read from the PostgreSQL rollups (and the live figures from Redis).

Each metric is a function (session, args) → plain data, named in METRICS; `args` is what
schemas.RangeSchema loaded (from_, to: whole UTC days, limit, by, interval). Days and hours are
UTC. Money is integer minor units.

cart abandonment = carts abandoned / (carts abandoned + checkouts started) over the range: a
cart either reached checkout or was left idle past CART.abandon_after_s.
"""
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa

from services.analytics.schemas import days

T = sa.text
FUNNEL = ("view", "add_to_cart", "checkout", "paid")


def _span(args):
    start = datetime.combine(args["from_"], time.min, timezone.utc)
    return start, datetime.combine(args["to"] + timedelta(days=1), time.min, timezone.utc)


def _range(args):
    return {"from": args["from_"].isoformat(), "to": args["to"].isoformat()}


def sales_by_day(session, args):
    rows = {r.date: r for r in session.execute(T(
        "SELECT date, total_sales, order_count, avg_order_value, refunded_total, currency "
        "FROM sales_metrics WHERE date BETWEEN :a AND :b"), {"a": args["from_"], "b": args["to"]})}
    series = []
    for day in days(args["from_"], args["to"]):
        row = rows.get(day)
        series.append({"date": day.isoformat(),
                       "total_sales": row.total_sales if row else 0,
                       "order_count": row.order_count if row else 0,
                       "avg_order_value": row.avg_order_value if row else 0,
                       "refunded_total": row.refunded_total if row else 0})
    return {**_range(args), "currency": "INR", "days": series,
            "total_sales": sum(d["total_sales"] for d in series),
            "order_count": sum(d["order_count"] for d in series)}


def sales_today(session, args):
    today = datetime.now(timezone.utc).date()
    day = sales_by_day(session, {"from_": today, "to": today})["days"][0]
    return {"currency": "INR", **day}


def sales_by_hour(session, args):
    start, stop = _span(args)
    rows = session.execute(T(
        "SELECT hour, total_sales, order_count FROM sales_hourly "
        "WHERE hour >= :a AND hour < :b ORDER BY hour"), {"a": start, "b": stop}).all()
    return {**_range(args), "currency": "INR",
            "hours": [{"hour": r.hour.astimezone(timezone.utc).isoformat(),
                       "total_sales": r.total_sales, "order_count": r.order_count} for r in rows]}


def average_order_value(session, args):
    row = session.execute(T(
        "SELECT COALESCE(sum(total_sales), 0) AS total, COALESCE(sum(order_count), 0) AS n "
        "FROM sales_metrics WHERE date BETWEEN :a AND :b"),
        {"a": args["from_"], "b": args["to"]}).first()
    return {**_range(args), "currency": "INR", "total_sales": int(row.total),
            "order_count": int(row.n),
            "avg_order_value": int(row.total) // int(row.n) if row.n else 0}


def _stage_counts(session, args, stages):
    counts = dict(session.execute(T(
        "SELECT stage, COALESCE(sum(count), 0) FROM daily_counts "
        "WHERE date BETWEEN :a AND :b AND stage = ANY(:s) GROUP BY stage"),
        {"a": args["from_"], "b": args["to"], "s": list(stages)}).all())
    return {stage: int(counts.get(stage, 0)) for stage in stages}


def funnel(session, args):
    counts = _stage_counts(session, args, FUNNEL)
    steps, previous = [], None
    for stage in FUNNEL:
        n = counts[stage]
        steps.append({"stage": stage, "count": n,
                      "rate_from_previous": round(n / previous, 4) if previous else None})
        previous = n
    first = counts[FUNNEL[0]]
    return {**_range(args), "steps": steps,
            "conversion_rate": round(counts["paid"] / first, 4) if first else None}


def top_products(session, args):
    by = args["by"]
    rows = session.execute(T(
        "SELECT product_id, sum(views) AS views, sum(add_to_carts) AS add_to_carts, "
        "sum(purchases) AS purchases FROM product_metrics WHERE date BETWEEN :a AND :b "
        f"GROUP BY product_id ORDER BY sum({by}) DESC, product_id LIMIT :n"),
        {"a": args["from_"], "b": args["to"], "n": args["limit"]}).all()
    return {**_range(args), "by": by,
            "products": [{"product_id": r.product_id, "views": int(r.views),
                          "add_to_carts": int(r.add_to_carts), "purchases": int(r.purchases)}
                         for r in rows if getattr(r, by)]}


def cart_abandonment(session, args):
    counts = _stage_counts(session, args, ("abandoned", "checkout"))
    carts = counts["abandoned"] + counts["checkout"]
    return {**_range(args), "abandoned": counts["abandoned"], "checkouts": counts["checkout"],
            "abandonment_rate": round(counts["abandoned"] / carts, 4) if carts else None}


def search_misses(session, args):
    rows = session.execute(T(
        "SELECT query, sum(count) AS n FROM search_misses WHERE date BETWEEN :a AND :b "
        "GROUP BY query ORDER BY sum(count) DESC, query LIMIT :n"),
        {"a": args["from_"], "b": args["to"], "n": args["limit"]}).all()
    return {**_range(args), "terms": [{"query": r.query, "count": int(r.n)} for r in rows]}


METRICS = {
    "sales_today": sales_today,
    "sales_by_day": sales_by_day,
    "sales_by_hour": sales_by_hour,
    "average_order_value": average_order_value,
    "funnel": funnel,
    "top_products": top_products,
    "cart_abandonment": cart_abandonment,
    "search_terms_without_results": search_misses,
}
