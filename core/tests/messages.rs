//! A parse test for every message and event type (mp and WeCom), asserting the typed fields,
//! plus the messy inputs. Samples live in `tests/fixtures/messages/` (see
//! `scripts/gen_message_fixtures.py`); the expected values here are written by hand.

use std::fs;

use wechat_core::message::*;
use wechat_core::xml::Raw;

fn load(path: &str) -> Message {
    let kind = if path.starts_with("mp/") { Kind::Mp } else { Kind::Work };
    let file = format!("{}/tests/fixtures/messages/{path}.xml", env!("CARGO_MANIFEST_DIR"));
    let xml = String::from_utf8(fs::read(&file).unwrap()).unwrap();
    parse_message(&xml, kind).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn mp(name: &str) -> Message {
    load(&format!("mp/{name}"))
}

fn work(name: &str) -> Message {
    load(&format!("work/{name}"))
}

fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn texts(raws: &[Raw], tag: &str) -> Vec<String> {
    raws.iter().map(|r| r.text(tag).unwrap().to_owned()).collect()
}

/// The typed event of a message, or a panic naming what it was instead.
macro_rules! event {
    ($m:expr, $variant:ident) => {
        match &$m.body {
            Body::Event(Event::$variant(e)) => e,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}

/// The typed body of a message.
macro_rules! body {
    ($m:expr, $variant:ident) => {
        match &$m.body {
            Body::$variant(b) => b,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}

fn assert_header(m: &Message, kind: Kind, type_name: &str, event: Option<&str>) {
    assert_eq!(m.kind, kind);
    assert_eq!(m.type_name(), type_name);
    assert_eq!(m.event_key(), event);
}

// ---- mp messages ----------------------------------------------------------------------------

#[test]
fn mp_messages() {
    let m = mp("text");
    assert_header(&m, Kind::Mp, "text", None);
    assert_eq!(
        (m.source.as_str(), m.target.as_str(), m.time),
        ("oUserOpenId123", "gh_0123456789ab", 1348831860)
    );
    assert_eq!((m.id, m.agent), (Some(1234567890123456), None));
    assert_eq!(body!(m, Text).content, s("this is a test"));

    let m = mp("image");
    let b = body!(m, Image);
    assert_eq!(
        (b.media_id.clone(), b.image.clone()),
        (s("media_id_image"), s("http://mmbiz.qpic.cn/pic.jpg"))
    );
    assert_eq!(m.id, Some(1234567890123457));

    let m = mp("voice");
    let b = body!(m, Voice);
    assert_eq!(b.media_id, s("media_id_voice"));
    assert_eq!(b.format, s("amr"));
    assert_eq!(b.recognition, s("腾讯微信团队"));

    let m = mp("shortvideo");
    assert_header(&m, Kind::Mp, "shortvideo", None);
    let b = body!(m, ShortVideo);
    assert_eq!(
        (b.media_id.clone(), b.thumb_media_id.clone()),
        (s("media_id_sv"), s("thumb_sv"))
    );

    let m = mp("video");
    let b = body!(m, Video);
    assert_eq!(
        (b.media_id.clone(), b.thumb_media_id.clone()),
        (s("media_id_video"), s("thumb_video"))
    );

    let m = mp("location");
    let b = body!(m, Location);
    assert_eq!(b.location(), (Some("23.134521"), Some("113.358803")));
    assert_eq!((b.scale.clone(), b.label.clone()), (s("20"), s("位置信息")));

    let m = mp("link");
    let b = body!(m, Link);
    assert_eq!(b.title, s("公众平台官网链接"));
    assert_eq!(b.description, s("公众平台官网链接"));
    assert_eq!(b.url, s("https://mp.weixin.qq.com"));
    assert_eq!(b.pic_url, None);

    let m = mp("miniprogrampage");
    assert_header(&m, Kind::Mp, "miniprogrampage", None);
    let b = body!(m, MiniProgramPage);
    assert_eq!(b.app_id, s("wxappid0123456789"));
    assert_eq!(b.title, s("小程序卡片"));
    assert_eq!(b.page_path, s("pages/index/index?id=1"));
    assert_eq!(b.thumb_url, s("http://mmbiz.qpic.cn/thumb.jpg"));
    assert_eq!(b.thumb_media_id, s("thumb_media_id"));
}

// ---- mp events ------------------------------------------------------------------------------

#[test]
fn mp_subscribe_family() {
    let m = mp("subscribe");
    assert_header(&m, Kind::Mp, "event", Some("subscribe"));
    assert_eq!(event!(m, Subscribe).key, "");
    assert_eq!(m.id, None);
    assert_eq!(event!(mp("subscribe_no_key"), Subscribe).key, "");

    let m = mp("subscribe_scan");
    assert_header(&m, Kind::Mp, "event", Some("subscribe_scan"));
    let e = event!(m, SubscribeScan);
    assert_eq!((e.scene_id.clone(), e.ticket.clone()), (s("123123"), s("TICKET")));
    assert_eq!(
        m.raw.text("EventKey"),
        Some("qrscene_123123"),
        "raw keeps what was sent"
    );

    let m = mp("subscribe_scan_product");
    let e = event!(m, SubscribeScanProduct);
    assert_eq!(e.event_key, s("scanbarcode|ean13|6901481811083"));
    assert_eq!(
        (e.scene.clone(), e.standard.clone(), e.key.clone()),
        (s("scanbarcode"), s("ean13"), s("6901481811083"))
    );
    let m = mp("subscribe_scan_product_image");
    assert_eq!(event!(m, SubscribeScanProduct).scene, s("scanimage"));

    let m = mp("unsubscribe");
    assert_header(&m, Kind::Mp, "event", Some("unsubscribe"));
    let _: &UnsubscribeEvent = event!(m, Unsubscribe);

    let m = mp("scan");
    assert_header(&m, Kind::Mp, "event", Some("scan"));
    let e = event!(m, Scan);
    assert_eq!((e.scene_id.clone(), e.ticket.clone()), (s("SCENE_VALUE"), s("TICKET")));
}

#[test]
fn mp_menu_and_location_events() {
    let e = event!(mp("location_event"), Location).clone();
    assert_eq!(
        (e.latitude, e.longitude, e.precision),
        (23.137466, 113.352425, 119.385040)
    );
    assert_eq!(event!(mp("click"), Click).key, s("EVENTKEY"));
    let m = mp("view");
    let e = event!(m, View);
    assert_eq!(
        (e.url.clone(), e.menu_id.clone()),
        (s("https://www.qq.com/"), s("208396938"))
    );

    for (name, result) in [("scancode_push", "1"), ("scancode_waitmsg", "2")] {
        let m = mp(name);
        assert_eq!(m.event_key(), Some(name));
        let e = match &m.body {
            Body::Event(Event::ScanCodePush(e) | Event::ScanCodeWaitMsg(e)) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(e.key, s("6"));
        assert_eq!(e.scan_type, s("qrcode"));
        assert_eq!(e.scan_result, s(result));
        assert_eq!(e.scan_code_info.as_ref().unwrap().text("ScanResult"), Some(result));
    }

    let m = mp("pic_sysphoto");
    let e = event!(m, PicSysPhoto);
    assert_eq!((e.key.clone(), e.count), (s("6"), Some(1)));
    assert_eq!(texts(&e.pictures, "PicMd5Sum"), ["1b5f7c23b5bf75682a53e7b6d163e185"]);
    assert!(e.pictures_info.is_some());
    let m = mp("pic_photo_or_album");
    let e = event!(m, PicPhotoOrAlbum);
    assert_eq!(e.count, Some(2));
    assert_eq!(
        texts(&e.pictures, "PicMd5Sum"),
        ["5a75aaca956d97be686719218f275c6b", "f95b2b9b3a2b8d7c4f5e6a7b8c9d0e1f"]
    );
    let m = mp("pic_weixin");
    assert_eq!(event!(m, PicWeixin).pictures.len(), 1);

    let m = mp("location_select");
    let e = event!(m, LocationSelect);
    assert_eq!(e.key, s("6"));
    assert_eq!(e.location(), (Some("23"), Some("113")));
    assert_eq!(e.scale, s("15"));
    assert_eq!(e.label, s(" 广州市海珠区客村艺苑路 106号"), "text is kept exactly");
    assert_eq!(e.poiname, s("海珠区客村"));

    let m = mp("view_miniprogram");
    let e = event!(m, ViewMiniProgram);
    assert_eq!(
        (e.page_path.clone(), e.menu_id.clone()),
        (s("pages/index/index"), s("MENUID"))
    );
}

#[test]
fn mp_send_results() {
    let m = mp("masssendjobfinish");
    assert_eq!(m.id, Some(1000001625), "MsgID is the id");
    assert_eq!(m.source, "mphelper");
    let e = event!(m, MassSendJobFinish);
    assert_eq!(e.status, s("send success"));
    assert_eq!(
        (e.total_count, e.filter_count, e.sent_count, e.error_count),
        (100, 80, 75, 5)
    );
    assert_eq!(e.copyright_check_result.as_ref().unwrap().text("CheckState"), Some("0"));
    assert!(e.article_url_result.is_some());

    let m = mp("templatesendjobfinish");
    assert_eq!(m.id, Some(200163836));
    assert_eq!(event!(m, TemplateSendJobFinish).status, s("success"));

    let m = mp("subscribe_msg_popup_event");
    let e = event!(m, SubscribeMsgPopup);
    assert_eq!(texts(&e.subscribes, "SubscribeStatusString"), ["accept", "reject"]);
    assert_eq!(texts(&e.subscribes, "PopupScene"), ["2", "2"]);
    assert_eq!(e.subscribes_info.as_ref().unwrap().len(), 2);
    let m = mp("subscribe_msg_popup_event_single");
    assert_eq!(
        texts(&event!(m, SubscribeMsgPopup).subscribes, "PopupScene"),
        ["1"],
        "one is still a list"
    );
    let m = mp("subscribe_msg_change_event");
    assert_eq!(
        texts(&event!(m, SubscribeMsgChange).subscribes, "SubscribeStatusString"),
        ["reject"]
    );
    let m = mp("subscribe_msg_sent_event");
    let e = event!(m, SubscribeMsgSent);
    assert_eq!(texts(&e.subscribes, "MsgID"), ["1700827132819554304"]);
    assert_eq!(texts(&e.subscribes, "ErrorStatus"), ["success"]);

    let m = mp("publishjobfinish");
    assert_header(&m, Kind::Mp, "event", Some("publishjobfinish"));
    let e = event!(m, PublishJobFinish);
    assert_eq!((e.publish_id, e.publish_status), (Some(2247503051), Some(0)));
    assert_eq!(e.article_id, s("b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4"));
    assert_eq!(e.article_count, Some(2));
    let urls: Vec<_> = e
        .article_detail
        .iter()
        .map(|a| (a.idx, a.article_url.clone()))
        .collect();
    assert_eq!(urls, [(Some(1), s("ARTICLE_URL_1")), (Some(2), s("ARTICLE_URL_2"))]);
    assert!(e.fail_idx.is_empty());
    let m = mp("publishjobfinish_fail");
    let e = event!(m, PublishJobFinish);
    assert_eq!((e.publish_status, e.fail_idx.clone()), (Some(2), vec![1, 2]));
    assert!(e.article_detail.is_empty() && e.article_id.is_none());
}

#[test]
fn mp_card_events() {
    let m = mp("card_pass_check");
    assert_eq!(event!(m, CardPassCheck).card_id, s("pFS7Fjg8kV1IdDz01r4SQwMkuCKc"));
    let m = mp("card_not_pass_check");
    let e = event!(m, CardNotPassCheck);
    assert_eq!(
        (e.card_id.clone(), e.refuse_reason.clone()),
        (s("pFS7Fjg8kV1IdDz01r4SQwMkuCKc"), s("非法代制"))
    );

    let m = mp("user_get_card");
    let e = event!(m, UserGetCard);
    assert_eq!(e.card_id, s("po2VNuCuRo-8sxxxxxxxxxxx"));
    assert_eq!(
        (e.is_given_by_friend, e.is_restore_member_card, e.is_recommend_by_friend),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(
        (e.code.clone(), e.friend.clone(), e.old_code.clone()),
        (s("226009850808"), s(""), s(""))
    );
    assert_eq!((e.outer_id.clone(), e.outer_str.clone()), (s("0"), s("12b")));
    assert_eq!(e.union_id, s("o6_bmasdasdsad6_2sgVt7hMZOPfL"));

    let m = mp("user_gifting_card");
    let e = event!(m, UserGiftingCard);
    assert_eq!(
        (e.card_id.clone(), e.code.clone()),
        (s("p1Pj9jgj3BcomSgtuW8B1wl-wo88"), s("226009850808"))
    );
    assert_eq!((e.is_return_back, e.is_chat_room), (Some(0), Some(0)));
    assert_eq!(e.friend, s("odS7xUJxOwuRh0MJ56wXnRtGH7ug"));

    let m = mp("user_del_card");
    let e = event!(m, UserDelCard);
    assert_eq!(
        (e.card_id.clone(), e.code.clone()),
        (s("pMBqAjmVbSOeyzjcWjn0Sho3Gr-k"), s("12312312"))
    );

    let m = mp("user_consume_card");
    let e = event!(m, UserConsumeCard);
    assert_eq!(
        (e.consume_source.clone(), e.location_name.clone()),
        (s("FROM_API"), s("门店名称"))
    );
    assert_eq!(
        (e.staff.clone(), e.verify_code.clone()),
        (s("oFS7Fjl0WsZ9AMZqrI80nbIq8xrA"), s("VERIFY"))
    );
    assert_eq!(
        (e.remark_amount.clone(), e.outer_str.clone(), e.code.clone()),
        (s("100"), s("xxxxx"), s("12312312"))
    );

    let m = mp("user_pay_from_pay_cell");
    let e = event!(m, UserPayFromPayCell);
    assert_eq!(e.trans_id, s("10022403432015000000000"));
    assert_eq!(
        (e.location_id, e.fee, e.original_fee),
        (Some(291710000), Some(10000), Some(10000))
    );

    let m = mp("user_view_card");
    assert_eq!(event!(m, UserViewCard).outer_str, s("12b"));
    let m = mp("user_enter_session_from_card");
    assert_eq!(event!(m, UserEnterSessionFromCard).code, s("018255396048"));
    let m = mp("update_member_card");
    let e = event!(m, UpdateMemberCard);
    assert_eq!((e.modify_bonus, e.modify_balance), (Some(3), Some(-100)));
    let m = mp("card_sku_remind");
    assert_eq!(event!(m, CardSkuRemind).detail, s("the card's quantity is equal to 0"));

    let m = mp("card_pay_order");
    let e = event!(m, CardPayOrder);
    assert_eq!(
        (e.order_id, e.create_order_time, e.pay_finish_time),
        (Some(404091456), Some(1472549758), Some(0))
    );
    assert_eq!(
        (e.status.clone(), e.description.clone()),
        (s("ORDER_STATUS_FINANCE_SUCC"), s("购买库存"))
    );
    assert_eq!(
        (
            e.free_coin_count,
            e.pay_coin_count,
            e.refund_free_coin_count,
            e.refund_pay_coin_count
        ),
        (Some(200), Some(0), Some(0), Some(0))
    );
    assert_eq!(
        (e.order_type.clone(), e.memo.clone(), e.receipt_info.clone()),
        (s("ORDER_TYPE_SYS_ADD"), s("开通账户奖励"), s(""))
    );

    let m = mp("submit_membercard_user_info");
    let e = event!(m, SubmitMembercardUserInfo);
    assert_eq!(
        (e.card_id.clone(), e.card_code.clone()),
        (s("pbLatjtZ7v1BG_ZnTjbW85GYc_E8"), s("018255396048"))
    );
}

#[test]
fn mp_store_service_and_device_events() {
    let m = mp("merchant_order");
    let e = event!(m, MerchantOrder);
    assert_eq!(
        (e.order_id.clone(), e.order_status),
        (s("13921785048720670451"), Some(2))
    );
    assert_eq!(
        (e.product_id.clone(), e.sku_info.clone()),
        (s("pDF3iY3k4cEFQDoXl7BBPAuGqwsI"), s("10001:1000012;10002:100021"))
    );

    assert_eq!(
        event!(mp("kf_create_session"), KfCreateSession).account,
        s("test1@test")
    );
    assert_eq!(event!(mp("kf_close_session"), KfCloseSession).account, s("test1@test"));
    let m = mp("kf_switch_session");
    let e = event!(m, KfSwitchSession);
    assert_eq!(
        (e.from_account.clone(), e.to_account.clone()),
        (s("test1@test"), s("test2@test"))
    );

    let m = mp("device_text");
    assert_header(&m, Kind::Mp, "event", Some("device_text"));
    assert_eq!(m.msg_type, "device_text");
    let e = event!(m, DeviceText);
    assert_eq!(e.content, s("设备数据 ok"), "base64-decoded");
    assert_eq!(
        (e.device_type.clone(), e.device_id.clone()),
        (s("gh_d3e07d51b513"), s("dev1234abcd"))
    );
    assert_eq!(
        (e.session_id.clone(), e.open_id.clone()),
        (s("9394"), s("oTest_openid"))
    );
    assert_eq!(event!(mp("device_bind"), DeviceBind).content, s("bind"));
    assert_eq!(event!(mp("device_unbind"), DeviceUnbind).content, s("unbind"));
    let m = mp("device_subscribe_status");
    assert_header(&m, Kind::Mp, "event", Some("device_subscribe_status"));
    let e = event!(m, DeviceSubscribeStatus);
    assert_eq!((e.op_type, e.open_id.clone()), (Some(0), s("oTest_openid")));
    assert_eq!(
        event!(mp("device_unsubscribe_status"), DeviceUnsubscribeStatus).op_type,
        Some(1)
    );

    let m = mp("shakearoundusershake");
    let e = event!(m, ShakearoundUserShake);
    let chosen = e.chosen_beacon.as_ref().unwrap();
    assert_eq!(
        (
            chosen.uuid.clone(),
            chosen.major.clone(),
            chosen.minor.clone(),
            chosen.distance
        ),
        (s("121212121212"), s("1111"), s("1111"), Some(0.057))
    );
    let around: Vec<_> = e.around_beacons.iter().map(|b| (b.major.clone(), b.distance)).collect();
    assert_eq!(around, [(s("2222"), Some(166.816)), (s("3333"), Some(15.013))]);
    let m = mp("shakearoundusershake_single");
    assert_eq!(
        event!(m, ShakearoundUserShake).around_beacons.len(),
        1,
        "one beacon is still a list"
    );

    let m = mp("poi_check_notify");
    let e = event!(m, PoiCheckNotify);
    assert_eq!(
        (e.poi_id.clone(), e.uniq_id.clone(), e.result.clone(), e.message.clone()),
        (s("123123"), s("123adb"), s("fail"), s("xxxxxx"))
    );
    let m = mp("wificonnected");
    let e = event!(m, WifiConnected);
    assert_eq!((e.connect_time, e.expire_time), (Some(1444812436), Some(0)));
    assert_eq!(
        (e.vendor_id.clone(), e.shop_id.clone(), e.bssid.clone()),
        (s("3001224419"), s("1234"), s("00:1f:7a:ad:5c:a8"))
    );

    let m = mp("user_enter_tempsession");
    assert_eq!(event!(m, UserEnterTempSession).session_from, s("sessionFrom"));
    let m = mp("wxa_media_check");
    let e = event!(m, WxaMediaCheck);
    assert_eq!((e.is_risky, e.status_code, e.is_valid), (Some(0), Some(0), true));
    assert_eq!(
        (e.extra_info_json.clone(), e.trace_id.clone()),
        (s("{}"), s("967e945cd8a3e458f3c74dcb886068e9"))
    );
    let m = mp("wxa_media_check_risky");
    let e = event!(m, WxaMediaCheck);
    assert_eq!((e.is_risky, e.is_valid), (Some(1), false));
}

#[test]
fn mp_verification_product_and_invoice_events() {
    assert_eq!(
        event!(mp("qualification_verify_success"), QualificationVerifySuccess).expired_time,
        Some(1442401156)
    );
    let m = mp("qualification_verify_fail");
    let e = event!(m, QualificationVerifyFail);
    assert_eq!((e.fail_time, e.fail_reason.clone()), (Some(1442401122), s("by time")));
    assert_eq!(
        event!(mp("naming_verify_success"), NamingVerifySuccess).expired_time,
        Some(1442401093)
    );
    assert_eq!(
        event!(mp("naming_verify_fail"), NamingVerifyFail).fail_time,
        Some(1442401061)
    );
    assert_eq!(event!(mp("annual_renew"), AnnualRenew).expired_time, Some(1442401004));
    assert_eq!(
        event!(mp("verify_expired"), VerifyExpired).expired_time,
        Some(1442400900)
    );

    let m = mp("user_scan_product");
    let e = event!(m, UserScanProduct);
    assert_eq!((e.standard.clone(), e.key.clone()), (s("ean13"), s("6901481811083")));
    assert_eq!(
        (e.country.clone(), e.province.clone(), e.city.clone()),
        (s("中国"), s("广东"), s("广州"))
    );
    assert_eq!((e.sex, e.scene), (Some(1), Some(2)));
    assert_eq!(m.raw.text("ExtInfo"), Some("123"), "untyped elements stay in raw");
    let m = mp("user_scan_product_enter_session");
    assert_eq!(event!(m, UserScanProductEnterSession).key, s("6901481811083"));
    let m = mp("user_scan_product_async");
    assert_eq!(event!(m, UserScanProductAsync).region_code, s("440105"));
    let m = mp("user_scan_product_verify_action");
    let e = event!(m, UserScanProductVerifyAction);
    assert_eq!(
        (e.result.clone(), e.reason.clone()),
        (s("verify_not_pass"), s("请上传商品图片"))
    );

    let m = mp("user_authorize_invoice");
    let e = event!(m, UserAuthorizeInvoice);
    assert_eq!(
        (e.success_order_id.clone(), e.fail_order_id.clone()),
        (s("1202933957956"), s(""))
    );
    assert_eq!(
        (e.app_id.clone(), e.auth_source.clone()),
        (s("wx1234567890abcdef"), s("web"))
    );
    let m = mp("update_invoice_status");
    let e = event!(m, UpdateInvoiceStatus);
    assert_eq!(
        (e.status.clone(), e.card_id.clone(), e.code.clone()),
        (
            s("INVOICE_REIMBURSE_INIT"),
            s("pjZ8Yt1XGILfmTm2VU7c8oLy4ZWo"),
            s("119029832")
        )
    );
    let m = mp("submit_invoice_title");
    let e = event!(m, SubmitInvoiceTitle);
    assert_eq!(
        (e.title.clone(), e.phone.clone(), e.tax_no.clone(), e.addr.clone()),
        (s("某某公司"), s("020-12345678"), s("91440101MA59XXXX"), s("广州市"))
    );
    assert_eq!(
        (e.bank_type.clone(), e.bank_no.clone(), e.attach.clone()),
        (s("招商银行"), s("6225000000000000"), s("附加"))
    );
    assert_eq!(e.title_type, s("InvoiceUserTitleBusinessType"));
}

#[test]
fn mp_user_authorization_events() {
    let m = mp("user_info_modified");
    assert_header(&m, Kind::Mp, "event", Some("user_info_modified"));
    let e = event!(m, UserInfoModified);
    assert_eq!(
        (e.open_id.clone(), e.app_id.clone(), e.revoke_info.clone()),
        (s("owAqB1nqaOYYWl0Ng484G2z5NIwU"), s("wx13974bf780d3dc89"), None)
    );
    let m = mp("user_authorization_revoke");
    assert_eq!(event!(m, UserAuthorizationRevoke).revoke_info, s("205"));
    let m = mp("user_authorization_cancellation");
    let e = event!(m, UserAuthorizationCancellation);
    assert_eq!((e.union_id.clone(), e.plugin_id.clone()), (s("oUnion123"), None));
}

// ---- WeCom ----------------------------------------------------------------------------------

#[test]
fn work_messages() {
    let m = work("text");
    assert_header(&m, Kind::Work, "text", None);
    assert_eq!(
        (m.source.as_str(), m.target.as_str(), m.time),
        ("zhangsan", "ww1234567890abcdef", 1409659813)
    );
    assert_eq!((m.id, m.agent), (Some(1234567890123456), Some(1)));
    assert_eq!(body!(m, Text).content, s("this is a test"));
    assert_eq!(body!(work("image"), Image).image, s("http://wx.qpic.cn/pic.jpg"));
    assert_eq!(body!(work("voice"), Voice).format, s("amr"));
    assert_eq!(body!(work("shortvideo"), ShortVideo).thumb_media_id, s("thumb"));
    assert_eq!(body!(work("video"), Video).media_id, s("media_id"));
    assert_eq!(body!(work("location"), Location).label, s("位置信息"));
    let m = work("link");
    let b = body!(m, Link);
    assert_eq!(
        (b.title.clone(), b.url.clone(), b.pic_url.clone()),
        (s("this is a title!"), s("URL"), s("PIC_URL"))
    );
    assert_eq!(m.agent, Some(1));
}

#[test]
fn work_shared_events() {
    let m = work("subscribe");
    assert_header(&m, Kind::Work, "event", Some("subscribe"));
    assert_eq!((event!(m, Subscribe).key.as_str(), m.agent), ("", Some(1)));
    let _: &UnsubscribeEvent = event!(work("unsubscribe"), Unsubscribe);
    assert_eq!(event!(work("click"), Click).key, s("EVENTKEY"));
    assert_eq!(event!(work("view"), View).url, s("https://work.weixin.qq.com"));
    let e = event!(work("location_event"), Location).clone();
    assert_eq!((e.latitude, e.longitude, e.precision), (23.104105, 113.320107, 65.0));
    assert_eq!(event!(work("scancode_push"), ScanCodePush).scan_result, s("1"));
    assert_eq!(event!(work("scancode_waitmsg"), ScanCodeWaitMsg).scan_type, s("qrcode"));
    assert_eq!(event!(work("pic_sysphoto"), PicSysPhoto).count, Some(1));
    assert_eq!(
        texts(
            &event!(work("pic_photo_or_album"), PicPhotoOrAlbum).pictures,
            "PicMd5Sum"
        ),
        ["a1", "b2"]
    );
    assert_eq!(
        texts(&event!(work("pic_weixin"), PicWeixin).pictures, "PicMd5Sum"),
        ["c3"]
    );
    let m = work("location_select");
    let e = event!(m, LocationSelect);
    assert_eq!((e.location(), e.poiname.clone()), ((Some("23"), Some("113")), s("")));
    let m = work("enter_agent");
    let _: &EnterAgentEvent = event!(m, EnterAgent);
    assert_eq!(m.agent, Some(1));
}

#[test]
fn work_jobs_and_approvals() {
    let m = work("batch_job_result");
    assert_eq!((m.source.as_str(), m.agent), ("sys", None));
    let e = event!(m, BatchJobResult);
    assert_eq!(e.job_id, s("S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4"));
    assert_eq!(
        (e.job_type.clone(), e.err_code, e.err_msg.clone()),
        (s("sync_user"), Some(0), s("ok"))
    );
    assert_eq!(e.batch_job.as_ref().unwrap().len(), 4);
    let m = work("batch_job_result_export");
    let e = event!(m, BatchJobResult);
    assert_eq!(
        (e.job_type.clone(), e.err_code, e.err_msg.clone()),
        (s("export_user"), None, None)
    );

    let m = work("open_approval_change");
    let e = event!(m, OpenApprovalChange);
    assert_eq!(
        (e.third_no.clone(), e.open_sp_name.clone(), e.open_template_id.clone()),
        (s("201806010001"), s("付款"), s("1234567890"))
    );
    assert_eq!(
        (e.open_sp_status, e.apply_time, e.approver_step),
        (Some(1), Some(1527837645), Some(0))
    );
    assert_eq!(
        (e.apply_user_name.clone(), e.apply_user_id.clone()),
        (s("jackiejjwu"), s("1"))
    );
    assert_eq!(
        (e.apply_user_party.clone(), e.apply_user_image.clone()),
        (s("产品部"), s("http://www.qq.com/xxx.png"))
    );
    let node = e.approval_nodes.as_ref().unwrap().map("ApprovalNode").unwrap();
    assert_eq!(
        node.map("Items").unwrap().map("Item").unwrap().text("ItemName"),
        Some("chauvetxiao")
    );
    assert_eq!(
        e.notify_nodes
            .as_ref()
            .unwrap()
            .map("NotifyNode")
            .unwrap()
            .text("ItemUserId"),
        Some("4")
    );

    let m = work("sys_approval_change");
    assert_eq!(m.agent, Some(3010040));
    let e = event!(m, SysApprovalChange);
    assert_eq!(
        (e.sp_no.clone(), e.sp_name.clone(), e.template_id.clone()),
        (
            s("201910220032"),
            s("示例模板"),
            s("Bs5KJ2NKcs9hv4fZYhpBtNjMv7yTJBpwYEyDzQpYp")
        )
    );
    assert_eq!(
        (e.sp_status, e.apply_time, e.statu_change_event),
        (Some(1), Some(1571728713), Some(10))
    );
    assert_eq!(
        (e.apply_user_id.clone(), e.apply_user_party.clone()),
        (s("xiaoming"), s("1"))
    );
    assert_eq!(e.sp_record.len(), 2);
    assert_eq!(texts(&e.notifyer, "UserId"), ["xiaogang"]);
    assert_eq!(texts(&e.comments, "CommentContent"), ["这是备注信息"]);
    let m = work("sys_approval_change_single_record");
    let e = event!(m, SysApprovalChange);
    assert_eq!((e.sp_record.len(), e.notifyer.len(), e.comments.len()), (1, 0, 0));

    let m = work("taskcard_click");
    let e = event!(m, TaskCardClick);
    assert_eq!((e.event_key.clone(), e.task_id.clone()), (s("key111"), s("taskid111")));
}

#[test]
fn work_external_contact_events() {
    let m = work("change_external_contact");
    let e = event!(m, ChangeExternalContact);
    assert_eq!(
        (e.change_type.clone(), e.user_id.clone()),
        (s("add_external_contact"), s("zhangsan"))
    );
    assert_eq!(e.external_user_id, s("woAJ2GCAAAXtWyujaWJHDDGi0mACH71w"));
    assert_eq!(
        (e.state.clone(), e.welcome_code.clone(), e.del_source.clone()),
        (s("teststate"), s("WELCOMECODE"), None)
    );
    let m = work("change_external_contact_del");
    assert_eq!(event!(m, ChangeExternalContact).del_source, s("DELETE_BY_TRANSFER"));
    let m = work("change_external_contact_transfer_fail");
    assert_eq!(event!(m, ChangeExternalContact).fail_reason, s("customer_refused"));

    let m = work("change_external_chat");
    let e = event!(m, ChangeExternalChat);
    assert_eq!(
        (e.chat_id.clone(), e.change_type.clone(), e.update_detail.clone()),
        (s("wrx7HUARsKwGRaQBVKPBTcEyzdHA4HrQ"), s("update"), s("add_member"))
    );
    assert_eq!(
        (e.join_scene.clone(), e.quit_scene.clone(), e.mem_change_cnt.clone()),
        (s("1"), s("0"), s("2"))
    );
    assert_eq!(e.mem_change_list, ["Jack", "Rose"]);
    assert_eq!(
        (e.last_mem_ver.clone(), e.cur_mem_ver.clone()),
        (
            s("9c3f97c2ada667dfb5f6d03308d963e1"),
            s("71217227bbd112ecfe3a49c482195cb4")
        )
    );

    let m = work("change_external_tag");
    let e = event!(m, ChangeExternalTag);
    assert_eq!(
        (e.tag_id.clone(), e.tag_type.clone(), e.change_type.clone()),
        (s("etm7wjCgAA5l8DJb-GaImanYBHqCMNnw"), s("tag"), s("create"))
    );

    let m = work("kf_msg_or_event");
    let e = event!(m, KfMsgOrEvent);
    assert_eq!(
        (e.token.clone(), e.open_kf_id.clone()),
        (s("ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"), s("wkxxxxxxx"))
    );
}

#[test]
fn work_calendar_and_meeting_events() {
    assert_eq!(
        event!(work("modify_calendar"), ModifyCalendar).calendar_id,
        s("wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA")
    );
    assert_eq!(
        event!(work("delete_calendar"), DeleteCalendar).calendar_id,
        s("wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA")
    );
    for (name, m) in [
        ("add_schedule", work("add_schedule")),
        ("modify_schedule", work("modify_schedule")),
        ("delete_schedule", work("delete_schedule")),
    ] {
        assert_eq!(m.event_key(), Some(name));
        let e = match &m.body {
            Body::Event(Event::AddSchedule(e) | Event::ModifySchedule(e) | Event::DeleteSchedule(e)) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (e.calendar_id.clone(), e.schedule_id.clone()),
            (
                s("wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"),
                s("17c7d2bd9f20d652840f72f59e796AAA")
            )
        );
    }
    let m = work("book_meeting_room");
    let e = event!(m, BookMeetingRoom);
    assert_eq!(
        (e.meeting_room_id, e.meeting_id.clone()),
        (Some(1), s("mtebsada6e027c123cbafAAA"))
    );
    assert_eq!(
        event!(work("cancel_meeting_room"), CancelMeetingRoom).meeting_room_id,
        Some(1)
    );
}

#[test]
fn work_change_contact() {
    let m = work("change_contact_create_user");
    assert_header(&m, Kind::Work, "event", Some("change_contact"));
    let e = event!(m, ChangeContact);
    assert_eq!(
        (e.change_type.clone(), e.user_id.clone(), e.name.clone()),
        (s("create_user"), s("zhangsan"), s("张三"))
    );
    assert_eq!(e.department, Some(vec![1, 2, 3]));
    assert_eq!(
        (e.main_department, e.is_leader_in_dept.clone()),
        (Some(1), Some(vec![1, 0, 0]))
    );
    assert_eq!(e.direct_leader, Some(vec!["lisi".to_owned(), "wangwu".to_owned()]));
    assert_eq!(
        (e.position.clone(), e.mobile.clone(), e.gender, e.status),
        (s("产品经理"), s("13800000000"), Some(1), Some(1))
    );
    assert_eq!(
        (e.email.clone(), e.biz_mail.clone()),
        (s("zhangsan@gzdev.com"), s("zhangsan@qyycs2.wecom.work"))
    );
    assert_eq!(
        (e.alias.clone(), e.telephone.clone(), e.address.clone()),
        (s("zhangsan"), s("020-123456"), s("广州市"))
    );
    assert!(e.avatar.as_deref().unwrap().starts_with("http://wx.qlogo.cn/"));
    assert_eq!(texts(&e.ext_attr, "Name"), ["爱好", "卡号"]);
    assert_eq!(
        e.ext_attr[1].map("Web").unwrap().text("Url"),
        Some("https://work.weixin.qq.com")
    );

    let m = work("change_contact_update_user");
    let e = event!(m, ChangeContact);
    assert_eq!(
        (e.new_user_id.clone(), e.department.clone(), e.name.clone()),
        (s("zhangsan001"), Some(vec![1, 2]), None)
    );
    let m = work("change_contact_delete_user");
    assert_eq!(event!(m, ChangeContact).change_type, s("delete_user"));

    let m = work("change_contact_create_party");
    let e = event!(m, ChangeContact);
    assert_eq!(
        (e.id, e.name.clone(), e.parent_id, e.order),
        (Some(2), s("张三"), Some(1), Some(1))
    );
    let m = work("change_contact_update_party");
    let e = event!(m, ChangeContact);
    assert_eq!(
        (e.change_type.clone(), e.parent_id, e.order),
        (s("update_party"), Some(3), None)
    );
    let m = work("change_contact_delete_party");
    assert_eq!(event!(m, ChangeContact).id, Some(2));

    let m = work("change_contact_update_tag");
    let e = event!(m, ChangeContact);
    assert_eq!(e.tag_id, Some(1));
    assert_eq!(e.add_user_items, Some(vec!["zhangsan".to_owned(), "lisi".to_owned()]));
    assert_eq!(e.del_user_items, Some(vec!["zhangsan1".to_owned(), "lisi1".to_owned()]));
    assert_eq!(
        (e.add_party_items.clone(), e.del_party_items.clone()),
        (Some(vec![1, 2]), Some(vec![3, 4]))
    );
}

#[test]
fn work_template_cards_and_living() {
    let m = work("template_card_event");
    assert_header(&m, Kind::Work, "event", Some("template_card_event"));
    let e = event!(m, TemplateCard);
    assert_eq!((e.event_key.clone(), e.task_id.clone()), (s("key111"), s("taskid111")));
    assert_eq!(
        (e.card_type.clone(), e.response_code.clone()),
        (s("vote_interaction"), s("ResponseCode"))
    );
    let picked: Vec<_> = e
        .selected_items
        .iter()
        .map(|i| (i.question_key.clone(), i.option_ids.clone()))
        .collect();
    assert_eq!(
        picked,
        [
            (s("QuestionKey1"), vec!["OptionId1".to_owned(), "OptionId2".to_owned()]),
            (s("QuestionKey2"), vec!["OptionId3".to_owned()])
        ]
    );
    let m = work("template_card_event_button");
    let e = event!(m, TemplateCard);
    assert_eq!(
        (e.card_type.clone(), e.selected_items.len()),
        (s("button_interaction"), 0)
    );

    let m = work("template_card_menu_event");
    let e = event!(m, TemplateCardMenu);
    assert_eq!(
        (
            e.event_key.clone(),
            e.task_id.clone(),
            e.card_type.clone(),
            e.response_code.clone()
        ),
        (s("menu_key"), s("taskid113"), s("text_notice"), s("ResponseCode3"))
    );

    let m = work("living_status_change");
    let e = event!(m, LivingStatusChange);
    assert_eq!(
        (e.living_id.clone(), e.status, m.agent),
        (s("lvXXXXXXXX"), Some(1), Some(1))
    );
}

// ---- messy inputs ---------------------------------------------------------------------------

#[test]
fn cdata_and_escaped_text_are_the_same() {
    let want = s("a <b> & \"c\" 'd' — 中文 😀");
    assert_eq!(body!(mp("messy_text_cdata"), Text).content, want);
    assert_eq!(body!(mp("messy_text_escaped"), Text).content, want);
    assert_eq!(body!(work("messy_text_escaped"), Text).content, want);
    assert_eq!(
        body!(mp("messy_text_mixed_cdata_and_escaped"), Text).content,
        s("a <b> & \"c\" 'd'")
    );
    assert_eq!(body!(mp("messy_char_references"), Text).content, s("中文\ttab\nlf"));
}

#[test]
fn order_declaration_bom_and_layout_do_not_matter() {
    for name in [
        "messy_reordered",
        "messy_bom_declaration",
        "messy_declaration_only",
        "messy_pretty_printed",
    ] {
        let m = mp(name);
        assert_header(&m, Kind::Mp, "text", None);
        assert_eq!(
            (m.source.as_str(), m.target.as_str(), m.time),
            ("oUserOpenId123", "gh_0123456789ab", 1348831860),
            "{name}"
        );
    }
    assert_eq!(body!(mp("messy_reordered"), Text).content, s("reordered"));
    let m = mp("messy_pretty_printed");
    assert_eq!((body!(m, Text).content.clone(), m.id), (s("pretty"), Some(4)));
    assert_eq!(m.raw.len(), 6, "indentation is not an element");

    let m = work("messy_text_bom_reordered");
    assert_header(&m, Kind::Work, "text", None);
    assert_eq!(
        (m.msg_type.as_str(), m.agent, m.id),
        ("text", Some(1000002), Some(u64::MAX))
    );
    assert_eq!((m.source.as_str(), m.time), ("lisi", 1409659813));
    assert_eq!(body!(m, Text).content, s(" 你好\tworld "));
}

#[test]
fn numbers_blank_padded_and_huge() {
    let m = mp("messy_empty_numbers");
    assert_eq!((m.time, m.id), (0, None));
    let m = mp("messy_padded_numbers");
    assert_eq!((m.time, m.id), (1348831860, Some(42)));
    assert_eq!(mp("messy_huge_msgid").id, Some(18446744073709551615));

    let e = event!(mp("messy_location_blank_numbers"), Location).clone();
    assert_eq!(
        (e.latitude, e.longitude, e.precision),
        (0.0, 113.352425, 0.0),
        "wechatpy's 0.0 defaults"
    );
    let m = mp("messy_masssend_blank_counts");
    assert_eq!(m.id, None);
    let e = event!(m, MassSendJobFinish);
    assert_eq!(
        (e.total_count, e.filter_count, e.sent_count, e.error_count),
        (0, 0, 3, 0)
    );
    assert_eq!(event!(mp("messy_card_blank_int"), UserGetCard).is_given_by_friend, None);
    let e = event!(work("messy_location_blank_numbers"), Location).clone();
    assert_eq!((e.latitude, e.longitude, e.precision), (0.0, 0.0, 65.0));
    assert_eq!(work("messy_blank_agent").agent, None);
    assert_eq!(work("messy_subscribe_without_agent").agent, None);
}

#[test]
fn text_is_preserved_exactly() {
    assert_eq!(
        body!(mp("messy_control_characters"), Text).content,
        s("tab\there\nnew line\r\nwindows\u{85}nel\u{2028}ls\u{a0}nbsp\u{200b}zw")
    );
    assert_eq!(body!(mp("messy_padded_text"), Text).content, s("  padded\t "));
    assert_eq!(body!(mp("messy_whitespace_only_text"), Text).content, s(" \t "));
    assert_eq!(body!(mp("messy_empty_text"), Text).content, s(""));
    assert_eq!(body!(mp("messy_self_closing_text"), Text).content, s(""));

    // Control characters that expat rejects (so no wechatpy fixture) are kept too, as is a
    // CR written as a character reference.
    let xml = "<xml><MsgType>text</MsgType><Content>\u{1}a\u{1f}b&#13;\u{7f}</Content></xml>";
    let m = parse_message(xml, Kind::Mp).unwrap();
    assert_eq!(body!(m, Text).content, s("\u{1}a\u{1f}b\r\u{7f}"));
}

#[test]
fn case_padding_and_rewrites() {
    let m = mp("messy_uppercase_type");
    assert_eq!((m.type_name(), m.msg_type.as_str()), ("text", "text"));
    let m = mp("messy_event_case_and_padding");
    assert_eq!(m.event_key(), Some("click"));
    assert_eq!(event!(m, Click).key, s("EVENTKEY"));
    assert_eq!(m.raw.text("Event"), Some(" CLICK "), "raw keeps the original case");
    let m = mp("messy_subscribe_scan_padded");
    assert_eq!(event!(m, SubscribeScan).scene_id, s("99"));
}

#[test]
fn unknown_things_are_kept() {
    let m = mp("messy_unknown_elements");
    assert_eq!(body!(m, Text).content, s("extra"));
    assert_eq!(m.raw.text("Foo"), Some("bar"));
    let nested: Vec<_> = m
        .raw
        .map("Nested")
        .unwrap()
        .all("A")
        .filter_map(|v| v.as_text())
        .collect();
    assert_eq!(nested, ["1", "2"]);

    let m = mp("messy_unknown_type");
    assert_header(&m, Kind::Mp, "unknown", None);
    assert_eq!(
        (m.msg_type.as_str(), m.raw.text("Beam"), m.id),
        ("hologram", Some("on"), Some(13))
    );
    let m = mp("messy_unknown_event");
    assert_header(&m, Kind::Mp, "event", Some("something_new"));
    assert!(matches!(&m.body, Body::Event(Event::Unknown { event }) if event == "something_new"));
    assert_eq!(m.raw.text("Detail"), Some("x"));
    assert_header(&mp("messy_event_without_event"), Kind::Mp, "unknown", None);
    let m = mp("messy_no_header");
    assert_eq!((m.source.as_str(), m.target.as_str(), m.time, m.id), ("", "", 0, None));

    assert_header(&work("messy_unknown_type"), Kind::Work, "unknown", None);
    assert_header(
        &work("messy_unknown_event"),
        Kind::Work,
        "event",
        Some("share_agent_change"),
    );
    assert_header(&work("messy_event_without_event"), Kind::Work, "unknown", None);
    // an mp-only key is not typed for WeCom, and a WeCom-only key not for mp
    let m = work("messy_mp_only_event");
    assert!(matches!(&m.body, Body::Event(Event::Unknown { event }) if event == "scan"));
    let xml = fs::read_to_string(format!(
        "{}/tests/fixtures/messages/work/change_contact_delete_user.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let m = parse_message(&xml, Kind::Mp).unwrap();
    assert!(matches!(&m.body, Body::Event(Event::Unknown { event }) if event == "change_contact"));
    assert_eq!(m.agent, None, "AgentID is a WeCom field");
}

#[test]
fn rejected_inputs_are_typed_errors() {
    let missing = parse_message("<xml><Content>x</Content></xml>", Kind::Mp).unwrap_err();
    assert_eq!(missing.kind(), "missing-element");
    assert!(missing.to_string().contains("MsgType"));
    for bad in [
        "",
        "<xml>",
        "<xml><MsgType>text</MsgType>",
        "not xml",
        "<xml><a></b></xml>",
    ] {
        assert_eq!(
            parse_message(bad, Kind::Work).unwrap_err().kind(),
            "invalid-xml",
            "{bad:?}"
        );
    }
    let bomb = "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><xml><MsgType>&a;</MsgType></xml>";
    assert_eq!(parse_message(bomb, Kind::Mp).unwrap_err().kind(), "invalid-xml");
}

#[test]
fn large_text_is_parsed_whole() {
    let content: String = "企业微信 wechat <&> ".repeat(64 * 1024 / 24);
    let mut escaped = String::new();
    wechat_core::xml::push_escaped(&mut escaped, &content);
    let xml = format!("<xml><MsgType>text</MsgType><Content>{escaped}</Content><MsgId>1</MsgId></xml>");
    let m = parse_message(&xml, Kind::Mp).unwrap();
    assert_eq!(body!(m, Text).content.as_deref(), Some(content.as_str()));
}

#[test]
fn json_uses_wechatpy_names() {
    let m = mp("user_get_card");
    let json = serde_json::to_value(&m.body).unwrap();
    assert_eq!(json["is_given_by_friend"], 0);
    assert_eq!(json["friend"], "");
    assert_eq!(json["union_id"], "o6_bmasdasdsad6_2sgVt7hMZOPfL");
    let json = serde_json::to_value(&work("template_card_event").body).unwrap();
    assert_eq!(json["selected_items"][0]["option_ids"][1], "OptionId2");
    let json = serde_json::to_value(&mp("shakearoundusershake").body).unwrap();
    assert_eq!(json["chosen_beacon"]["distance"], 0.057);
    let json = serde_json::to_value(&mp("messy_unknown_event").body).unwrap();
    assert_eq!(json, serde_json::json!({}));
}

#[test]
fn every_typed_key_is_listed_per_platform() {
    let mp_keys: Vec<_> = Event::known_keys(Kind::Mp).collect();
    let work_keys: Vec<_> = Event::known_keys(Kind::Work).collect();
    assert_eq!(
        mp_keys.len(),
        60 + 4,
        "wechatpy's 60 and publishjobfinish + 3 authorisation events"
    );
    assert_eq!(
        work_keys.len(),
        27 + 4,
        "wechatpy's 27 and change_contact, 2 template-card, living"
    );
    assert!(mp_keys.contains(&"subscribe") && work_keys.contains(&"subscribe"));
    assert!(!work_keys.contains(&"scan") && !mp_keys.contains(&"change_contact"));
}
