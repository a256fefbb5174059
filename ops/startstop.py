"""Starting, probing, signalling and stopping one process (its whole process group)."""
import json
import os
import signal
import subprocess
import time
from urllib.parse import urlsplit

from ops.procfs import (_CHILDREN, PlatformError, _group_members, _port_open, _proc_stat, _reap,
                        _running, probe)
from ops.rundir import LOG_MARK

STOP_GRACE_S = 10


class StartStop:
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
