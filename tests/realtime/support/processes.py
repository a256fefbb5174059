"""Extra gateway processes for the real-time stories, next to the platform the session started.

Each runs in its own process group on a free loopback port, in the test env
(AARYA_TEST_ENV, e.g. test5), logging to var/<env>/log/realtime-tests/<name>.log.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support import harness

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
LOG_DIR = ROOT / "var" / harness.TEST_ENV / "log" / "realtime-tests"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


class Process:
    def __init__(self, name, argv, **extra_env):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOG_DIR / f"{name}.log"
        self._log = open(self.log_path, "w")
        env = dict(os.environ, AARYA_ENV=harness.TEST_ENV, PYTHONUNBUFFERED="1",
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        env.update({k: str(v) for k, v in extra_env.items()})
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def signal(self, sig):
        os.killpg(self.proc.pid, sig)

    def stop(self, grace=15):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
        self._log.close()

    def log_text(self):
        return Path(self.log_path).read_text(errors="replace")


def start_gateway(name, workers=1, app="tests.realtime.support.app:create_app()", **settings):
    """A gunicorn gevent gateway on a free port; `settings` become REALTIME_<NAME> overrides."""
    bind = f"127.0.0.1:{free_port()}"
    env = {f"REALTIME_{k.upper()}": v for k, v in settings.items()}
    process = Process(name, [str(BIN / "gunicorn"), "-c", "gateway/gunicorn_conf.py", app],
                      GATEWAY_BIND=bind, GATEWAY_WORKERS=workers, **env)
    process.base_url = f"http://{bind}"
    process.ws_url = f"ws://{bind}"
    deadline = time.monotonic() + 30
    while True:
        if process.proc.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{tail(process.log_path)}")
        try:
            if requests.get(f"{process.base_url}/health", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            process.stop()
            raise RuntimeError(f"{name} not healthy after 30s:\n{tail(process.log_path)}")
        time.sleep(0.1)
