"""The supervisor's state in var/<env>/: pid and meta files per process, and its log."""
import json

from ops.procfs import _group_members, _running

LOG_MARK = "===== platformctl start"


class RunDir:
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
