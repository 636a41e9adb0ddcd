#!/bin/sh
# Requests per second and p99 latency of `handspun serve` under `wrk -c50`,
# alone and while a greedy client streams /chunked/1073741824?chunk_size=1
# (issue 16, points 1 and 7). docs/benchmarks/http.md, section "A greedy
# client and the operation budget", has the figures and how they were taken.
#
#   cargo build --release
#   benches/greedy_wrk.sh [BINARY] [RUNS] [PORT]
#
# DURATION (environment, default 10s) is the length of each wrk run.
#
# BINARY defaults to target/release/handspun: build the commit before the
# budget into another checkout and pass its binary to compare. Each run
# measures `wrk -t1 -c50 -d$DURATION --latency` on GET /bytes/1024 twice: alone,
# then with the greedy client (a Python socket reading and discarding as fast
# as it can, reconnecting if the stream ends) started a second earlier.
# Prints one line per measurement: mode, run, req/s, p99, wrk's errors line
# if any, and how many bytes the greedy client received during the run.
set -eu

BIN=${1:-target/release/handspun}
RUNS=${2:-3}
PORT=${3:-18570}
DURATION=${DURATION:-10s}
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d /tmp/greedy_wrk.XXXXXX)

"$BIN" serve --addr "127.0.0.1:$PORT" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
GREEDY=
cleanup() {
    [ -n "$GREEDY" ] && kill "$GREEDY" 2>/dev/null || true
    kill "$SERVER" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Wait (bounded) for the server to announce its address.
tries=0
until grep -q "listening on" "$WORK/serve.out" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -gt 100 ] && { echo "serve did not start" >&2; exit 1; }
    sleep 0.1
done

# The greedy client: prints the bytes it received when terminated.
cat >"$WORK/greedy.py" <<PY
import signal, socket, sys
received = 0
def report(*_):
    print(received, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
while True:
    s = socket.create_connection(("127.0.0.1", $PORT))
    s.sendall(b"GET /chunked/1073741824?chunk_size=1 HTTP/1.1\r\nHost: greedy\r\n\r\n")
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        received += len(chunk)
    s.close()
PY

measure() { # mode run
    wrk -t1 -c50 -d"$DURATION" --latency "$URL/bytes/1024" >"$WORK/wrk.out" 2>&1 || true
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")
    errors=$(grep -E "Socket errors|Non-2xx" "$WORK/wrk.out" | tr '\n' ' ' || true)
    printf '%s\trun %s\treq/s %s\tp99 %s\t%s' "$1" "$2" "${rps:-?}" "${p99:-?}" "$errors"
}

echo "binary: $BIN ($("$BIN" --version 2>/dev/null || echo 'no --version'))"
run=1
while [ "$run" -le "$RUNS" ]; do
    measure alone "$run"
    echo
    python3 "$WORK/greedy.py" >"$WORK/greedy.out" &
    GREEDY=$!
    sleep 1
    measure greedy "$run"
    kill "$GREEDY" 2>/dev/null || true
    wait "$GREEDY" 2>/dev/null || true
    GREEDY=
    echo "	greedy received $(cat "$WORK/greedy.out" 2>/dev/null || echo '?') bytes"
    run=$((run + 1))
done
echo "slow polls reported by the server: $(grep -c 'slow poll' "$WORK/serve.err" || true)"
