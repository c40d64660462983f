#!/bin/sh
# Stops members started by start-cluster.sh (all, or those listed in NODES). SIGNAL=KILL to crash them.
cd "$(dirname "$0")/.."
DATA=${DATA:-./data}
for id in ${NODES:-n1 n2 n3}; do
  if [ -f "$DATA/$id.pid" ]; then
    kill -"${SIGNAL:-TERM}" "$(cat "$DATA/$id.pid")" 2>/dev/null && echo "stopped $id"
    rm -f "$DATA/$id.pid"
  fi
done
