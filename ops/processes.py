"""Which processes this tree has, how each is started, where it listens, and its environment."""
import os
import sys
from pathlib import Path

from ops.procfs import PlatformError, _loopback
from ops.replicas import split_replica

# The venv's scripts sit beside its interpreter; no resolve(): the venv's python is a symlink.
BIN = Path(sys.executable).parent


class Processes:
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
