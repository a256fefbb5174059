"""Catalog and cart through the gateway: cached and uncached product reads, listings, add-to-cart.

    .venv/bin/python bench/products_bench.py [--env test6] [--seconds 10] [--connections 64]

Starts its own processes in a test env (default $AARYA_TEST_ENV, else `test`): the products
and cart services and a gateway (gunicorn, gevent, 2 workers) on free loopback ports, with
the request limit raised so it counts but never trips. Loads the demo catalog (idempotent),
then runs `wrk --latency` on each path after a warm-up, all in one run so ratios compare:

  GET /health                     raw gateway: no Redis, no RPC
  GET /api/products/{id}          cached: rate-limit INCR + one Redis round trip, no RPC
  GET /api/system/ping            one no-op RPC to products (plus the rate-limit INCR)
  GET /api/products/{id} no-cache cache read skipped: generation GET, get_product RPC, CAS write
  GET /api/products?…             a filtered listing, cached and with no-cache
  GET /api/products/{id} new viewers  cached, but each request a new guest: each one a view
  POST /api/cart/items            a guest adds one unit (cart RPC → products.get_variants)

Every product read also queues a view (products.record_view, off the request path; reloads by
one viewer within gateway.product_views.REPEAT_VIEW_S count once, and each worker forwards at
most views_per_second); the views that landed are counted from products_db.

The two goal ratios (cached read vs /health, uncached read vs the no-op RPC) are measured
again in alternating short rounds, so load drifting between runs shows as spread. CPU per
request of the gateway, products and cart processes is shown too: steadier than req/s on a
shared machine. Prints figures, asserts nothing. Other processes in the same env (a test
session's platform) share the RPC queues and skew the figures: run it alone.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gateway_bench import cpu_seconds, free_port, parse_wrk  # noqa: E402

from gateway import product_views  # noqa: E402
from kit.config import load_config  # noqa: E402
from kit.tokens import issue_access_token  # noqa: E402

BIN = Path(sys.executable).parent
GATEWAY_WORKERS = 2
LISTING = "/api/products?category=men&size=M&in_stock=true&sort=price_asc&limit=24"

# wrk script: each thread adds to its own few guest carts, one unit at a time.
ADD_TO_CART_LUA = """
local variant = os.getenv("AARYA_BENCH_VARIANT")
local sessions = {}
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  for i = 1, 16 do
    local id = "bench"
    for _ = 1, 24 do id = id .. string.char(97 + math.random(0, 25)) end
    sessions[i] = id
  end
end
function request()
  local headers = {["Content-Type"] = "application/json",
                   ["X-Cart-Session"] = sessions[math.random(1, #sessions)]}
  return wrk.format("POST", nil, headers, '{"variant_id": ' .. variant .. ', "quantity": 1}')
end
"""

# wrk script: every request from a new guest (a new cart session), so every read is a new view.
NEW_VIEWER_LUA = """
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  local id = "viewer"
  for _ = 1, 20 do id = id .. string.char(97 + math.random(0, 25)) end
  return wrk.format("GET", nil, {["X-Cart-Session"] = id})
end
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_TEST_ENV", "test"))
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per path")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds per path first")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per ratio")
    parser.add_argument("--round-seconds", type=int, default=5)
    parser.add_argument("--no-rate-limit", action="store_true",
                        help="turn the per-IP limiter off (it costs every /api request a Redis "
                             "round trip that /health skips), to see the cache's own cost")
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")
    env = args.env
    config = load_config(env)
    refuse_dev(config, env)
    run(env, [sys.executable, "-m", "kit.migrate", "--env", env, "upgrade", "products"])
    run(env, [sys.executable, "-m", "services.products.demo_catalog", "--env", env, "--quiet"])

    logs = Path(tempfile.mkdtemp(prefix="products-bench-"))
    processes = {}
    try:
        for service in ("products", "cart"):
            if (ROOT / "services" / service / "service.py").exists():
                address = f"127.0.0.1:{free_port()}"
                processes[service] = start(env, service, logs, [
                    str(BIN / "nameko"), "run", "--config", f"config/{env}.yaml",
                    f"services.{service}.service"], WEB_SERVER_ADDRESS=address)
                wait_healthy(f"http://{address}/health", processes[service])
        gateway_addr = f"127.0.0.1:{free_port()}"
        processes["gateway"] = start(env, "gateway", logs, [
            str(BIN / "gunicorn"), "-c", "gateway/gunicorn_conf.py", "gateway.app:create_app()"],
            GATEWAY_BIND=gateway_addr, GATEWAY_WORKERS=GATEWAY_WORKERS,
            RATE_LIMIT_PER_MINUTE=0 if args.no_rate_limit else 1_000_000_000)
        base = f"http://{gateway_addr}"
        wait_healthy(f"{base}/health", processes["gateway"])
        product_id, variant_id = bench_product(config, base)
        page_bytes = wait_rpc_ready(base, product_id)

        print(f"env {env}: gateway {GATEWAY_WORKERS} gunicorn gevent workers, rpc pool "
              f"{config['GATEWAY']['rpc_pool_size']}/worker; wrk -t{args.threads} "
              f"-c{args.connections} -d{args.seconds}s (+{args.warmup}s warm-up each); "
              f"rate limiter {'off' if args.no_rate_limit else 'counting'}; "
              f"product {product_id} ({page_bytes:,} bytes of JSON), variant {variant_id}")
        header = (f"{'path':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
                  + "".join(f"{name + ' CPU ms/req':>22}" for name in processes))
        print(header)
        cart_lua, viewer_lua = logs / "add_to_cart.lua", logs / "new_viewer.lua"
        cart_lua.write_text(ADD_TO_CART_LUA)
        viewer_lua.write_text(NEW_VIEWER_LUA)
        product = f"/api/products/{product_id}"
        no_cache = ["-H", "Cache-Control: no-cache"]
        runs = [
            ("GET /health", "/health", [], None),
            ("GET product (cached)", product, [], None),
            ("GET /api/system/ping (no-op RPC)", "/api/system/ping", [], None),
            ("GET product (no-cache)", product, no_cache, None),
            ("GET listing (cached)", LISTING, [], None),
            ("GET listing (no-cache)", LISTING, no_cache, None),
            ("GET product (cached, new viewers)", product, [], viewer_lua),
        ]
        if "cart" in processes:
            runs.append(("POST /api/cart/items (guest)", "/api/cart/items", [], cart_lua))
        views_before = recorded_views(config, product_id)
        results = {}
        for label, path, extra, script in runs:
            quiet(processes)
            wrk_run(wrk, base + path, extra, script, variant_id, args.threads,
                    args.connections, args.warmup)
            before = {name: cpu_seconds(p.pid) for name, p in processes.items()}
            result = wrk_run(wrk, base + path, extra, script, variant_id, args.threads,
                             args.connections, args.seconds)
            after = {name: cpu_seconds(p.pid) for name, p in processes.items()}
            done = max(1, result["requests"])
            results[label] = result
            print(f"{label:<34}{result['rps']:>9,.0f}{result['p50']:>9.2f}{result['p99']:>9.2f}"
                  f"{result['non_2xx']:>9}"
                  + "".join(f"{(after[n] - before[n]) * 1000 / done:>22.2f}" for n in processes),
                  flush=True)

        # The goals compare two paths; on a shared machine the load drifts between runs, so
        # each pair is also measured in alternating short rounds and the median is shown.
        by_label = {label: (path, extra, script) for label, path, extra, script in runs}
        print(f"paired ratios ({args.rounds} alternating rounds of {args.round_seconds}s each):")
        for a, b, goal in (("GET product (cached)", "GET /health", 0.5),
                           ("GET product (no-cache)", "GET /api/system/ping (no-op RPC)", 0.9)):
            rounds = []
            for _ in range(args.rounds):
                rates = []
                for label in (a, b):
                    path, extra, script = by_label[label]
                    quiet(processes)
                    wrk_run(wrk, base + path, extra, script, variant_id, args.threads,
                            args.connections, 1)
                    rates.append(wrk_run(wrk, base + path, extra, script, variant_id,
                                         args.threads, args.connections,
                                         args.round_seconds)["rps"])
                rounds.append(rates[0] / rates[1] if rates[1] else float("nan"))
            single = results[a]["rps"] / results[b]["rps"] if results[b]["rps"] else float("nan")
            print(f"  {a} / {b}: rounds {', '.join(f'{r:.2f}' for r in rounds)}; "
                  f"median {sorted(rounds)[len(rounds) // 2]:.2f}x (table above: {single:.2f}x;"
                  f" goal >= {goal}x)")
        reads = sum(results[label]["requests"] for label in results
                    if label.startswith("GET product"))
        time.sleep(2)
        views_after = recorded_views(config, product_id)
        views = (f"{views_after - views_before:,}" if None not in (views_after, views_before)
                 else "n/a")
        print(f"views recorded by products: {views} for {reads:,} measured product reads "
              f"(plus warm-ups): reloads by one viewer count once per "
              f"{product_views.REPEAT_VIEW_S}s, and each worker forwards at most "
              f"{config['GATEWAY'].get('views_per_second', product_views.DEFAULT_VIEWS_PER_S)}"
              f" views/s")
        print(f"load average after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
              f"(others' processes share this machine: compare ratios, not absolutes)")
    finally:
        for process in reversed(list(processes.values())):
            stop(process)
        shutil.rmtree(logs, ignore_errors=True)


def quiet(processes, timeout=30):
    """Wait until the services are idle (e.g. done with views queued by the previous run), so
    one path's leftovers do not slow the next."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(p.pid) for p in processes.values())
        time.sleep(0.5)
        if sum(cpu_seconds(p.pid) for p in processes.values()) - before < 0.03:
            return


def refuse_dev(config, env):
    dev = load_config("dev")
    if config["REDIS_URI"] == dev["REDIS_URI"] or config["AMQP_URI"] == dev["AMQP_URI"]:
        sys.exit(f"config/{env}.yaml shares Redis or the vhost with dev; refusing to run")


def child_env(env, **extra):
    environ = dict(os.environ, AARYA_ENV=env, PYTHONUNBUFFERED="1",
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    environ.update({k: str(v) for k, v in extra.items()})
    return environ


def run(env, argv):
    done = subprocess.run(argv, cwd=ROOT, env=child_env(env), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def start(env, name, logs, argv, **extra_env):
    log = open(logs / f"{name}.log", "w")
    proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(env, **extra_env), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    proc.name, proc.log_path = name, logs / f"{name}.log"
    return proc


def wait_healthy(url, proc, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit(f"{proc.name} did not become healthy at {url}:\n"
             f"{Path(proc.log_path).read_text(errors='replace')[-3000:]}")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def bench_product(config, base):
    """A typical demo product (the median number of variants, so a typical page size), and
    its first variant stocked for a long run of adds."""
    engine = sa.create_engine(config["DB_URIS"]["products"])
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT p.id, min(v.id) FROM products p JOIN product_variants v ON v.product_id = p.id "
            "WHERE p.is_active AND v.is_active GROUP BY p.id ORDER BY count(*), p.id")).all()
    engine.dispose()
    product_id, variant_id = rows[len(rows) // 2]
    token = issue_access_token(config["AUTH"], 9001, "admin", f"bench-{uuid.uuid4()}")
    stocked = requests.put(f"{base}/api/variants/{variant_id}/stock", timeout=30,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"quantity": 1_000_000, "reason": "products bench"})
    if stocked.status_code != 200:
        sys.exit(f"stocking the bench variant failed: {stocked.status_code} {stocked.text}")
    return product_id, variant_id


def wait_rpc_ready(base, product_id, timeout=60):
    """Until the gateway answers a product read through the service (consumers are up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = requests.get(f"{base}/api/products/{product_id}", timeout=15,
                                headers={"Cache-Control": "no-cache"})
        if response.status_code == 200:
            return len(response.content)
        time.sleep(0.5)
    sys.exit(f"GET /api/products/{product_id} kept failing: {response.status_code} "
             f"{response.text}")


def recorded_views(config, product_id):
    """Views of the product in products_db (None if the database is out of connections: the
    figure is a by-product, not worth failing the run for)."""
    engine = sa.create_engine(config["DB_URIS"]["products"])
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM product_view_history "
                                       "WHERE product_id = :id"), {"id": product_id})
    except sa.exc.OperationalError as exc:
        print(f"  (views not counted: {str(exc.orig).strip().splitlines()[0]})")
        return None
    finally:
        engine.dispose()


def wrk_run(wrk, url, extra, script, variant_id, threads, connections, seconds):
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
            "--timeout", "10s", *extra]
    if script:
        argv += ["-s", str(script)]
    done = subprocess.run(argv + [url], capture_output=True, text=True,
                          env=dict(os.environ, AARYA_BENCH_VARIANT=str(variant_id)))
    if done.returncode != 0:
        sys.exit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    return parse_wrk(done.stdout)


if __name__ == "__main__":
    main()
