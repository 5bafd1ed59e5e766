#!/usr/bin/env bash
# Runs chat-bench with the given arguments while tcpdump watches loopback,
# and prints how long the server took from a POST's packet to its response's
# packet, for the busiest sending connection. This is the ack as the server
# gives it, free of any delay inside the load generator.
#
#   bench/scripts/wire-ack.sh --targets chat --subscribers 1000 --messages 1000 --rate 50
#
# Needs root and tcpdump (apt-get install tcpdump).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
capture=$(mktemp)
trap 'rm -f "$capture"' EXIT
# Packets whose TCP payload starts with "POST" or "HTTP".
filter='tcp and (tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x504f5354 or tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x48545450)'
tcpdump -i lo -tt -n -l "$filter" >"$capture" 2>/dev/null &
dump=$!
sleep 1
"$root/target/release/chat-bench" "$@" 2>/dev/null | grep -v '^{'
kill "$dump"
wait "$dump" 2>/dev/null || true
python3 - "$capture" <<'PY'
import re, sys
from collections import Counter
packets, flows = [], Counter()
for line in open(sys.argv[1]):
    m = re.match(r'([\d.]+) IP [\d.]+\.(\d+) > [\d.]+\.(\d+):', line)
    if m:
        packets.append((float(m[1]), int(m[2]), int(m[3])))
        flows[(int(m[2]), int(m[3]))] += 1
(client, server), _ = flows.most_common(1)[0]
requests = [t for t, s, d in packets if (s, d) == (client, server)]
responses = [t for t, s, d in packets if (s, d) == (server, client)]
waits = sorted((b - a) * 1e6 for a, b in zip(requests, responses))
at = lambda q: int(waits[int(q * (len(waits) - 1))])
print(f"server ack on the wire (one connection, {len(waits)} requests): "
      f"p50={at(.5)} p90={at(.9)} p99={at(.99)} max={int(waits[-1])} µs")
PY
