#!/bin/sh
# Starts a 3-member raft-kv cluster on 127.0.0.1 in the background.
# Raft ports 7101-7103, HTTP ports 8101-8103; data and logs under ${DATA:-./data}; pids in $DATA/*.pid.
set -e
cd "$(dirname "$0")/.."
DATA=${DATA:-./data}
mkdir -p "$DATA"
MEMBERS=n1=127.0.0.1:7101:8101,n2=127.0.0.1:7102:8102,n3=127.0.0.1:7103:8103
for id in ${NODES:-n1 n2 n3}; do
  nohup node --import tsx src/main.ts --id "$id" --members "$MEMBERS" --data "$DATA" > "$DATA/$id.log" 2>&1 &
  echo $! > "$DATA/$id.pid"
  echo "started $id (pid $!), HTTP on port 810${id#n}"
done
