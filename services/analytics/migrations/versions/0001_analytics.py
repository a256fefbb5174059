"""analytics_db: the seed's five tables, the rollups the dashboard reads, processed events,
the InfluxDB pending queue and the outbox

Revision ID: 0001
Revises:
"""
from alembic import op

from kit.outbox import create_outbox_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DDL = """
-- Every event applied, once: the rollups below change in the same transaction as this row.
CREATE TABLE processed_events (
    event_id      uuid PRIMARY KEY,
    event_type    varchar(100) NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now()
);

-- The seed's tables.
CREATE TABLE page_views (
    id          bigserial PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    session_id  varchar(64) NOT NULL,
    user_id     bigint,
    path        varchar(500) NOT NULL,
    product_id  bigint,
    referrer    varchar(500),
    viewed_at   timestamptz NOT NULL
);
CREATE INDEX ix_page_views_viewed_at ON page_views (viewed_at);

CREATE TABLE user_events (
    id           bigserial PRIMARY KEY,
    event_id     uuid NOT NULL UNIQUE,
    session_id   varchar(64),
    user_id      bigint,
    event_type   varchar(64) NOT NULL,
    product_id   bigint,
    data         jsonb NOT NULL DEFAULT '{}',
    occurred_at  timestamptz NOT NULL
);
CREATE INDEX ix_user_events_type_time ON user_events (event_type, occurred_at);

CREATE TABLE sales_metrics (
    date             date PRIMARY KEY,
    total_sales      bigint NOT NULL DEFAULT 0,      -- minor units (paise)
    order_count      integer NOT NULL DEFAULT 0,
    avg_order_value  bigint NOT NULL DEFAULT 0,
    refunded_total   bigint NOT NULL DEFAULT 0,
    currency         char(3) NOT NULL DEFAULT 'INR'
);

CREATE TABLE product_metrics (
    date          date NOT NULL,
    product_id    bigint NOT NULL,
    views         integer NOT NULL DEFAULT 0,
    add_to_carts  integer NOT NULL DEFAULT 0,
    purchases     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (date, product_id)
);

CREATE TABLE user_sessions (
    session_id     varchar(64) PRIMARY KEY,
    user_id        bigint,
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz NOT NULL,
    pages_visited  integer NOT NULL DEFAULT 0
);
CREATE INDEX ix_user_sessions_ended_at ON user_sessions (ended_at);

-- Rollups.
CREATE TABLE sales_hourly (
    hour         timestamptz PRIMARY KEY,
    total_sales  bigint NOT NULL DEFAULT 0,
    order_count  integer NOT NULL DEFAULT 0
);

CREATE TABLE sales_minutely (
    minute       timestamptz PRIMARY KEY,
    total_sales  bigint NOT NULL DEFAULT 0,
    order_count  integer NOT NULL DEFAULT 0
);

-- stage: view, add_to_cart, checkout, paid, abandoned, signup, search, page_view
-- shard: a stage's count spread over a few rows, so concurrent events do not queue on one lock.
CREATE TABLE daily_counts (
    date   date NOT NULL,
    stage  varchar(32) NOT NULL,
    shard  smallint NOT NULL DEFAULT 0,
    count  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (date, stage, shard)
);

CREATE TABLE search_misses (
    date   date NOT NULL,
    query  varchar(200) NOT NULL,
    count  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (date, query)
);

-- What an order looked like, so its purchases count once whichever of created/paid comes first.
CREATE TABLE order_facts (
    order_id          bigint PRIMARY KEY,
    items             jsonb,
    amount            bigint,
    paid_at           timestamptz,
    purchases_counted boolean NOT NULL DEFAULT false
);

-- InfluxDB points not yet acknowledged by the server, in line protocol: written in the same
-- transaction as the rollups, deleted once InfluxDB took them. Survives restarts and outages.
CREATE TABLE influx_pending (
    id          bigserial PRIMARY KEY,
    line        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
"""


def upgrade():
    op.execute(DDL)
    create_outbox_table(op)


def downgrade():
    for table in ("outbox", "influx_pending", "order_facts", "search_misses", "daily_counts",
                  "sales_minutely", "sales_hourly", "user_sessions", "product_metrics",
                  "sales_metrics", "user_events", "page_views", "processed_events"):
        op.drop_table(table)
