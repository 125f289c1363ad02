# shellcheck shell=bash
# Sourced by the other scripts: puts a Node.js >= 24 first on PATH.
# Uses the system Node when it is new enough; otherwise the copy that setup.sh
# provisioned from the npm registry into the cache directory.

paddock_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
paddock_node_version="$(tr -d '[:space:]' < "$paddock_root/.node-version")"
paddock_cache="${PADDOCK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paddock}"
paddock_node_home="$paddock_cache/node-v$paddock_node_version"

paddock_node_major() {
  "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

paddock_use_node() {
  if command -v node >/dev/null 2>&1 && [ "$(paddock_node_major)" -ge 24 ]; then
    return 0
  fi
  if [ -x "$paddock_node_home/bin/node" ]; then
    export PATH="$paddock_node_home/bin:$PATH"
    # Native addons must build against the headers of the Node that runs them.
    export npm_config_nodedir="$paddock_node_home"
    return 0
  fi
  return 1
}
