#!/bin/bash
# GET / timed with 20 and 2,000 rooms (release server, embedded NATS).
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CHAT_SERVER_BIN:-$root/target/release/server}
dir=$(mktemp -d)
port=${PORT:-3917}
CHAT_DATA_DIR=$dir CHAT_SEND_RATE=0 LEPTOS_SITE_ADDR=127.0.0.1:$port LEPTOS_SITE_ROOT=$root/target/site $bin > $dir/log 2>&1 &
pid=$!
until curl -sf localhost:$port/healthz >/dev/null; do sleep 0.1; done
post() { curl -s -o /dev/null -XPOST localhost:$port/api/rooms/$1/messages -H 'content-type: application/json' -d "{\"id\":\"m$1\",\"from\":\"bench\",\"body\":\"hi\"}"; }
measure() {
  for i in $(seq 1 5); do curl -s -o /dev/null localhost:$port/; done
  for i in $(seq 1 100); do curl -s -o /dev/null -w '%{time_total}\n' localhost:$port/; done | sort -n | awk '{a[NR]=$1} END {printf "GET / with %s rooms: p50 %.2f ms, p95 %.2f ms, max %.2f ms (100 requests)\n", ENVIRON["ROOMS"], a[50]*1000, a[95]*1000, a[100]*1000}'
}
for i in $(seq 1 20); do post r$i; done
ROOMS=20 measure
for i in $(seq 21 2000); do post r$i; done
ROOMS=2000 measure
kill $pid; wait $pid 2>/dev/null || true
rm -rf $dir
