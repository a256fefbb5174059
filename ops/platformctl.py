"""Supervise Aarya's own processes: the nameko services, the bridge, the gateway and the web app.

CLI:
    python -m ops.platformctl up [NAME ...]      [--env dev|test] [--replicas N]
    python -m ops.platformctl down [NAME ...]
    python -m ops.platformctl status [--json]
    python -m ops.platformctl restart NAME
    python -m ops.platformctl start|stop|kill NAME [--replica I]   (or NAME.I)
    python -m ops.platformctl logs NAME [-n 50]
    python -m ops.platformctl names | urls

API (the test suite uses it):
    p = Platform(env="test")
    p.start("orders"); p.wait_healthy("orders"); p.kill("orders"); p.status(); p.down()

Every process runs detached in its own session (so one signal reaches its whole process group,
gunicorn workers included), with cwd = repo root and AARYA_ENV=<env>. State lives in var/<env>/:
`<name>.pid` (the pid), `<name>.meta.json` (command, health URL, process start time, which guards
against a recycled pid) and `log/<name>.log`.

Replicas: any process runs as N copies. Replica 1 is plain `orders`; replica i ≥ 2 is `orders.i`,
with its own pid/meta/log files and its own port: the side door (or the gateway's bind) moved by
(i − 1) × REPLICAS.port_step (gateway: REPLICAS.gateway_port_step) from config, 50 and 10 by
default, so replicas of testK's 8K01–8K11 land on 8K51–8K61 and its gateway 8K80 on 8K90…
Nothing else differs: RPC queues are competing consumers and stream consumers are named by pid.

Optional processes (`optional_names()`: `web`, the storefront's node server) are not in `names()`,
so the test suite's `platform` fixture never builds Next.js; `up` in env dev starts them, tests/web
starts `web` itself. Starting `web` first runs `ops/web.sh build` (a no-op while web/ is unchanged).

The parts: procfs.py (/proc, ports, probes), replicas.py (names), processes.py (which processes,
their commands and env), rundir.py (state files), startstop.py (one process); here the whole
platform (up, down, migrate, seed, urls) and the CLI.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# _group_members and replica_name are imported from here by bench/ and tests/resilience.
from ops.procfs import PlatformError, _group_members, _loopback  # noqa: F401
from ops.processes import Processes
from ops.replicas import replica_name
from ops.rundir import LOG_MARK, RunDir
from ops.startstop import StartStop

ROOT = Path(__file__).resolve().parent.parent
# Seed hooks run after `up` in env dev, each only if its module exists: (module, args).
DEV_SEED_HOOKS = (
    ("services.users.create_admin", ["--env", "dev", "--if-missing"]),
    ("services.products.demo_catalog", ["--env", "dev"]),  # shows its progress bar
    ("services.search.reindex", ["--env", "dev"]),  # makes the demo catalog searchable
    ("services.recommendations.train", ["--env", "dev", "--if-missing"]),  # first model
    # Three days of shoppers for the dashboard, once (about a minute; progress bar).
    ("services.analytics.traffic", ["--env", "dev", "--if-empty", "--sessions", "90"]),
)


class Platform(Processes, RunDir, StartStop):
    def __init__(self, env=None, root=ROOT):
        self.env = env or os.environ.get("AARYA_ENV", "dev")
        self.root = Path(root).resolve()
        self.config_file = self.root / "config" / f"{self.env}.yaml"
        if not self.config_file.exists():
            raise PlatformError(f"no config for env {self.env!r}: {self.config_file} is missing")
        self.run_dir = self.root / "var" / self.env
        self.log_dir = self.run_dir / "log"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.config = self._load_config()

    # ------------------------------------------------------------------ whole platform

    def _run_step(self, label, args, timeout=600, echo=False):
        """Run a one-shot python module in this env, output to log/<label>.log (and to stdout if
        echo, with stderr — progress bars — live on the terminal); raise on failure."""
        log = self.log_dir / f"{label}.log"
        env = self._child_env(label, None)
        env.pop("WEB_SERVER_ADDRESS", None)
        result = subprocess.run(
            [sys.executable] + args, cwd=self.root, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=None if echo else subprocess.STDOUT, timeout=timeout,
        )
        with open(log, "ab") as fh:
            fh.write(f"{LOG_MARK} {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(args)}\n".encode())
            fh.write(result.stdout)
        if echo and result.stdout:
            # e.g. create_admin prints a generated password exactly once: the developer must see it.
            print(result.stdout.decode(errors="replace").rstrip())
        if result.returncode != 0:
            raise PlatformError(f"{' '.join(args)} failed (exit {result.returncode}); "
                                f"last lines of {log}:\n{self.log_tail(label)}")

    def _module_exists(self, module):
        base = self.root.joinpath(*module.split("."))
        return base.with_suffix(".py").exists() or (base / "__main__.py").exists()

    def migrate(self):
        """Upgrade every service's schema, if the migration tool exists yet."""
        if self._module_exists("kit.migrate"):
            self._run_step("migrate", ["-m", "kit.migrate", "--env", self.env, "upgrade"])

    def seed(self):
        """Dev-only seed hooks (idempotent by contract, e.g. --if-missing); missing modules are skipped."""
        for module, args in DEV_SEED_HOOKS:
            if self._module_exists(module):
                self._run_step(module.rsplit(".", 1)[-1], ["-m", module] + args, echo=True)

    def up(self, names=None, timeout=120, replicas=1):
        """Migrate, start everything (or `names`) × `replicas`, wait until all are healthy; in dev,
        seed + print URLs."""
        names = [replica_name(n, i) for n in (names or self.default_names()) for i in range(1, replicas + 1)]
        for name in names:
            self._check(name)
        self.migrate()
        for name in names:  # all at once: they come up in parallel
            self.start(name)
        for name in names:
            self.wait_healthy(name, timeout)
        if self.env == "dev":
            self.seed()
            print(self.urls_text())
        return self.status()

    def down(self, names=None):
        """Stop everything this env started (gateway first, services last)."""
        if names is None:
            known = self.names() + self.optional_names()
            names = list(reversed(known)) + [n for n in self.recorded() if n not in known]
        self._stop_many(list(names))

    def urls(self):
        gw = "http://" + _loopback(str(self.config["GATEWAY"]["bind"]))
        urls = {
            "gateway": gw,
            "openapi": gw + "/api/openapi.json",
            "rabbitmq console (guest/guest)": "http://127.0.0.1:15672",
            "elasticsearch": str(self.config.get("ELASTICSEARCH_URI", "http://127.0.0.1:9200")),
        }
        if "web" in self.optional_names():
            urls["web storefront"] = "http://" + _loopback(str(self.config["WEB"]["bind"]))
        for name in self.names():
            if name != "gateway":
                urls[f"{name} side door"] = self.url(name).rsplit("/", 1)[0] + "/{health,metrics}"
        return urls

    def urls_text(self):
        urls = self.urls()
        width = max(len(k) for k in urls)
        return "\n".join(f"  {k:<{width}}  {v}" for k, v in urls.items())


# ---------------------------------------------------------------------- CLI

def _print_status(rows, as_json=False):
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        print("no processes in this tree yet (services/*/service.py, bridge/, gateway/app.py)")
        return
    print(f"{'NAME':<16} {'PID':>7}  {'ALIVE':<5}  {'HEALTHY':<7}  URL")
    for r in rows:
        print(f"{r['name']:<16} {r['pid'] or '-':>7}  {'yes' if r['alive'] else 'no':<5}  "
              f"{'yes' if r['healthy'] else 'no':<7}  {r['url'] or ''}")


def main(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env", default=argparse.SUPPRESS, help="config/<env>.yaml (default $AARYA_ENV or dev)")
    parser = argparse.ArgumentParser(prog="python -m ops.platformctl", parents=[common], description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for cmd, nargs in (("up", "*"), ("down", "*"), ("restart", 1), ("start", 1), ("stop", 1), ("kill", 1)):
        cmd_parser = sub.add_parser(cmd, parents=[common])
        cmd_parser.add_argument("names", nargs=nargs, metavar="NAME")
        if cmd == "up":
            cmd_parser.add_argument("--replicas", type=int, default=1, help="copies of each process")
        elif nargs == 1:
            cmd_parser.add_argument("--replica", type=int, default=1, help="which copy (NAME.I)")
    st = sub.add_parser("status", parents=[common])
    st.add_argument("--json", action="store_true")
    lg = sub.add_parser("logs", parents=[common])
    lg.add_argument("names", nargs=1, metavar="NAME")
    lg.add_argument("-n", type=int, default=50)
    sub.add_parser("names", parents=[common])
    sub.add_parser("urls", parents=[common])
    args = parser.parse_args(argv)

    p = Platform(env=getattr(args, "env", None))
    if getattr(args, "replica", 1) != 1:
        args.names = [replica_name(args.names[0], args.replica)]
    try:
        if args.cmd == "up":
            names = args.names or p.default_names()
            if not names:
                print(f"[{p.env}] nothing to start yet: no services/*/service.py, bridge or gateway")
                return 0
            print(f"[{p.env}] starting {' '.join(names)}" +
                  (f" × {args.replicas} replicas" if args.replicas > 1 else ""))
            rows = p.up(names, replicas=args.replicas)
            print(f"[{p.env}] {sum(r['healthy'] for r in rows)} healthy; logs in {p.log_dir}")
        elif args.cmd == "down":
            p.down(args.names or None)
            print(f"[{p.env}] stopped")
        elif args.cmd == "restart":
            print(f"[{p.env}] {args.names[0]} restarted, pid {p.restart(args.names[0])}")
        elif args.cmd == "start":
            pid = p.start(args.names[0])
            p.wait_healthy(args.names[0])
            print(f"[{p.env}] {args.names[0]} healthy, pid {pid}")
        elif args.cmd == "stop":
            p.stop(args.names[0])
        elif args.cmd == "kill":
            p.kill(args.names[0])
        elif args.cmd == "status":
            _print_status(p.status(), args.json)
        elif args.cmd == "logs":
            print(p.log_tail(args.names[0], args.n))
        elif args.cmd == "names":
            print("\n".join(p.names()))
        elif args.cmd == "urls":
            print(p.urls_text())
    except PlatformError as exc:
        print(f"platformctl: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
