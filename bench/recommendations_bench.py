"""Recommendations: /api/recommendations/for-me next to a cached product read, and training cost.

    .venv/bin/python bench/recommendations_bench.py [--env test5] [--seconds 10] [--clients 20]
                                                   [--train-users 10000]

Starts the whole platform of a test env (default $AARYA_TEST_ENV, else `test`) with the
gateway's per-IP limit raised so it counts but never trips, loads the demo catalog, trains and
activates a model with the train command, then, in one run so the ratios compare:

  for-me     GET /api/recommendations/for-me?limit=10, each client its own signed-in shopper
             (JWTs issued here, no argon2); the first request of each is a miss (the
             service makes the list), the rest are Redis hits at the current generations
  for-me fold-in  the same, but every request follows a fresh interaction of that shopper's
             (the generation moved): each one is a miss the service folds in and recomputes
  product    GET /api/products/{id}, the gateway's cached product read (one Redis round trip)
  wrk        the two cached reads again with wrk (bench/wrk/rotate.lua: round-robin over the
             same shoppers' tokens and products, X-Cache counted), a C client that does not
             queue behind the GIL of 20 Python threads on the gateway's two cores
  training   the offline pipeline on --train-users generated shoppers × the demo catalog
             (generate, time split, evaluate all four models, fit the serving model) in a
             child process: wall time per stage and the child's peak RSS

Prints figures, asserts nothing. The machine is shared: ratios from one run are what count.
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import sys
import time
import uuid
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gateway_bench import parse_wrk  # noqa: E402
from search_bench import drive, line, percentile  # noqa: E402

from kit.config import load_config  # noqa: E402
from kit.tokens import issue_access_token  # noqa: E402
from ops.platformctl import Platform  # noqa: E402
from kit.recs_cache import Keys  # noqa: E402

FIRST_BENCH_USER = 900_000
ROTATE_LUA = ROOT / "bench" / "wrk" / "rotate.lua"


def wrk_rotating(base, lines, connections, seconds, warmup=2):
    """wrk over `lines` ('<path> [token]'), round-robin: (req/s, p50, p99, non-2xx, hits, misses).

    A C client: the Python threads of `drive` share the GIL (5 ms switch interval) and these two
    cores with the gateway, so their p99 is partly the client's own queueing."""
    wrk = shutil.which("wrk")
    if not wrk:
        return None
    with tempfile.NamedTemporaryFile("w", prefix="aarya-wrk-", suffix=".txt") as listing:
        os.chmod(listing.name, 0o600)
        listing.write("\n".join(lines) + "\n")
        listing.flush()
        result = None
        for span in (warmup, seconds):
            done = subprocess.run(
                [wrk, "-t2", f"-c{connections}", f"-d{span}s", "--latency", "--timeout", "10s",
                 "-s", str(ROTATE_LUA), base], capture_output=True, text=True,
                env=dict(os.environ, AARYA_BENCH_REQUESTS=listing.name))
            if done.returncode != 0:
                sys.exit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
            result = parse_wrk(done.stdout)
            cache = re.search(r"x-cache hits (\d+) misses (\d+)", done.stdout)
            result["hits"], result["misses"] = (int(g) for g in cache.groups())
    return result


def run_step(env, *args):
    subprocess.run([sys.executable, *args, "--env", env], cwd=ROOT, check=True,
                   env={**os.environ, "AARYA_ENV": env}, stdout=subprocess.DEVNULL)


def train_child(env, users):
    """Runs in a child process: the offline pipeline on `users` generated shoppers."""
    import sqlalchemy as sa
    from sqlalchemy.orm import sessionmaker

    from services.recommendations import algorithms, behaviour, catalog, evaluation

    config = load_config(env)
    engine = sa.create_engine(config["DB_URIS"]["recommendations"])
    with sessionmaker(engine)() as session:
        items = [i for i in catalog.load_items(session) if i["is_active"]]
    times, cpu = {}, {}
    t, c = time.perf_counter(), time.process_time()
    index = algorithms.ItemIndex([i["product_id"] for i in items])
    content = algorithms.content_matrix(items, index)
    times["tf-idf"], cpu["tf-idf"] = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    events = behaviour.generate(items, shoppers=users, seed=7)
    times["generate"], cpu["generate"] = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    split = evaluation.time_split(events)
    table = evaluation.evaluate_split(split, items, index, content,
                                      algorithms.DEFAULT_COMPONENTS, algorithms.DEFAULT_MIX)
    times["evaluate"], cpu["evaluate"] = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    rows = [(e.user, e.product_id, e.kind, e.weight, e.day) for e in events]
    model = algorithms.fit(rows, index, behaviour.DEFAULT_DAYS)
    times["fit"], cpu["fit"] = time.perf_counter() - t, time.process_time() - c
    print(json.dumps({"items": len(items), "events": len(events), "times": times, "cpu": cpu,
                      "artifact_bytes": len(model.to_bytes()),
                      "holdout_users": len(split.relevant),
                      "precision": {m: table[m]["precision@10"] for m in evaluation.MODELS},
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_TEST_ENV", "test"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--train-users", type=int, default=10_000, help="0: no training run")
    parser.add_argument("--train-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.env == "dev":
        sys.exit("run benchmarks in a test env, never in dev")
    if args.train_child:
        return train_child(args.env, args.train_users)

    config = load_config(args.env)
    keys = Keys.from_config(config)
    platform = Platform(env=args.env)
    platform.migrate()
    for name in platform.names():
        extra = {"RATE_LIMIT_PER_MINUTE": 100_000_000} if name == "gateway" else None
        platform.start(name, extra)
    try:
        for name in platform.names():
            platform.wait_healthy(name, 120)
        run_step(args.env, "-m", "services.products.demo_catalog", "--quiet")
        run_step(args.env, "-m", "services.recommendations.train", "--no-tune", "--quiet")
        gateway = "http://" + str(config["GATEWAY"]["bind"])
        r = redis.Redis.from_url(config["REDIS_URI"], decode_responses=True)
        users = [FIRST_BENCH_USER + n for n in range(args.clients * 5)]
        tokens = {u: issue_access_token(config["AUTH"], u, "customer", f"bench-{uuid.uuid4()}")
                  for u in users}
        product_ids = [i["id"] for i in requests.get(
            f"{gateway}/api/products", params={"limit": 20}, timeout=10).json()["items"]]

        served = {"hit": 0, "miss": 0}

        def for_me(session, user):
            response = session.get(f"{gateway}/api/recommendations/for-me?limit=10",
                                   headers={"Authorization": f"Bearer {tokens[user]}"},
                                   timeout=10)
            served[response.headers.get("X-Cache", "miss")] = served.get(
                response.headers.get("X-Cache", "miss"), 0) + 1
            return response.status_code == 200

        def for_me_fold_in(session, user):
            r.incr(keys.user_gen(user))  # what the consumer does after an interaction
            return for_me(session, user)

        def product(session, product_id):
            return session.get(f"{gateway}/api/products/{product_id}",
                               timeout=10).status_code == 200

        warm = requests.Session()        # every shopper's list made once, every product cached
        for user in users:
            for_me(warm, user)
        for product_id in product_ids:
            product(warm, product_id)
        drive(for_me, users, 4, 2)       # warm the gateway's RPC and Redis pools
        drive(product, product_ids, 4, 2)
        served.update(hit=0, miss=0)
        results = {
            "for-me (cached)": drive(for_me, users, args.clients, args.seconds),
        }
        cached_hits = dict(served)
        results.update({
            "product read (cached)": drive(product, product_ids, args.clients, args.seconds),
            "for-me (fold-in, miss)": drive(for_me_fold_in, users, args.clients, args.seconds),
        })
        wrk_results = {
            "for-me (cached)": wrk_rotating(
                gateway, [f"/api/recommendations/for-me?limit=10 {tokens[u]}" for u in users],
                args.clients, args.seconds),
            "product read (cached)": wrk_rotating(
                gateway, [f"/api/products/{p}" for p in product_ids], args.clients, args.seconds),
        }
    finally:
        platform.down()

    training = None
    if args.train_users > 0:
        child = subprocess.run([sys.executable, __file__, "--env", args.env, "--train-child",
                                "--train-users", str(args.train_users)], cwd=ROOT,
                               capture_output=True, text=True, check=True)
        training = json.loads(child.stdout.strip().splitlines()[-1])

    print(f"== recommendations bench, env {args.env}, {args.clients} clients, {args.seconds} s "
          f"per path, load average {os.getloadavg()[0]:.1f}")
    for label, result in results.items():
        print(line(label, result))
    print(f"  for-me (cached) answers: {cached_hits['hit']} Redis hits, {cached_hits['miss']} misses")
    ratio = results["for-me (cached)"][0] / max(results["product read (cached)"][0], 1e-9)
    print(f"  for-me / cached product read: {ratio:.2f}x req/s (goal >= 0.5x); for-me p99 "
          f"{percentile(results['for-me (cached)'][1], 99):.1f} ms (goal <= 30 ms)")
    if all(wrk_results.values()):
        print(f"  the same two reads with wrk (C client, -t2 -c{args.clients}, "
              f"round-robin over the same shoppers/products):")
        for label, w in wrk_results.items():
            print(f"  {label:<26} {w['rps']:8.1f} req/s   p50 {w['p50']:7.1f} ms   "
                  f"p99 {w['p99']:7.1f} ms   non-2xx {w['non_2xx']}   "
                  f"X-Cache hit {w['hits']} / miss {w['misses']}")
        mine, product_read = wrk_results["for-me (cached)"], wrk_results["product read (cached)"]
        print(f"  wrk: for-me / cached product read: {mine['rps'] / max(product_read['rps'], 1e-9):.2f}x "
              f"req/s (goal >= 0.5x); for-me p99 {mine['p99']:.1f} ms (goal <= 30 ms)")
    else:
        print("  wrk not installed: no C-client figures (ops/servers.sh installs it)")
    if training is None:
        return 0
    t = training["times"]
    print(f"  training, {args.train_users} shoppers x {training['items']} products "
          f"({training['events']} events): generate {t['generate']:.1f} s, evaluate "
          f"{t['evaluate']:.1f} s, fit {t['fit']:.1f} s, tf-idf {t['tf-idf']:.2f} s; total "
          f"{sum(t.values()):.1f} s (goal <= 60 s); peak RSS {training['peak_rss_mb']:.0f} MiB "
          f"(goal <= 2048); artifact {training['artifact_bytes'] / 1024:.0f} KiB")
    c = training["cpu"]
    print(f"  training CPU (steadier on a shared machine): generate {c['generate']:.1f} s, "
          f"evaluate {c['evaluate']:.1f} s, fit {c['fit']:.1f} s; total {sum(c.values()):.1f} s")
    print("  hold-out precision@10: " + ", ".join(
        f"{m} {p:.4f}" for m, p in training["precision"].items()))


if __name__ == "__main__":
    sys.exit(main())
