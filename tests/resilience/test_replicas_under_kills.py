"""Two of everything, and one of each is SIGKILLed in turn while shoppers check out and browse.

Every service, the audit consumer, the bridge and the gateway run as two replicas (ops.platformctl
--replicas). Under a checkout + browse load spread over both gateways, one replica of each process
is killed with SIGKILL (no goodbye: unacked messages, pending stream entries and half-done sagas
are left behind) and started again. Afterwards: every accepted order ended paid or cancelled,
stock taken equals paid units, each event id is once in its stream and in the audit log.
"""
import signal
import time

from ops.platformctl import replica_name
from tests.resilience.checks import check_nothing_lost_or_doubled, product_ids
from tests.resilience.conftest import LONG, REPLICAS, figure
from tests.resilience.load import Load
from tests.support.harness import redis_client

STOCK = 100_000
# Per kill: how long the survivor carries the load alone (long run: ~60 s of kills in all).
FAULT_S = 6 if LONG else 1.5


def test_one_replica_of_each_process_killed_in_turn_loses_and_doubles_nothing(
        chaos, chaos_config, chaos_db, chaos_catalog, chaos_people, gateways):
    variants = chaos_catalog.variants(STOCK, STOCK)
    load = Load(gateways, chaos_people.shoppers(12 if LONG else 6), variants,
                product_ids(chaos_db, variants), checkout_threads=4, browse_threads=2).start()
    time.sleep(3 if LONG else 1)
    faults = []
    for n, name in enumerate(chaos.names()):
        victim = replica_name(name, 1 + n % REPLICAS)
        t0 = time.monotonic()
        chaos.kill(victim, signal.SIGKILL)
        time.sleep(FAULT_S)
        chaos.start(victim)
        if LONG:
            chaos.wait_healthy(victim, timeout=120)
        window = load.window(t0, time.monotonic())
        faults.append((victim, len(window), len(load.failed(window)),
                       time.monotonic() - t0))
    for name in chaos.names():
        for i in range(1, REPLICAS + 1):
            chaos.wait_healthy(replica_name(name, i), timeout=180)
    time.sleep(2)
    load.stop()

    figure(f"[replicas] load: {load.summary()}; slowest {load.slowest(load.samples):.1f}s")
    for victim, sent, failed, took in faults:
        figure(f"[replicas]   SIGKILL {victim:<16} {sent:4d} requests in the window, "
               f"{failed:3d} failed (retried), back in {took:.1f}s")
    assert load.accepted, "no order got through at all"
    # Latency is not judged here: restarting a process takes the CPU from the rest on 2 cores.
    assert not load.wrong(load.samples, hang_s=None), load.wrong(load.samples, hang_s=None)[:5]
    figure("[replicas] " + check_nothing_lost_or_doubled(
        chaos_db, redis_client(chaos_config), load, {v: STOCK for v in variants}))
