"""Write k8s/base/processes/<name>.yaml for every Aarya process, from the one table below.

Kustomize has no loops, so the per-process manifests (Deployment with probes on the side door,
Service, PodDisruptionBudget, NetworkPolicy, and for nameko services a KEDA ScaledObject on
`rpc-<service>`) are generated; a new process is one row in PROCESSES. The files are committed;
tests/deploy/test_k8s.py fails when they are stale or a process of ops/platformctl.py has none.

    python -m ops.k8sgen          # rewrite k8s/base/processes/
"""
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "k8s" / "base" / "processes"

# name: (kind, port, database or None). kind: nameko | bridge | gateway | web
PROCESSES = {
    "users": ("nameko", 8001, "users"),
    "products": ("nameko", 8002, "products"),
    "orders": ("nameko", 8003, "orders"),
    "payments": ("nameko", 8004, "payments"),
    "notifications": ("nameko", 8005, "notifications"),
    "cart": ("nameko", 8006, None),
    "search": ("nameko", 8007, "search"),
    "analytics": ("nameko", 8008, "analytics"),
    "recommendations": ("nameko", 8009, "recommendations"),
    "audit": ("nameko", 8010, "audit"),
    "bridge": ("bridge", 8011, None),
    "gateway": ("gateway", 8080, None),
    "web": ("web", 3000, None),
}

RESOURCES = {
    "nameko": {"requests": {"cpu": "100m", "memory": "192Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    "bridge": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "384Mi"}},
    "gateway": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "768Mi"}},
    "web": {"requests": {"cpu": "100m", "memory": "192Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
}


def _command(name, kind):
    if kind == "nameko":
        return ["nameko", "run", "--config", "config/$(AARYA_ENV).yaml", f"services.{name}.service"]
    if kind == "bridge":
        return ["python", "-m", "bridge", "--env", "$(AARYA_ENV)"]
    if kind == "gateway":
        return ["gunicorn", "-c", "gateway/gunicorn_conf.py", "gateway.app:create_app()"]
    return ["node", "server.js"]


def _env(name, kind, port, db):
    env = [{"name": "AARYA_ENV", "value": "k8s"},
           {"name": "DEMO_CLOCK", "value": "false"}]  # kit.demo_clock: never in a cluster
    if kind == "nameko":
        env.append({"name": "WEB_SERVER_ADDRESS", "value": f"0.0.0.0:{port}"})
    if kind == "gateway":
        env.append({"name": "GATEWAY_BIND", "value": f"0.0.0.0:{port}"})
        env.append({"name": "PROMETHEUS_MULTIPROC_DIR", "value": "/tmp/aarya-metrics"})
        env.append({"name": "TRUSTED_PROXY_HOPS", "value": "1"})  # behind Traefik (ingress.yaml)
    if kind == "web":
        env.append({"name": "AARYA_GATEWAY_URL", "value": "http://gateway:8080"})
        return env
    env.append({"name": "AMQP_URI", "valueFrom": {"secretKeyRef": {"name": "rabbitmq-default-user", "key": "connection_string"}}})
    env.append({"name": "JWT_SECRET", "valueFrom": {"secretKeyRef": {"name": "aarya-secrets", "key": "jwt_secret"}}})
    if db:
        # CloudNativePG writes <cluster>-app with a `uri` key; one cluster per service database.
        env.append({"name": f"{db.upper()}_DB_URI", "valueFrom": {"secretKeyRef": {"name": f"pg-{db}-app", "key": "uri"}}})
    return env


def manifests(name):
    kind, port, db = PROCESSES[name]
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "aarya", "aarya/kind": kind}
    selector = {"app.kubernetes.io/name": name}
    path = "/" if kind == "web" else "/health"
    probe = {"httpGet": {"path": path, "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 3}
    container = {
        "name": name,
        "image": "aarya-web:latest" if kind == "web" else "aarya:latest",
        "command": _command(name, kind),
        "ports": [{"name": "http", "containerPort": port}],
        "env": _env(name, kind, port, db),
        "readinessProbe": {**probe, "failureThreshold": 3},
        "livenessProbe": {**probe, "initialDelaySeconds": 20, "failureThreshold": 6},
        "resources": RESOURCES[kind],
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
    }
    if kind != "web":
        container["volumeMounts"] = [{"name": "config", "mountPath": "/app/config/k8s.yaml", "subPath": "k8s.yaml"}]
    # Its own ServiceAccount: the mesh (k8s/mesh/) authorises by it; no API token is mounted.
    pod = {"serviceAccountName": name, "automountServiceAccountToken": False,
           "containers": [container]}
    if kind != "web":
        pod["volumes"] = [{"name": "config", "configMap": {"name": "aarya-config"}}]
    docs = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "labels": labels},
         "automountServiceAccountToken": False},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
         "spec": {"replicas": 2, "selector": {"matchLabels": selector},
                  "template": {"metadata": {"labels": labels,
                                            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": str(port)}},
                               "spec": pod}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
         "spec": {"selector": selector, "ports": [{"name": "http", "port": port, "targetPort": "http"}]}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
         "spec": {"minAvailable": 1, "selector": {"matchLabels": selector}}},
    ]
    # Who may open a connection to this process: Prometheus always; the world only for gateway/web.
    ingress = [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                "ports": [{"port": port}]}]
    if kind in ("gateway", "web"):
        ingress.append({"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
                        "ports": [{"port": port}]})
    if kind == "gateway":
        ingress.append({"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}}}], "ports": [{"port": port}]})
    egress = [
        {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
         "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
    ]
    if kind == "web":
        egress.append({"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}], "ports": [{"port": 8080}]})
    else:
        egress.append({"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "rabbitmq"}}}], "ports": [{"port": 5672}]})
        egress.append({"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/component": "redis"}}}],
                       "ports": [{"port": 6379}, {"port": 26379}]})
        if db:  # its own database only
            egress.append({"to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": f"pg-{db}"}}}], "ports": [{"port": 5432}]})
        if name == "search":
            egress.append({"to": [{"podSelector": {"matchLabels": {"elasticsearch.k8s.elastic.co/cluster-name": "aarya"}}}],
                           "ports": [{"port": 9200}]})
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name},
                 "spec": {"podSelector": {"matchLabels": selector}, "policyTypes": ["Ingress", "Egress"],
                          "ingress": ingress, "egress": egress}})
    if kind == "nameko":
        docs.append({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": name},
                     "spec": {"scaleTargetRef": {"name": name}, "minReplicaCount": 2, "maxReplicaCount": 10,
                              "triggers": [{"type": "rabbitmq", "metadata": {"protocol": "amqp", "queueName": f"rpc-{name}",
                                                                             "mode": "QueueLength", "value": "50"},
                                            "authenticationRef": {"name": "rabbitmq-amqp"}}]}})
    return docs


def render(name):
    head = f"# Generated by `python -m ops.k8sgen` from its PROCESSES table: edit that, not this file.\n"
    return head + yaml.safe_dump_all(manifests(name), sort_keys=False)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name in PROCESSES:
        (OUT / f"{name}.yaml").write_text(render(name))
    (OUT / "kustomization.yaml").write_text(
        "# Generated by `python -m ops.k8sgen`.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n" + "".join(f"  - {n}.yaml\n" for n in PROCESSES))
    print(f"wrote {len(PROCESSES)} processes to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
