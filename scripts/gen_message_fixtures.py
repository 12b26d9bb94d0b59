#!/usr/bin/env python3
"""Generate the pushed-message fixtures and wechatpy's view of each.

Writes, under core/tests/fixtures/messages/:

* ``mp/<name>.xml`` and ``work/<name>.xml``: one sample per official-account and WeCom
  message and event type (the events wechatpy lacks included), plus messy variants (CDATA vs
  entity-escaped text, reordered elements, BOM and XML declaration, blank numbers, the largest
  MsgId, control characters that expat accepts, padding, unknown types and elements). Each
  file holds the exact bytes of the sample.
* ``expected.json``: for every sample, what wechatpy 2.0.0a26 makes of it: ``type``,
  ``event``, ``source``, ``target``, ``time``, ``id``, ``agent`` (WeCom classes that declare
  it) and every field and property the class exposes (``fields``), converted to JSON
  (datetime -> Unix seconds, tuples -> lists). A property that raises is recorded under
  ``errors`` instead; a sample wechatpy cannot parse at all gets ``parse_error``. It also
  records wechatpy's event registries (``wechatpy_event_keys``).

``core/tests/wechatpy_crosscheck.rs`` parses every sample with our parser and compares. CI
never runs Python: the outputs are committed. Regenerate from the repository root with

    /work/.venv-wechatpy2/bin/python scripts/gen_message_fixtures.py

(any Python 3.8+ with ``pip install wechatpy==2.0.0a26`` works). The script refuses other
wechatpy versions, removes stale samples, and is deterministic.
"""

import datetime
import json
import os
import sys

sys.dont_write_bytecode = True

import wechatpy
import wechatpy.events
import wechatpy.work
import wechatpy.work.events
import xmltodict
from wechatpy.fields import FieldDescriptor

WECHATPY_VERSION = "2.0.0.alpha26"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "core", "tests", "fixtures", "messages")

# Attributes every message has; they are compared as Message::source/target/time/id/agent.
COMMON = {"id", "source", "target", "create_time", "time", "agent", "type", "event"}


# ---- XML building -------------------------------------------------------------------------


def T(tag, text):
    """A text element in CDATA, as WeChat writes strings."""
    return f"<{tag}><![CDATA[{text}]]></{tag}>"


def N(tag, value):
    """A plain-text element, as WeChat writes numbers."""
    return f"<{tag}>{value}</{tag}>"


def E(tag, *children):
    """A nested element."""
    return f"<{tag}>{''.join(children)}</{tag}>"


def doc(*children):
    return "<xml>" + "".join(children) + "</xml>"


def mp_head(msg_type, source="oUserOpenId123", time=1348831860):
    return [T("ToUserName", "gh_0123456789ab"), T("FromUserName", source), N("CreateTime", time), T("MsgType", msg_type)]


def mp_event(event, *rest, source="oUserOpenId123"):
    return doc(*mp_head("event", source), T("Event", event), *rest)


def work_head(msg_type, source="zhangsan"):
    return [T("ToUserName", "ww1234567890abcdef"), T("FromUserName", source), N("CreateTime", 1409659813), T("MsgType", msg_type)]


def work_event(event, *rest, source="zhangsan", agent=1):
    agent_el = [N("AgentID", agent)] if agent is not None else []
    return doc(*work_head("event", source), T("Event", event), *rest, *agent_el)


def b64(text):
    import base64

    return base64.b64encode(text.encode("utf-8")).decode("ascii")


# ---- samples ------------------------------------------------------------------------------

MP = {}
WORK = {}

# mp messages (inventory §2.4)
MP["text"] = doc(*mp_head("text"), T("Content", "this is a test"), N("MsgId", 1234567890123456))
MP["image"] = doc(*mp_head("image"), T("PicUrl", "http://mmbiz.qpic.cn/pic.jpg"), T("MediaId", "media_id_image"), N("MsgId", 1234567890123457))
MP["voice"] = doc(*mp_head("voice"), T("MediaId", "media_id_voice"), T("Format", "amr"), T("Recognition", "腾讯微信团队"), N("MsgId", 1234567890123458))
MP["shortvideo"] = doc(*mp_head("shortvideo"), T("MediaId", "media_id_sv"), T("ThumbMediaId", "thumb_sv"), N("MsgId", 1234567890123459))
MP["video"] = doc(*mp_head("video"), T("MediaId", "media_id_video"), T("ThumbMediaId", "thumb_video"), N("MsgId", 1234567890123460))
MP["location"] = doc(*mp_head("location"), N("Location_X", "23.134521"), N("Location_Y", "113.358803"), N("Scale", 20), T("Label", "位置信息"), N("MsgId", 1234567890123461))
MP["link"] = doc(*mp_head("link"), T("Title", "公众平台官网链接"), T("Description", "公众平台官网链接"), T("Url", "https://mp.weixin.qq.com"), N("MsgId", 1234567890123462))
MP["miniprogrampage"] = doc(
    *mp_head("miniprogrampage"),
    T("AppId", "wxappid0123456789"),
    T("Title", "小程序卡片"),
    T("PagePath", "pages/index/index?id=1"),
    T("ThumbUrl", "http://mmbiz.qpic.cn/thumb.jpg"),
    T("ThumbMediaId", "thumb_media_id"),
    N("MsgId", 1234567890123463),
)

# mp events (inventory §2.5)
MP["subscribe"] = mp_event("subscribe", T("EventKey", ""))
MP["subscribe_no_key"] = mp_event("subscribe")
MP["subscribe_scan"] = mp_event("subscribe", T("EventKey", "qrscene_123123"), T("Ticket", "TICKET"))
MP["unsubscribe"] = mp_event("unsubscribe", T("EventKey", ""))
MP["scan"] = mp_event("SCAN", T("EventKey", "SCENE_VALUE"), T("Ticket", "TICKET"))
MP["location_event"] = mp_event("LOCATION", N("Latitude", "23.137466"), N("Longitude", "113.352425"), N("Precision", "119.385040"))
MP["click"] = mp_event("CLICK", T("EventKey", "EVENTKEY"))
MP["view"] = mp_event("VIEW", T("EventKey", "https://www.qq.com/"), N("MenuId", "208396938"))
MP["masssendjobfinish"] = mp_event(
    "MASSSENDJOBFINISH",
    N("MsgID", 1000001625),
    T("Status", "send success"),
    N("TotalCount", 100),
    N("FilterCount", 80),
    N("SentCount", 75),
    N("ErrorCount", 5),
    E("CopyrightCheckResult", N("Count", 0), "<ResultList></ResultList>", N("CheckState", 0)),
    E("ArticleUrlResult", N("Count", 1), E("ResultList", E("item", N("ArticleIdx", 1), T("ArticleUrl", "http://mp.weixin.qq.com/s/abc")))),
    source="mphelper",
)
MP["templatesendjobfinish"] = mp_event("TEMPLATESENDJOBFINISH", N("MsgID", 200163836), T("Status", "success"))
MP["subscribe_msg_popup_event"] = mp_event(
    "subscribe_msg_popup_event",
    E(
        "SubscribeMsgPopupEvent",
        E("List", T("TemplateId", "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc"), T("SubscribeStatusString", "accept"), N("PopupScene", 2)),
        E("List", T("TemplateId", "9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI"), T("SubscribeStatusString", "reject"), N("PopupScene", 2)),
    ),
)
MP["subscribe_msg_popup_event_single"] = mp_event(
    "subscribe_msg_popup_event",
    E("SubscribeMsgPopupEvent", E("List", T("TemplateId", "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc"), T("SubscribeStatusString", "accept"), N("PopupScene", 1))),
)
MP["subscribe_msg_change_event"] = mp_event(
    "subscribe_msg_change_event",
    E("SubscribeMsgChangeEvent", E("List", T("TemplateId", "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc"), T("SubscribeStatusString", "reject"))),
)
MP["subscribe_msg_sent_event"] = mp_event(
    "subscribe_msg_sent_event",
    E(
        "SubscribeMsgSentEvent",
        E("List", T("TemplateId", "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc"), N("MsgID", 1700827132819554304), N("ErrorCode", 0), T("ErrorStatus", "success")),
    ),
)
MP["scancode_push"] = mp_event("scancode_push", T("EventKey", "6"), E("ScanCodeInfo", T("ScanType", "qrcode"), T("ScanResult", "1")))
MP["scancode_waitmsg"] = mp_event("scancode_waitmsg", T("EventKey", "6"), E("ScanCodeInfo", T("ScanType", "qrcode"), T("ScanResult", "2")))
MP["pic_sysphoto"] = mp_event(
    "pic_sysphoto", T("EventKey", "6"), E("SendPicsInfo", N("Count", 1), E("PicList", E("item", T("PicMd5Sum", "1b5f7c23b5bf75682a53e7b6d163e185")))))
MP["pic_photo_or_album"] = mp_event(
    "pic_photo_or_album",
    T("EventKey", "6"),
    E("SendPicsInfo", N("Count", 2), E("PicList", E("item", T("PicMd5Sum", "5a75aaca956d97be686719218f275c6b")), E("item", T("PicMd5Sum", "f95b2b9b3a2b8d7c4f5e6a7b8c9d0e1f")))),
)
MP["pic_weixin"] = mp_event(
    "pic_weixin", T("EventKey", "6"), E("SendPicsInfo", N("Count", 1), E("PicList", E("item", T("PicMd5Sum", "5a75aaca956d97be686719218f275c6b")))))
MP["location_select"] = mp_event(
    "location_select",
    T("EventKey", "6"),
    E("SendLocationInfo", N("Location_X", "23"), N("Location_Y", "113"), N("Scale", "15"), T("Label", " 广州市海珠区客村艺苑路 106号"), T("Poiname", "海珠区客村")),
)
MP["card_pass_check"] = mp_event("card_pass_check", T("CardId", "pFS7Fjg8kV1IdDz01r4SQwMkuCKc"), T("RefuseReason", "非法代制"))
MP["card_not_pass_check"] = mp_event("card_not_pass_check", T("CardId", "pFS7Fjg8kV1IdDz01r4SQwMkuCKc"), T("RefuseReason", "非法代制"))
MP["user_get_card"] = mp_event(
    "user_get_card",
    T("CardId", "po2VNuCuRo-8sxxxxxxxxxxx"),
    N("IsGiveByFriend", 0),
    T("UserCardCode", "226009850808"),
    T("FriendUserName", ""),
    T("OuterId", "0"),
    T("OldUserCardCode", ""),
    T("OuterStr", "12b"),
    N("IsRestoreMemberCard", 0),
    N("IsRecommendByFriend", 0),
    T("UnionId", "o6_bmasdasdsad6_2sgVt7hMZOPfL"),
)
MP["user_gifting_card"] = mp_event(
    "user_gifting_card", T("CardId", "p1Pj9jgj3BcomSgtuW8B1wl-wo88"), T("UserCardCode", "226009850808"), N("IsReturnBack", 0), T("FriendUserName", "odS7xUJxOwuRh0MJ56wXnRtGH7ug"), N("IsChatRoom", 0))
MP["user_del_card"] = mp_event("user_del_card", T("CardId", "pMBqAjmVbSOeyzjcWjn0Sho3Gr-k"), T("UserCardCode", "12312312"))
MP["user_consume_card"] = mp_event(
    "user_consume_card",
    T("CardId", "pMBqAjmVbSOeyzjcWjn0Sho3Gr-k"),
    T("UserCardCode", "12312312"),
    T("ConsumeSource", "FROM_API"),
    T("LocationName", "门店名称"),
    T("StaffOpenId", "oFS7Fjl0WsZ9AMZqrI80nbIq8xrA"),
    T("VerifyCode", "VERIFY"),
    T("RemarkAmount", "100"),
    T("OuterStr", "xxxxx"),
)
MP["user_pay_from_pay_cell"] = mp_event(
    "user_pay_from_pay_cell", T("CardId", "po2VNuCuRo-8sxxxxxxxxxxx"), T("UserCardCode", "38050000000"), T("TransId", "10022403432015000000000"), N("LocationId", 291710000), T("Fee", "10000"), T("OriginalFee", "10000"))
MP["user_view_card"] = mp_event("user_view_card", T("CardId", "pbLatjtZ7v1BG_ZnTjbW85GYc_E8"), T("UserCardCode", "018255396048"), T("OuterStr", "12b"))
MP["user_enter_session_from_card"] = mp_event("user_enter_session_from_card", T("CardId", "pbLatjtZ7v1BG_ZnTjbW85GYc_E8"), T("UserCardCode", "018255396048"))
MP["update_member_card"] = mp_event("update_member_card", T("CardId", "pbLatjtZ7v1BG_ZnTjbW85GYc_E8"), T("UserCardCode", "018255396048"), N("ModifyBonus", 3), N("ModifyBalance", -100))
MP["card_sku_remind"] = mp_event("card_sku_remind", T("CardId", "pFS7Fjg9kqcMOBtl3bFn6hkuZ8uE"), T("Detail", "the card's quantity is equal to 0"))
MP["card_pay_order"] = mp_event(
    "card_pay_order",
    T("OrderId", "404091456"),
    T("Status", "ORDER_STATUS_FINANCE_SUCC"),
    N("CreateOrderTime", 1472549758),
    N("PayFinishTime", 0),
    T("Desc", "购买库存"),
    T("FreeCoinCount", "200"),
    T("PayCoinCount", "0"),
    T("RefundFreeCoinCount", "0"),
    T("RefundPayCoinCount", "0"),
    T("OrderType", "ORDER_TYPE_SYS_ADD"),
    T("Memo", "开通账户奖励"),
    T("ReceiptInfo", ""),
)
MP["submit_membercard_user_info"] = mp_event("submit_membercard_user_info", T("CardId", "pbLatjtZ7v1BG_ZnTjbW85GYc_E8"), T("UserCardCode", "018255396048"))
MP["merchant_order"] = mp_event("merchant_order", T("OrderId", "13921785048720670451"), N("OrderStatus", 2), T("ProductId", "pDF3iY3k4cEFQDoXl7BBPAuGqwsI"), T("SkuInfo", "10001:1000012;10002:100021"))
MP["kf_create_session"] = mp_event("kf_create_session", T("KfAccount", "test1@test"))
MP["kf_close_session"] = mp_event("kf_close_session", T("KfAccount", "test1@test"))
MP["kf_switch_session"] = mp_event("kf_switch_session", T("FromKfAccount", "test1@test"), T("ToKfAccount", "test2@test"))
MP["device_text"] = doc(
    *mp_head("device_text"), T("DeviceType", "gh_d3e07d51b513"), T("DeviceID", "dev1234abcd"), T("SessionID", "9394"), T("Content", b64("设备数据 ok")), T("OpenID", "oTest_openid"))
MP["device_bind"] = doc(
    *mp_head("device_event"), T("Event", "bind"), T("DeviceType", "gh_d3e07d51b513"), T("DeviceID", "dev1234abcd"), T("Content", b64("bind")), T("SessionID", "9394"), T("OpenID", "oTest_openid"))
MP["device_unbind"] = doc(
    *mp_head("device_event"), T("Event", "unbind"), T("DeviceType", "gh_d3e07d51b513"), T("DeviceID", "dev1234abcd"), T("Content", b64("unbind")), T("SessionID", "9394"), T("OpenID", "oTest_openid"))
MP["device_subscribe_status"] = doc(
    *mp_head("device_event"), T("Event", "subscribe_status"), T("DeviceType", "gh_d3e07d51b513"), T("DeviceID", "dev1234abcd"), N("OpType", 0), T("OpenID", "oTest_openid"))
MP["device_unsubscribe_status"] = doc(
    *mp_head("device_event"), T("Event", "unsubscribe_status"), T("DeviceType", "gh_d3e07d51b513"), T("DeviceID", "dev1234abcd"), N("OpType", 1), T("OpenID", "oTest_openid"))
MP["shakearoundusershake"] = mp_event(
    "ShakearoundUserShake",
    E("ChosenBeacon", T("Uuid", "121212121212"), N("Major", 1111), N("Minor", 1111), N("Distance", "0.057")),
    E(
        "AroundBeacons",
        E("AroundBeacon", T("Uuid", "121212121212"), N("Major", 2222), N("Minor", 2222), N("Distance", "166.816")),
        E("AroundBeacon", T("Uuid", "121212121212"), N("Major", 3333), N("Minor", 3333), N("Distance", "15.013")),
    ),
)
MP["shakearoundusershake_single"] = mp_event(
    "ShakearoundUserShake",
    E("ChosenBeacon", T("Uuid", "121212121212"), N("Major", 1111), N("Minor", 1111), N("Distance", "0.057")),
    E("AroundBeacons", E("AroundBeacon", T("Uuid", "121212121212"), N("Major", 2222), N("Minor", 2222), N("Distance", "166.816"))),
)
MP["poi_check_notify"] = mp_event("poi_check_notify", T("UniqId", "123adb"), T("PoiId", "123123"), T("Result", "fail"), T("Msg", "xxxxxx"))
MP["wificonnected"] = mp_event("WifiConnected", N("ConnectTime", 1444812436), N("ExpireTime", 0), T("VendorId", "3001224419"), T("PlaceId", "1234"), T("DeviceNo", "00:1f:7a:ad:5c:a8"))
MP["qualification_verify_success"] = mp_event("qualification_verify_success", N("ExpiredTime", 1442401156))
MP["qualification_verify_fail"] = mp_event("qualification_verify_fail", N("FailTime", 1442401122), T("FailReason", "by time"))
MP["naming_verify_success"] = mp_event("naming_verify_success", N("ExpiredTime", 1442401093))
MP["naming_verify_fail"] = mp_event("naming_verify_fail", N("FailTime", 1442401061), T("FailReason", "by time"))
MP["annual_renew"] = mp_event("annual_renew", N("ExpiredTime", 1442401004))
MP["verify_expired"] = mp_event("verify_expired", N("ExpiredTime", 1442400900))
MP["user_scan_product"] = mp_event(
    "user_scan_product", T("KeyStandard", "ean13"), T("KeyStr", "6901481811083"), T("Country", "中国"), T("Province", "广东"), T("City", "广州"), N("Sex", 1), N("Scene", 2), T("ExtInfo", "123"))
MP["user_scan_product_enter_session"] = mp_event("user_scan_product_enter_session", T("KeyStandard", "ean13"), T("KeyStr", "6901481811083"), T("ExtInfo", "123"))
MP["user_scan_product_async"] = mp_event("user_scan_product_async", T("KeyStandard", "ean13"), T("KeyStr", "6901481811083"), T("ExtInfo", "123"), T("RegionCode", "440105"))
MP["user_scan_product_verify_action"] = mp_event(
    "user_scan_product_verify_action", T("KeyStandard", "ean13"), T("KeyStr", "6901481811083"), T("Result", "verify_not_pass"), T("ReasonMsg", "请上传商品图片"))
MP["subscribe_scan_product"] = mp_event("subscribe", T("EventKey", "scanbarcode|ean13|6901481811083"))
MP["subscribe_scan_product_image"] = mp_event("subscribe", T("EventKey", "scanimage|qrcode|abc"))
MP["user_authorize_invoice"] = mp_event("user_authorize_invoice", T("SuccOrderId", "1202933957956"), T("FailOrderId", ""), T("AppId", "wx1234567890abcdef"), T("Source", "web"))
MP["update_invoice_status"] = mp_event("update_invoice_status", T("Status", "INVOICE_REIMBURSE_INIT"), T("CardId", "pjZ8Yt1XGILfmTm2VU7c8oLy4ZWo"), T("Code", "119029832"))
MP["submit_invoice_title"] = mp_event(
    "submit_invoice_title",
    T("title", "某某公司"),
    T("phone", "020-12345678"),
    T("tax_no", "91440101MA59XXXX"),
    T("addr", "广州市"),
    T("bank_type", "招商银行"),
    T("bank_no", "6225000000000000"),
    T("attach", "附加"),
    T("title_type", "InvoiceUserTitleBusinessType"),
)
MP["user_enter_tempsession"] = mp_event("user_enter_tempsession", T("SessionFrom", "sessionFrom"))
MP["view_miniprogram"] = mp_event("view_miniprogram", T("EventKey", "pages/index/index"), T("MenuId", "MENUID"))
MP["wxa_media_check"] = mp_event("wxa_media_check", N("isrisky", 0), T("extra_info_json", "{}"), T("trace_id", "967e945cd8a3e458f3c74dcb886068e9"), N("status_code", 0))
MP["wxa_media_check_risky"] = mp_event("wxa_media_check", N("isrisky", 1), T("extra_info_json", ""), T("trace_id", "trace2"), N("status_code", 0))

# mp events wechatpy lacks (WeChat's documentation)
MP["publishjobfinish"] = mp_event(
    "PUBLISHJOBFINISH",
    E(
        "PublishEventInfo",
        N("publish_id", 2247503051),
        N("publish_status", 0),
        T("article_id", "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4"),
        E("article_detail", N("count", 2), E("item", N("idx", 1), T("article_url", "ARTICLE_URL_1")), E("item", N("idx", 2), T("article_url", "ARTICLE_URL_2"))),
    ),
    source="oV5CrjpxgaGXNHIQigzNlgLTnwic",
)
MP["publishjobfinish_fail"] = mp_event(
    "PUBLISHJOBFINISH",
    E("PublishEventInfo", N("publish_id", 2247503052), N("publish_status", 2), N("fail_idx", 1), N("fail_idx", 2)),
    source="oV5CrjpxgaGXNHIQigzNlgLTnwic",
)
MP["user_info_modified"] = mp_event("user_info_modified", T("OpenID", "owAqB1nqaOYYWl0Ng484G2z5NIwU"), T("AppID", "wx13974bf780d3dc89"), source="owAqB1v0ahK_Xlc7GshIDdf2yf7E")
MP["user_authorization_revoke"] = mp_event(
    "user_authorization_revoke", T("OpenID", "owAqB1nqaOYYWl0Ng484G2z5NIwU"), T("AppID", "wx13974bf780d3dc89"), T("RevokeInfo", "205"), source="owAqB1v0ahK_Xlc7GshIDdf2yf7E")
MP["user_authorization_cancellation"] = mp_event(
    "user_authorization_cancellation", T("OpenID", "owAqB1nqaOYYWl0Ng484G2z5NIwU"), T("UnionID", "oUnion123"), T("AppID", "wx13974bf780d3dc89"), source="owAqB1v0ahK_Xlc7GshIDdf2yf7E")

# mp messy variants
MESSY_TEXT = 'a <b> & "c" \'d\' — 中文 😀'
ESCAPED = "a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; — &#x4e2d;&#25991; &#128512;"
MP["messy_text_cdata"] = doc(*mp_head("text"), T("Content", MESSY_TEXT), N("MsgId", 1))
MP["messy_text_escaped"] = doc(*mp_head("text"), f"<Content>{ESCAPED}</Content>", N("MsgId", 1))
MP["messy_text_mixed_cdata_and_escaped"] = doc(*mp_head("text"), "<Content>a &lt;b&gt; <![CDATA[& \"c\"]]> 'd'</Content>", N("MsgId", 2))
MP["messy_reordered"] = doc(N("MsgId", 3), T("Content", "reordered"), T("MsgType", "text"), N("CreateTime", 1348831860), T("FromUserName", "oUserOpenId123"), T("ToUserName", "gh_0123456789ab"))
MP["messy_bom_declaration"] = "\ufeff" + '<?xml version="1.0" encoding="utf-8"?>\n' + MP["text"]
MP["messy_declaration_only"] = '<?xml version="1.0"?>' + MP["text"]
MP["messy_pretty_printed"] = "<xml>\n  " + "\n  ".join([*mp_head("text"), T("Content", "pretty"), N("MsgId", 4)]) + "\n</xml>\n"
MP["messy_empty_numbers"] = doc(T("ToUserName", "gh_0123456789ab"), T("FromUserName", "oUserOpenId123"), "<CreateTime></CreateTime>", T("MsgType", "text"), T("Content", "no numbers"), "<MsgId></MsgId>")
MP["messy_padded_numbers"] = doc(T("ToUserName", "gh_0123456789ab"), T("FromUserName", "oUserOpenId123"), N("CreateTime", " 1348831860 "), T("MsgType", "text"), T("Content", "x"), N("MsgId", "\n42\t"))
MP["messy_huge_msgid"] = doc(*mp_head("text"), T("Content", "big id"), N("MsgId", 18446744073709551615))
MP["messy_control_characters"] = doc(*mp_head("text"), T("Content", "tab\there\nnew line\r\nwindows\u0085nel\u2028ls\u00a0nbsp\u200bzw"), N("MsgId", 5))
MP["messy_padded_text"] = doc(*mp_head("text"), T("Content", "  padded\t "), N("MsgId", 6))
MP["messy_whitespace_only_text"] = doc(*mp_head("text"), T("Content", " \t "), N("MsgId", 7))
MP["messy_empty_text"] = doc(*mp_head("text"), "<Content></Content>", N("MsgId", 8))
MP["messy_self_closing_text"] = doc(*mp_head("text"), "<Content/>", N("MsgId", 9))
MP["messy_uppercase_type"] = doc(*mp_head(" TEXT "), T("Content", "upper"), N("MsgId", 10))
MP["messy_unknown_elements"] = doc(*mp_head("text"), T("Content", "extra"), T("Foo", "bar"), E("Nested", N("A", 1), N("A", 2)), N("MsgId", 11))
MP["messy_event_case_and_padding"] = mp_event(" CLICK ", T("EventKey", "EVENTKEY"))
MP["messy_subscribe_scan_padded"] = mp_event("subscribe", T("EventKey", " qrscene_99"), T("Ticket", "T"))
MP["messy_location_blank_numbers"] = mp_event("LOCATION", "<Latitude></Latitude>", N("Longitude", "113.352425"), "<Precision/>")
MP["messy_masssend_blank_counts"] = mp_event("MASSSENDJOBFINISH", "<MsgID></MsgID>", T("Status", "send fail"), "<TotalCount></TotalCount>", N("SentCount", 3))
MP["messy_card_blank_int"] = mp_event("user_get_card", T("CardId", "c1"), "<IsGiveByFriend></IsGiveByFriend>", T("UserCardCode", "1"))
MP["messy_char_references"] = doc(*mp_head("text"), "<Content>&#x4e2d;&#25991;&#9;tab&#10;lf</Content>", N("MsgId", 12))
MP["messy_unknown_type"] = doc(*mp_head("hologram"), T("Beam", "on"), N("MsgId", 13))
MP["messy_unknown_event"] = mp_event("SOMETHING_NEW", T("Detail", "x"))
MP["messy_event_without_event"] = doc(*mp_head("event"), T("EventKey", "k"))
MP["messy_no_header"] = doc(T("MsgType", "text"), T("Content", "only a type"))

# WeCom messages (inventory §3.2)
WORK["text"] = doc(*work_head("text"), T("Content", "this is a test"), N("MsgId", 1234567890123456), N("AgentID", 1))
WORK["image"] = doc(*work_head("image"), T("PicUrl", "http://wx.qpic.cn/pic.jpg"), T("MediaId", "media_id"), N("MsgId", 1234567890123457), N("AgentID", 1))
WORK["voice"] = doc(*work_head("voice"), T("MediaId", "media_id"), T("Format", "amr"), N("MsgId", 1234567890123458), N("AgentID", 1))
WORK["shortvideo"] = doc(*work_head("shortvideo"), T("MediaId", "media_id"), T("ThumbMediaId", "thumb"), N("MsgId", 1234567890123459), N("AgentID", 1))
WORK["video"] = doc(*work_head("video"), T("MediaId", "media_id"), T("ThumbMediaId", "thumb"), N("MsgId", 1234567890123460), N("AgentID", 1))
WORK["location"] = doc(*work_head("location"), N("Location_X", "23.134521"), N("Location_Y", "113.358803"), N("Scale", 20), T("Label", "位置信息"), N("MsgId", 1234567890123461), N("AgentID", 1))
WORK["link"] = doc(
    *work_head("link"), T("Title", "this is a title!"), T("Description", "this is a description!"), T("Url", "URL"), T("PicUrl", "PIC_URL"), N("MsgId", 1234567890123462), N("AgentID", 1))

# WeCom events (inventory §3.3)
WORK["subscribe"] = work_event("subscribe")
WORK["unsubscribe"] = work_event("unsubscribe")
WORK["click"] = work_event("click", T("EventKey", "EVENTKEY"))
WORK["view"] = work_event("view", T("EventKey", "https://work.weixin.qq.com"))
WORK["location_event"] = work_event("LOCATION", N("Latitude", "23.104105"), N("Longitude", "113.320107"), N("Precision", "65.000000"))
WORK["scancode_push"] = work_event("scancode_push", T("EventKey", "6"), E("ScanCodeInfo", T("ScanType", "qrcode"), T("ScanResult", "1")))
WORK["scancode_waitmsg"] = work_event("scancode_waitmsg", T("EventKey", "6"), E("ScanCodeInfo", T("ScanType", "qrcode"), T("ScanResult", "2")))
WORK["pic_sysphoto"] = work_event("pic_sysphoto", T("EventKey", "6"), E("SendPicsInfo", N("Count", 1), E("PicList", E("item", T("PicMd5Sum", "1b5f7c23b5bf75682a53e7b6d163e185")))))
WORK["pic_photo_or_album"] = work_event(
    "pic_photo_or_album", T("EventKey", "6"), E("SendPicsInfo", N("Count", 2), E("PicList", E("item", T("PicMd5Sum", "a1")), E("item", T("PicMd5Sum", "b2")))))
WORK["pic_weixin"] = work_event("pic_weixin", T("EventKey", "6"), E("SendPicsInfo", N("Count", 1), E("PicList", E("item", T("PicMd5Sum", "c3")))))
WORK["location_select"] = work_event(
    "location_select",
    T("EventKey", "6"),
    E("SendLocationInfo", N("Location_X", "23"), N("Location_Y", "113"), N("Scale", "15"), T("Label", "广州市海珠区客村艺苑路 106号"), T("Poiname", "")),
)
WORK["enter_agent"] = work_event("enter_agent", T("EventKey", ""))
WORK["batch_job_result"] = work_event(
    "batch_job_result", E("BatchJob", T("JobId", "S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4"), T("JobType", "sync_user"), N("ErrCode", 0), T("ErrMsg", "ok")), source="sys", agent=None)
WORK["batch_job_result_export"] = work_event("batch_job_result", E("BatchJob", T("JobId", "jobid_export"), T("JobType", "export_user")), source="sys", agent=None)
WORK["open_approval_change"] = work_event(
    "open_approval_change",
    E(
        "ApprovalInfo",
        T("ThirdNo", "201806010001"),
        T("OpenSpName", "付款"),
        T("OpenTemplateId", "1234567890"),
        N("OpenSpStatus", 1),
        N("ApplyTime", 1527837645),
        T("ApplyUserName", "jackiejjwu"),
        T("ApplyUserId", "1"),
        T("ApplyUserParty", "产品部"),
        T("ApplyUserImage", "http://www.qq.com/xxx.png"),
        E(
            "ApprovalNodes",
            E("ApprovalNode", N("NodeStatus", 1), N("NodeAttr", 1), N("NodeType", 1), E("Items", E("Item", T("ItemName", "chauvetxiao"), T("ItemUserId", "3"), N("ItemStatus", 1), N("ItemOpTime", 0)))),
        ),
        E("NotifyNodes", E("NotifyNode", T("ItemName", "jinhuiguo"), T("ItemUserId", "4"))),
        N("approverstep", 0),
    ),
)
WORK["taskcard_click"] = work_event("taskcard_click", T("EventKey", "key111"), T("TaskId", "taskid111"))
WORK["change_external_contact"] = work_event(
    "change_external_contact",
    T("ChangeType", "add_external_contact"),
    T("UserID", "zhangsan"),
    T("ExternalUserID", "woAJ2GCAAAXtWyujaWJHDDGi0mACH71w"),
    T("State", "teststate"),
    T("WelcomeCode", "WELCOMECODE"),
    source="sys",
    agent=None,
)
WORK["change_external_contact_del"] = work_event(
    "change_external_contact", T("ChangeType", "del_external_contact"), T("UserID", "zhangsan"), T("ExternalUserID", "woAJ2GCAAAXtWyujaWJHDDGi0mACH71w"), T("Source", "DELETE_BY_TRANSFER"), source="sys", agent=None)
WORK["change_external_contact_transfer_fail"] = work_event(
    "change_external_contact", T("ChangeType", "transfer_fail"), T("FailReason", "customer_refused"), T("UserID", "zhangsan"), T("ExternalUserID", "woAJ2GCAAAXtWyujaWJHDDGi0mACH71w"), source="sys", agent=None)
WORK["change_external_chat"] = work_event(
    "change_external_chat",
    T("ChatId", "wrx7HUARsKwGRaQBVKPBTcEyzdHA4HrQ"),
    T("ChangeType", "update"),
    T("UpdateDetail", "add_member"),
    N("JoinScene", 1),
    N("QuitScene", 0),
    N("MemChangeCnt", 2),
    E("MemChangeList", T("Item", "Jack"), T("Item", "Rose")),
    T("LastMemVer", "9c3f97c2ada667dfb5f6d03308d963e1"),
    T("CurMemVer", "71217227bbd112ecfe3a49c482195cb4"),
    source="sys",
    agent=None,
)
WORK["change_external_tag"] = work_event("change_external_tag", T("Id", "etm7wjCgAA5l8DJb-GaImanYBHqCMNnw"), T("TagType", "tag"), T("ChangeType", "create"), source="sys", agent=None)
WORK["sys_approval_change"] = work_event(
    "sys_approval_change",
    E(
        "ApprovalInfo",
        N("SpNo", 201910220032),
        T("SpName", "示例模板"),
        N("SpStatus", 1),
        T("TemplateId", "Bs5KJ2NKcs9hv4fZYhpBtNjMv7yTJBpwYEyDzQpYp"),
        N("ApplyTime", 1571728713),
        E("Applyer", T("UserId", "xiaoming"), T("Party", "1")),
        E("SpRecord", N("SpStatus", 1), N("ApproverAttr", 1), E("Details", E("Approver", T("UserId", "xiaohong")), T("Speech", ""), N("SpStatus", 1), N("SpTime", 0))),
        E("SpRecord", N("SpStatus", 1), N("ApproverAttr", 1), E("Details", E("Approver", T("UserId", "xiaogang")), T("Speech", ""), N("SpStatus", 1), N("SpTime", 0))),
        E("Notifyer", T("UserId", "xiaogang")),
        E("Comments", E("CommentUserInfo", T("UserId", "xiaoming")), N("CommentTime", 1571732272), T("CommentContent", "这是备注信息"), T("CommentId", "6750538708562308220")),
        N("StatuChangeEvent", 10),
    ),
    source="sys",
    agent=3010040,
)
WORK["sys_approval_change_single_record"] = work_event(
    "sys_approval_change",
    E(
        "ApprovalInfo",
        N("SpNo", 201910220033),
        T("SpName", "请假"),
        N("SpStatus", 2),
        T("TemplateId", "tpl"),
        N("ApplyTime", 1571728714),
        E("Applyer", T("UserId", "xiaoming"), T("Party", "1")),
        E("SpRecord", N("SpStatus", 2), N("ApproverAttr", 1), E("Details", E("Approver", T("UserId", "xiaohong")), T("Speech", "ok"), N("SpStatus", 2), N("SpTime", 1571732272))),
        N("StatuChangeEvent", 2),
    ),
    source="sys",
    agent=3010040,
)
WORK["kf_msg_or_event"] = work_event("kf_msg_or_event", T("Token", "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"), T("OpenKfId", "wkxxxxxxx"), source="sys", agent=None)
WORK["modify_calendar"] = work_event("modify_calendar", T("CalId", "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"), source="sys", agent=None)
WORK["delete_calendar"] = work_event("delete_calendar", T("CalId", "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"), source="sys", agent=None)
WORK["add_schedule"] = work_event("add_schedule", T("CalId", "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"), T("ScheduleId", "17c7d2bd9f20d652840f72f59e796AAA"), source="sys", agent=None)
WORK["modify_schedule"] = work_event("modify_schedule", T("CalId", "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"), T("ScheduleId", "17c7d2bd9f20d652840f72f59e796AAA"), source="sys", agent=None)
WORK["delete_schedule"] = work_event("delete_schedule", T("CalId", "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"), T("ScheduleId", "17c7d2bd9f20d652840f72f59e796AAA"), source="sys", agent=None)
WORK["book_meeting_room"] = work_event("book_meeting_room", N("MeetingRoomId", 1), T("MeetingId", "mtebsada6e027c123cbafAAA"), source="sys", agent=None)
WORK["cancel_meeting_room"] = work_event("cancel_meeting_room", N("MeetingRoomId", 1), T("MeetingId", "mtebsada6e027c123cbafAAA"), source="sys", agent=None)

# WeCom events wechatpy lacks (WeCom's documentation)
WORK["change_contact_create_user"] = work_event(
    "change_contact",
    "<ChangeType>create_user</ChangeType>",
    T("UserID", "zhangsan"),
    T("Name", "张三"),
    T("Department", "1,2,3"),
    N("MainDepartment", 1),
    T("IsLeaderInDept", "1,0,0"),
    T("DirectLeader", "lisi,wangwu"),
    T("Position", "产品经理"),
    N("Mobile", "13800000000"),
    N("Gender", 1),
    T("Email", "zhangsan@gzdev.com"),
    T("BizMail", "zhangsan@qyycs2.wecom.work"),
    N("Status", 1),
    T("Avatar", "http://wx.qlogo.cn/mmopen/ajNVdqHZLLA3WJ6DSZUfiakYe37PKnQhBIeOQBO4czqrnZDS79FH5Wm5m4X69TBicnHFlhiafvDwklOpZeXYQQ2icg/0"),
    T("Alias", "zhangsan"),
    T("Telephone", "020-123456"),
    T("Address", "广州市"),
    E("ExtAttr", E("Item", T("Name", "爱好"), N("Type", 0), E("Text", T("Value", "旅游"))), E("Item", T("Name", "卡号"), N("Type", 1), E("Web", T("Title", "企业微信"), T("Url", "https://work.weixin.qq.com")))),
    source="sys",
    agent=None,
)
WORK["change_contact_update_user"] = work_event(
    "change_contact", T("ChangeType", "update_user"), T("UserID", "zhangsan"), T("NewUserID", "zhangsan001"), T("Department", "1,2"), T("IsLeaderInDept", "1,0"), source="sys", agent=None)
WORK["change_contact_delete_user"] = work_event("change_contact", T("ChangeType", "delete_user"), T("UserID", "zhangsan"), source="sys", agent=None)
WORK["change_contact_create_party"] = work_event("change_contact", T("ChangeType", "create_party"), N("Id", 2), T("Name", "张三"), T("ParentId", "1"), N("Order", 1), source="sys", agent=None)
WORK["change_contact_update_party"] = work_event("change_contact", T("ChangeType", "update_party"), N("Id", 2), T("Name", "李四"), N("ParentId", 3), source="sys", agent=None)
WORK["change_contact_delete_party"] = work_event("change_contact", T("ChangeType", "delete_party"), N("Id", 2), source="sys", agent=None)
WORK["change_contact_update_tag"] = work_event(
    "change_contact",
    T("ChangeType", "update_tag"),
    N("TagId", 1),
    T("AddUserItems", "zhangsan,lisi"),
    T("DelUserItems", "zhangsan1,lisi1"),
    T("AddPartyItems", "1,2"),
    T("DelPartyItems", "3,4"),
    source="sys",
    agent=None,
)
WORK["template_card_event"] = work_event(
    "template_card_event",
    T("EventKey", "key111"),
    T("TaskId", "taskid111"),
    T("CardType", "vote_interaction"),
    T("ResponseCode", "ResponseCode"),
    E(
        "SelectedItems",
        E("SelectedItem", T("QuestionKey", "QuestionKey1"), E("OptionIds", T("OptionId", "OptionId1"), T("OptionId", "OptionId2"))),
        E("SelectedItem", T("QuestionKey", "QuestionKey2"), E("OptionIds", T("OptionId", "OptionId3"))),
    ),
)
WORK["template_card_event_button"] = work_event(
    "template_card_event", T("EventKey", "button_key"), T("TaskId", "taskid112"), T("CardType", "button_interaction"), T("ResponseCode", "ResponseCode2"))
WORK["template_card_menu_event"] = work_event(
    "template_card_menu_event", T("EventKey", "menu_key"), T("TaskId", "taskid113"), T("CardType", "text_notice"), T("ResponseCode", "ResponseCode3"))
WORK["living_status_change"] = work_event("living_status_change", T("LivingId", "lvXXXXXXXX"), N("Status", 1))

# WeCom messy variants
WORK["messy_text_bom_reordered"] = "\ufeff" + '<?xml version="1.0" encoding="UTF-8"?>\n' + doc(
    N("AgentID", " 1000002 "), T("Content", " 你好\tworld "), T("MsgType", "Text"), N("MsgId", 18446744073709551615), N("CreateTime", 1409659813), T("FromUserName", "lisi"), T("ToUserName", "ww1234567890abcdef"))
WORK["messy_text_escaped"] = doc(*work_head("text"), f"<Content>{ESCAPED}</Content>", N("MsgId", 1), N("AgentID", 1))
WORK["messy_subscribe_without_agent"] = work_event("subscribe", agent=None)
WORK["messy_blank_agent"] = doc(*work_head("text"), T("Content", "x"), N("MsgId", 2), "<AgentID></AgentID>")
WORK["messy_location_blank_numbers"] = work_event("LOCATION", "<Latitude></Latitude>", "<Longitude/>", N("Precision", "65.000000"))
WORK["messy_unknown_type"] = doc(*work_head("miniprogrampage"), T("AppId", "wx"), N("MsgId", 3), N("AgentID", 1))
WORK["messy_unknown_event"] = work_event("share_agent_change")
WORK["messy_event_without_event"] = doc(*work_head("event"), N("AgentID", 1))
WORK["messy_mp_only_event"] = work_event("SCAN", T("EventKey", "1"))


# ---- wechatpy's view ----------------------------------------------------------------------

SHADOWED = {("work", "batch_job_result"): wechatpy.work.events.BatchJobResultEvent}


def jsonable(value):
    if isinstance(value, datetime.datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot record {type(value).__name__}: {value!r}")


def attribute_names(cls):
    """Every public field and property of a wechatpy message class."""
    names = set()
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if name.startswith("_") or name in COMMON:
                continue
            if isinstance(value, (FieldDescriptor, property)):
                names.add(name)
    return sorted(names)


def describe(kind, xml):
    parse = wechatpy.parse_message if kind == "mp" else wechatpy.work.parse_message
    try:
        message = parse(xml)
    except Exception as e:  # noqa: BLE001 - recorded, compared by the Rust test
        return {"parse_error": f"{type(e).__name__}: {e}"}
    cls = type(message)
    out = {
        "class": cls.__name__,
        "type": message.type,
        "event": getattr(message, "event", None) if message.type == "event" else None,
        "source": message.source,
        "target": message.target,
        "time": message.time,
        "id": message.id,
    }
    if kind == "work" and "agent" in cls._fields:
        out["agent"] = message.agent
    fields, errors = {}, {}
    for name in attribute_names(cls):
        try:
            fields[name] = jsonable(getattr(message, name))
        except Exception as e:  # noqa: BLE001 - recorded, compared by the Rust test
            errors[name] = f"{type(e).__name__}: {e}"
    # wechatpy registers BatchJobResultEvent and ExportEvent under the same key; the second
    # shadows the first. Record the shadowed class's extra properties too (we carry both).
    shadowed = SHADOWED.get((kind, out["event"]))
    if shadowed is not None:
        out["shadowed_class"] = shadowed.__name__
        twin = shadowed(xmltodict.parse(xml)["xml"])
        for name in attribute_names(shadowed):
            if name in fields or name in errors:
                continue
            try:
                fields[name] = jsonable(getattr(twin, name))
            except Exception as e:  # noqa: BLE001 - recorded, compared by the Rust test
                errors[name] = f"{type(e).__name__}: {e}"
    out["fields"] = fields
    if errors:
        out["errors"] = errors
    return out


def main():
    if wechatpy.__version__ != WECHATPY_VERSION:
        sys.exit(f"wechatpy {WECHATPY_VERSION} is required, found {wechatpy.__version__}")
    expected = {}
    for kind, samples in (("mp", MP), ("work", WORK)):
        directory = os.path.join(OUT, kind)
        os.makedirs(directory, exist_ok=True)
        for stale in os.listdir(directory):
            if stale.endswith(".xml") and stale[:-4] not in samples:
                os.remove(os.path.join(directory, stale))
        for name, xml in sorted(samples.items()):
            path = f"{kind}/{name}.xml"
            with open(os.path.join(OUT, path), "wb") as f:
                f.write(xml.encode("utf-8"))
            expected[path] = {"kind": kind, **describe(kind, xml)}
    registries = {
        "mp": sorted(wechatpy.events.EVENT_TYPES),
        "work": sorted(wechatpy.work.events.EVENT_TYPES),
    }
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(
            {"wechatpy": wechatpy.__version__, "wechatpy_event_keys": registries, "samples": expected},
            f,
            ensure_ascii=False,
            indent=1,
            sort_keys=True,
        )
        f.write("\n")
    print(f"wrote {len(expected)} samples to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
