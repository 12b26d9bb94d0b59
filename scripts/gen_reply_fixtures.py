#!/usr/bin/env python3
"""Render passive replies with wechatpy; store the inputs and the XML as test fixtures.

The fixtures feed core/tests/replies_wechatpy.rs, which renders the same inputs with
`wechat_core::reply` and compares the strings exactly. CI never runs Python: the JSON output
is committed.

Regenerate (wechatpy 2.0.0a26, which has `wechatpy.work`):

    /work/.venv-wechatpy2/bin/python scripts/gen_reply_fixtures.py

or in any virtualenv:

    pip install 'wechatpy==2.0.0a26' && python scripts/gen_reply_fixtures.py

Output: core/tests/fixtures/replies/wechatpy.json. The run is deterministic (fixed seed, fixed
CreateTime per case), so regenerating with the same wechatpy gives the same file.

Each case holds how the reply was built (`via`): from explicit `fields` plus `source`/`target`
(/`agent` for WeCom), from a parsed `message` (the reply class called with `message=`), or
through `create_reply(reply, message)`. `divergences` lists the wechatpy bugs the port fixes,
so the Rust side knows which documented transformation to apply before comparing:

- `device-base64`: wechatpy base64-encodes device `Content` twice;
- `cdata`: a value contains `]]>`, which wechatpy writes verbatim (breaking the XML).
"""

import json
import os
import random
import sys

import wechatpy
from wechatpy import replies as mp
from wechatpy import parse_message as mp_parse
from wechatpy.work import replies as work
from wechatpy.work import parse_message as work_parse

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "core",
    "tests",
    "fixtures",
    "replies",
    "wechatpy.json",
)

rng = random.Random(20240611)

FIXED = [
    "",
    "hello",
    "中文消息",
    "emoji 😀👍🏽",
    "  leading and trailing  ",
    "line1\nline2\n",
    "tab\there",
    "crlf\r\nline",
    "<b>bold</b> & 'single' \"double\"",
    "&amp; &lt; &#x4e2d;",
    "https://example.com/path?a=1&b=2#frag",
    "]",
    "]]",
    "]]]",
    "<![CDATA[ not closed",
    "a" * 1000,
    "混合 mixed 内容 with 标点，。！？",
    "\u00a0nbsp\u2028ls\u3000ideographic",
]
CDATA_BREAKERS = ["a]]>b", "]]>", "x]]>y]]>z", "]]]]>>"]
ALPHABET = (
    "abcXYZ0189 _-./:?&=#%+<>'\"\t\n"
    "中文字符测试微信公众号企业"
    "éüßñ"
    "😀🎉"
    "]["
)


def rand_text(max_len=24):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, max_len)))


# Whether the case being built may contain `]]>` (one case in five), so that most cases are
# compared byte for byte without any transformation.
allow_cdata = False


def text(cdata_ok=False):
    """A string for a field: a fixed tricky one, a random one, or one with `]]>`."""
    r = rng.random()
    if cdata_ok and allow_cdata and r < 0.3:
        return rng.choice(CDATA_BREAKERS)
    if r < 0.45:
        return rng.choice(FIXED)
    return rand_text()


def media_id():
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") for _ in range(rng.randint(1, 64)))


def ctime():
    return rng.choice([0, 1, 1348831860, 1700000000, 2**32 - 1, 2**63, 2**64 - 1, rng.randint(0, 2**40)])


def agent_id():
    return rng.choice([0, 1, 1000002, 2**31 - 1, 2**53, 2**64 - 1, rng.randint(0, 10**7)])


def contains_cdata_end(value):
    if isinstance(value, str):
        return "]]>" in value
    if isinstance(value, dict):
        return any(contains_cdata_end(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_cdata_end(v) for v in value)
    return False


cases = []


def add(name, module, rtype, via, reply, fields, source=None, target=None, agent=None, message=None, device=False):
    divergences = []
    if device:
        divergences.append("device-base64")
    header = [source, target, fields]
    if contains_cdata_end(header):
        divergences.append("cdata")
    case = {
        "name": name,
        "module": module,
        "type": rtype,
        "via": via,
        "time": reply.time,
        "fields": fields,
        "divergences": divergences,
        "xml": reply.render(),
    }
    if via == "fields":
        case["source"] = source
        case["target"] = target
        if module == "work":
            case["agent"] = agent
    else:
        case["message"] = message
    cases.append(case)


def header_kwargs(module):
    kw = dict(source=text(cdata_ok=True), target=text(cdata_ok=True), time=ctime())
    if module == "work":
        kw["agent"] = agent_id()
    return kw


def build(module, rtype, i):
    """Render one reply of `rtype` from explicit fields."""
    global allow_cdata
    allow_cdata = i % 5 == 4
    cls_mod = mp if module == "mp" else work
    kw = header_kwargs(module)
    device = False
    if rtype == "text":
        fields = {"content": text(cdata_ok=True)}
        reply = cls_mod.TextReply(content=fields["content"], **kw)
    elif rtype == "image":
        fields = {"media_id": rng.choice([media_id(), text(cdata_ok=True)])}
        reply = cls_mod.ImageReply(image=fields["media_id"], **kw)
    elif rtype == "voice":
        fields = {"media_id": rng.choice([media_id(), text(cdata_ok=True)])}
        reply = cls_mod.VoiceReply(voice=fields["media_id"], **kw)
    elif rtype == "video":
        video = {"media_id": media_id()}
        # every subset of the optional children, in turn
        if i & 1:
            video["title"] = text(cdata_ok=True)
        if i & 2:
            video["description"] = text(cdata_ok=True)
        fields = {"video": video}
        reply = cls_mod.VideoReply(video=dict(video), **kw)
    elif rtype == "music":
        music = {"thumb_media_id": media_id()}
        for bit, key in enumerate(["title", "description", "music_url", "hq_music_url"]):
            if i & (1 << bit):
                music[key] = text(cdata_ok=True)
        fields = {"music": music}
        reply = cls_mod.MusicReply(music=dict(music), **kw)
    elif rtype == "news":
        articles = []
        for _ in range(i % 9):
            article = {}
            for key in ["title", "description", "image", "url"]:
                # wechatpy renders a missing key as empty CDATA
                if rng.random() < 0.8:
                    article[key] = text(cdata_ok=True)
            articles.append(article)
        fields = {"articles": articles}
        reply = cls_mod.ArticlesReply(articles=[dict(a) for a in articles], **kw)
    elif rtype == "transfer_customer_service":
        fields = {}
        reply = mp.TransferCustomerServiceReply(**kw)
    elif rtype == "device_text":
        device = True
        fields = {
            "device_type": "gh_" + media_id(),
            "device_id": media_id(),
            "session_id": str(rng.randint(0, 10**9)),
            "content": rng.choice([text(), "hello", ""]),
        }
        reply = mp.DeviceTextReply(**fields, **kw)
    elif rtype == "device_event":
        device = True
        fields = {
            "event": rng.choice(["bind", "unbind", "subscribe_status"]),
            "device_type": "gh_" + media_id(),
            "device_id": media_id(),
            "session_id": str(rng.randint(0, 10**9)),
            "content": rng.choice([text(), "hello", ""]),
        }
        reply = mp.DeviceEventReply(**fields, **kw)
    elif rtype == "device_status":
        fields = {
            "device_type": text(cdata_ok=True),
            "device_id": media_id(),
            "status": rng.choice([0, 1, -1, 2**63 - 1, -(2**63)]),
        }
        reply = mp.DeviceStatusReply(**fields, **kw)
    elif rtype == "hardware":
        fields = {}
        hkw = {}
        if i % 2:
            fields["func_flag"] = rng.choice([0, 1, -5, 2**40])
            hkw["func_flag"] = fields["func_flag"]
        if i % 3:
            fields["hardware"] = {"view": text(cdata_ok=True), "action": text(cdata_ok=True)}
            hkw["hardware"] = dict(fields["hardware"])
        reply = mp.HardwareReply(**hkw, **kw)
    elif rtype == "update_taskcard":
        fields = {"replace_name": text(cdata_ok=True)}
        reply = work.TaskCardReply(replace_name=fields["replace_name"], **kw)
    else:
        raise ValueError(rtype)
    add(
        f"{module}/{rtype}/{i}",
        module,
        rtype,
        "fields",
        reply,
        fields,
        source=kw["source"],
        target=kw["target"],
        agent=kw.get("agent"),
        device=device,
    )


MP_TYPES = {
    "text": 16,
    "image": 6,
    "voice": 6,
    "video": 8,
    "music": 16,
    "news": 18,
    "transfer_customer_service": 2,
    "device_text": 6,
    "device_event": 6,
    "device_status": 5,
    "hardware": 6,
}
WORK_TYPES = {"text": 10, "image": 4, "voice": 4, "video": 8, "news": 18, "update_taskcard": 5}

for rtype, n in MP_TYPES.items():
    for i in range(n):
        build("mp", rtype, i)
for rtype, n in WORK_TYPES.items():
    for i in range(n):
        build("work", rtype, i)

# The empty reply.
cases.append(
    {
        "name": "mp/empty/0",
        "module": "mp",
        "type": "empty",
        "via": "fields",
        "time": 0,
        "fields": {},
        "divergences": [],
        "source": "",
        "target": "",
        "xml": mp.EmptyReply().render(),
    }
)


# Replies built from a parsed message: the header comes from the message.
def cdata(value):
    return f"<![CDATA[{value}]]>"


def message_xml(module, with_agent):
    user = rng.choice(["oUser_" + media_id(), "zhangsan", "用户"])
    account = rng.choice(["gh_" + media_id(), "wwcorp123"])
    xml = (
        f"<xml><ToUserName>{cdata(account)}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
        f"<CreateTime>1348831860</CreateTime><MsgType>{cdata('text')}</MsgType>"
        f"<Content>{cdata('hi')}</Content><MsgId>1234567890123456</MsgId>"
    )
    if with_agent:
        xml += f"<AgentID>{agent_id()}</AgentID>"
    return xml + "</xml>"


def parse(module, xml):
    return mp_parse(xml) if module == "mp" else work_parse(xml)


FROM_MESSAGE = {
    "mp": ["text", "image", "voice", "video", "music", "news", "transfer_customer_service"],
    "work": ["text", "image", "voice", "video", "news", "update_taskcard"],
}
for module, rtypes in FROM_MESSAGE.items():
    cls_mod = mp if module == "mp" else work
    for rtype in rtypes:
        for i in range(3):
            xml = message_xml(module, with_agent=(module == "work" and i != 0))
            msg = parse(module, xml)
            t = ctime()
            if rtype == "text":
                fields = {"content": text()}
                reply = cls_mod.TextReply(message=msg, content=fields["content"], time=t)
            elif rtype == "image":
                fields = {"media_id": media_id()}
                reply = cls_mod.ImageReply(message=msg, image=fields["media_id"], time=t)
            elif rtype == "voice":
                fields = {"media_id": media_id()}
                reply = cls_mod.VoiceReply(message=msg, voice=fields["media_id"], time=t)
            elif rtype == "video":
                fields = {"video": {"media_id": media_id(), "title": text()}}
                reply = cls_mod.VideoReply(message=msg, video=dict(fields["video"]), time=t)
            elif rtype == "music":
                fields = {"music": {"thumb_media_id": media_id(), "music_url": text()}}
                reply = cls_mod.MusicReply(message=msg, music=dict(fields["music"]), time=t)
            elif rtype == "news":
                fields = {"articles": [{"title": text(), "url": text()} for _ in range(i + 1)]}
                reply = cls_mod.ArticlesReply(message=msg, articles=[dict(a) for a in fields["articles"]], time=t)
            elif rtype == "transfer_customer_service":
                fields = {}
                reply = mp.TransferCustomerServiceReply(message=msg, time=t)
            elif rtype == "update_taskcard":
                fields = {"replace_name": text()}
                reply = work.TaskCardReply(message=msg, replace_name=fields["replace_name"], time=t)
            add(f"{module}/{rtype}/message/{i}", module, rtype, "message", reply, fields, message=xml)

# create_reply: a string becomes text, a list becomes news.
for module in ["mp", "work"]:
    cls_mod = mp if module == "mp" else work
    for i in range(6):
        xml = message_xml(module, with_agent=(module == "work" and i % 3 != 0))
        msg = parse(module, xml)
        if i % 2 == 0:
            value = rng.choice([s for s in FIXED if s] + [rand_text() or "x"])
            rtype = "text"
        else:
            value = [{"title": text(), "description": text(), "image": text(), "url": text()} for _ in range(1 + i % 8)]
            rtype = "news"
        reply = cls_mod.create_reply(value if rtype == "text" else [dict(a) for a in value], msg)
        reply.time = ctime()
        add(f"{module}/create_reply/{i}", module, rtype, "create_reply", reply, {"reply": value}, message=xml)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", encoding="utf-8", newline="\n") as f:
    json.dump(
        {
            "generator": "scripts/gen_reply_fixtures.py",
            "wechatpy": wechatpy.__version__,
            "cases": cases,
        },
        f,
        ensure_ascii=False,
        indent=1,
    )
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}", file=sys.stderr)
