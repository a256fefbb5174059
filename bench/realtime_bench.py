"""Real-time fan-out: how many WebSocket + SSE clients a gateway's workers hold, what each costs in
memory, and how long an event takes from XADD to a client's socket.

    .venv/bin/python bench/realtime_bench.py [--env test] [--sse 5000] [--ws 5000]
        [--rate 500] [--broadcast-rate 2] [--seconds 20] [--client-procs 2] [--workers 1]

Starts its own users service (presence asks it about every user's first socket) and a gateway
with --workers gunicorn gevent workers (each tails the streams; the kernel spreads the clients
over them) on free loopback ports, in the given env's vhost and Redis db.
Client processes (gevent, raw sockets: a minimal WebSocket client and an SSE reader) open the
sockets, ramping up; then events are XADDed at --rate per second, each carrying its send time,
and every client notes the delay when the event reaches it. Prints figures, asserts nothing.

The load is shaped like a shop's: SSE clients on /sse/stock-alerts, which gets
--broadcast-rate alerts a second (each goes to every SSE client); half the sockets on
/ws/inventory following 10 of --products products each, half on /ws/orders for --users
shoppers (a few sockets each, like tabs); the --rate events are inventory changes (60 %) and
order updates (40 %) for those products and shoppers. `ulimit -n` is raised to its hard limit
for the gateway and the clients.
"""
import argparse
import base64
import json
import os
import random
import re
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SENT_AT = re.compile(rb'"sent_at":([0-9.]+)')
CONNECTING_AT_ONCE = 40  # per client process: the gateway's Redis pool holds 100 (see the report)


# ==== the client processes (gevent) ==========================================================

def client_main(plan_path):
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from gevent.fileobject import FileObjectPosix
    from gevent.lock import BoundedSemaphore

    plan = json.loads(Path(plan_path).read_text())
    host, port = plan["host"], plan["port"]
    state = {"measuring": False, "latencies": {"sse": [], "ws:inventory": [], "ws:orders": []},
             "received": {"sse": 0, "ws:inventory": 0, "ws:orders": 0},
             "ready": 0, "failed": 0, "open": 0, "closed": {}}
    gate = BoundedSemaphore(CONNECTING_AT_ONCE)

    def note(kind, line):
        match = SENT_AT.search(line)
        if match and state["measuring"]:
            state["received"][kind] += 1
            state["latencies"][kind].append(time.time() - float(match.group(1)))

    def closed(reason):
        state["closed"][reason] = state["closed"].get(reason, 0) + 1

    def sse_client(path):
        try:
            with gate:
                sock = socket.create_connection((host, port))
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                             f"Accept: text/event-stream\r\n\r\n".encode())
                buffer = b""
                while b"event: ready" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionError("closed before ready")
                    buffer += data
        except OSError as exc:
            state["failed"] += 1
            closed(f"connect: {type(exc).__name__}")
            return
        state["ready"] += 1
        state["open"] += 1
        buffer = b""
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                state["open"] -= 1
                closed("sse ended")
                return
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.startswith(b"data: "):
                    note("sse", line)

    def ws_frame(opcode, payload):
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        length = len(payload)
        header = bytes([0x80 | opcode]) + (bytes([0x80 | length]) if length < 126 else
                                           bytes([0x80 | 126]) + struct.pack(">H", length))
        return header + mask + masked

    def ws_client(kind, path, token, subscribe):
        buffer = bytearray()
        try:
            with gate:
                sock = socket.create_connection((host, port))
                key = base64.b64encode(os.urandom(16)).decode()
                sock.sendall(f"GET {path}?access_token={token} HTTP/1.1\r\nHost: {host}\r\n"
                             f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                             .encode())
                while b"\r\n\r\n" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionError("closed during the handshake")
                    buffer += data
                head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
                if b" 101 " not in head.split(b"\r\n")[0]:
                    raise ConnectionError(head.split(b"\r\n")[0].decode())
                buffer = bytearray(rest)
                if subscribe:
                    sock.sendall(ws_frame(1, json.dumps(subscribe).encode()))
        except OSError as exc:
            state["failed"] += 1
            closed(f"connect: {type(exc).__name__}")
            return
        is_ready = False
        state["open"] += 1
        while True:
            while True:  # whole frames in the buffer
                if len(buffer) < 2:
                    break
                opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
                if length == 126:
                    if len(buffer) < 4:
                        break
                    length, offset = struct.unpack(">H", buffer[2:4])[0], 4
                elif length == 127:
                    if len(buffer) < 10:
                        break
                    length, offset = struct.unpack(">Q", buffer[2:10])[0], 10
                if len(buffer) < offset + length:
                    break
                payload = bytes(buffer[offset:offset + length])
                del buffer[:offset + length]
                if opcode == 1:
                    if not is_ready and payload.startswith(b'{"type":"ready"'):
                        is_ready = True
                        state["ready"] += 1
                    else:
                        note(kind, payload)
                elif opcode == 9:
                    sock.sendall(ws_frame(10, payload))
                elif opcode == 8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                    state["open"] -= 1
                    closed(f"ws close {code} {payload[2:].decode(errors='replace')}")
                    if not is_ready:
                        state["failed"] += 1
                    return
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                state["open"] -= 1
                closed("ws ended")
                if not is_ready:
                    state["failed"] += 1
                return
            buffer += data

    greenlets = []
    for _ in range(plan["sse"]):
        greenlets.append(gevent.spawn(sse_client, "/sse/stock-alerts"))
    for n, (kind, token, products) in enumerate(plan["ws"]):
        subscribe = {"action": "subscribe", "product_ids": products} if products else None
        path = "/ws/inventory" if kind == "ws:inventory" else "/ws/orders"
        greenlets.append(gevent.spawn(ws_client, kind, path, token, subscribe))
    total = len(greenlets)
    while state["ready"] + state["failed"] < total:
        gevent.sleep(0.2)
    print(f"ready {state['ready']} failed {state['failed']}", flush=True)

    commands = FileObjectPosix(sys.stdin.fileno(), "r")
    for command in commands:
        command = command.strip()
        if command == "measure":
            state["measuring"] = True
            state["cpu_at_start"] = time.process_time()
        elif command == "stop":
            state["measuring"] = False
            state["cpu"] = time.process_time() - state.get("cpu_at_start", 0)
            print("result " + json.dumps({k: state[k] for k in
                                          ("latencies", "received", "ready", "failed", "open",
                                           "closed", "cpu")}), flush=True)
            return


# ==== the bench ==============================================================================

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=os.environ.get("AARYA_TEST_ENV", "test"))
    parser.add_argument("--sse", type=int, default=5000)
    parser.add_argument("--ws", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=500, help="events per second")
    parser.add_argument("--broadcast-rate", type=float, default=2.0,
                        help="stock alerts per second (each one to every SSE client)")
    parser.add_argument("--seconds", type=int, default=20, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--users", type=int, default=1250)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return client_main(args.client)

    import redis

    from kit.config import load_config
    from kit.envelope import make_envelope, to_stream_fields
    from kit.tokens import issue_access_token

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by every child
    config = load_config(args.env)
    dev = load_config("dev")
    if config["REDIS_URI"] == dev["REDIS_URI"] or config["AMQP_URI"] == dev["AMQP_URI"]:
        sys.exit(f"config/{args.env}.yaml shares Redis or the vhost with dev; refusing to run")
    rdb = redis.Redis.from_url(config["REDIS_URI"], decode_responses=True)

    logs = Path(tempfile.mkdtemp(prefix="realtime-bench-"))
    processes, clients = [], []
    try:
        run([sys.executable, "-m", "kit.migrate", "--env", args.env, "upgrade", "users"], args.env)
        users_addr = f"127.0.0.1:{free_port()}"
        processes.append(start("users", logs, args.env,
                               [str(BIN / "nameko"), "run", "--config", f"config/{args.env}.yaml",
                                "services.users.service"], WEB_SERVER_ADDRESS=users_addr))
        wait_healthy(f"http://{users_addr}/health", processes[-1])
        gateway_addr = f"127.0.0.1:{free_port()}"
        processes.append(start("gateway", logs, args.env,
                               [str(BIN / "gunicorn"), "-c", "gateway/gunicorn_conf.py",
                                "gateway.app:create_app()"],
                               GATEWAY_BIND=gateway_addr, GATEWAY_WORKERS=args.workers,
                               RATE_LIMIT_PER_MINUTE=10 ** 9))
        wait_healthy(f"http://{gateway_addr}/health", processes[-1])
        workers = gunicorn_workers(processes[-1].pid, args.workers)
        time.sleep(2)
        rss_idle = rss_kib(workers)

        # Who connects: tokens for shoppers nobody registered (presence still asks the users
        # service about each one's first socket, which answers not found).
        auth = config["AUTH"]
        tokens = [issue_access_token(auth, 950_000_000 + n, "customer", f"bench-{uuid.uuid4()}")
                  for n in range(args.users)]
        sockets = []
        for n in range(args.ws):
            user = n % args.users
            if n % 2 == 0:
                sockets.append(("ws:inventory", tokens[user],
                                random.sample(range(1, args.products + 1), 10)))
            else:
                sockets.append(("ws:orders", tokens[user], None))
        host, port = gateway_addr.split(":")
        started_connecting = time.monotonic()
        for k in range(args.client_procs):
            plan = {"host": host, "port": int(port), "sse": args.sse // args.client_procs
                    + (1 if k < args.sse % args.client_procs else 0),
                    "ws": sockets[k::args.client_procs]}
            plan_path = logs / f"plan-{k}.json"
            plan_path.write_text(json.dumps(plan))
            clients.append(subprocess.Popen(
                [sys.executable, __file__, "--client", str(plan_path)], cwd=ROOT,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(logs / f"client-{k}.log", "w"),
                text=True))
        ready = failed = 0
        for client in clients:
            line = client.stdout.readline().split()
            if not line:
                sys.exit("a client process died:\n"
                         + (logs / f"client-{clients.index(client)}.log").read_text()[-3000:])
            ready, failed = ready + int(line[1]), failed + int(line[3])
        connect_s = time.monotonic() - started_connecting
        time.sleep(3)  # let presence RPCs and subscriptions settle
        rss_held = rss_kib(workers)
        pids = " ".join(map(str, workers))
        print(f"gateway: {len(workers)} gunicorn gevent worker(s) (pid {pids}), env {args.env}; "
              f"ulimit -n {hard}; {args.client_procs} gevent client processes; "
              f"{os.cpu_count()} CPUs shared by all")
        print(f"connections held: {ready:,} of {args.sse + args.ws:,} "
              f"({args.sse:,} SSE /sse/stock-alerts, {args.ws // 2 + args.ws % 2:,} /ws/inventory, "
              f"{args.ws // 2:,} /ws/orders), {failed} failed, opened in {connect_s:.1f} s")
        print(f"gateway workers' RSS: {rss_idle / 1024:.1f} MiB idle → {rss_held / 1024:.1f} MiB "
              f"holding them: {(rss_held - rss_idle) / max(ready, 1):.1f} KiB per connection")

        publisher = Publisher(rdb, make_envelope, to_stream_fields, args)
        publisher.run(args.warmup)
        for client in clients:
            client.stdin.write("measure\n")
            client.stdin.flush()
        cpu_before = cpu_seconds(workers)
        published = publisher.run(args.seconds)
        cpu_used = cpu_seconds(workers) - cpu_before
        time.sleep(1)  # the last events' deliveries
        results = []
        for client in clients:
            client.stdin.write("stop\n")
            client.stdin.flush()
            line = client.stdout.readline()
            results.append(json.loads(line.split(" ", 1)[1]))
        rss_end = rss_kib(workers)
        report(results, published, args, cpu_used, rss_end)
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(logs, ignore_errors=True)


class Publisher:
    """XADDs events at a steady rate, in small pipelined batches every 10 ms."""

    def __init__(self, rdb, make_envelope, to_stream_fields, args):
        self.rdb, self.make, self.fields, self.args = rdb, make_envelope, to_stream_fields, args

    def event(self, kind, now):
        args = self.args
        if kind == "alert":
            return "product_events", self.make("product.inventory.updated", "products", {
                "product_id": random.randint(1, args.products), "status": "low_stock",
                "new": 2, "sent_at": now})
        if kind == "inventory":
            return "product_events", self.make("product.inventory.updated", "products", {
                "product_id": random.randint(1, args.products), "status": "in_stock",
                "new": random.randint(10, 99), "sent_at": now})
        return "order_events", self.make("order.status.updated", "orders", {
            "order_id": random.randint(1, 10 ** 6), "status": "shipped",
            "user_id": 950_000_000 + random.randrange(args.users), "sent_at": now})

    def run(self, seconds):
        args = self.args
        counts = {"alert": 0, "inventory": 0, "order": 0}
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            due_alerts = int(elapsed * args.broadcast_rate) - counts["alert"]
            due = int(elapsed * args.rate) - counts["inventory"] - counts["order"]
            kinds = ["alert"] * due_alerts + [
                "inventory" if random.random() < 0.6 else "order" for _ in range(due)]
            if kinds:
                pipe = self.rdb.pipeline(transaction=False)
                now = time.time()
                for kind in kinds:
                    stream, envelope = self.event(kind, now)
                    pipe.xadd(stream, self.fields(envelope), maxlen=100_000, approximate=True)
                    counts[kind] += 1
                pipe.execute()
            time.sleep(0.01)
        return counts


def report(results, published, args, cpu_used, rss_end):
    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    events = published["inventory"] + published["order"] + published["alert"]
    print(f"published: {events:,} events in {args.seconds} s ({events / args.seconds:,.0f}/s: "
          f"{published['inventory']:,} inventory, {published['order']:,} order updates, "
          f"{published['alert']:,} stock alerts to every SSE client)")
    print(f"{'client kind':<16}{'delivered':>11}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}")
    everything = []
    for kind in ("sse", "ws:inventory", "ws:orders"):
        latencies = sorted(x for r in results for x in r["latencies"][kind])
        everything += latencies
        print(f"{kind:<16}{len(latencies):>11,}{len(latencies) / args.seconds:>9,.0f}"
              f"{pct(latencies, 0.5):>9.1f}{pct(latencies, 0.99):>9.1f}"
              f"{(latencies[-1] * 1000 if latencies else float('nan')):>9.1f}")
    everything.sort()
    print(f"{'all':<16}{len(everything):>11,}{len(everything) / args.seconds:>9,.0f}"
          f"{pct(everything, 0.5):>9.1f}{pct(everything, 0.99):>9.1f}"
          f"{(everything[-1] * 1000 if everything else float('nan')):>9.1f}")
    still_open = sum(r["open"] for r in results)
    closes = {}
    for r in results:
        for reason, n in r["closed"].items():
            closes[reason] = closes.get(reason, 0) + n
    print(f"gateway workers' CPU while publishing: {cpu_used / args.seconds:.0%} of one core "
          f"({cpu_used * 1e6 / max(len(everything), 1):.0f} µs per delivery); "
          f"RSS at the end {rss_end / 1024:.1f} MiB")
    client_cpu = ", ".join(f"{r['cpu'] / args.seconds:.0%}" for r in results)
    print(f"client processes' CPU while publishing: {client_cpu} of one core each")
    print(f"still open at the end: {still_open:,}; closed during the run: {closes or 'none'}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (others' processes "
          f"share this machine: compare runs, not absolutes)")


# ---- processes ---------------------------------------------------------------------------------

def child_env(env, **extra):
    environ = dict(os.environ, AARYA_ENV=env, PYTHONUNBUFFERED="1",
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    environ.update({k: str(v) for k, v in extra.items()})
    return environ


def run(argv, env):
    done = subprocess.run(argv, cwd=ROOT, env=child_env(env), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, logs, env, argv, **extra_env):
    log = open(logs / f"{name}.log", "w")
    proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(env, **extra_env), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    proc.name, proc.log_path = name, logs / f"{name}.log"
    return proc


def wait_healthy(url, proc, timeout=60):
    import requests

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
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def gunicorn_workers(master_pid, count, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat[stat.rindex(")") + 2:].split()[1]) == master_pid:
                    found.append(int(entry))
        if len(found) >= count:
            return sorted(found)
        time.sleep(0.2)
    sys.exit(f"fewer than {count} gunicorn workers appeared")


def rss_kib(pids):
    """Resident memory of the workers, added up."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


if __name__ == "__main__":
    main()
