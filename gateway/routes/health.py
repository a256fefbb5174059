"""Liveness of the gateway process itself: no RPC, no Redis, so probes and baselines stay cheap."""
from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    return {"status": "ok"}
