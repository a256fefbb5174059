"""Gateway throughput: raw GET /health against signed-in GET /api/users/me, in one run.

    .venv/bin/python bench/gateway_bench.py [--env test9] [--seconds 10] [--connections 64]
        [--threads 2]

Starts its own gateway (gunicorn, gevent worker, 2 workers) and users service in a test env
(default $AARYA_TEST_ENV, else `test`: its vhost, Redis db and users DB; free loopback
ports), registers a shopper, signs in, then runs `wrk --latency` on each path
(bench/wrk/bearer.lua adds the Authorization header) after a short warm-up, and prints req/s with p50/p99, plus the CPU time the gateway (master and
workers) and the users service spent per request — steadier than req/s on a shared machine.
Any other users replica running in the test vhost shares the RPC queue, so the users column
then undercounts. Prints figures, asserts nothing.

/health is the raw-gateway baseline (no Redis, no RPC). /api/users/me is the full path of a
signed-in read: per-IP rate-limit INCR, token check, the revoked-session check and the account's
cache entry (kit/me_cache) in that one Redis round trip; after the first request the entry is
current, so the users service is not asked (its CPU column shows whether it was). The request limit is raised for the
run so the limiter counts but never trips.
"""
import argparse
import os
import re
import shutil
import socket
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

ENV = os.environ.get("AARYA_TEST_ENV", "test")  # --env sets it
BIN = Path(sys.executable).parent
BEARER_LUA = ROOT / "bench" / "wrk" / "bearer.lua"
GATEWAY_WORKERS = 2


def set_env(env):
    global ENV
    ENV = env


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per path")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds per path first")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--env", default=ENV)
    args = parser.parse_args()
    set_env(args.env)

    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")
    config = load_config(ENV)
    refuse_dev(config)
    run([sys.executable, "-m", "kit.migrate", "--env", ENV, "upgrade", "users"])

    logs = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    users_addr = f"127.0.0.1:{free_port()}"
    gateway_addr = f"127.0.0.1:{free_port()}"
    processes = []
    try:
        processes.append(start("users", logs, [str(BIN / "nameko"), "run", "--config",
                                               f"config/{ENV}.yaml", "services.users.service"],
                               WEB_SERVER_ADDRESS=users_addr))
        wait_healthy(f"http://{users_addr}/health", processes[-1])
        processes.append(start("gateway", logs, [str(BIN / "gunicorn"), "-c",
                                                 "gateway/gunicorn_conf.py",
                                                 "gateway.app:create_app()"],
                               GATEWAY_BIND=gateway_addr, GATEWAY_WORKERS=GATEWAY_WORKERS,
                               RATE_LIMIT_PER_MINUTE=1_000_000_000))
        base = f"http://{gateway_addr}"
        wait_healthy(f"{base}/health", processes[-1])
        token = signed_in_token(base)

        print(f"gateway: {GATEWAY_WORKERS} gunicorn gevent workers, rpc pool "
              f"{config['GATEWAY']['rpc_pool_size']}/worker; wrk -t{args.threads} "
              f"-c{args.connections} -d{args.seconds}s (+{args.warmup}s warm-up each)")
        print(f"{'path':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
              f"{'gateway CPU ms/req':>20}{'users CPU ms/req':>18}")
        users, gateway = processes
        results = {}
        for label, path, script in (("GET /health", "/health", None),
                                    ("GET /api/users/me", "/api/users/me", BEARER_LUA)):
            wrk_run(wrk, base + path, script, token, args.threads, args.connections, args.warmup)
            cpu_before = cpu_seconds(gateway.pid), cpu_seconds(users.pid)
            result = wrk_run(wrk, base + path, script, token, args.threads, args.connections,
                             args.seconds)
            cpu_after = cpu_seconds(gateway.pid), cpu_seconds(users.pid)
            requests_done = max(1, result["requests"])
            gateway_ms, users_ms = ((after - before) * 1000 / requests_done
                                    for before, after in zip(cpu_before, cpu_after))
            results[label] = result
            print(f"{label:<22}{result['rps']:>9,.0f}{result['p50']:>9.2f}{result['p99']:>9.2f}"
                  f"{result['non_2xx']:>9}{gateway_ms:>20.2f}{users_ms:>18.2f}")
        raw, full = results["GET /health"]["rps"], results["GET /api/users/me"]["rps"]
        if full:
            print(f"signed-in read runs at {full / raw:.1%} of the raw gateway rate "
                  f"({raw / full:.1f}x slower)")
        print(f"load average after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
              f"(others' processes share this machine: compare ratios, not absolutes)")
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(logs, ignore_errors=True)


def refuse_dev(config):
    dev = load_config("dev")
    if config["REDIS_URI"] == dev["REDIS_URI"] or config["AMQP_URI"] == dev["AMQP_URI"]:
        sys.exit(f"config/{ENV}.yaml shares Redis or the vhost with dev; refusing to run")


def run(argv):
    done = subprocess.run(argv, cwd=ROOT, env=child_env(), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def child_env(**extra):
    env = dict(os.environ, AARYA_ENV=ENV, PYTHONUNBUFFERED="1",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, logs, argv, **extra_env):
    log = open(logs / f"{name}.log", "w")
    proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(**extra_env), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    proc.name, proc.log_path = name, logs / f"{name}.log"
    return proc


def wait_healthy(url, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    log = Path(proc.log_path).read_text(errors="replace")[-3000:]
    sys.exit(f"{proc.name} did not become healthy at {url}:\n{log}")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def signed_in_token(base):
    tag = uuid.uuid4().hex[:10]
    account = {"email": f"bench-{tag}@example.com", "username": f"bench_{tag}",
               "password": "benchmark password", "full_name": "Bench Shopper"}
    registered = requests.post(f"{base}/api/auth/register", json=account, timeout=30)
    if registered.status_code != 201:
        sys.exit(f"register failed: {registered.status_code} {registered.text}")
    signed_in = requests.post(f"{base}/api/auth/login", timeout=30,
                              json={"email": account["email"], "password": account["password"]})
    if signed_in.status_code != 200:
        sys.exit(f"login failed: {signed_in.status_code} {signed_in.text}")
    token = signed_in.json()["access_token"]
    me = requests.get(f"{base}/api/users/me", headers={"Authorization": f"Bearer {token}"},
                      timeout=30)
    if me.status_code != 200:
        sys.exit(f"GET /api/users/me failed: {me.status_code} {me.text}")
    return token


def wrk_run(wrk, url, script, token, threads, connections, seconds):
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        argv += ["-s", str(script)]
    done = subprocess.run(argv + [url], capture_output=True, text=True,
                          env=dict(os.environ, AARYA_BENCH_TOKEN=token))
    if done.returncode != 0:
        sys.exit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    return parse_wrk(done.stdout)


def cpu_seconds(pid):
    """User+system CPU of a process and all its descendants (gunicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children = {}
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        stats[int(entry)] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, 0.0)
        todo.extend(children.get(current, []))
    return total


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(text):
    def latency(percentile):
        match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        return float(match.group(1)) * UNIT_MS[match.group(2)] if match else float("nan")

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    done = re.search(r"^\s*(\d+) requests in", text, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_errors = re.search(r"Socket errors:.*", text)
    result = {"rps": float(rps.group(1)) if rps else 0.0, "p50": latency(50),
              "requests": int(done.group(1)) if done else 0,
              "p99": latency(99), "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}
    if socket_errors:
        print(f"  wrk: {socket_errors.group(0)}")
    return result


if __name__ == "__main__":
    main()
