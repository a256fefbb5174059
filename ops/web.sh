#!/usr/bin/env bash
# The storefront's build (web/): `bash ops/web.sh build` runs `npm ci` when web/node_modules is
# missing or package-lock.json changed, then `next build` (a static export in web/out), and does
# nothing while web/'s sources are unchanged since the last build (a hash kept in web/out).
# Chromium for the browser tests comes from Debian via ops/tools.sh. Node.js >= 20.9 must be on PATH (Next.js 16 needs it; the machine image has 20).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/web"
HASH_FILE="$WEB/out/.aarya-build-hash"
LOCK_STAMP="$WEB/node_modules/.aarya-lock-hash"

sources_hash() {
  # Every file of web/ that shapes the build, by content (not mtime: a fresh clone has new mtimes).
  (cd "$WEB" && find . -type f \
      -not -path './node_modules/*' -not -path './out/*' -not -path './.next/*' \
      -not -name '*.tsbuildinfo' -not -name 'next-env.d.ts' \
      -not -name 'server.mjs' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

check_node() {
  command -v node >/dev/null || { echo "ops/web.sh: node is missing (Node.js >= 20.9 needed)" >&2; exit 1; }
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)' \
    || { echo "ops/web.sh: Node.js $(node --version) is too old for Next.js 16 (>= 20.9)" >&2; exit 1; }
}

build() {
  check_node
  local lock_hash
  lock_hash="$(sha256sum "$WEB/package-lock.json" | cut -d' ' -f1)"
  if [ ! -d "$WEB/node_modules" ] || [ "$(cat "$LOCK_STAMP" 2>/dev/null)" != "$lock_hash" ]; then
    echo "ops/web.sh: npm ci (node_modules missing or the lock changed)"
    (cd "$WEB" && npm ci --no-audit --no-fund)
    echo "$lock_hash" > "$LOCK_STAMP"
  fi
  local want
  want="$(sources_hash)"
  if [ -f "$WEB/out/index.html" ] && [ "$(cat "$HASH_FILE" 2>/dev/null)" = "$want" ]; then
    echo "ops/web.sh: web/out is current (sources unchanged), no build"
    return 0
  fi
  echo "ops/web.sh: next build"
  (cd "$WEB" && NEXT_TELEMETRY_DISABLED=1 npx --no-install next build)
  echo "$want" > "$HASH_FILE"
}

case "${1:-}" in
  build) build ;;
  hash) sources_hash ;;
  *) echo "usage: ops/web.sh build|hash" >&2; exit 2 ;;
esac
