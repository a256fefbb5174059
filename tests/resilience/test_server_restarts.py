"""RabbitMQ, then Redis, then PostgreSQL go down and come back while shoppers check out.

Only the chaos env's own servers are restarted (ops/chaos_servers.sh: :5673, :6390, :5433).
While a server is down the gateway answers 503 with a JSON error (never a 500, never a hang past
its timeout); once it is back the platform heals by itself within 30 s: every process reports
healthy and a fresh checkout goes all the way to paid, and no process died on the way (each is
the process it was before the first restart: healing means reconnecting, not being restarted).
At the end nothing is lost or doubled (tests/resilience/checks.py).

`make test` (short): each server down 3 s, RabbitMQ as its application only (the Erlang VM
stays, ops/chaos_servers.sh rabbitmq-app: the same closed connections and refused reconnects
without a 30 s VM boot); `make chaos` (AARYA_CHAOS=long): 10 s down, whole RabbitMQ node.
"""
import time

import requests

from ops.platformctl import replica_name
from tests.orders.helpers import new_key, order_body
from tests.resilience.checks import check_nothing_lost_or_doubled, product_ids
from tests.resilience.conftest import LONG, REPLICAS, chaos_servers, figure
from tests.resilience.load import Load
from tests.support.harness import redis_client

STOCK = 100_000
DOWN_S = 10 if LONG else 3
RECOVERY_LIMIT_S = 30
LOAD_BETWEEN_S = 10 if LONG else 2
SERVERS = (("rabbitmq" if LONG else "rabbitmq-app"), "redis", "postgresql")


def every_process(platform):
    return [replica_name(name, i) for name in platform.names() for i in range(1, REPLICAS + 1)]


def unhealthy(platform):
    return [name for name in every_process(platform) if not platform.healthy(name, timeout=2)]


def health_body(platform, name):
    try:
        return requests.get(platform.health_url(name), timeout=3).text[:400]
    except requests.RequestException as exc:
        return repr(exc)


def checkout_goes_through(shopper, gateway, variant, timeout=8):
    """One complete checkout (cart, order, paid) through one gateway: (order_ref, None), or
    (None, what went wrong)."""
    auth = {"Authorization": f"Bearer {shopper.token}"}
    try:
        added = shopper.http.post(f"{gateway}/api/cart/items", headers=auth, timeout=timeout,
                                  json={"variant_id": variant, "quantity": 1})
        if added.status_code != 200:
            return None, f"cart {added.status_code} {added.text[:80]}"
        placed = shopper.http.post(f"{gateway}/api/orders", json=order_body(), timeout=timeout,
                                   headers={**auth, "Idempotency-Key": new_key()})
        if placed.status_code != 201:
            return None, f"order {placed.status_code} {placed.text[:80]}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            order = shopper.http.get(f"{gateway}/api/orders/{placed.json()['id']}",
                                     headers=auth, timeout=timeout)
            if order.status_code == 200 and order.json()["status"] == "paid":
                return placed.json()["order_ref"], None
            time.sleep(0.2)
    except requests.RequestException as exc:
        return None, type(exc).__name__
    return None, f"order not paid within {timeout}s: {order.status_code} {order.text[:80]}"


def test_rabbitmq_redis_and_postgresql_restarts_heal_by_themselves(
        chaos, chaos_config, chaos_db, chaos_catalog, chaos_people, gateways):
    variants = chaos_catalog.variants(STOCK, STOCK)
    pids = {name: chaos.pid(name) for name in every_process(chaos)}
    assert all(pids.values()), pids
    prober, *crowd = chaos_people.shoppers(7 if LONG else 5)
    load = Load(gateways, crowd, variants, product_ids(chaos_db, variants),
                checkout_threads=4, browse_threads=2).start()
    time.sleep(LOAD_BETWEEN_S)
    results, probes = [], []
    try:
        for server in SERVERS:
            t_down = time.monotonic()
            chaos_servers("down", server)
            stopping = time.monotonic() - t_down
            time.sleep(DOWN_S)
            t_start = time.monotonic()
            chaos_servers("up", server)
            t_up = time.monotonic()
            healed, all_healthy, last_sick, why = None, None, [], ""
            while time.monotonic() - t_up < RECOVERY_LIMIT_S + 30:
                died = [name for name, pid in pids.items() if chaos.pid(name) != pid]
                assert not died, f"{died} died on the {server} restart (see var/chaos/log)"
                sick = unhealthy(chaos)
                if sick:
                    last_sick = sick
                elif all_healthy is None:
                    all_healthy = time.monotonic() - t_up
                ref, why = (None, f"unhealthy: {sick} {health_body(chaos, sick[0])}") if sick \
                    else checkout_goes_through(
                    prober, gateways[0], variants[0])
                if ref:
                    probes.append(ref)
                    healed = time.monotonic()
                    break
                time.sleep(0.5)
            window = load.window(t_down, healed or time.monotonic())
            results.append((server, t_up - t_down, (healed - t_up) if healed else None,
                            window))
            figure(f"[restarts]   {server}: stop took {stopping:.1f}s, start {t_up - t_start:.1f}s;"
                   f" every process healthy {f'{all_healthy:.1f}s' if all_healthy is not None else 'NEVER'}"
                   f" after it was back (last unhealthy: {', '.join(last_sick) or '-'}); "
                   f"{len(load.failed(load.window(t_up, healed or time.monotonic())))} requests "
                   f"failed after it was back")
            if not healed:
                figure(f"[restarts]   {server} not healed; last probe: {why}")
            time.sleep(LOAD_BETWEEN_S)
    finally:
        load.stop()

    figure(f"[restarts] load: {load.summary()}; slowest {load.slowest(load.samples):.1f}s")
    for server, down, healed, window in results:
        codes = sorted({s.code for s in load.failed(window)})
        figure(f"[restarts]   {server:<10} down {down:4.1f}s: {len(window):4d} requests, "
               f"{len(load.failed(window)):3d} failed ({', '.join(codes) or '-'}), "
               f"healed {f'{healed:.1f}s' if healed is not None else 'NEVER'} after it was back")
    for server, _, healed, window in results:
        assert healed is not None and healed <= RECOVERY_LIMIT_S, \
            f"{server}: not healed within {RECOVERY_LIMIT_S}s of coming back ({healed})"
        assert not load.wrong(window), f"{server}: {load.wrong(window)[:5]}"
    for ref in probes:  # the probes' orders are checked like the load's
        load.accepted[ref] = (prober, None)
    figure("[restarts] " + check_nothing_lost_or_doubled(
        chaos_db, redis_client(chaos_config), load, {v: STOCK for v in variants}))
