#!/bin/bash
# The `cargo leptos watch` edit loop: changes one line of the lobby's view,
# then times how long until `GET /` serves it. Prints one line per edit;
# restores the file and stops the watcher at the end.
# Usage: bench/scripts/edit-loop.sh [edits, default 8]  (port 3000 must be free)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
edits=${1:-8}
page=app/src/pages/lobby.rs
data=$(mktemp -d)
CHAT_DATA_DIR=$data cargo leptos watch > "$data/watch.log" 2>&1 &
trap 'git checkout -q -- "$page"; pkill -f cargo-leptos; pkill -f "target/debug/server"; rm -rf "$data"' EXIT
echo "waiting for the first watch build (about 5 minutes from clean)..."
until curl -sf localhost:3000/ >/dev/null; do sleep 1; done
sleep 3
for i in $(seq 1 "$edits"); do
  sed -i "s/\"Open a room[^\"]*\"/\"Open a room (edit $i)\"/" "$page"
  start=$(date +%s.%N)
  until curl -sf localhost:3000/ 2>/dev/null | grep -q "Open a room (edit $i)"; do sleep 0.05; done
  echo "edit $i served after $(echo "$(date +%s.%N) - $start" | bc) s"
  sleep 4
done
