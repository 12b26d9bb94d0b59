"""The same encrypted echo bot with wechatpy 1.8.18 and Flask, served by gunicorn.

Used by scripts/bench_server.sh as the baseline: verify `signature`, decrypt with
`msg_signature`, parse, reply with the same text, encrypt.
"""
import os

from flask import Flask, abort, request
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

TOKEN = os.environ["BENCH_TOKEN"]
AES_KEY = os.environ["BENCH_AES_KEY"]
APP_ID = os.environ["BENCH_APP_ID"]

app = Flask(__name__)
crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)


@app.route("/wechat", methods=["GET", "POST"])
def wechat():
    args = request.args
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    try:
        check_signature(TOKEN, args.get("signature", ""), timestamp, nonce)
    except InvalidSignatureException:
        abort(403)
    if request.method == "GET":
        return args.get("echostr", "")
    try:
        xml = crypto.decrypt_message(request.data, args.get("msg_signature", ""), timestamp, nonce)
    except (InvalidSignatureException, InvalidAppIdException):
        abort(403)
    msg = parse_message(xml)
    text = msg.content if msg.type == "text" else "received a " + msg.type
    return crypto.encrypt_message(create_reply(text, msg).render(), nonce, timestamp)
