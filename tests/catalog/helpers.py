"""What the catalog and cart stories share: tokens, the gateway's address, and ways to wait
until the gateway's workers have handled a product's events."""
import json
import uuid

import requests
import sqlalchemy as sa

from gateway import catalog_cache
from kit.tokens import issue_access_token
from tests.support.harness import wait_for

STREAM = "product_events"


def access_token(config, user_id, role):
    """An access token minted the way the users service mints them."""
    return issue_access_token(config["AUTH"], user_id, role, f"catalog-test-{uuid.uuid4()}")


def assert_error(response, status, code=None, field=None):
    """The gateway's JSON error with this status (and code, and a details.fields entry)."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    if code is not None:
        assert body["error"]["code"] == code, body
    if field is not None:
        assert field in body["error"]["details"].get("fields", {}), body
    return body["error"]


def _id(entry_id):
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class Api:
    """The gateway under test, plus read-only looks at what its workers keep in Redis."""

    def __init__(self, url, config, redis_db, products_db):
        self.url = url
        self.redis = redis_db
        self.products_db = products_db
        self.workers = int(config["GATEWAY"]["workers"])

    def get(self, path, headers=None, **params):
        return requests.get(f"{self.url}{path}", headers=headers or {}, params=params,
                            timeout=30)

    def product(self, product_id, headers=None):
        return self.get(f"/api/products/{product_id}", headers)

    # ---- the stream and the cache, as the test sees them -----------------------------------

    def stream_tail(self):
        newest = self.redis.xrevrange(STREAM, count=1)
        return newest[0][0] if newest else "0-0"

    def events(self, after="0-0", event_type=None, product_id=None):
        """(entry id, type, data) of product_events entries after `after`."""
        found = []
        for entry_id, fields in self.redis.xrange(STREAM, min=f"({after}" if after != "0-0"
                                                  else "-"):
            data = json.loads(fields["data"])
            if event_type and fields["type"] != event_type:
                continue
            if product_id is not None and data.get("product_id") != product_id:
                continue
            found.append((entry_id, fields["type"], data))
        return found

    def wait_event(self, event_type, product_id, after="0-0", timeout=15):
        return wait_for(lambda: self.events(after, event_type, product_id), timeout=timeout,
                        message=f"{event_type} for product {product_id} on {STREAM}")[0]

    def product_gen(self, product_id):
        return int(self.redis.get(catalog_cache.product_gen_key(product_id)) or 0)

    def listing_gen(self):
        return int(self.redis.get(catalog_cache.LISTING_GEN_KEY) or 0)

    def cached(self, product_id):
        return self.redis.hgetall(catalog_cache.product_key(product_id))

    def listeners_past(self, entry_id):
        """True once a listener has handled the stream up to `entry_id`."""
        last = self.redis.get(catalog_cache.LAST_ID_KEY)
        return last is not None and _id(last) >= _id(entry_id)

    def settle(self, product_id, timeout=15):
        """Wait until every event the products service committed about the product so far (its
        outbox is the truth) is on the stream and was handled by every gateway worker: each
        worker bumps the product's generation once per event it handles."""
        with self.products_db.connect() as conn:
            committed = conn.scalar(sa.text(
                "SELECT count(*) FROM outbox WHERE event_type <> 'product.viewed' "
                "AND (envelope->'data'->>'product_id')::bigint = :id"), {"id": product_id})

        def handled():
            on_stream = [e for e in self.events(product_id=product_id)
                         if e[1] not in catalog_cache.HARMLESS_EVENTS]
            return (len(on_stream) == committed
                    and self.product_gen(product_id) == committed * self.workers)
        wait_for(handled, timeout=timeout,
                 message=f"the gateway workers to handle product {product_id}'s events")
