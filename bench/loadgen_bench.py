"""The shop's load mix (bench/loadgen/locustfile.py, Online Boutique's shape) through the gateway,
next to its paired baseline (gateway /health at the same concurrency) measured in the same run.

    .venv/bin/python bench/loadgen_bench.py [--env test8] [--seconds 20] [--users 30]

Rebuilds a test env (as bench/checkout_bench.py does: its databases, Redis db and vhost),
starts every process with the per-IP limit raised so it counts but never trips, loads the
demo catalog, then runs locust headless twice: the mix, then the baseline. Prints req/s,
p50/p95/p99 and errors per route, and the mix's total against the baseline's.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.config import load_config  # noqa: E402
from ops.platformctl import Platform  # noqa: E402
from tests.support import harness  # noqa: E402

LOCUSTFILE = ROOT / "bench" / "loadgen" / "locustfile.py"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_TEST_ENV", "test"))
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--keep", action="store_true",
                        help="reuse the env's running platform (no rebuild, no catalog load)")
    args = parser.parse_args()
    if args.env == "dev":
        sys.exit("refusing to wipe env dev: pick a test env")
    os.environ["AARYA_TEST_ENV"] = os.environ["AARYA_ENV"] = args.env
    harness.TEST_ENV = args.env
    config = load_config(args.env)
    platform = Platform(env=args.env)
    base_url = "http://" + str(config["GATEWAY"]["bind"])
    if not args.keep:
        print(f"env {args.env}: rebuilding its databases and starting every process …")
        platform.down()
        harness.reset_service_schemas(config)
        platform.migrate()
        harness.redis_client(config).flushdb()
        harness.delete_vhost_queues(config)
        for name in platform.names():
            extra = {"RATE_LIMIT_PER_MINUTE": "100000000"} if name == "gateway" else None
            platform.start(name, extra_env=extra)
        for name in platform.names():
            platform.wait_healthy(name, timeout=90)
        subprocess.run([sys.executable, "-m", "services.products.demo_catalog", "--env",
                        args.env, "--quiet"], cwd=ROOT, check=True, timeout=600)
        time.sleep(3)  # let search index the catalog's events
    try:
        with tempfile.TemporaryDirectory() as out:
            started = time.monotonic()
            prepared = Path(out, "fixture.json")
            prepared.write_text(json.dumps({
                "tokens": [sign_up(base_url) for _ in range(args.users)],
                **catalog_ids(base_url)}))
            os.environ["AARYA_LOAD_FIXTURE"] = str(prepared)
            print(f"{args.users} shoppers signed in and the catalog's ids read before the run "
                  f"({time.monotonic() - started:.1f} s)")
            mix = locust(base_url, "Shopper", args, Path(out, "mix"))
            baseline = locust(base_url, "HealthProbe", args, Path(out, "baseline"))
    finally:
        if not args.keep:
            platform.down()
    print(f"\nload mix, {args.users} shoppers, {args.seconds} s (machine shared: see uptime)")
    report(mix)
    print(f"\npaired baseline, gateway /health, {args.users} clients, same think time")
    report(baseline)
    total, base = mix.get("Aggregated"), baseline.get("Aggregated")
    if total and base and base["rps"]:
        print(f"\nmix total {total['rps']:.0f} req/s vs /health {base['rps']:.0f} req/s "
              f"({total['rps'] / base['rps']:.2f}×); mix p99 {total['p99']:.0f} ms, "
              f"errors {total['failures']}")


def sign_up(base_url):
    tag = uuid.uuid4().hex[:12]
    email, password = f"load-{tag}@example.com", f"pw-{tag}-load"
    requests.post(f"{base_url}/api/auth/register", json={
        "email": email, "username": f"l_{tag}", "password": password,
        "full_name": f"Load {tag}"}, timeout=60).raise_for_status()
    answer = requests.post(f"{base_url}/api/auth/login",
                           json={"email": email, "password": password}, timeout=60)
    answer.raise_for_status()
    return answer.json()["access_token"]


def catalog_ids(base_url):
    """The product ids the shoppers browse and the variant ids they buy (active, in stock)."""
    listing = requests.get(f"{base_url}/api/products", params={"limit": 50}, timeout=60).json()
    products = [p["id"] for p in listing.get("items", [])]
    variants = []
    for product_id in products[:20]:
        detail = requests.get(f"{base_url}/api/products/{product_id}", timeout=60).json()
        variants += [v["id"] for v in detail.get("variants", [])
                     if v.get("is_active") and v.get("inventory_count", 0) > 10]
    if not products or not variants:
        sys.exit("the catalog is empty: load the demo catalog first")
    return {"products": products, "variants": variants}


def locust(base_url, user_class, args, prefix):
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), user_class,
               "--headless", "-u", str(args.users), "-r", str(max(1, args.users // 2)),
               "-t", f"{args.seconds}s", "--host", base_url, "--csv", str(prefix),
               "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    subprocess.run(command, cwd=ROOT, timeout=args.seconds + 300, stdout=subprocess.DEVNULL)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]), "p50": _ms(row["50%"]),
                "p95": _ms(row["95%"]), "p99": _ms(row["99%"])}
    return rows


def _ms(value):
    return float(value) if value not in ("", "N/A") else float("nan")


def report(rows):
    print(f"  {'route':38} {'req/s':>8} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>7}")
    for name, r in sorted(rows.items(), key=lambda item: item[0] == "Aggregated"):
        print(f"  {name:38} {r['rps']:8.1f} {r['p50']:6.0f} {r['p95']:6.0f} {r['p99']:6.0f} "
              f"{r['failures']:7d}")


if __name__ == "__main__":
    main()
