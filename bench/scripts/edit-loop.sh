#!/bin/bash
# The `cargo leptos watch` edit loop as a developer sees it: the Playwright
# probe in end2end/watch/ starts the watcher, opens a room in Chromium,
# changes one line of the room page's view and times each edit from the
# save until the reloaded, hydrated page shows it (then checks that its
# composer sends). Prints one line per edit; restores the file and stops
# the watcher at the end.
# Usage: bench/scripts/edit-loop.sh [edits, default 7]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root/end2end"
EDIT_LOOP_EDITS=${1:-7} npx playwright test --config watch.config.ts --reporter list 2>&1 |
  tee /dev/stderr | grep -E '^edit [0-9]+ shown' || true
