#!/usr/bin/env bash
# One entry point for the README's commands: provisions Node 24 when the system Node is
# too old, installs the locked dependencies, builds, then starts the service or runs the
# tests. Usage: scripts/run.sh start|test|token|maintenance|legacy-import|lint|setup [args...]
set -euo pipefail
cd "$(dirname "$0")/.."

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=17)?0:1)'
}

ensure_node() {
  if [ -x .tools/node_modules/.bin/node ]; then
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  fi
  if ! node_ok; then
    echo "jobtrack: Node >= 22.17 needed; installing Node 24 from the npm registry into .tools/" >&2
    npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error node@24 >&2
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
    node_ok || { echo "jobtrack: could not provision Node 24" >&2; exit 1; }
  fi
}

ensure_deps() {
  local stamp=node_modules/.jobtrack-lock-sha256 want
  want=$( (sha256sum package-lock.json; node --version) | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # npm ci is the contract; the registry reachable here lacks other platforms' optional
    # binaries, so fall back to an install that follows the lockfile unchanged.
    # Install output goes to stderr: `TOKEN=$(npm run -s token ...)` must capture only the token.
    if ! npm ci --no-audit --no-fund --loglevel=error >&2 2>.npm-ci.log; then
      echo "jobtrack: npm ci refused the lockfile (see .npm-ci.log); installing from it with npm install" >&2
      npm install --no-audit --no-fund --no-save --loglevel=error >&2
    fi
    echo "$want" >"$stamp"
  fi
}

# `nest build` (nest-cli.json): type-check with tsc, then compile src/ and migrations/ with swc
# into dist/src and dist/migrations. Its output goes to stderr, like the install's.
build() { npm run -s build >&2; }

# V8 flags of the service's processes. Node 24 lets the young generation grow to 3 x 32 MiB
# semi-spaces that it then keeps: 60 MiB of the idle RSS and 120 MiB of the peak during a
# 1M-row upload. 8 MiB semi-spaces cost no measurable throughput (docs/benchmarks.md).
# The same flags stand in the Dockerfile's CMD and package.json's start:prod (a test
# checks), and the benchmarks read them from here.
SERVICE_NODE_FLAGS="--max-semi-space-size=8"

cmd=${1:-start}
shift || true
ensure_node
ensure_deps
case "$cmd" in
  setup) ;;
  start) build && exec node $SERVICE_NODE_FLAGS dist/src/main.js "$@" ;;
  # NestJS 12, MikroORM 7 and uuid are ESM-only: Jest loads them with VM modules.
  test) build && NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning ${NODE_OPTIONS:-}" exec npx jest "$@" ;;
  token) build && exec node dist/src/cli/mint-token.js "$@" ;;
  maintenance) build && exec node $SERVICE_NODE_FLAGS dist/src/cli/maintenance.js "$@" ;;
  legacy-import) build && exec node $SERVICE_NODE_FLAGS dist/src/cli/legacy-import.js "$@" ;;
  lint) npx tsc -p tsconfig.json --noEmit && npx eslint . && npx prettier --check . ;;
  *) echo "usage: scripts/run.sh start|test|token|maintenance|legacy-import|lint|setup" >&2; exit 2 ;;
esac
