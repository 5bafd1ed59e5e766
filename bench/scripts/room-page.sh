#!/bin/bash
# The room page's server render (GET /r/{room}, the newest 50 messages with
# their state) in a room of 1,000 plain messages and in one of 1,000
# messages each with 5 reactions and an edit: a page reads its messages'
# state in one batch, so the second should cost about the same.
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CHAT_SERVER_BIN:-$root/target/release/server}
dir=$(mktemp -d)
port=${PORT:-3918}
CHAT_DATA_DIR=$dir CHAT_SEND_RATE=0 LEPTOS_SITE_ADDR=127.0.0.1:$port LEPTOS_SITE_ROOT=$root/target/site $bin > $dir/log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf $dir' EXIT
until curl -sf localhost:$port/healthz >/dev/null; do sleep 0.1; done
api=localhost:$port/api/rooms
key=bench-room-page-author-key
echo "filling: 2 x 1,000 messages, 5,000 reactions, 1,000 edits (~1 min)"
seq 1 1000 | xargs -P 8 -I{} curl -s -o /dev/null -XPOST $api/plain/messages \
  -H 'content-type: application/json' -d '{"id":"p{}","from":"bench","body":"plain message {}"}'
seq 1 1000 | xargs -P 8 -I{} curl -s -o /dev/null -XPOST $api/busy/messages -H "x-chat-guest-key: $key" \
  -H 'content-type: application/json' -d '{"id":"b{}","from":"bench","body":"busy message {}"}'
# Every message of the room, by paging back.
all=$(python3 - "$port" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
seqs, before = [], ""
while True:
    page = json.load(urllib.request.urlopen(f"http://localhost:{port}/api/rooms/busy/messages?limit=200{before}"))
    seqs = [m["seq"] for m in page["messages"]] + seqs
    if not page["has_older"]:
        break
    before = f"&before={page['messages'][0]['seq']}"
print(" ".join(map(str, seqs)))
PY
)
for s in $all; do
  for e in %F0%9F%91%8D %E2%9D%A4%EF%B8%8F %F0%9F%98%82 %F0%9F%8E%89 %F0%9F%99%8F; do
    echo "$s $e"
  done
done | xargs -P 8 -n 2 sh -c 'curl -s -o /dev/null -XPUT "'$api'/busy/messages/$0/reactions/$1" -H "x-chat-guest-key: bench-reactor-$(echo $1 | tr -d %)"'
for s in $all; do echo $s; done | xargs -P 8 -I{} curl -s -o /dev/null -XPATCH $api/busy/messages/{} \
  -H "x-chat-guest-key: $key" -H 'content-type: application/json' -d '{"body":"busy message, edited"}'
curl -s "$api/busy/messages?limit=1" | python3 -c 'import json,sys; m=json.load(sys.stdin)["messages"][0]; print("newest busy message:", len(m.get("reactions",[])), "emoji,", "edited" if m.get("edited_at") else "not edited")'
measure() {
  for i in $(seq 1 5); do curl -s -o /dev/null localhost:$port/r/$1; done
  for i in $(seq 1 100); do curl -s -o /dev/null -w '%{time_total}\n' localhost:$port/r/$1; done | sort -n | awk -v room=$1 '{a[NR]=$1} END {printf "GET /r/%s: p50 %.2f ms, p95 %.2f ms, max %.2f ms (100 requests)\n", room, a[50]*1000, a[95]*1000, a[100]*1000}'
}
measure plain
measure busy
measure plain
measure busy
