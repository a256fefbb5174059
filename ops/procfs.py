"""What the supervisor (ops/platformctl.py) reads of the machine: /proc, open ports, health URLs."""
import json
import os
import socket
import urllib.error
import urllib.request

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
