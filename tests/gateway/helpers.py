"""What the gateway tests share: starting real processes and the small steps of a story.

Processes run in their own process group, logging to var/test/log/gateway-tests/<name>.log
(shown when one fails to start). Ports come from config/test.yaml; a taken port (another
suite's platform, a developer's run) is swapped for a free one rather than fought over.
"""

import itertools
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ClusterRpcProxy
from requests.adapters import HTTPAdapter

from kit.config import load_config
from kit.tokens import issue_access_token

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = load_config("test")
LOG_DIR = ROOT / "var" / "test" / "log" / "gateway-tests"  # apart from platformctl's logs


def refuse_dev():
    dev = load_config("dev")
    if CONFIG["REDIS_URI"] == dev["REDIS_URI"] or CONFIG["AMQP_URI"] == dev["AMQP_URI"]:
        pytest.exit("config/test.yaml points at dev Redis or the dev vhost; refusing to run")


def port_free(host, port):
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_bind(preferred):
    """The preferred host:port if free, else a free port on the same host."""
    host, port = preferred.rsplit(":", 1)
    if port_free(host, int(port)):
        return preferred
    return f"{host}:{free_port()}"


def wait_until_healthy(url, proc, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} process exited {proc.returncode}:\n{tail(log_path)}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not healthy after {timeout}s:\n{tail(log_path)}")


def tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


class Process:
    """A child process in its own group, logging to var/test/log/gateway-tests/<name>.log."""

    def __init__(self, name, argv, env):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

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


def child_env(**extra):
    env = dict(os.environ, AARYA_ENV="test", PYTHONUNBUFFERED="1",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_gunicorn(name, app_spec, **extra_env):
    bind = loopback_bind(str(CONFIG["GATEWAY"]["bind"]))
    process = Process(name, [str(BIN / "gunicorn"), "-c", "gateway/gunicorn_conf.py", app_spec],
                      child_env(GATEWAY_BIND=bind, **extra_env))
    base_url = f"http://{bind}"
    try:
        wait_until_healthy(f"{base_url}/health", process.proc, process.log_path)
    except Exception:
        process.stop()
        raise
    process.base_url = base_url
    return process


def start_nameko(name, module, side_door_port):
    port = side_door_port if port_free("127.0.0.1", side_door_port) else free_port()
    address = f"127.0.0.1:{port}"
    process = Process(name, [str(BIN / "nameko"), "run", "--config", "config/test.yaml", module],
                      child_env(WEB_SERVER_ADDRESS=address))
    process.address = address
    return process


def wait_for_rpc(service, method="ping", timeout=60):
    """Until `service` answers an RPC in the test vhost (its consumer is up)."""
    deadline = time.monotonic() + timeout
    with ClusterRpcProxy(CONFIG, timeout=5) as cluster:
        while True:
            try:
                return getattr(cluster[service], method)()
            except UnknownService:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


# ---- steps of a story ------------------------------------------------------------------------

def access_token(user_id=1, role="customer", session_id=None, now=None, secret=None):
    """An access token minted the way the users service mints them (kit.tokens)."""
    auth = dict(CONFIG["AUTH"])
    if secret:
        auth["jwt_secret"] = secret
    return issue_access_token(auth, user_id, role, session_id or f"test-{uuid.uuid4()}", now=now)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_account(**overrides):
    tag = uuid.uuid4().hex[:10]
    account = {"email": f"shopper-{tag}@example.com", "username": f"shopper_{tag}",
               "password": "correct horse battery", "full_name": "Asha Shopper"}
    account.update(overrides)
    return account


def register(api, **overrides):
    account = new_account(**overrides)
    response = requests.post(f"{api}/api/auth/register", json=account, timeout=15)
    assert response.status_code == 201, response.text
    return account, response.json()


def login(api, account):
    response = requests.post(f"{api}/api/auth/login",
                             json={"email": account["email"], "password": account["password"]},
                             timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response, status, code=None):
    """The response is the gateway's JSON error shape with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["details"], dict)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


_client_ips = itertools.count()
_CLIENT_NET = random.randrange(1, 255)  # per run: runs sharing Redis db 1 never share an IP


def new_client_ip():
    """A loopback address no other test (or concurrent run, most likely) has used, so per-IP
    counts in Redis start from zero without deleting anyone's keys."""
    n = next(_client_ips)
    return f"127.{_CLIENT_NET}.{n // 250 + 1}.{n % 250 + 1}"


def session_from(ip=None):
    """A requests session whose connections leave from `ip` (any 127.x.y.z is loopback on
    Linux; default a new one), so one test can be several clients as per-IP limits see them."""
    ip = ip or new_client_ip()
    class FromAddress(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (ip, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", FromAddress())
    return session
