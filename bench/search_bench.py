"""Search through the gateway next to the same queries sent straight to Elasticsearch.

    .venv/bin/python bench/search_bench.py [--env test] [--seconds 10] [--clients 20]

Starts the whole platform of a test env (default $AARYA_TEST_ENV, else `test`) with the
gateway's per-IP limit raised so it counts but never trips, loads the demo catalog and
reindexes it, then, in one run so the ratios compare:

  search   GET /api/search?… (a rotating set of queries, typos and filters among them)
           vs the very bodies the search service builds, POSTed to <alias>/_search
  suggest  GET /api/search/suggest?q=<prefix> vs the same completion suggesters on ES
  lag      set a variant's stock to 0 / back over RPC, time until the indexed document says so

The gateway path includes its `search:{query_hash}` page cache (that is the product), so the
figures are "what a shopper gets" against "what ES alone costs". Prints figures, asserts nothing.
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from elasticsearch import Elasticsearch
from nameko.standalone.rpc import ClusterRpcProxy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kit.errors  # noqa: F401,E402  (typed RPC errors)
from kit.config import load_config  # noqa: E402
from ops.platformctl import Platform  # noqa: E402
from services.search import queries, schemas  # noqa: E402
from services.search.indices import alias_name  # noqa: E402
from services.search.settings import SearchSettings  # noqa: E402

QUERIES = [
    {"q": "denim jacket"}, {"q": "jaket"}, {"q": "jeens"}, {"q": "blue shirt", "size": "M"},
    {"q": "dress", "in_stock": "true"}, {"q": "cotton", "sort": "price_asc"},
    {"q": "kurta", "min_price": "50000", "max_price": "500000"}, {"q": "sneakers"},
    {"q": "linen trousers"}, {"q": "hoodie", "sort": "popularity"}, {"q": "t-shirt"},
    {"q": "wool sweater"}, {"category": "men", "in_stock": "true"}, {"q": "skirt"},
    {"q": "slim fit", "sort": "newest"}, {"q": "black"},
]
PREFIXES = ["de", "jack", "jea", "sh", "dre", "kur", "sne", "hood", "lin", "swe", "ski", "bl"]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


def drive(call, items, clients, seconds):
    """`clients` threads call `call(item)` round-robin for `seconds`; (req/s, latencies ms, errors)."""
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(offset):
        session = requests.Session()
        i = offset
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                ok = call(session, items[i % len(items)])
            except Exception:  # noqa: BLE001 - a bench counts failures, it does not stop on them
                ok = False
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if ok else 1
            i += 1

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return len(latencies) / (time.monotonic() - started), latencies, errors[0]


def line(label, result):
    rate, lat, errors = result
    return (f"  {label:<26} {rate:8.1f} req/s   p50 {percentile(lat, 50):7.1f} ms   "
            f"p99 {percentile(lat, 99):7.1f} ms   errors {errors}")


def run_step(env, *args):
    subprocess.run([sys.executable, *args, "--env", env], cwd=ROOT, check=True,
                   env={**os.environ, "AARYA_ENV": env}, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_TEST_ENV", "test"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--lag-samples", type=int, default=20)
    args = parser.parse_args()
    if args.env == "dev":
        sys.exit("run benchmarks in a test env, never in dev")

    config = load_config(args.env)
    settings = SearchSettings.from_config(config)
    platform = Platform(env=args.env)
    platform.migrate()
    for name in platform.names():
        extra = {"RATE_LIMIT_PER_MINUTE": 100_000_000} if name == "gateway" else None
        platform.start(name, extra)
    try:
        for name in platform.names():
            platform.wait_healthy(name, 120)
        run_step(args.env, "-m", "services.products.demo_catalog", "--quiet")
        run_step(args.env, "-m", "services.search.reindex")
        gateway = "http://" + str(config["GATEWAY"]["bind"])
        es = Elasticsearch(str(config["ELASTICSEARCH_URI"]), request_timeout=10)
        products = alias_name(settings.index_prefix, "products")
        suggestions = alias_name(settings.index_prefix, "search_suggestions")

        bodies = []
        for params in QUERIES:
            request = schemas.search_request({**params, "limit": "20"}, settings)
            bodies.append(queries.product_search_body(request, None, settings)[0])

        def via_gateway(session, params):
            return session.get(f"{gateway}/api/search", params={**params, "limit": 20},
                               timeout=10).status_code == 200

        def direct(session, body):
            return es.search(index=products, body=body) is not None

        def suggest_gateway(session, prefix):
            return session.get(f"{gateway}/api/search/suggest", params={"q": prefix},
                               timeout=10).status_code == 200

        def suggest_direct(session, prefix):
            es.search(index=suggestions, suggest={"s": queries.suggest_body(prefix, 8)},
                      source=False)
            es.search(index=products, suggest={"p": queries.product_suggest_body(prefix, 8)},
                      source=False)
            return True

        # Warm both paths (JIT caches in ES, the gateway's RPC pool) before measuring.
        drive(via_gateway, QUERIES, 4, 2)
        drive(direct, bodies, 4, 2)
        results = {
            "search via gateway": drive(via_gateway, QUERIES, args.clients, args.seconds),
            "search straight to ES": drive(direct, bodies, args.clients, args.seconds),
            "suggest via gateway": drive(suggest_gateway, PREFIXES, args.clients, args.seconds),
            "suggest straight to ES": drive(suggest_direct, PREFIXES, args.clients, args.seconds),
        }
        lags = measure_lag(config, es, products, args.lag_samples)
    finally:
        platform.down()

    print(f"== search bench, env {args.env}, {args.clients} clients, {args.seconds} s per path, "
          f"load average {os.getloadavg()[0]:.1f}")
    for label, result in results.items():
        print(line(label, result))
    ratio = results["search via gateway"][0] / max(results["search straight to ES"][0], 1e-9)
    print(f"  gateway search / direct ES: {ratio:.2f}x (goal >= 0.7x)")
    print(f"  suggest via gateway p99: {percentile(results['suggest via gateway'][1], 99):.1f} ms "
          f"(goal <= 50 ms)")
    if lags:
        print(f"  event -> searchable lag over {len(lags)} stock changes: "
              f"p50 {statistics.median(lags):.0f} ms, p99 {percentile(lags, 99):.0f} ms "
              f"(goal <= 2000 ms)")


def measure_lag(config, es, products, samples):
    """Set one variant's stock to 0 and back; time from the RPC until the indexed doc agrees."""
    staff = {"user_id": 1, "role": "admin"}
    with ClusterRpcProxy(config, timeout=30) as rpc:
        page = rpc.products.list_products({"limit": 1})
        product = rpc.products.get_product(page["items"][0]["id"])
        variant = product["variants"][0]["id"]
        lags = []
        for i in range(samples):
            quantity = 0 if i % 2 == 0 else 7
            t0 = time.perf_counter()
            rpc.products.set_stock(staff, variant, quantity, "bench")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                doc = es.get(index=products, id=str(product["id"]))["_source"]
                state = {v["variant_id"]: v["in_stock"] for v in doc["variants"]}
                if state.get(variant) == (quantity > 0):
                    lags.append((time.perf_counter() - t0) * 1000)
                    break
                time.sleep(0.01)
    return lags


if __name__ == "__main__":
    main()
