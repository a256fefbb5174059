"""Helpers for the deploy stories that run real ops tools (Prometheus, nginx) beside the
platform: each tool is a real process on a port from config OPS (moved per test env), started
for the test and stopped by its own pid afterwards."""
import contextlib
import shutil
import subprocess
import time

import pytest
import requests


@pytest.fixture(scope="session")
def ops_ports(config):
    return config["OPS"]


def tool(name):
    exe = shutil.which(name) or (f"/usr/sbin/{name}" if shutil.os.path.exists(f"/usr/sbin/{name}")
                                 else None)
    assert exe, f"{name} missing: run `bash ops/tools.sh` (or ops/servers.sh install)"
    return exe


@contextlib.contextmanager
def running(argv, ready_url, log_path, timeout=30, verify=True):
    """Run argv until the block ends; wait until ready_url answers 2xx first."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"{argv[0]} exited {proc.returncode}: "
                                     + open(log_path, errors="replace").read()[-3000:])
            try:
                if requests.get(ready_url, timeout=1, verify=verify).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{argv[0]} not ready at {ready_url} after {timeout}s: "
                                     + open(log_path, errors="replace").read()[-3000:])
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
