"""Ops' view of a service: its side door answers /health and /metrics on its own port."""
import requests


def test_each_service_reports_health_and_prometheus_metrics(platform, config, rpc):
    rpc.users.ping()  # at least one timed worker
    for name, port in config["SERVICE_PORTS"].items():
        if name not in platform.names():
            continue
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert health.status_code == 200, (name, health.text)
        assert health.json()["status"] == "ok"
        if name == "bridge":
            continue
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics.status_code == 200, (name, metrics.text[:200])
        assert "entrypoint_seconds" in metrics.text
    users_health = requests.get(f"http://127.0.0.1:{config['SERVICE_PORTS']['users']}/health",
                                timeout=5).json()
    assert users_health["checks"]["db"] is True and users_health["checks"]["redis"] is True
    assert users_health["checks"]["outbox"] is True
    users_metrics = requests.get(f"http://127.0.0.1:{config['SERVICE_PORTS']['users']}/metrics",
                                 timeout=5).text
    assert 'entrypoint_seconds_count{entrypoint="ping",outcome="ok",service="users"}' in users_metrics
