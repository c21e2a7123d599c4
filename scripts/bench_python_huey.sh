#!/bin/sh
# Python huey's consumer beside huey's CLI: the same Redis, the same worker
# settings (-w 4 -k thread, -w 2 -k process; -q and INFO), 20,000 queued
# trivial tasks each, start-up included, each run in turn with huey's, three
# times (medians and ranges). No pip: huey's source and Debian's python3-redis.
#
#   sudo apt-get install -y python3-redis            # redis-py for /usr/bin/python3
#   git clone https://github.com/coleifer/huey /tmp/huey.git
#   HUEY_GIT=/tmp/huey.git scripts/bench_python_huey.sh              # extracts the tag 2.6.0
#   HUEY_SRC=/path/to/huey-checkout scripts/bench_python_huey.sh     # or any checkout
#
# HUEY_PYTHON picks the interpreter (default /usr/bin/python3); HUEY_TAG the
# tag HUEY_GIT is read at (default 2.6.0). Other arguments go to
# scripts/bench.ts, e.g. --runtimes node,deno,bun or --repeat 5.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${HUEY_SRC:-}" ]; then
  if [ -z "${HUEY_GIT:-}" ]; then
    echo "Set HUEY_SRC to a checkout of huey, or HUEY_GIT to a clone of its repository" >&2
    exit 2
  fi
  HUEY_SRC=$(mktemp -d)
  trap 'rm -rf "$HUEY_SRC"' EXIT
  git -C "$HUEY_GIT" archive "${HUEY_TAG:-2.6.0}" | tar -x -C "$HUEY_SRC"
fi
python=${HUEY_PYTHON:-/usr/bin/python3}
if ! "$python" -c "import redis" 2>/dev/null; then
  echo "$python cannot import redis: apt-get install -y python3-redis (or set HUEY_PYTHON)" >&2
  exit 2
fi
export HUEY_SRC HUEY_PYTHON="$python"
cd "$root"
exec node scripts/bench.ts --storages redis --only cli --json bench-python-huey.json "$@"
