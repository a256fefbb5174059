"""A brand and a category of this test run's own, so stories never see each other's products."""
import uuid

import sqlalchemy as sa


def own_brand_and_category(config, brand="Aarya Studio", category="Kurtas"):
    """Insert `"{brand} {tag}"` and `"{category} {tag}"` into products_db; return their ids."""
    tag = uuid.uuid4().hex[:8]
    engine = sa.create_engine(config["DB_URIS"]["products"])
    try:
        with engine.begin() as conn:
            insert = "INSERT INTO {} (name, slug) VALUES (:n, :s) RETURNING id"
            return tuple(
                conn.execute(sa.text(insert.format(table)),
                             {"n": f"{name} {tag}", "s": f"{_slug(name)}-{tag}"}).scalar()
                for table, name in (("brands", brand), ("categories", category)))
    finally:
        engine.dispose()


def _slug(name):
    return name.lower().replace(" ", "-")
