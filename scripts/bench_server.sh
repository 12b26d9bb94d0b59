#!/usr/bin/env bash
# Load benchmark of the callback server: encrypted echo requests per second, latency and peak
# RSS of `wechat serve --echo` (release build), side by side with wechatpy 1.8.18 + Flask behind
# gunicorn (2 x cores + 1 sync workers, gunicorn's recommendation), on the same machine.
#
# The load is wrk (Debian package `wrk`, installed if missing) replaying distinct safe-mode
# requests written beforehand by `wechat simulate --requests N --emit FILE`: every request is a
# new message (fresh MsgId, nonce, random prefix) with valid signatures, so each one is
# verified, decrypted, parsed, deduplicated, answered, encrypted and signed. Replies are checked
# end to end by `wechat simulate` (with decryption) before the load runs.
#
#   scripts/bench_server.sh                      # 64 connections, 20 s per server
#   CONNECTIONS=64 DURATION=30s scripts/bench_server.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-20s}"
REQUESTS="${REQUESTS:-200000}"
TOKEN="benchtoken"
KEY="kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP="wx_bench_app"
OURS_PORT=18090
PY_PORT=18091
VENV="${VENV:-target/bench-venv}"
REQS="target/bench-requests.txt"

if ! command -v wrk >/dev/null; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get install -y -q wrk || { $sudo apt-get update -q && $sudo apt-get install -y -q wrk; }
fi
cargo build --release -q -p wechat-cli
WECHAT=target/release/wechat
opts=(--mode safe --app-id "$APP" --token "$TOKEN" --aes-key "$KEY")

hwm_kib() { # peak RSS of processes, KiB
    local total=0
    for p in "$@"; do
        [ -r "/proc/$p/status" ] && total=$((total + $(awk '/VmHWM/ {print $2}' "/proc/$p/status")))
    done
    echo "$total"
}

load() { # port -> wrk output
    # Fresh requests for each run, well inside the server's ±300 s timestamp window.
    "$WECHAT" simulate --url "http://127.0.0.1:$1/wechat" "${opts[@]}" --requests "$REQUESTS" --emit "$REQS" \
        text "hello, echo bot"
    "$WECHAT" simulate --url "http://127.0.0.1:$1/wechat" "${opts[@]}" text "check" > /dev/null # checked reply
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/bench/replay.lua "http://127.0.0.1:$1" -- "$REQS" 2
}

echo "== wechat serve --echo (safe mode), wrk -c$CONNECTIONS -d$DURATION"
"$WECHAT" serve --echo "${opts[@]}" --addr "127.0.0.1:$OURS_PORT" > /dev/null &
OURS_PID=$!
trap 'kill $OURS_PID 2>/dev/null || true' EXIT
sleep 0.5
OURS=$(load $OURS_PORT)
OURS_RSS=$(hwm_kib $OURS_PID)
kill $OURS_PID; wait $OURS_PID 2>/dev/null || true
echo "$OURS"
echo "peak RSS: $OURS_RSS KiB"

if [ ! -x "$VENV/bin/gunicorn" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "wechatpy==1.8.18" cryptography flask gunicorn
fi
WORKERS=$(( $(nproc) * 2 + 1 ))
echo "== wechatpy 1.8.18 + Flask + gunicorn ($WORKERS sync workers), same load"
BENCH_TOKEN=$TOKEN BENCH_AES_KEY=$KEY BENCH_APP_ID=$APP "$VENV/bin/gunicorn" -w "$WORKERS" -b "127.0.0.1:$PY_PORT" \
    --chdir scripts/bench wechatpy_echo_app:app --log-level warning --backlog 2048 &
PY_PID=$!
trap 'kill $PY_PID 2>/dev/null || true' EXIT
sleep 2
PY=$(load $PY_PORT)
PY_RSS=$(hwm_kib $PY_PID $(pgrep -P $PY_PID))
kill $PY_PID; wait $PY_PID 2>/dev/null || true
echo "$PY"
echo "peak RSS: $PY_RSS KiB (master + workers)"

python3 - "$OURS" "$PY" "$OURS_RSS" "$PY_RSS" <<'PY'
import re, sys
def parse(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p = {}
    for q in ("50", "99"):
        m = re.search(q + r"%\s+([\d.]+)(us|ms|s)", out)
        p[q] = float(m.group(1)) * unit[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"non-2xx responses: {errors.group(1)}")
    return rps, p
(o_rps, o_p), (y_rps, y_p) = parse(sys.argv[1]), parse(sys.argv[2])
o_rss, y_rss = int(sys.argv[3]) / 1024, int(sys.argv[4]) / 1024
print("== summary")
print(f"requests/s: ours {o_rps:.0f}, wechatpy {y_rps:.0f} -> {o_rps / y_rps:.1f}x (target >= 20x)")
print(f"latency p50/p99: ours {o_p['50']:.2f}/{o_p['99']:.2f} ms (target p99 < 5 ms), wechatpy {y_p['50']:.1f}/{y_p['99']:.1f} ms")
print(f"peak RSS: ours {o_rss:.1f} MiB (target < 30 MiB), wechatpy {y_rss:.1f} MiB")
PY
