#!/usr/bin/env python3
"""The encrypted callback pipeline: this SDK against its crypto floor and against wechatpy.

Runs, for a text message whose Content is 1 KiB and 64 KiB (mixed ASCII and Chinese, the
same bytes on both sides):

* ours: `cargo bench -p wechat-core --bench callback` (criterion; see core/benches/callback.rs),
  which measures the handler path (`CallbackHandler::handle` + `Reply::text` + `render` +
  `ReplyContext::respond`), wechatpy's step-for-step path (`decrypt_message` ->
  `parse_message` -> `Reply::text` -> `render` -> `encrypt_message`) and the crypto floor
  (SHA1 + base64 + AES-256-CBC both ways, key schedule prepared once, buffers reused);
* wechatpy 1.8.18: `WeChatCrypto.decrypt_message` -> `parse_message` ->
  `create_reply(msg.content, msg)` -> `render` -> `encrypt_message`, timed with
  `time.perf_counter` (best of several repeats, as `timeit` recommends);

then prints the ratios: pipeline / floor, and wechatpy time / our time (how many times our
throughput is wechatpy's).

Usage (from the repository root):

    python3 scripts/bench_callback.py                 # everything
    python3 scripts/bench_callback.py --no-cargo      # reuse the last criterion results
    python3 scripts/bench_callback.py --quick         # criterion --quick, fewer Python runs

The wechatpy virtualenv is `$WECHATPY_VENV`, else `--venv`, else
`target/bench-venv-wechatpy`; it is created with
`pip install wechatpy==1.8.18 cryptography` when it does not exist. Criterion results are
read from `$CARGO_TARGET_DIR/criterion` (default `target/criterion`). Our figures are
criterion's median; wechatpy's are its best repeat, so the comparison leans towards wechatpy.
"""

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WECHATPY_VERSION = "1.8.18"
SIZES = [(1024, "1KiB"), (65536, "64KiB")]

# Must match core/benches/callback.rs.
TOKEN = "bench_token_7f3a"
KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP_ID = "wx49f0ab532d5d035a"
TIMESTAMP = "1700000000"
NONCE = "1320562132"
PATTERN = "WeChat 微信消息 text, 你好世界! 0123456789 "

# Runs inside the wechatpy virtualenv; prints one JSON object.
WECHATPY_BENCH = textwrap.dedent(
    r'''
    import itertools, json, sys, time
    import wechatpy
    from wechatpy import create_reply, parse_message
    from wechatpy.crypto import PrpCrypto, WeChatCrypto, _get_signature

    TOKEN, KEY, APP_ID, TIMESTAMP, NONCE, PATTERN = json.loads(sys.argv[1])
    budget = float(sys.argv[2])

    def content(n):
        out, size = [], 0
        for ch in itertools.cycle(PATTERN):
            b = len(ch.encode("utf-8"))
            if size + b > n:
                break
            out.append(ch)
            size += b
        return "".join(out) + "x" * (n - size)

    def inbound_xml(text):
        return ("<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\n"
                "<FromUserName><![CDATA[oUpF8uMuAJO_M2pxb1Q9zNjWeS6o]]></FromUserName>\n"
                "<CreateTime>" + TIMESTAMP + "</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n"
                "<Content><![CDATA[" + text + "]]></Content>\n<MsgId>24180000000000001</MsgId>\n</xml>")

    crypto = WeChatCrypto(TOKEN, KEY, APP_ID)
    results = {"version": wechatpy.__version__}
    for size in (1024, 65536):
        text = content(size)
        encrypt = PrpCrypto(crypto.key).encrypt(inbound_xml(text), APP_ID)
        encrypt = encrypt.decode() if isinstance(encrypt, bytes) else encrypt
        body = ("<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\n"
                "<Encrypt><![CDATA[" + encrypt + "]]></Encrypt>\n</xml>")
        signature = _get_signature(TOKEN, TIMESTAMP, NONCE, encrypt)

        def pipeline():
            xml = crypto.decrypt_message(body, signature, TIMESTAMP, NONCE)
            msg = parse_message(xml)
            reply = create_reply(msg.content, msg)
            return crypto.encrypt_message(reply.render(), NONCE, TIMESTAMP)

        # Same answer as ours, modulo the random prefix: the reply echoes the content.
        out = pipeline()
        assert text in parse_message(crypto.decrypt_message(
            out, _get_signature(TOKEN, TIMESTAMP, NONCE, out.split("<![CDATA[")[1].split("]]>")[0]),
            TIMESTAMP, NONCE)).content
        # Calibrate: enough iterations for ~budget/7 seconds per repeat, 7 repeats.
        n, elapsed = 1, 0.0
        while elapsed < 0.05:
            start = time.perf_counter()
            for _ in range(n):
                pipeline()
            elapsed = time.perf_counter() - start
            n *= 2
        n = max(1, int(n / 2 * (budget / 7) / elapsed))
        best = None
        for _ in range(7):
            start = time.perf_counter()
            for _ in range(n):
                pipeline()
            per = (time.perf_counter() - start) / n
            best = per if best is None else min(best, per)
        results[str(size)] = {"seconds": best, "iterations": n, "body_bytes": len(body)}
    print(json.dumps(results))
    '''
)


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if python.exists():
        check = subprocess.run(
            [str(python), "-c", "import wechatpy, cryptography; print(wechatpy.__version__)"],
            capture_output=True,
            text=True,
        )
        if check.returncode == 0 and check.stdout.strip() == WECHATPY_VERSION:
            return python
        print(f"{venv}: wechatpy {WECHATPY_VERSION} missing, installing it", file=sys.stderr)
    else:
        print(f"creating {venv} with wechatpy {WECHATPY_VERSION}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"wechatpy=={WECHATPY_VERSION}", "cryptography"],
        check=True,
    )
    return python


def run_wechatpy(python: Path, budget: float) -> dict:
    args = json.dumps([TOKEN, KEY, APP_ID, TIMESTAMP, NONCE, PATTERN])
    out = subprocess.run(
        [str(python), "-c", WECHATPY_BENCH, args, str(budget)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def run_cargo(quick: bool) -> None:
    cmd = ["cargo", "bench", "-p", "wechat-core", "--bench", "callback", "--", "callback/"]
    if quick:
        cmd.append("--quick")
    print("+ " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, cwd=REPO)


def criterion_median(target_dir: Path, bench: str, size: str) -> float:
    """Criterion's median estimate, in seconds."""
    path = target_dir / "criterion" / "callback" / bench / size / "new" / "estimates.json"
    try:
        estimates = json.loads(path.read_text())
    except FileNotFoundError:
        sys.exit(f"{path} is missing: run without --no-cargo first")
    return estimates["median"]["point_estimate"] / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=None, help="wechatpy virtualenv (default: see above)")
    parser.add_argument("--no-cargo", action="store_true", help="reuse the last criterion results")
    parser.add_argument("--no-wechatpy", action="store_true", help="skip the wechatpy run")
    parser.add_argument("--quick", action="store_true", help="criterion --quick and a shorter wechatpy run")
    args = parser.parse_args()

    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    venv = Path(os.environ.get("WECHATPY_VENV") or args.venv or (REPO / "target" / "bench-venv-wechatpy"))

    wechatpy = None
    if not args.no_wechatpy:
        python = ensure_venv(venv)
        print(f"+ wechatpy {WECHATPY_VERSION} pipeline ({python})", file=sys.stderr)
        wechatpy = run_wechatpy(python, 2.0 if args.quick else 10.0)
    if not args.no_cargo:
        run_cargo(args.quick)

    def us(seconds: float) -> str:
        return f"{seconds * 1e6:10.2f} µs"

    print()
    print(f"{'':8} {'floor':>13} {'handler':>13} {'functions':>13} {'wechatpy':>13}"
          f" {'handler/floor':>14} {'functions/floor':>16} {'wechatpy/handler':>17} {'wechatpy/functions':>19}")
    for size, name in SIZES:
        floor = criterion_median(target_dir, "floor", name)
        handler = criterion_median(target_dir, "handler", name)
        functions = criterion_median(target_dir, "functions", name)
        row = f"{name:8} {us(floor)} {us(handler)} {us(functions)}"
        py = wechatpy[str(size)]["seconds"] if wechatpy else None
        row += " " + (us(py) if py else f"{'-':>13}")
        row += f" {handler / floor:13.2f}x {functions / floor:15.2f}x"
        if py:
            row += f" {py / handler:16.1f}x {py / functions:18.1f}x"
        print(row)
    print()
    print("targets: pipeline/floor <= 1.5x at both sizes; wechatpy/ours >= 15x at 1 KiB")


if __name__ == "__main__":
    main()
