"""docker-compose.yml is valid for a real Compose and runs every process ops/platformctl.py knows."""
import shutil
from pathlib import Path
import subprocess

import pytest
import yaml

from kit.config import ROOT
from ops.platformctl import Platform

COMPOSE = ROOT / "docker-compose.yml"
# Processes whose code was still landing lived under profile "next" (all have landed now; the
# profile stays for the next one); a process that exists in the tree must run without a profile.
PLANNED = {"search", "analytics", "recommendations", "web"}


def _compose(*args):
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose missing: run `bash ops/tools.sh` (or ops/servers.sh install)"
    return subprocess.run([exe, "-f", str(COMPOSE), "--profile", "next", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


class _UniqueKeys(yaml.SafeLoader):
    """PyYAML (and so docker-compose 1.x) keeps the last of two equal keys: a merge that doubles a
    service would pass `config` silently."""

    def construct_mapping(self, node, deep=False):
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        doubled = sorted({k for k in keys if keys.count(k) > 1 and k != "<<"})
        assert not doubled, f"line {node.start_mark.line + 1}: keys {doubled} appear twice"
        return super().construct_mapping(node, deep=deep)


def test_no_key_appears_twice():
    yaml.load(COMPOSE.read_text(), Loader=_UniqueKeys)


def test_a_real_compose_accepts_the_file():
    result = _compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_every_process_has_a_compose_service_and_a_scrape_target():
    services = set(_compose("config", "--services").stdout.split())
    platform = Platform(env="dev")
    processes = set(platform.names()) | set(platform.optional_names())
    assert processes <= services, f"no compose service for {sorted(processes - services)}"
    assert PLANNED <= services
    default_run = yaml.safe_load(COMPOSE.read_text())["services"]
    with_profile = {n for n, s in default_run.items() if s.get("profiles")}
    assert not (processes & with_profile), f"{sorted(processes & with_profile)} exist but hide behind a profile"
    scrape = yaml.safe_load((ROOT / "ops/docker/prometheus.yml").read_text())
    targets = {t.split(":")[0] for job in scrape["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert processes - {"web"} <= targets, f"prometheus.yml misses {sorted(processes - targets - {'web'})}"


def test_every_built_service_has_its_dockerfile():
    for name, service in yaml.safe_load(COMPOSE.read_text())["services"].items():
        build = service.get("build")
        if build is None:
            continue
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        assert (ROOT / context / dockerfile).is_file(), f"{name}: no {context}/{dockerfile}"


@pytest.fixture(scope="module")
def resolved():
    """The file as Compose resolves it, once: one `config` run costs seconds on a busy machine."""
    result = _compose("config")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.mark.parametrize("name", sorted(set(Platform(env="dev").names()) - {"web"}))
def test_each_process_waits_for_healthy_servers_and_has_a_healthcheck(name, resolved):
    svc = resolved["services"][name]
    assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for server in ("rabbitmq", "redis"):
        assert svc["depends_on"][server]["condition"] == "service_healthy"


def test_every_file_the_compose_file_mounts_exists(resolved):
    missing = []
    for name, svc in resolved["services"].items():
        for volume in svc.get("volumes", []):
            source = volume.get("source") if isinstance(volume, dict) else volume.split(":")[0]
            kind = volume.get("type", "bind") if isinstance(volume, dict) else "bind"
            # Files of this repo must exist; var/ (certificates, state) is made by ops on the host.
            inside = source and Path(source).is_relative_to(ROOT) and not Path(source).is_relative_to(ROOT / "var")
            if kind == "bind" and inside and not Path(source).exists():
                missing.append(f"{name}: {source}")
    assert not missing, missing
