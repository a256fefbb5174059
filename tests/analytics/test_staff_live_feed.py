"""Stories of /ws/analytics: staff watch the day's sales move live; shoppers may not watch."""
import time

import pytest
import sqlalchemy as sa

from tests.orders.helpers import order_body
from tests.realtime.support.clients import Closed, WsClient, ws_connect


def paid_at(orders_db, order_id):
    """When orders committed the order as paid (epoch seconds, the database's clock)."""
    with orders_db.connect() as conn:
        return conn.scalar(sa.text(
            "SELECT extract(epoch FROM created_at) FROM order_status_history "
            "WHERE order_id = :o AND new_status = 'paid'"), {"o": order_id})


def test_staff_see_the_sales_figure_move_within_two_seconds_of_a_payment(
        config, people, shoppers, products, staff, orders_db):
    ws_url = "ws://" + str(config["GATEWAY"]["bind"])
    socket = ws_connect(ws_url, "/ws/analytics", staff.token)
    try:
        first = socket.wait_type("analytics")
        before = first["live"]["sales_today"]
        shopper = shoppers[-1]
        people.rpc().cart.add_item(shopper.owner, products[1], 1)
        placed = shopper.checkout(order_body())
        assert placed.status_code == 201, placed.text
        order = placed.json()

        moved = socket.wait_for(
            lambda m: m.get("type") == "analytics"
            and m["live"]["sales_today"] >= before + order["total_amount"],
            timeout=15, what="the sale on the staff socket")
        seen = time.time()
        assert moved["live"]["sales_today"] == before + order["total_amount"]
        assert moved["live"]["orders_today"] == first["live"]["orders_today"] + 1
        assert seen - float(paid_at(orders_db, order["id"])) <= 2.0
    finally:
        socket.ws.close()


def test_a_shoppers_token_is_refused_on_the_staff_socket(config, shoppers):
    ws_url = "ws://" + str(config["GATEWAY"]["bind"])
    client = WsClient(f"{ws_url}/ws/analytics?access_token={shoppers[0].token}")
    with pytest.raises(Closed) as closed:
        client.next(timeout=5)
    assert (closed.value.code, closed.value.reason) == (1008, "forbidden")
