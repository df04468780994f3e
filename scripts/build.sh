#!/bin/sh
# `npm run build`: the service compiled to JavaScript in dist/, the code
# `npm start` runs. dist/.built records when the build began, so a source
# changed while it ran still counts as newer than the build.
set -eu
cd "$(dirname "$0")/.."
began=".build-began.$$"
trap 'rm -f "$began"' EXIT
touch "$began"
rm -rf dist
node_modules/.bin/tsc -p tsconfig.build.json
# Read at run time next to the compiled code (request checks, reflection).
cp generated/descriptor.binpb dist/generated/descriptor.binpb
mv "$began" dist/.built
