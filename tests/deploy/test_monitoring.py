"""Alert rules pass the real promtool."""
import shutil
import subprocess

from kit.config import ROOT


def test_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: run `bash ops/tools.sh`"
    rules = sorted((ROOT / "ops/monitoring/rules").glob("*.yml"))
    assert rules
    result = subprocess.run([promtool, "check", "rules", *map(str, rules)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_prometheus_config_passes_promtool():
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: run `bash ops/tools.sh`"
    result = subprocess.run([promtool, "check", "config", str(ROOT / "ops/docker/prometheus.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
