#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: Node.js >= 24, bubblewrap
# (runsc when the distribution has it), PostgreSQL for its store's tests, and the npm workspaces.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
cd "$paddock_root"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else return 1
  fi
}

provision_node() {
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) say "no Node.js build for $(uname -m); install Node.js >= 24 yourself"; exit 1 ;;
  esac
  say "Node.js $(node --version 2>/dev/null || echo none) is older than 24: provisioning $paddock_node_version into $paddock_node_home"
  local tmp
  tmp="$(mktemp -d)"
  # The node-linux-* packages on the npm registry carry the official binary.
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$paddock_node_version" >/dev/null)
  mkdir -p "$tmp/unpacked" "$paddock_cache"
  tar -xzf "$tmp"/node-linux-*.tgz -C "$tmp/unpacked"
  rm -rf "$paddock_node_home"
  mv "$tmp/unpacked/package" "$paddock_node_home"
  rm -rf "$tmp"
}

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  if [ "$apt_updated" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! paddock_use_node; then
  provision_node
  paddock_use_node
fi
say "using Node.js $(node --version)"

if ! command -v bwrap >/dev/null 2>&1; then
  say "installing bubblewrap"
  apt_install bubblewrap || say "could not install bubblewrap: sandboxes will not start until it is installed (apt-get install bubblewrap)"
fi
if ! command -v socat >/dev/null 2>&1; then
  say "installing socat (port forwarding into local sandboxes)"
  apt_install socat || say "could not install socat: connecting to sandbox ports stays unavailable (apt-get install socat)"
fi
# Sandboxes see the host's /usr: the built-in `base` template (E2B's) promises python3 in it.
if [ ! -x /usr/bin/python3 ]; then
  say "installing python3 (the base template's sandboxes run it from the host's /usr)"
  apt_install python3 || say "python3 not installed: sandboxes of the base template have no python3 (apt-get install python3)"
fi
if ! command -v runsc >/dev/null 2>&1 && [ "${PADDOCK_SKIP_RUNSC:-}" != 1 ]; then
  if command -v apt-cache >/dev/null 2>&1 && apt-cache show runsc >/dev/null 2>&1; then
    say "installing runsc (gVisor, optional)"
    apt_install runsc || say "runsc not installed: isolation 'gvisor' stays unavailable"
  fi
fi

# Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, off PATH.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing postgresql (the PostgreSQL store's tests start a server of their own)"
  apt_install postgresql || say "postgresql not installed: the PostgreSQL store's tests will be skipped (apt-get install postgresql)"
fi

if ! command -v xz >/dev/null 2>&1; then
  say "installing xz-utils (unpacks the Kubernetes API server the tests start, when one is given)"
  apt_install xz-utils || say "xz not installed: the Kubernetes tests will be skipped (apt-get install xz-utils)"
fi

if ! command -v chromium >/dev/null 2>&1 && [ "${PADDOCK_SKIP_CHROMIUM:-}" != 1 ]; then
  say "installing chromium (the web UI's browser tests drive it headless)"
  apt_install chromium || say "chromium not installed: the browser tests will be skipped (apt-get install chromium)"
fi

# npm ci only when the lock file changed since the last install.
stamp="node_modules/.paddock-setup"
want="$(node -p 'process.version' ) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm workspaces (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# The web UI is built when missing or older than any source that goes into its bundle.
web_index="apps/web/dist/index.html"
if [ ! -f "$web_index" ] || [ -n "$(find apps/web/src apps/web/index.html apps/web/vite.config.ts \
  packages/client/src packages/api/src packages/core/src package-lock.json \
  -newer "$web_index" -print -quit)" ]; then
  say "building the web UI"
  npm run build --silent >/dev/null
fi
say "ready"
