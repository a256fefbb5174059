"""Plain dicts the recommendations service returns over RPC."""
from kit.presenters import iso


def model(row):
    return {"version": row.version, "name": row.name, "accuracy": row.accuracy,
            "metrics": row.metrics, "params": row.params, "is_active": row.is_active,
            "activated_at": iso(row.activated_at), "created_at": iso(row.created_at)}


def preferences(user_id, row):
    if row is None:
        return {"user_id": user_id, "categories": {}, "brands": {}, "interactions": 0}
    top = (lambda d: dict(sorted(d.items(), key=lambda kv: -kv[1])[:10]))
    return {"user_id": user_id, "categories": top(row.categories or {}),
            "brands": top(row.brands or {}), "interactions": row.interactions,
            "updated_at": iso(row.updated_at)}
