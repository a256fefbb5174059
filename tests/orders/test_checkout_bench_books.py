"""The checkout bench, briefly, against the running platform: a few seconds of shoppers
checking out at once, then the flash-sale race. Its speed is not judged here (a shared
machine decides that); its books are: every unit taken from the shelf is in a paid order,
no order is paid twice, every payment has its order, every paid order its completed
payment, nothing is left unsettled, and the race sells at most what was on the shelf."""
import argparse
import importlib.util

from kit.config import ROOT


def load_bench():
    spec = importlib.util.spec_from_file_location("checkout_bench",
                                                  ROOT / "bench" / "checkout_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_a_short_checkout_bench_keeps_the_books_balanced(config, platform, rpc, gateway_url):
    bench = load_bench()
    args = argparse.Namespace(seconds=6, warmup=1, shoppers=4, idle=0.5, profile=None)
    outcome = bench.run(args, config, platform, rpc, gateway_url)
    books = outcome["books"]
    assert outcome["paid"] > 0, outcome  # the bench really checked out
    assert books["mismatched"] == {}, books  # stock taken == units in paid orders, per variant
    assert books["orders_paid_twice"] == 0, books
    assert books["payments_without_order"] == 0, books
    assert books["paid_without_payment"] == 0, books
    assert books["open_orders"] == 0, books
    assert books["race_sold"] == bench.RACE_STOCK - books["race_left"], books
    assert books["race_sold"] <= bench.RACE_STOCK and books["race_left"] >= 0, books
    assert books["race_sold"] == books["race_won"], books  # each 201 of the race was paid
