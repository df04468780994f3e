#!/usr/bin/env bash
# npm ci on a Node that meets every package's `engines` (MikroORM 7 and vitest 5
# need Node >= 22.17). On an older Node it installs with the Node the project
# pins as its `node` devDependency (fetched once into npm's cache), so npm has
# nothing to warn about; the npm scripts run on that Node either way.
# Arguments go to npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

if node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 22 || (major === 22 && minor >= 17) ? 0 : 1)'; then
  exec npm ci "$@"
fi
pinned="$(node -p 'require("./package-lock.json").packages["node_modules/node"].version')"
echo "node $(node --version) is older than the dependencies need (>= 22.17): installing with node ${pinned}"
exec npm exec --yes --package="node@${pinned}" -- node "$(readlink -f "$(command -v npm)")" ci "$@"
