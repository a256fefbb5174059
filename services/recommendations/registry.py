"""Model versions in recommendation_models: save a trained one, activate, roll back.

Versions count up from 1. At most one row is active (a partial unique index); activating
writes `recommendation.model.activated` in the same transaction. Rolling back activates the
model that was active before the current one (the newest activated_at among the others).
"""
import sqlalchemy as sa

from kit.errors import Conflict, NotFound
from services.recommendations import events
from services.recommendations.models import RecommendationModel

LOCK_KEY = "recommendation_models_version"


def save(session, name, accuracy, metrics, params, artifact):
    session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": LOCK_KEY})
    version = (session.scalar(sa.select(sa.func.max(RecommendationModel.version))) or 0) + 1
    row = RecommendationModel(name=name, version=version, accuracy=accuracy, metrics=metrics,
                              params=params, artifact=artifact, is_active=False)
    session.add(row)
    session.flush()
    return row


def get(session, version):
    row = session.scalar(sa.select(RecommendationModel)
                         .where(RecommendationModel.version == version))
    if row is None:
        raise NotFound("model_not_found", f"Model version {version} does not exist.",
                       {"version": version})
    return row


def active(session):
    return session.scalar(sa.select(RecommendationModel).where(RecommendationModel.is_active))


def active_version(session):
    return session.scalar(sa.select(RecommendationModel.version)
                          .where(RecommendationModel.is_active))


def activate(session, outbox, version):
    session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": LOCK_KEY})
    target = get(session, version)
    current = active(session)
    if current is not None and current.version == target.version:
        return target
    if current is not None:
        current.is_active = False
        session.flush()
    target.is_active = True
    target.activated_at = sa.func.clock_timestamp()
    session.flush()
    outbox.add(session, events.MODEL_ACTIVATED,
               events.model_activated(target, current.version if current else None))
    return target


def rollback(session, outbox):
    session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": LOCK_KEY})
    current = active(session)
    previous = session.scalar(
        sa.select(RecommendationModel)
        .where(RecommendationModel.activated_at.isnot(None),
               RecommendationModel.version != (current.version if current else -1))
        .order_by(RecommendationModel.activated_at.desc()).limit(1))
    if previous is None:
        raise Conflict("no_previous_model", "No earlier model was ever active.", {})
    return activate(session, outbox, previous.version)


def listing(session):
    return list(session.scalars(sa.select(RecommendationModel)
                                .order_by(RecommendationModel.version.desc())))
