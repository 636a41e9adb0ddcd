#!/usr/bin/env bash
# `handspun serve` over TLS against nginx (1 worker), the same certificate,
# keep-alive, with wrk: requests per second for GET of 1 KiB. Rerunnable;
# prints one wrk report per run, servers alternating. See docs/benchmarks/tls.md.
#
# Needs: wrk (built with OpenSSL, as Debian's is), nginx, openssl, taskset.
# Usage: benches/tls/vs_nginx.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
dir=$(mktemp -d /tmp/tls_bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

# One certificate for both servers (P-256, like rcgen's default).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 30 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null

cargo build --release --bin handspun
taskset -c 0 target/release/handspun serve --addr 127.0.0.1:18443 \
  --tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem" &

mkdir -p "$dir/logs"
body=$(python3 -c "print(''.join(chr(97 + i % 26) for i in range(1024)), end='')")
cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    ssl_session_cache shared:SSL:1m;
    server {
        listen 127.0.0.1:18444 ssl;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;
        location = /mem { default_type text/plain; return 200 "$body"; }
    }
}
CONF
taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" &
sleep 1

for round in $(seq "$rounds"); do
  echo "== round $round: handspun serve --tls-cert"
  taskset -c 1 wrk -t1 -c50 -d10s --latency https://127.0.0.1:18443/bytes/1024
  echo "== round $round: nginx, 1 worker"
  taskset -c 1 wrk -t1 -c50 -d10s --latency https://127.0.0.1:18444/mem
done
