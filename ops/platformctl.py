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
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# The venv's scripts sit beside its interpreter; no resolve(): the venv's python is a symlink.
BIN = Path(sys.executable).parent

LOG_MARK = "===== platformctl start"
STOP_GRACE_S = 10
# Seed hooks run after `up` in env dev, each only if its module exists: (module, args).
DEV_SEED_HOOKS = (
    ("services.users.create_admin", ["--env", "dev", "--if-missing"]),
    ("services.products.demo_catalog", ["--env", "dev"]),  # shows its progress bar
    ("services.search.reindex", ["--env", "dev"]),  # makes the demo catalog searchable
    ("services.recommendations.train", ["--env", "dev", "--if-missing"]),  # first model
)

# Pids of children started by any Platform in this interpreter, so any instance can reap them.
_CHILDREN = {}


class PlatformError(RuntimeError):
    """A process could not be started, did not become healthy, or would not stop."""


_DEAD = ("Z", "X", "x")


def _proc_stat(pid, path=None):
    """(state, pgrp, starttime) from /proc/<pid>/stat, or None if there is no such process."""
    try:
        with open(path or f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # the command name may contain spaces and ')'
    return fields[0], int(fields[2]), int(fields[19])


def _live_stat(pid):
    """The process's stat if any of its threads still runs, else None. A killed multi-threaded
    process shows a zombie leader while its other threads are still exiting and holding its
    sockets open, so the leader's state alone is not enough."""
    st = _proc_stat(pid)
    if st is None:
        return None
    if st[0] not in _DEAD:
        return st
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        task = _proc_stat(pid, f"/proc/{pid}/task/{tid}/stat")
        if task and task[0] not in _DEAD:
            return st
    return None


def _running(pid, starttime=None):
    """The pid has a live thread and (if given) is the very process we started."""
    if pid in _CHILDREN and _CHILDREN[pid].poll() is not None:
        return False  # reaped: waitpid only succeeds once every thread has exited
    st = _live_stat(pid)
    if st is None:
        return False
    return starttime is None or st[2] == starttime


def _group_members(pgid):
    """Live pids whose process group is pgid."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st and st[1] == pgid and _live_stat(int(entry)):
                members.append(int(entry))
    return members


def _reap(pid):
    proc = _CHILDREN.get(pid)
    if proc is not None and proc.poll() is not None:
        _CHILDREN.pop(pid, None)


def _port_open(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# Health probes go straight to loopback, never through an http_proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe(url, timeout=2.0):
    """True if url answers HTTP 200 with a JSON body whose "status" is "ok"."""
    try:
        with _OPENER.open(url, timeout=timeout) as resp:
            if resp.status != 200:
                return False
            body = json.loads(resp.read().decode() or "null")
    except (OSError, ValueError, urllib.error.URLError):
        return False
    return isinstance(body, dict) and body.get("status") == "ok"


def _loopback(hostport):
    """'0.0.0.0:8080' -> '127.0.0.1:8080': a wildcard bind is probed on loopback."""
    host, _, port = hostport.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]", "*"):
        host = "127.0.0.1"
    return f"{host}:{port}"


class Platform:
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

    # ------------------------------------------------------------------ what exists

    def _load_config(self, extra_env=None):
        from kit.config import load_config  # imported late: kit/ belongs to the app, not to ops

        if not extra_env:
            return load_config(str(self.config_file))
        saved = dict(os.environ)  # ${VAR:default} resolves from os.environ: overlay extra_env briefly
        try:
            for key, value in extra_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = str(value)
            return load_config(str(self.config_file))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def names(self):
        """Processes that exist in this tree: services (topology order), then bridge, then gateway."""
        from kit.topology import ALL_SERVICES

        ports = self.config.get("SERVICE_PORTS", {})
        found = [s for s in ALL_SERVICES if (self.root / "services" / s / "service.py").exists()]
        # A service not (yet) in the topology still runs if it has a side-door port.
        extra = sorted(
            p.parent.name for p in (self.root / "services").glob("*/service.py")
            if p.parent.name not in found and p.parent.name in ports
        )
        names = found + extra
        if (self.root / "bridge" / "__main__.py").exists():
            names.append("bridge")
        if (self.root / "gateway" / "app.py").exists():
            names.append("gateway")
        return names

    def optional_names(self):
        """Processes outside names(): started by `up` in dev and by the tests that need them."""
        web = self.root / "web" / "server.mjs"
        return ["web"] if web.exists() and self.config.get("WEB") else []

    def default_names(self):
        """What `up` starts when no names are given: everything, the web app too in env dev."""
        return self.names() + (self.optional_names() if self.env == "dev" else [])

    def _check(self, name):
        base, replica = split_replica(name)
        if base in self.optional_names() and replica == 1:
            return
        if base not in self.names() or replica < 1:
            raise PlatformError(f"unknown process {name!r}; this tree has: {', '.join(self.names())}"
                                " (replicas: NAME.2, NAME.3, …)")

    def _replica_env(self, name, config):
        """Where replica i of a process listens: its side door (or bind) moved by (i-1) steps."""
        base, replica = split_replica(name)
        if replica == 1:
            return {}
        steps = config.get("REPLICAS") or {}
        if base == "gateway":
            host, _, port = str(config["GATEWAY"]["bind"]).rpartition(":")
            step = int(steps.get("gateway_port_step", 10))
            return {"GATEWAY_BIND": f"{host}:{int(port) + step * (replica - 1)}"}
        step = int(steps.get("port_step", 50))
        port = int(config["SERVICE_PORTS"][base]) + step * (replica - 1)
        return {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "AARYA_REPLICA": str(replica)}

    def _tool(self, tool):
        """The venv's console script if present, else `python -m <tool>`."""
        script = BIN / tool
        return [str(script)] if script.exists() else [sys.executable, "-m", tool]

    def command(self, name):
        name, _ = split_replica(name)
        if name == "bridge":
            return [sys.executable, "-m", "bridge", "--env", self.env]
        if name == "web":
            return ["node", "web/server.mjs", "--bind", str(self.config["WEB"]["bind"]),
                    "--gateway", "http://" + _loopback(str(self.config["GATEWAY"]["bind"])),
                    "--root", str(self.config["WEB"].get("root") or "web/out")]
        if name == "gateway":
            return self._tool("gunicorn") + ["-c", "gateway/gunicorn_conf.py", "gateway.app:create_app()"]
        return self._tool("nameko") + [
            "run", "--config", f"config/{self.env}.yaml", f"services.{name}.service",
        ]

    def _side_door(self, name, config):
        return f"127.0.0.1:{config['SERVICE_PORTS'][name]}"

    def url(self, name, extra_env=None):
        """Health URL of a process (extra_env may move it, e.g. WEB_SERVER_ADDRESS or GATEWAY_BIND)."""
        extra_env = {**self._replica_env(name, self.config), **(extra_env or {})}
        config = self._load_config(extra_env) if extra_env else self.config
        name, _ = split_replica(name)
        if name == "gateway":
            addr = _loopback(str(config["GATEWAY"]["bind"]))
        elif name == "web":
            addr = _loopback(str(config["WEB"]["bind"]))
        elif "WEB_SERVER_ADDRESS" in extra_env:
            addr = _loopback(extra_env["WEB_SERVER_ADDRESS"])
        else:
            addr = self._side_door(name, config)
        return f"http://{addr}/health"

    def _child_env(self, name, extra_env):
        env = dict(os.environ)
        env["AARYA_ENV"] = self.env
        env["PYTHONUNBUFFERED"] = "1"  # logs reach the file as they happen
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        base, _ = split_replica(name)
        if base not in ("bridge", "gateway") and base in self.config.get("SERVICE_PORTS", {}):
            env["WEB_SERVER_ADDRESS"] = self._side_door(base, self.config)
        replica_env = self._replica_env(name, self.config) if base in self.names() else {}
        for key, value in {**replica_env, **(extra_env or {})}.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        return env

    # ------------------------------------------------------------------ state files

    def pidfile(self, name):
        return self.run_dir / f"{name}.pid"

    def _metafile(self, name):
        return self.run_dir / f"{name}.meta.json"

    def logfile(self, name):
        return self.log_dir / f"{name}.log"

    def _meta(self, name):
        try:
            return json.loads(self._metafile(name).read_text())
        except (OSError, ValueError):
            return {}

    def _recorded_pid(self, name):
        try:
            return int(self.pidfile(name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def pid(self, name):
        """The pid if the process we started is still running, else None."""
        pid = self._recorded_pid(name)
        if pid is None:
            return None
        return pid if _running(pid, self._meta(name).get("starttime")) else None

    def alive(self, name):
        return self.pid(name) is not None

    def _group(self, name):
        """The process group to signal: ours if its leader still runs, or if the leader is gone but
        members remain (orphaned gunicorn workers). A live leader with another start time means the
        pid was recycled by someone else's process: not ours, leave it alone."""
        pid = self._recorded_pid(name)
        if pid is None:
            return None
        if _running(pid, self._meta(name).get("starttime")):
            return pid
        if not _running(pid) and _group_members(pid):
            return pid
        return None

    def _forget(self, name):
        for path in (self.pidfile(name), self._metafile(name)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    def recorded(self):
        """Names with a pidfile in the run dir (alive or not)."""
        return sorted(p.stem for p in self.run_dir.glob("*.pid"))

    def log_tail(self, name, lines=40):
        """The last lines of the process's log, from its latest start only."""
        try:
            text = self.logfile(name).read_text(errors="replace")
        except OSError:
            return "(no log)"
        text = text[text.rfind(LOG_MARK):] if LOG_MARK in text else text
        return "\n".join(text.splitlines()[-lines:])

    # ------------------------------------------------------------------ lifecycle

    def start(self, name, extra_env=None):
        """Spawn a process detached (own session) unless it already runs; return its pid."""
        self._check(name)
        pid = self.pid(name)
        if pid:
            return pid
        self._forget(name)
        url = self.url(name, extra_env)
        netloc = urlsplit(url)
        deadline = time.monotonic() + 5  # a process that just exited may still be closing its socket
        while _port_open(netloc.hostname, netloc.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _port_open(netloc.hostname, netloc.port):
            raise PlatformError(
                f"{name}: {netloc.hostname}:{netloc.port} is already taken by a process not "
                f"recorded in {self.run_dir} (another checkout or a hand-started copy?)"
            )
        if name == "web":
            self.build_web()
        cmd = self.command(name)
        with open(self.logfile(name), "ab") as log:
            log.write(f"{LOG_MARK} {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(cmd)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                cmd, cwd=self.root, env=self._child_env(name, extra_env),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _CHILDREN[proc.pid] = proc
        st = _proc_stat(proc.pid)
        self._metafile(name).write_text(json.dumps({
            "pid": proc.pid, "cmd": cmd, "url": url, "env": self.env,
            "starttime": st[2] if st else None, "started_at": time.time(),
        }))
        self.pidfile(name).write_text(f"{proc.pid}\n")
        return proc.pid

    def build_web(self, timeout=1200):
        """`ops/web.sh build`: npm ci if needed, then next build, skipped while web/ is unchanged."""
        log = self.log_dir / "web-build.log"
        with open(log, "ab") as fh:
            fh.write(f"{LOG_MARK} {time.strftime('%Y-%m-%dT%H:%M:%S')} ops/web.sh build\n".encode())
            fh.flush()
            result = subprocess.run(["bash", "ops/web.sh", "build"], cwd=self.root,
                                    stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                    timeout=timeout)
        if result.returncode != 0:
            raise PlatformError(f"ops/web.sh build failed (exit {result.returncode}); "
                                f"last lines of {log}:\n{self.log_tail('web-build')}")

    def health_url(self, name):
        return self._meta(name).get("url") or self.url(name)

    def healthy(self, name, timeout=2.0):
        return probe(self.health_url(name), timeout=timeout)

    def wait_healthy(self, name, timeout=60):
        """Poll the health URL until it says ok; raise (with the log tail) on timeout or death."""
        url = self.health_url(name)
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive(name):
                pid = self._recorded_pid(name)
                code = _CHILDREN[pid].returncode if pid in _CHILDREN else None
                raise PlatformError(
                    f"{name} is not running (exit code {code}) while waiting for {url}; "
                    f"last lines of {self.logfile(name)}:\n{self.log_tail(name)}"
                )
            if probe(url):
                return
            if time.monotonic() > deadline:
                raise PlatformError(
                    f"{name} not healthy at {url} after {timeout}s; "
                    f"last lines of {self.logfile(name)}:\n{self.log_tail(name)}"
                )
            time.sleep(0.2)

    def send_signal(self, name, sig):
        """Send sig to the process group and return at once (e.g. SIGSTOP/SIGCONT for chaos tests)."""
        pid = self.pid(name)
        if pid is None:
            raise PlatformError(f"{name} is not running")
        os.killpg(pid, sig)

    def _wait_group_gone(self, pgid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _reap(pgid)
            if not _running(pgid) and not _group_members(pgid):
                return True
            time.sleep(0.05)
        return False

    def kill(self, name, sig=signal.SIGKILL, timeout=30):
        """Signal the whole process group, wait for all of it to exit, remove the pidfile."""
        pid = self._group(name)
        if pid is not None:
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                pass
            if not self._wait_group_gone(pid, timeout):
                raise PlatformError(f"{name} (pgid {pid}) still running {timeout}s after signal {sig}")
        self._forget(name)

    def stop(self, name, grace=STOP_GRACE_S):
        """SIGTERM, wait up to `grace` seconds, then SIGKILL."""
        self._stop_many([name], grace)

    def _stop_many(self, names, grace=STOP_GRACE_S):
        # TERM everything first, then wait once: stopping N processes takes one grace period, not N.
        pids = {}
        for name in names:
            pid = self._group(name)
            if pid is None:
                self._forget(name)
                continue
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            pids[name] = pid
        deadline = time.monotonic() + grace
        for name, pid in pids.items():
            if self._wait_group_gone(pid, max(0.0, deadline - time.monotonic())):
                self._forget(name)
            else:
                self.kill(name, signal.SIGKILL)

    def restart(self, name, timeout=60, extra_env=None):
        self.stop(name)
        pid = self.start(name, extra_env)
        self.wait_healthy(name, timeout)
        return pid

    def status(self):
        """One dict per process (known names plus anything with a pidfile): name, pid, alive, healthy, url."""
        rows = []
        names = self.names()
        for name in names + [n for n in self.recorded() if n not in names]:
            pid = self.pid(name)
            url = self.health_url(name) if name in names or self._meta(name) else None
            rows.append({
                "name": name,
                "pid": pid,
                "alive": pid is not None,
                "healthy": bool(pid and url and probe(url, timeout=1.0)),
                "url": url,
            })
        return rows

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


def replica_name(name, replica):
    """`orders`, 2 → `orders.2`; replica 1 keeps the plain name."""
    return name if replica == 1 else f"{name}.{replica}"


def split_replica(name):
    """`orders.2` → ("orders", 2); `orders` → ("orders", 1)."""
    base, dot, tail = name.rpartition(".")
    if dot and tail.isdigit():
        return base, int(tail)
    return name, 1


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
