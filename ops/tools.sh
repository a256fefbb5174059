#!/usr/bin/env bash
# Deploy/ops tools the tests in tests/deploy/ run for real: Compose (validates docker-compose.yml
# without an engine), kubectl (kustomize build), promtool + prometheus, nginx. Debian packages;
# re-running installs nothing that is already there. Called once from ops/servers.sh install.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v promtool >/dev/null || need+=(prometheus)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v openssl >/dev/null || need+=(openssl)
command -v chromium >/dev/null || need+=(chromium)   # tests/web drive it with Playwright
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
# Debian's packages start their daemons on install where systemd runs; ours are started by tests.
for unit in prometheus nginx; do
  systemctl disable --now "$unit" >/dev/null 2>&1 || true
done
command -v kubectl >/dev/null || echo "ops/tools.sh: no kubectl; tests/deploy/test_k8s.py uses kubectl kustomize" >&2
