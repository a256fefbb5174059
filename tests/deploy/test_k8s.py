"""k8s/: every overlay builds with kustomize and its output validates against the Kubernetes schemas."""
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from kit.config import ROOT
from ops import k8sgen
from ops.platformctl import Platform

OVERLAYS = sorted(p.name for p in (ROOT / "k8s" / "overlays").iterdir() if p.is_dir())
K8S_VERSION = "1.33.0"
# Operator resources: their schemas are not bundled with kubernetes-validate, so these kinds
# (and only these) are checked for shape here, not against a schema.
OPERATOR_KINDS = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"), ("postgresql.cnpg.io/v1", "Cluster"),
    ("redis.spotahome.com/v1", "RedisFailover"), ("elasticsearch.k8s.elastic.co/v1", "Elasticsearch"),
    ("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"), ("traefik.io/v1alpha1", "Middleware"),
    ("traefik.io/v1alpha1", "IngressRoute"), ("beat.k8s.elastic.co/v1beta1", "Beat"),
    ("traefik.io/v1alpha1", "ServersTransport"),
}


def build(overlay):
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl missing (it runs `kubectl kustomize`)"
    result = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                             str(ROOT / "k8s" / "overlays" / overlay)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request):
    return build(request.param)


def test_there_are_dev_and_prod_overlays():
    assert {"dev", "prod"} <= set(OVERLAYS)


def test_every_object_validates_against_its_schema(docs):
    errors = []
    for doc in docs:
        key = (doc["apiVersion"], doc["kind"])
        if key in OPERATOR_KINDS:
            assert doc["metadata"].get("name") and doc.get("spec"), key
            continue
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: unknown kind {key}")
    assert not errors, "\n".join(errors)


def test_every_process_has_a_probed_deployment_with_resources(docs):
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    missing = set(Platform(env="dev").names()) - set(deployments)
    assert not missing, f"no Deployment for {sorted(missing)}: add it to ops/k8sgen.py PROCESSES"
    for name, dep in deployments.items():
        c = dep["spec"]["template"]["spec"]["containers"][0]
        assert c["readinessProbe"] and c["livenessProbe"] and c["resources"]["limits"], name
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("HorizontalPodAutoscaler", "gateway") in kinds
    for name in Platform(env="dev").names():
        if (ROOT / "services" / name).is_dir():
            so = next(d for d in docs if d["kind"] == "ScaledObject" and d["metadata"]["name"] == name)
            assert so["spec"]["triggers"][0]["metadata"]["queueName"] == f"rpc-{name}"


def test_no_secret_is_committed(docs):
    assert not [d for d in docs if d["kind"] == "Secret"]


def test_generated_process_manifests_are_current():
    for name in k8sgen.PROCESSES:
        path = k8sgen.OUT / f"{name}.yaml"
        assert path.read_text() == k8sgen.render(name), f"{path} is stale: run python -m ops.k8sgen"


# ---- the mesh (k8s/mesh/, on paper: built and checked for shape; no Istio schemas offline) ----

def test_the_mesh_is_strict_mtls_and_authorises_every_process_like_its_network_policy():
    from ops import meshgen

    assert meshgen.OUT.read_text() == meshgen.render(), "k8s/mesh/policies.yaml is stale: run python -m ops.meshgen"
    kubectl = shutil.which("kubectl")
    result = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                             str(ROOT / "k8s" / "mesh")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    assert by_kind["PeerAuthentication"]["default"]["spec"]["mtls"]["mode"] == "STRICT"
    assert by_kind["AuthorizationPolicy"]["allow-nothing"]["spec"] == {}
    assert by_kind["Namespace"]["aarya"]["metadata"]["labels"]["istio-injection"] == "enabled"
    policies, rules = by_kind["AuthorizationPolicy"], by_kind["DestinationRule"]
    for name in Platform(env="dev").names():
        assert name in policies and name in rules, f"no mesh policy for {name}: run python -m ops.meshgen"
        assert rules[name]["spec"]["trafficPolicy"]["outlierDetection"]
        account = by_kind["ServiceAccount"][name]
        assert by_kind["Deployment"][name]["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]
        # Whoever the NetworkPolicy lets in on this port is who the mesh lets in (by namespace).
        net = by_kind["NetworkPolicy"][name]["spec"]["ingress"]
        net_namespaces = {f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                          for rule in net for f in rule["from"] if "namespaceSelector" in f}
        mesh_namespaces = {p.split("/")[2] for rule in policies[name]["spec"]["rules"]
                           for f in rule["from"] for p in f["source"].get("principals", [])
                           if p.split("/")[2] != "aarya"}
        assert net_namespaces == mesh_namespaces, name
    for name, (_, _, db) in k8sgen.PROCESSES.items():
        if db:
            (allowed,) = policies[f"pg-{db}-from-{name}"]["spec"]["rules"]
            assert allowed["from"][0]["source"]["principals"] == [f"cluster.local/ns/aarya/sa/{name}"]
    retries = {r["name"]: r["retries"]["attempts"] for r in by_kind["VirtualService"]["gateway"]["spec"]["http"]}
    assert retries == {"reads": 2, "idempotent-writes": 2, "other-writes": 0}
