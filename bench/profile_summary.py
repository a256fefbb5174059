"""Where a checkout's CPU goes: py-spy samples from `checkout_bench.py --profile DIR`, in ms per order.

    .venv/bin/python bench/profile_summary.py DIR [--top 12]

The bench writes one raw (collapsed-stack) py-spy file per process (`<name>.<pid>.txt`, busy
stacks only) and `cpu_per_order.json` (each process's measured CPU ms per paid order). A
frame's share of its process's samples times that process's CPU per order is the frame's ms
per order: sampling gives the split, /proc gives the total, so the figures add up to what the
bench printed. Printed per process: the layers (ORM, SQL compile, driver, AMQP, JSON,
validation, …) and our own functions, inclusive (a frame counts once per stack).
"""
import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

# (label, pattern on a frame's file path or name); the first match names a frame's layer.
LAYERS = [
    ("SQLAlchemy ORM (session, unit of work, loading)", r"sqlalchemy/orm/"),
    ("SQLAlchemy core (compile, execute, pool)", r"sqlalchemy/(sql|engine|pool)/"),
    ("psycopg2 (driver, waiting on the wire)", r"psycopg2/|psycogreen"),
    ("nameko RPC + events machinery", r"nameko/"),
    ("kombu / amqp (AMQP frames)", r"kombu/|amqp/"),
    ("marshmallow (schemas)", r"marshmallow/"),
    ("json encode/decode", r"/json/"),
    ("redis-py", r"redis/"),
    ("Flask / Werkzeug / gunicorn / gevent", r"flask/|werkzeug/|gunicorn/|gevent/"),
    ("jwt / hashing", r"jwt/|hashlib|hmac"),
    ("logging", r"/logging/"),
    ("eventlet hub / greenlets", r"eventlet/"),
]
OURS = re.compile(r"\((?:.*/)?((?:services|kit|gateway|bridge)/[^:]+):\d+\)")


def frames(stack):
    return stack.split(";")


def load(directory):
    """{process: Counter(stack → samples)} summed over its pids."""
    stacks = defaultdict(Counter)
    for path in sorted(Path(directory).glob("*.txt")):
        process = path.name.split(".")[0]
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                stacks[process][stack] += int(count)
    return stacks


# Leaf frames that are a hub waiting in C (epoll, libev): py-spy cannot tell them from work.
IDLE = re.compile(r"^\s*(Hub\.run \(gevent/hub|Hub\.do_poll \(eventlet/hubs|Hub\.wait \("
                  r"|eventlet_wait_callback|_Condition\.wait \(gevent|acquire_with_timeout "
                  r"\(gevent|sleep \(gevent/hub|Hub\.switch)")


def is_idle(stack):
    return bool(IDLE.search(frames(stack)[-1]))


def layer_of(stack):
    """The layer of the innermost frame that belongs to one (the leaf decides)."""
    for frame in reversed(frames(stack)):
        for label, pattern in LAYERS:
            if re.search(pattern, frame):
                return label
    return "other (our code, stdlib)"


def our_functions(stack):
    seen = set()
    for frame in frames(stack):
        match = OURS.search(frame)
        if match:
            name = frame.split(" (")[0].strip()
            seen.add(f"{match.group(1)}:{name}")
    return seen


def summarise(directory, top):
    stacks = load(directory)
    cpu_file = Path(directory, "cpu_per_order.json")
    cpu = json.loads(cpu_file.read_text()) if cpu_file.exists() else {}
    rows = []
    for process, counted in sorted(stacks.items(), key=lambda kv: -cpu.get(kv[0], 0)):
        idle = sum(n for stack, n in counted.items() if is_idle(stack))
        counted = Counter({s: n for s, n in counted.items() if not is_idle(s)})
        total = sum(counted.values()) or 1
        ms = cpu.get(process)
        scale = (ms / total) if ms else None
        layers, ours = Counter(), Counter()
        for stack, n in counted.items():
            layers[layer_of(stack)] += n
            for name in our_functions(stack):
                ours[name] += n
        print(f"\n== {process}: {total} busy samples ({idle} idle in the hub dropped)"
              + (f", {ms:.1f} ms CPU per order" if ms else ""))
        print("  by layer (leaf frame):")
        for label, n in layers.most_common():
            print(f"    {fmt(n, total, scale)}  {label}")
        print("  our functions (inclusive):")
        for name, n in ours.most_common(top):
            print(f"    {fmt(n, total, scale)}  {name}")
            rows.append((process, name, n * scale if scale else None))
    return rows


def fmt(n, total, scale):
    share = f"{100 * n / total:5.1f}%"
    return f"{n * scale:6.2f} ms {share}" if scale else share


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    if args.directory is None:  # `make bench` runs every bench/*.py: nothing to summarise
        print("profile_summary.py: give it the DIR of `checkout_bench.py --profile DIR`")
        return
    summarise(args.directory, args.top)


if __name__ == "__main__":
    main()
