#!/usr/bin/env bash
# `handspun serve` on two threads — thread per core, and work stealing —
# against nginx with `worker_processes 2` and against the single loop, by
# wrk: requests per second for GET of 1 KiB over keep-alive connections.
# Servers alternate round by round; see docs/multi_thread.md.
#
# On a 2-core machine wrk shares the cores with the server, as it does with
# nginx: the figures are for comparing the servers within one run, not
# for their absolute throughput.
#
# Needs: wrk, nginx, python3.
# Usage: benches/serve/threads_vs_nginx.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
dir=$(mktemp -d /tmp/serve_threads.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

cargo build --release --bin handspun
hs=target/release/handspun
$hs serve --addr 127.0.0.1:18090 > /dev/null &
$hs serve --addr 127.0.0.1:18091 --threads 2 --runtime per-core > /dev/null &
$hs serve --addr 127.0.0.1:18092 --threads 2 --runtime stealing > /dev/null &

mkdir -p "$dir/logs"
body=$(python3 -c "print(''.join(chr(97 + i % 26) for i in range(1024)), end='')")
cat > "$dir/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:18093 reuseport;
        location = /mem { default_type text/plain; return 200 "$body"; }
    }
}
CONF
nginx -c "$dir/nginx.conf" -p "$dir" &
sleep 1

run() {
  echo "== round $1: $2"
  wrk -t2 -c100 -d10s --latency "$3"
}
for round in $(seq "$rounds"); do
  run "$round" "handspun serve (one loop)" http://127.0.0.1:18090/bytes/1024
  run "$round" "handspun serve --threads 2 --runtime per-core" http://127.0.0.1:18091/bytes/1024
  run "$round" "handspun serve --threads 2 --runtime stealing" http://127.0.0.1:18092/bytes/1024
  run "$round" "nginx, worker_processes 2" http://127.0.0.1:18093/mem
done
