#!/usr/bin/env bash
# Load benchmark of the callback server (issue: callback server, deliverable 7).
#
# Encrypted (safe-mode) echo requests from `wechat simulate --requests N --concurrency 64`
# against `wechat serve --echo` (release build), then against wechatpy 1.8.18 + Flask behind
# gunicorn (2 x cores + 1 sync workers, gunicorn's recommendation), on the same machine with
# the same load generator. Prints requests/s, p50/p99 latency and peak RSS (VmHWM) for both,
# and the ratios. Every request is a distinct message (fresh MsgId), encrypted, and every
# reply is decrypted and checked by the generator.
#
#   scripts/bench_server.sh            # 30000 requests per server
#   REQUESTS=100000 scripts/bench_server.sh
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS="${REQUESTS:-30000}"
CONCURRENCY="${CONCURRENCY:-64}"
TOKEN="benchtoken"
KEY="kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP="wx_bench_app"
OURS_PORT=18090
PY_PORT=18091
VENV="${VENV:-target/bench-venv}"

cargo build --release -q -p wechat-cli
WECHAT=target/release/wechat
sim() {
    "$WECHAT" simulate --url "http://127.0.0.1:$1/wechat" --mode safe --app-id "$APP" --token "$TOKEN" \
        --aes-key "$KEY" --requests "$2" --concurrency "$CONCURRENCY" text "hello, echo bot"
}
hwm_kib() { # peak RSS of a process and its children, KiB
    local total=0
    for p in "$@"; do
        [ -r "/proc/$p/status" ] && total=$((total + $(awk '/VmHWM/ {print $2}' "/proc/$p/status")))
    done
    echo "$total"
}
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "== wechat serve --echo (safe mode), $REQUESTS requests at concurrency $CONCURRENCY"
"$WECHAT" serve --echo --mode safe --app-id "$APP" --token "$TOKEN" --aes-key "$KEY" \
    --addr "127.0.0.1:$OURS_PORT" > /dev/null &
OURS_PID=$!
trap 'kill $OURS_PID 2>/dev/null || true' EXIT
sleep 0.5
sim $OURS_PORT 2000 > /dev/null # warm-up
OURS=$(sim $OURS_PORT "$REQUESTS")
OURS_RSS=$(hwm_kib $OURS_PID)
kill $OURS_PID; wait $OURS_PID 2>/dev/null || true
echo "$OURS"
echo "peak RSS: $((OURS_RSS / 1024)) MiB ($OURS_RSS KiB)"

if [ ! -x "$VENV/bin/gunicorn" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "wechatpy==1.8.18" cryptography flask gunicorn
fi
WORKERS=$(( $(nproc) * 2 + 1 ))
echo "== wechatpy 1.8.18 + Flask + gunicorn ($WORKERS sync workers), same load"
BENCH_TOKEN=$TOKEN BENCH_AES_KEY=$KEY BENCH_APP_ID=$APP "$VENV/bin/gunicorn" -w "$WORKERS" -b "127.0.0.1:$PY_PORT" \
    --chdir scripts/bench wechatpy_echo_app:app --log-level warning &
PY_PID=$!
trap 'kill $PY_PID 2>/dev/null || true' EXIT
sleep 2
sim $PY_PORT 500 > /dev/null # warm-up
PY_REQUESTS=$(( REQUESTS / 10 > 2000 ? REQUESTS / 10 : 2000 ))
PY=$(sim $PY_PORT "$PY_REQUESTS")
PY_RSS=$(hwm_kib $PY_PID $(pgrep -P $PY_PID))
kill $PY_PID; wait $PY_PID 2>/dev/null || true
echo "$PY"
echo "peak RSS: $((PY_RSS / 1024)) MiB ($PY_RSS KiB, master + workers)"

python3 - "$OURS" "$PY" "$OURS_RSS" "$PY_RSS" <<'PY'
import json, sys
ours, py = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ours_rss, py_rss = int(sys.argv[3]), int(sys.argv[4])
for name, r in (("ours", ours), ("wechatpy", py)):
    assert r["ok"] == r["requests"], f"{name}: errors {r['errors']}"
print("== summary")
print(f"requests/s: ours {ours['per_sec']:.0f}, wechatpy {py['per_sec']:.0f} -> {ours['per_sec'] / py['per_sec']:.1f}x (target >= 20x)")
print(f"p99: ours {ours['p99_ms']} ms (target < 5 ms), wechatpy {py['p99_ms']} ms")
print(f"peak RSS: ours {ours_rss / 1024:.1f} MiB (target < 30 MiB), wechatpy {py_rss / 1024:.1f} MiB")
PY
