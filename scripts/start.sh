#!/bin/sh
# `npm start`: build when dist/ is missing or older than the sources, apply
# migrations, then become the service: `exec` leaves one process, the service,
# so a supervisor's SIGTERM reaches it and its exit code is the start's.
set -eu
cd "$(dirname "$0")/.."

# A stop asked for during the build or the migrations ends the start once that
# step has finished; nothing is left running and no migration is cut halfway.
trap 'exit 143' TERM
trap 'exit 130' INT

stale() {
  [ ! -f dist/.built ] ||
    [ -n "$(find src generated package.json package-lock.json tsconfig.json tsconfig.build.json -newer dist/.built -print 2>/dev/null | head -n 1)" ]
}

if stale; then sh scripts/build.sh; fi
node dist/src/db/migrate.js
exec node dist/src/main.js
