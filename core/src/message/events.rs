//! Events: mp §2.5 and WeCom §3.3 of the inventory, plus newer events WeChat documents.
//!
//! The [`Event`] enum is declared by one table: the lowercase event key (after wechatpy's
//! rewrites), the platforms it is valid on, the variant and its typed struct. Events that exist
//! on both platforms share one struct. Field names are wechatpy's attribute names; events
//! wechatpy lacks use snake_case names derived from the XML tags, and say which page of
//! WeChat's documentation they come from.

use alloc::string::String;
use alloc::vec::Vec;

use super::Kind;
use super::fields::*;
use super::typed;
use super::work_events::*;
use crate::xml::Raw;

/// Declares the [`Event`] enum from a table of `"key" [kinds] => Variant(Type)`.
macro_rules! events {
    ($( $(#[$meta:meta])* $key:literal [$($kind:ident)|+] => $variant:ident($ty:ident) ),* $(,)?) => {
        /// A typed event. The variant is chosen by the lowercase event key (after wechatpy's
        /// rewrites); events unknown to this version, or not valid on the platform the
        /// message was parsed for, are [`Event::Unknown`].
        // Variants are inline (not boxed): a message is parsed and handled one at a time, and
        // its raw tree already dwarfs the enum, so an extra allocation would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $( $(#[$meta])* $variant($ty), )*
            /// An event this version does not know (or not for this platform); its elements
            /// are in `Message::raw`.
            Unknown {
                /// The lowercase event key.
                event: String,
            },
        }

        impl Event {
            /// Dispatches an event key for a platform.
            pub(crate) fn parse(kind: Kind, key: &str, raw: &Raw) -> Event {
                match key {
                    $( $key if matches!(kind, $(Kind::$kind)|+) => Event::$variant($ty::from_raw(raw)), )*
                    _ => Event::Unknown { event: String::from(key) },
                }
            }

            /// The lowercase event key (`subscribe`, `subscribe_scan`, `click`, ...).
            pub fn key(&self) -> &str {
                match self {
                    $( Event::$variant(_) => $key, )*
                    Event::Unknown { event } => event,
                }
            }

            /// Every event key this version types for a platform, in table order.
            pub fn known_keys(kind: Kind) -> impl Iterator<Item = &'static str> {
                const TABLE: &[(&str, &[Kind])] = &[ $( ($key, &[$(Kind::$kind),+]), )* ];
                TABLE
                    .iter()
                    .filter(move |(_, kinds)| kinds.contains(&kind))
                    .map(|(key, _)| *key)
            }
        }

        impl serde::Serialize for Event {
            /// The typed fields, keyed by wechatpy attribute name (`{}` for unknown events).
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                match self {
                    $( Event::$variant(e) => e.serialize(s), )*
                    Event::Unknown { .. } => s.serialize_map(Some(0))?.end(),
                }
            }
        }
    };
}

events! {
    // ---- both platforms -------------------------------------------------------------------
    /// `subscribe`: a user followed the account (WeCom: a member followed the agent).
    "subscribe" [Mp | Work] => Subscribe(SubscribeEvent),
    /// `unsubscribe`.
    "unsubscribe" [Mp | Work] => Unsubscribe(UnsubscribeEvent),
    /// `CLICK`: a menu button that pulls a message.
    "click" [Mp | Work] => Click(ClickEvent),
    /// `VIEW`: a menu button that opens a URL.
    "view" [Mp | Work] => View(ViewEvent),
    /// `LOCATION`: the user's location, reported on entering the session.
    "location" [Mp | Work] => Location(LocationEvent),
    /// `scancode_push`: the menu's scan-code button.
    "scancode_push" [Mp | Work] => ScanCodePush(ScanCodeEvent),
    /// `scancode_waitmsg`: the menu's scan-code button with a "receiving" prompt.
    "scancode_waitmsg" [Mp | Work] => ScanCodeWaitMsg(ScanCodeEvent),
    /// `pic_sysphoto`: the menu's camera button.
    "pic_sysphoto" [Mp | Work] => PicSysPhoto(PictureEvent),
    /// `pic_photo_or_album`: the menu's camera-or-album button.
    "pic_photo_or_album" [Mp | Work] => PicPhotoOrAlbum(PictureEvent),
    /// `pic_weixin`: the menu's WeChat-album button.
    "pic_weixin" [Mp | Work] => PicWeixin(PictureEvent),
    /// `location_select`: the menu's location-picker button.
    "location_select" [Mp | Work] => LocationSelect(LocationSelectEvent),

    // ---- official accounts ----------------------------------------------------------------
    /// `subscribe` through a parametric QR code (`EventKey` `qrscene_…`).
    "subscribe_scan" [Mp] => SubscribeScan(SubscribeScanEvent),
    /// `SCAN`: an existing follower scanned a parametric QR code.
    "scan" [Mp] => Scan(ScanEvent),
    /// `MASSSENDJOBFINISH`: the result of a mass send.
    "masssendjobfinish" [Mp] => MassSendJobFinish(MassSendJobFinishEvent),
    /// `TEMPLATESENDJOBFINISH`: the result of a template message.
    "templatesendjobfinish" [Mp] => TemplateSendJobFinish(TemplateSendJobFinishEvent),
    /// `subscribe_msg_popup_event`: the user answered a subscription-message pop-up.
    "subscribe_msg_popup_event" [Mp] => SubscribeMsgPopup(SubscribeMsgPopupEvent),
    /// `subscribe_msg_change_event`: the user changed subscription-message settings.
    "subscribe_msg_change_event" [Mp] => SubscribeMsgChange(SubscribeMsgChangeEvent),
    /// `subscribe_msg_sent_event`: the result of sending a subscription message.
    "subscribe_msg_sent_event" [Mp] => SubscribeMsgSent(SubscribeMsgSentEvent),
    /// `card_pass_check`: a card passed review.
    "card_pass_check" [Mp] => CardPassCheck(CardPassCheckEvent),
    /// `card_not_pass_check`: a card failed review.
    "card_not_pass_check" [Mp] => CardNotPassCheck(CardNotPassCheckEvent),
    /// `user_get_card`: a user received a card.
    "user_get_card" [Mp] => UserGetCard(UserGetCardEvent),
    /// `user_gifting_card`: a user gave a card to a friend.
    "user_gifting_card" [Mp] => UserGiftingCard(UserGiftingCardEvent),
    /// `user_del_card`: a user deleted a card.
    "user_del_card" [Mp] => UserDelCard(UserDeleteCardEvent),
    /// `user_consume_card`: a card was redeemed.
    "user_consume_card" [Mp] => UserConsumeCard(UserConsumeCardEvent),
    /// `user_pay_from_pay_cell`: a user paid through a card's pay cell.
    "user_pay_from_pay_cell" [Mp] => UserPayFromPayCell(UserPayFromPayCellEvent),
    /// `user_view_card`: a user opened a member card.
    "user_view_card" [Mp] => UserViewCard(UserViewCardEvent),
    /// `user_enter_session_from_card`: a user entered the session from a card.
    "user_enter_session_from_card" [Mp] => UserEnterSessionFromCard(UserEnterSessionFromCardEvent),
    /// `update_member_card`: a member card's bonus or balance changed.
    "update_member_card" [Mp] => UpdateMemberCard(UpdateMemberCardEvent),
    /// `card_sku_remind`: a card's stock is low.
    "card_sku_remind" [Mp] => CardSkuRemind(CardSkuRemindEvent),
    /// `card_pay_order`: a coin order changed.
    "card_pay_order" [Mp] => CardPayOrder(CardPayOrderEvent),
    /// `submit_membercard_user_info`: a user activated a member card.
    "submit_membercard_user_info" [Mp] => SubmitMembercardUserInfo(SubmitMembercardUserInfoEvent),
    /// `merchant_order`: a WeChat store order.
    "merchant_order" [Mp] => MerchantOrder(MerchantOrderEvent),
    /// `kf_create_session`: customer service picked up a session.
    "kf_create_session" [Mp] => KfCreateSession(KfSessionEvent),
    /// `kf_close_session`: customer service closed a session.
    "kf_close_session" [Mp] => KfCloseSession(KfSessionEvent),
    /// `kf_switch_session`: a session moved to another customer-service account.
    "kf_switch_session" [Mp] => KfSwitchSession(KfSwitchSessionEvent),
    /// `device_text` (`MsgType` `device_text`): a device sent data.
    "device_text" [Mp] => DeviceText(DeviceEvent),
    /// `device_bind` (`MsgType` `device_event`, `Event` `bind`).
    "device_bind" [Mp] => DeviceBind(DeviceEvent),
    /// `device_unbind` (`MsgType` `device_event`, `Event` `unbind`).
    "device_unbind" [Mp] => DeviceUnbind(DeviceEvent),
    /// `device_subscribe_status` (`MsgType` `device_event`, `Event` `subscribe_status`).
    "device_subscribe_status" [Mp] => DeviceSubscribeStatus(DeviceStatusEvent),
    /// `device_unsubscribe_status` (`MsgType` `device_event`, `Event` `unsubscribe_status`).
    "device_unsubscribe_status" [Mp] => DeviceUnsubscribeStatus(DeviceStatusEvent),
    /// `ShakearoundUserShake`: a user shook near beacons.
    "shakearoundusershake" [Mp] => ShakearoundUserShake(ShakearoundUserShakeEvent),
    /// `poi_check_notify`: a store (POI) review result.
    "poi_check_notify" [Mp] => PoiCheckNotify(PoiCheckNotifyEvent),
    /// `WifiConnected`: a user connected to shop Wi-Fi.
    "wificonnected" [Mp] => WifiConnected(WifiConnectedEvent),
    /// `qualification_verify_success`: qualification verification passed.
    "qualification_verify_success" [Mp] => QualificationVerifySuccess(VerifyExpiryEvent),
    /// `qualification_verify_fail`: qualification verification failed.
    "qualification_verify_fail" [Mp] => QualificationVerifyFail(VerifyFailEvent),
    /// `naming_verify_success`: name verification passed.
    "naming_verify_success" [Mp] => NamingVerifySuccess(VerifyExpiryEvent),
    /// `naming_verify_fail`: name verification failed.
    "naming_verify_fail" [Mp] => NamingVerifyFail(VerifyFailEvent),
    /// `annual_renew`: the yearly re-verification is due.
    "annual_renew" [Mp] => AnnualRenew(VerifyExpiryEvent),
    /// `verify_expired`: verification expired.
    "verify_expired" [Mp] => VerifyExpired(VerifyExpiryEvent),
    /// `user_scan_product`: a user opened a product page.
    "user_scan_product" [Mp] => UserScanProduct(UserScanProductEvent),
    /// `user_scan_product_enter_session`: a user entered the session from a product page.
    "user_scan_product_enter_session" [Mp] => UserScanProductEnterSession(UserScanProductEnterSessionEvent),
    /// `user_scan_product_async`: the asynchronous location of a product scan.
    "user_scan_product_async" [Mp] => UserScanProductAsync(UserScanProductAsyncEvent),
    /// `user_scan_product_verify_action`: a product review result.
    "user_scan_product_verify_action" [Mp] => UserScanProductVerifyAction(UserScanProductVerifyActionEvent),
    /// `subscribe` from a product page (`EventKey` `scanbarcode|…` or `scanimage|…`).
    "subscribe_scan_product" [Mp] => SubscribeScanProduct(SubscribeScanProductEvent),
    /// `user_authorize_invoice`: a user authorised an invoice.
    "user_authorize_invoice" [Mp] => UserAuthorizeInvoice(UserAuthorizeInvoiceEvent),
    /// `update_invoice_status`: an invoice's reimbursement status changed.
    "update_invoice_status" [Mp] => UpdateInvoiceStatus(UpdateInvoiceStatusEvent),
    /// `submit_invoice_title`: a user submitted an invoice title.
    "submit_invoice_title" [Mp] => SubmitInvoiceTitle(SubmitInvoiceTitleEvent),
    /// `user_enter_tempsession`: a mini-program user entered customer service.
    "user_enter_tempsession" [Mp] => UserEnterTempSession(UserEnterTempSessionEvent),
    /// `view_miniprogram`: a menu button opened a mini program.
    "view_miniprogram" [Mp] => ViewMiniProgram(ViewMiniProgramEvent),
    /// `wxa_media_check`: the result of an asynchronous media security check.
    "wxa_media_check" [Mp] => WxaMediaCheck(WxaMediaCheckEvent),
    /// `PUBLISHJOBFINISH`: the result of `freepublish/submit` (not in wechatpy).
    "publishjobfinish" [Mp] => PublishJobFinish(PublishJobFinishEvent),
    /// `user_info_modified`: WeChat cleaned an authorised user's profile (not in wechatpy).
    "user_info_modified" [Mp] => UserInfoModified(UserAuthorizationEvent),
    /// `user_authorization_revoke`: a user revoked an authorisation (not in wechatpy).
    "user_authorization_revoke" [Mp] => UserAuthorizationRevoke(UserAuthorizationEvent),
    /// `user_authorization_cancellation`: an authorised user closed their account (not in
    /// wechatpy).
    "user_authorization_cancellation" [Mp] => UserAuthorizationCancellation(UserAuthorizationEvent),

    // ---- WeCom ----------------------------------------------------------------------------
    /// `enter_agent`: a member opened the agent.
    "enter_agent" [Work] => EnterAgent(EnterAgentEvent),
    /// `batch_job_result`: an asynchronous job (batch import, export) finished.
    "batch_job_result" [Work] => BatchJobResult(BatchJobResultEvent),
    /// `open_approval_change`: a third-party approval changed state.
    "open_approval_change" [Work] => OpenApprovalChange(OpenApprovalChangeEvent),
    /// `taskcard_click`: a member clicked a task-card button.
    "taskcard_click" [Work] => TaskCardClick(TaskCardClickEvent),
    /// `change_external_contact`: an external contact (customer) changed.
    "change_external_contact" [Work] => ChangeExternalContact(ChangeExternalContactEvent),
    /// `change_external_chat`: a customer group changed.
    "change_external_chat" [Work] => ChangeExternalChat(ChangeExternalChatEvent),
    /// `change_external_tag`: a customer tag changed.
    "change_external_tag" [Work] => ChangeExternalTag(ChangeExternalTagEvent),
    /// `sys_approval_change`: a built-in approval changed state.
    "sys_approval_change" [Work] => SysApprovalChange(SysApprovalChangeEvent),
    /// `kf_msg_or_event`: WeChat customer service has messages to sync.
    "kf_msg_or_event" [Work] => KfMsgOrEvent(KfMsgOrEventEvent),
    /// `modify_calendar`.
    "modify_calendar" [Work] => ModifyCalendar(CalendarEvent),
    /// `delete_calendar`.
    "delete_calendar" [Work] => DeleteCalendar(CalendarEvent),
    /// `add_schedule`.
    "add_schedule" [Work] => AddSchedule(ScheduleEvent),
    /// `modify_schedule`.
    "modify_schedule" [Work] => ModifySchedule(ScheduleEvent),
    /// `delete_schedule`.
    "delete_schedule" [Work] => DeleteSchedule(ScheduleEvent),
    /// `book_meeting_room`.
    "book_meeting_room" [Work] => BookMeetingRoom(MeetingRoomEvent),
    /// `cancel_meeting_room`.
    "cancel_meeting_room" [Work] => CancelMeetingRoom(MeetingRoomEvent),
    /// `change_contact`: a member, department or tag changed (not in wechatpy).
    "change_contact" [Work] => ChangeContact(ChangeContactEvent),
    /// `template_card_event`: a member acted on a template card (not in wechatpy).
    "template_card_event" [Work] => TemplateCard(TemplateCardEvent),
    /// `template_card_menu_event`: a member used a template card's menu (not in wechatpy).
    "template_card_menu_event" [Work] => TemplateCardMenu(TemplateCardMenuEvent),
    /// `living_status_change`: a live stream changed state (not in wechatpy).
    "living_status_change" [Work] => LivingStatusChange(LivingStatusChangeEvent),
}

// ---- both platforms -----------------------------------------------------------------------

typed! {
    /// `subscribe`: a user followed the account (or, in WeCom, the agent).
    SubscribeEvent {
        /// `EventKey` (empty when absent, as in wechatpy).
        key: String = text_or_empty("EventKey"),
    }
}

typed! {
    /// `unsubscribe`: no fields beyond the common ones.
    UnsubscribeEvent {}
}

typed! {
    /// `CLICK`: a menu button that pulls a message.
    ClickEvent {
        /// `EventKey`: the button's key.
        key: Option<String> = text("EventKey"),
    }
}

typed! {
    /// `VIEW`: a menu button that opens a URL.
    ViewEvent {
        /// `EventKey`: the URL.
        url: Option<String> = text("EventKey"),
        /// `MenuId`: the menu's id, telling which personalised menu was used (mp; not in
        /// wechatpy). <https://developers.weixin.qq.com/doc/service/guide/product/menu/Custom_Menu_Push_Events.html>
        menu_id: Option<String> = text("MenuId"),
    }
}

typed! {
    /// `LOCATION`: the user's location. Missing values are 0.0, as in wechatpy.
    LocationEvent {
        /// `Latitude`.
        latitude: f64 = float_or("Latitude", 0.0),
        /// `Longitude`.
        longitude: f64 = float_or("Longitude", 0.0),
        /// `Precision`.
        precision: f64 = float_or("Precision", 0.0),
    }
}

typed! {
    /// `scancode_push` and `scancode_waitmsg`: the menu's scan-code buttons.
    ScanCodeEvent {
        /// `EventKey`: the button's key.
        key: Option<String> = text("EventKey"),
        /// `ScanCodeInfo`, raw.
        scan_code_info: Option<Raw> = nested("ScanCodeInfo"),
        /// `ScanCodeInfo.ScanType` (`qrcode`, `barcode`).
        scan_type: Option<String> = path(&["ScanCodeInfo", "ScanType"]),
        /// `ScanCodeInfo.ScanResult`: the decoded content.
        scan_result: Option<String> = path(&["ScanCodeInfo", "ScanResult"]),
    }
}

typed! {
    /// `pic_sysphoto`, `pic_photo_or_album` and `pic_weixin`: the menu's picture buttons.
    PictureEvent {
        /// `EventKey`: the button's key.
        key: Option<String> = text("EventKey"),
        /// `SendPicsInfo`, raw.
        pictures_info: Option<Raw> = nested("SendPicsInfo"),
        /// `SendPicsInfo.Count`.
        count: Option<i64> = path_int(&["SendPicsInfo", "Count"]),
        /// `SendPicsInfo.PicList.item`, always a list (each `{PicMd5Sum}`).
        pictures: Vec<Raw> = list(&["SendPicsInfo", "PicList"], "item"),
    }
}

typed! {
    /// `location_select`: the menu's location picker. Coordinates are strings, as in wechatpy.
    LocationSelectEvent {
        /// `EventKey`: the button's key.
        key: Option<String> = text("EventKey"),
        /// `SendLocationInfo`, raw.
        location_info: Option<Raw> = nested("SendLocationInfo"),
        /// `SendLocationInfo.Location_X` (latitude).
        location_x: Option<String> = path(&["SendLocationInfo", "Location_X"]),
        /// `SendLocationInfo.Location_Y` (longitude).
        location_y: Option<String> = path(&["SendLocationInfo", "Location_Y"]),
        /// `SendLocationInfo.Scale`.
        scale: Option<String> = path(&["SendLocationInfo", "Scale"]),
        /// `SendLocationInfo.Label`: the address.
        label: Option<String> = path(&["SendLocationInfo", "Label"]),
        /// `SendLocationInfo.Poiname`: the point of interest.
        poiname: Option<String> = path(&["SendLocationInfo", "Poiname"]),
    }
}

impl LocationSelectEvent {
    /// wechatpy's `location` property: `(location_x, location_y)`.
    pub fn location(&self) -> (Option<&str>, Option<&str>) {
        (self.location_x.as_deref(), self.location_y.as_deref())
    }
}

// ---- official accounts --------------------------------------------------------------------

typed! {
    /// `subscribe_scan`: followed by scanning a parametric QR code.
    SubscribeScanEvent {
        /// `EventKey` without its `qrscene_` prefix.
        scene_id: Option<String> = |raw: &Raw| {
            raw.text("EventKey").map(|k| {
                let start = k.trim_start();
                String::from(start.strip_prefix("qrscene_").unwrap_or(k))
            })
        },
        /// `Ticket`: exchange it for the QR code image.
        ticket: Option<String> = text("Ticket"),
    }
}

typed! {
    /// `SCAN`: a follower scanned a parametric QR code.
    ScanEvent {
        /// `EventKey`: the scene id.
        scene_id: Option<String> = text("EventKey"),
        /// `Ticket`.
        ticket: Option<String> = text("Ticket"),
    }
}

typed! {
    /// `MASSSENDJOBFINISH`: the result of a mass send (its `MsgID` is `Message::id`). Counts
    /// default to 0, as in wechatpy.
    ///
    /// <https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html>
    MassSendJobFinishEvent {
        /// `Status` (`send success`, `send fail`, `err(num)`).
        status: Option<String> = text("Status"),
        /// `TotalCount`.
        total_count: i64 = int_or("TotalCount", 0),
        /// `FilterCount`.
        filter_count: i64 = int_or("FilterCount", 0),
        /// `SentCount`.
        sent_count: i64 = int_or("SentCount", 0),
        /// `ErrorCount`.
        error_count: i64 = int_or("ErrorCount", 0),
        /// `CopyrightCheckResult`, raw (originality check; not in wechatpy).
        copyright_check_result: Option<Raw> = nested("CopyrightCheckResult"),
        /// `ArticleUrlResult`, raw (the published articles' URLs; not in wechatpy).
        article_url_result: Option<Raw> = nested("ArticleUrlResult"),
    }
}

typed! {
    /// `TEMPLATESENDJOBFINISH`: the result of a template message (its `MsgID` is
    /// `Message::id`).
    TemplateSendJobFinishEvent {
        /// `Status` (`success`, `failed:user block`, `failed: system failed`).
        status: Option<String> = text("Status"),
    }
}

typed! {
    /// `subscribe_msg_popup_event`: the user answered a subscription-message pop-up.
    SubscribeMsgPopupEvent {
        /// `SubscribeMsgPopupEvent`, raw.
        subscribes_info: Option<Raw> = nested("SubscribeMsgPopupEvent"),
        /// `SubscribeMsgPopupEvent.List`, always a list (each `{TemplateId,
        /// SubscribeStatusString, PopupScene}`).
        subscribes: Vec<Raw> = list(&["SubscribeMsgPopupEvent"], "List"),
    }
}

typed! {
    /// `subscribe_msg_change_event`: the user changed subscription-message settings.
    SubscribeMsgChangeEvent {
        /// `SubscribeMsgChangeEvent`, raw.
        subscribes_info: Option<Raw> = nested("SubscribeMsgChangeEvent"),
        /// `SubscribeMsgChangeEvent.List`, always a list (each `{TemplateId,
        /// SubscribeStatusString}`).
        subscribes: Vec<Raw> = list(&["SubscribeMsgChangeEvent"], "List"),
    }
}

typed! {
    /// `subscribe_msg_sent_event`: the result of sending a subscription message.
    SubscribeMsgSentEvent {
        /// `SubscribeMsgSentEvent`, raw.
        subscribes_info: Option<Raw> = nested("SubscribeMsgSentEvent"),
        /// `SubscribeMsgSentEvent.List`, always a list (each `{TemplateId, MsgID, ErrorCode,
        /// ErrorStatus}`).
        subscribes: Vec<Raw> = list(&["SubscribeMsgSentEvent"], "List"),
    }
}

typed! {
    /// `card_pass_check`: a card passed review.
    CardPassCheckEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
    }
}

typed! {
    /// `card_not_pass_check`: a card failed review.
    CardNotPassCheckEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `RefuseReason`.
        refuse_reason: Option<String> = text("RefuseReason"),
    }
}

typed! {
    /// `user_get_card`: a user received a card.
    UserGetCardEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `IsGiveByFriend`: 1 when received from a friend.
        is_given_by_friend: Option<i64> = int("IsGiveByFriend"),
        /// `FriendUserName`: the giver's openid.
        friend: Option<String> = text("FriendUserName"),
        /// `UserCardCode`.
        code: Option<String> = text("UserCardCode"),
        /// `OldUserCardCode`: the giver's code, for gifted cards.
        old_code: Option<String> = text("OldUserCardCode"),
        /// `OuterId`.
        outer_id: Option<String> = text("OuterId"),
        /// `OuterStr`: the scene value of the receiving link.
        outer_str: Option<String> = text("OuterStr"),
        /// `IsRestoreMemberCard`.
        is_restore_member_card: Option<i64> = int("IsRestoreMemberCard"),
        /// `IsRecommendByFriend`.
        is_recommend_by_friend: Option<i64> = int("IsRecommendByFriend"),
        /// `UnionId`.
        union_id: Option<String> = text("UnionId"),
    }
}

typed! {
    /// `user_gifting_card`: a user gave a card to a friend.
    UserGiftingCardEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `UserCardCode`.
        code: Option<String> = text("UserCardCode"),
        /// `IsReturnBack`: 1 when the gift was returned.
        is_return_back: Option<i64> = int("IsReturnBack"),
        /// `FriendUserName`: the receiver's openid.
        friend: Option<String> = text("FriendUserName"),
        /// `IsChatRoom`: 1 when given in a group chat.
        is_chat_room: Option<i64> = int("IsChatRoom"),
    }
}

typed! {
    /// `user_del_card`: a user deleted a card.
    UserDeleteCardEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `UserCardCode`.
        code: Option<String> = text("UserCardCode"),
    }
}

typed! {
    /// `user_consume_card`: a card was redeemed.
    UserConsumeCardEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `UserCardCode`.
        code: Option<String> = text("UserCardCode"),
        /// `ConsumeSource` (`FROM_API`, `FROM_MOBILE_HELPER`, ...).
        consume_source: Option<String> = text("ConsumeSource"),
        /// `LocationName`.
        location_name: Option<String> = text("LocationName"),
        /// `StaffOpenId`.
        staff: Option<String> = text("StaffOpenId"),
        /// `VerifyCode`.
        verify_code: Option<String> = text("VerifyCode"),
        /// `RemarkAmount`.
        remark_amount: Option<String> = text("RemarkAmount"),
        /// `OuterStr`.
        outer_str: Option<String> = text("OuterStr"),
    }
}

typed! {
    /// `user_pay_from_pay_cell`: a user paid through a card's pay cell.
    UserPayFromPayCellEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `UserCardCode`.
        code: Option<String> = text("UserCardCode"),
        /// `TransId`: the payment's transaction id.
        trans_id: Option<String> = text("TransId"),
        /// `LocationId`.
        location_id: Option<i64> = int("LocationId"),
        /// `Fee`, in cents.
        fee: Option<i64> = int("Fee"),
        /// `OriginalFee`, in cents.
        original_fee: Option<i64> = int("OriginalFee"),
    }
}

typed! {
    /// `user_view_card`: a user opened a member card.
    UserViewCardEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `UserCardCode`.
        code: Option<String> = text("UserCardCode"),
        /// `OuterStr`.
        outer_str: Option<String> = text("OuterStr"),
    }
}

typed! {
    /// `user_enter_session_from_card`: a user entered the session from a card.
    UserEnterSessionFromCardEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `UserCardCode`.
        code: Option<String> = text("UserCardCode"),
    }
}

typed! {
    /// `update_member_card`: a member card's bonus or balance changed.
    UpdateMemberCardEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `UserCardCode`.
        code: Option<String> = text("UserCardCode"),
        /// `ModifyBonus`: the bonus change.
        modify_bonus: Option<i64> = int("ModifyBonus"),
        /// `ModifyBalance`: the balance change.
        modify_balance: Option<i64> = int("ModifyBalance"),
    }
}

typed! {
    /// `card_sku_remind`: a card's stock is low.
    CardSkuRemindEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `Detail`.
        detail: Option<String> = text("Detail"),
    }
}

typed! {
    /// `card_pay_order`: a coin order changed.
    CardPayOrderEvent {
        /// `OrderId`.
        order_id: Option<i64> = int("OrderId"),
        /// `Status`.
        status: Option<String> = text("Status"),
        /// `CreateOrderTime` (Unix seconds, an integer in wechatpy).
        create_order_time: Option<i64> = int("CreateOrderTime"),
        /// `PayFinishTime` (Unix seconds, an integer in wechatpy).
        pay_finish_time: Option<i64> = int("PayFinishTime"),
        /// `Desc`.
        description: Option<String> = text("Desc"),
        /// `FreeCoinCount`.
        free_coin_count: Option<i64> = int("FreeCoinCount"),
        /// `PayCoinCount`.
        pay_coin_count: Option<i64> = int("PayCoinCount"),
        /// `RefundFreeCoinCount`.
        refund_free_coin_count: Option<i64> = int("RefundFreeCoinCount"),
        /// `RefundPayCoinCount`.
        refund_pay_coin_count: Option<i64> = int("RefundPayCoinCount"),
        /// `OrderType`.
        order_type: Option<String> = text("OrderType"),
        /// `Memo`.
        memo: Option<String> = text("Memo"),
        /// `ReceiptInfo`.
        receipt_info: Option<String> = text("ReceiptInfo"),
    }
}

typed! {
    /// `submit_membercard_user_info`: a user activated a member card.
    SubmitMembercardUserInfoEvent {
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `UserCardCode`.
        card_code: Option<String> = text("UserCardCode"),
    }
}

typed! {
    /// `merchant_order`: a WeChat store order.
    MerchantOrderEvent {
        /// `OrderId`.
        order_id: Option<String> = text("OrderId"),
        /// `OrderStatus`.
        order_status: Option<i64> = int("OrderStatus"),
        /// `ProductId`.
        product_id: Option<String> = text("ProductId"),
        /// `SkuInfo`.
        sku_info: Option<String> = text("SkuInfo"),
    }
}

typed! {
    /// `kf_create_session` and `kf_close_session`.
    KfSessionEvent {
        /// `KfAccount`.
        account: Option<String> = text("KfAccount"),
    }
}

typed! {
    /// `kf_switch_session`.
    KfSwitchSessionEvent {
        /// `FromKfAccount`.
        from_account: Option<String> = text("FromKfAccount"),
        /// `ToKfAccount`.
        to_account: Option<String> = text("ToKfAccount"),
    }
}

typed! {
    /// `device_text`, `device_bind` and `device_unbind` (WeChat hardware).
    DeviceEvent {
        /// `DeviceType`.
        device_type: Option<String> = text("DeviceType"),
        /// `DeviceID`.
        device_id: Option<String> = text("DeviceID"),
        /// `SessionID`.
        session_id: Option<String> = text("SessionID"),
        /// `Content`, base64-decoded to UTF-8 (`None` if that fails; see the raw tree).
        content: Option<String> = base64_text("Content"),
        /// `OpenID`.
        open_id: Option<String> = text("OpenID"),
    }
}

typed! {
    /// `device_subscribe_status` and `device_unsubscribe_status` (WeChat hardware).
    DeviceStatusEvent {
        /// `DeviceType`.
        device_type: Option<String> = text("DeviceType"),
        /// `DeviceID`.
        device_id: Option<String> = text("DeviceID"),
        /// `OpenID`.
        open_id: Option<String> = text("OpenID"),
        /// `OpType`.
        op_type: Option<i64> = int("OpType"),
    }
}

/// One iBeacon of a [`ShakearoundUserShakeEvent`] (wechatpy's beacon dict).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct Beacon {
    /// `Uuid`.
    pub uuid: Option<String>,
    /// `Major` (a string, as in wechatpy).
    pub major: Option<String>,
    /// `Minor` (a string, as in wechatpy).
    pub minor: Option<String>,
    /// `Distance`, in metres.
    pub distance: Option<f64>,
}

impl Beacon {
    fn from_raw(raw: &Raw) -> Self {
        Beacon {
            uuid: text("Uuid")(raw),
            major: text("Major")(raw),
            minor: text("Minor")(raw),
            distance: raw.text("Distance").and_then(parse_float),
        }
    }
}

typed! {
    /// `ShakearoundUserShake`: a user shook near beacons.
    ShakearoundUserShakeEvent {
        /// `ChosenBeacon`: the nearest beacon (`None` when absent; wechatpy returns `{}`).
        chosen_beacon: Option<Beacon> = |raw: &Raw| raw.map("ChosenBeacon").map(Beacon::from_raw),
        /// `AroundBeacons.AroundBeacon`, always a list.
        around_beacons: Vec<Beacon> = |raw: &Raw| {
            items(raw, &["AroundBeacons"], "AroundBeacon").map(Beacon::from_raw).collect()
        },
    }
}

typed! {
    /// `poi_check_notify`: a store (POI) review result.
    PoiCheckNotifyEvent {
        /// `PoiId`.
        poi_id: Option<String> = text("PoiId"),
        /// `UniqId`.
        uniq_id: Option<String> = text("UniqId"),
        /// `Result` (`succ`, `fail`).
        result: Option<String> = text("Result"),
        /// `Msg`.
        message: Option<String> = text("Msg"),
    }
}

typed! {
    /// `WifiConnected`: a user connected to shop Wi-Fi.
    WifiConnectedEvent {
        /// `ConnectTime` (Unix seconds, an integer in wechatpy).
        connect_time: Option<i64> = int("ConnectTime"),
        /// `ExpireTime`.
        expire_time: Option<i64> = int("ExpireTime"),
        /// `VendorId`.
        vendor_id: Option<String> = text("VendorId"),
        /// `PlaceId`.
        shop_id: Option<String> = text("PlaceId"),
        /// `DeviceNo`: the access point's BSSID.
        bssid: Option<String> = text("DeviceNo"),
    }
}

typed! {
    /// `qualification_verify_success`, `naming_verify_success`, `annual_renew` and
    /// `verify_expired`.
    VerifyExpiryEvent {
        /// `ExpiredTime`, Unix seconds.
        expired_time: Option<u64> = datetime("ExpiredTime"),
    }
}

typed! {
    /// `qualification_verify_fail` and `naming_verify_fail`.
    VerifyFailEvent {
        /// `FailTime`, Unix seconds.
        fail_time: Option<u64> = datetime("FailTime"),
        /// `FailReason`.
        fail_reason: Option<String> = text("FailReason"),
    }
}

typed! {
    /// `user_scan_product`: a user opened a product page.
    UserScanProductEvent {
        /// `KeyStandard` (`ean13`, `ean8`, `qrcode`).
        standard: Option<String> = text("KeyStandard"),
        /// `KeyStr`: the code.
        key: Option<String> = text("KeyStr"),
        /// `Country`.
        country: Option<String> = text("Country"),
        /// `Province`.
        province: Option<String> = text("Province"),
        /// `City`.
        city: Option<String> = text("City"),
        /// `Sex`.
        sex: Option<i64> = int("Sex"),
        /// `Scene`.
        scene: Option<i64> = int("Scene"),
    }
}

typed! {
    /// `user_scan_product_enter_session`.
    UserScanProductEnterSessionEvent {
        /// `KeyStandard`.
        standard: Option<String> = text("KeyStandard"),
        /// `KeyStr`.
        key: Option<String> = text("KeyStr"),
    }
}

typed! {
    /// `user_scan_product_async`.
    UserScanProductAsyncEvent {
        /// `KeyStandard`.
        standard: Option<String> = text("KeyStandard"),
        /// `KeyStr`.
        key: Option<String> = text("KeyStr"),
        /// `RegionCode`.
        region_code: Option<String> = text("RegionCode"),
    }
}

typed! {
    /// `user_scan_product_verify_action`.
    UserScanProductVerifyActionEvent {
        /// `KeyStandard`.
        standard: Option<String> = text("KeyStandard"),
        /// `KeyStr`.
        key: Option<String> = text("KeyStr"),
        /// `Result` (`verify_ok`, `verify_not_pass`).
        result: Option<String> = text("Result"),
        /// `ReasonMsg`.
        reason: Option<String> = text("ReasonMsg"),
    }
}

typed! {
    /// `subscribe` from a product page: `EventKey` is `scene|standard|key`.
    SubscribeScanProductEvent {
        /// `EventKey`, as sent.
        event_key: Option<String> = text("EventKey"),
        /// The part of `EventKey` before the first `|` (`scanbarcode`, `scanimage`).
        scene: Option<String> = |raw: &Raw| event_key_part(raw, 0),
        /// The second `|`-separated part of `EventKey`.
        standard: Option<String> = |raw: &Raw| event_key_part(raw, 1),
        /// The third `|`-separated part of `EventKey`.
        key: Option<String> = |raw: &Raw| event_key_part(raw, 2),
    }
}

fn event_key_part(raw: &Raw, index: usize) -> Option<String> {
    // leading blanks are ignored, as when the event was recognised (see `dispatch_mp`)
    raw.text("EventKey")?
        .trim_start()
        .split('|')
        .nth(index)
        .map(String::from)
}

typed! {
    /// `user_authorize_invoice`: a user authorised an invoice.
    UserAuthorizeInvoiceEvent {
        /// `SuccOrderId`.
        success_order_id: Option<String> = text("SuccOrderId"),
        /// `FailOrderId`.
        fail_order_id: Option<String> = text("FailOrderId"),
        /// `AppId`.
        app_id: Option<String> = text("AppId"),
        /// `Source` (`web`, `app`, ...).
        auth_source: Option<String> = text("Source"),
    }
}

typed! {
    /// `update_invoice_status`: an invoice's reimbursement status changed.
    UpdateInvoiceStatusEvent {
        /// `Status`.
        status: Option<String> = text("Status"),
        /// `CardId`.
        card_id: Option<String> = text("CardId"),
        /// `Code`.
        code: Option<String> = text("Code"),
    }
}

typed! {
    /// `submit_invoice_title`: a user submitted an invoice title (lowercase tags).
    SubmitInvoiceTitleEvent {
        /// `title`.
        title: Option<String> = text("title"),
        /// `phone`.
        phone: Option<String> = text("phone"),
        /// `tax_no`.
        tax_no: Option<String> = text("tax_no"),
        /// `addr`.
        addr: Option<String> = text("addr"),
        /// `bank_type`.
        bank_type: Option<String> = text("bank_type"),
        /// `bank_no`.
        bank_no: Option<String> = text("bank_no"),
        /// `attach`.
        attach: Option<String> = text("attach"),
        /// `title_type` (`InvoiceUserTitlePersonType`, `InvoiceUserTitleBusinessType`).
        title_type: Option<String> = text("title_type"),
    }
}

typed! {
    /// `user_enter_tempsession`: a mini-program user entered customer service.
    UserEnterTempSessionEvent {
        /// `SessionFrom`.
        session_from: Option<String> = text("SessionFrom"),
    }
}

typed! {
    /// `view_miniprogram`: a menu button opened a mini program.
    ViewMiniProgramEvent {
        /// `EventKey`: the page path.
        page_path: Option<String> = text("EventKey"),
        /// `MenuId`.
        menu_id: Option<String> = text("MenuId"),
    }
}

typed! {
    /// `wxa_media_check`: the result of an asynchronous media security check.
    WxaMediaCheckEvent {
        /// `isrisky`: 0 no risk detected, 1 risky.
        is_risky: Option<i64> = int("isrisky"),
        /// `extra_info_json`.
        extra_info_json: Option<String> = text("extra_info_json"),
        /// `trace_id`: the task id.
        trace_id: Option<String> = text("trace_id"),
        /// `status_code`: 0, or 4294966288 (−1008) when the media could not be downloaded.
        status_code: Option<i64> = int("status_code"),
        /// wechatpy's `is_valid`: `is_risky == 0 && status_code == 0`.
        is_valid: bool = |raw: &Raw| int("isrisky")(raw) == Some(0) && int("status_code")(raw) == Some(0),
    }
}

/// One published article of a [`PublishJobFinishEvent`] (`article_detail.item`).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct PublishedArticle {
    /// `idx`: the article's position, from 1.
    pub idx: Option<i64>,
    /// `article_url`: the permanent link.
    pub article_url: Option<String>,
}

typed! {
    /// `PUBLISHJOBFINISH`: the result of a `freepublish/submit` task (not in wechatpy).
    ///
    /// <https://developers.weixin.qq.com/doc/offiaccount/Publish/Callback_on_finish.html>
    PublishJobFinishEvent {
        /// `PublishEventInfo`, raw.
        publish_event_info: Option<Raw> = nested("PublishEventInfo"),
        /// `PublishEventInfo.publish_id`.
        publish_id: Option<u64> = path_uint(&["PublishEventInfo", "publish_id"]),
        /// `PublishEventInfo.publish_status`: 0 success, 1 publishing, 2 originality check
        /// failed, 3 failed, 4 rejected by review, 5 all articles deleted, 6 all banned.
        publish_status: Option<i64> = path_int(&["PublishEventInfo", "publish_status"]),
        /// `PublishEventInfo.article_id` (on success).
        article_id: Option<String> = path(&["PublishEventInfo", "article_id"]),
        /// `PublishEventInfo.article_detail.count` (on success).
        article_count: Option<i64> = path_int(&["PublishEventInfo", "article_detail", "count"]),
        /// `PublishEventInfo.article_detail.item`, always a list (on success).
        article_detail: Vec<PublishedArticle> = |raw: &Raw| {
            items(raw, &["PublishEventInfo", "article_detail"], "item")
                .map(|item| PublishedArticle {
                    idx: item.text("idx").and_then(parse_int),
                    article_url: text("article_url")(item),
                })
                .collect()
        },
        /// `PublishEventInfo.fail_idx` (repeated): the articles that failed, from 1 (status 2
        /// or 4).
        fail_idx: Vec<i64> = ints(&["PublishEventInfo"], "fail_idx"),
    }
}

typed! {
    /// `user_info_modified`, `user_authorization_revoke` and `user_authorization_cancellation`:
    /// an authorised user's data changed (not in wechatpy).
    ///
    /// <https://developers.weixin.qq.com/doc/service/guide/h5/authorization_change.html>
    UserAuthorizationEvent {
        /// `OpenID`: the user.
        open_id: Option<String> = text("OpenID"),
        /// `UnionID`.
        union_id: Option<String> = text("UnionID"),
        /// `AppID`: the account.
        app_id: Option<String> = text("AppID"),
        /// `RevokeInfo`: what was revoked (`user_authorization_revoke`).
        revoke_info: Option<String> = text("RevokeInfo"),
        /// `PluginID`: the plug-in, when revoked inside a plug-in.
        plugin_id: Option<String> = text("PluginID"),
        /// `OpenPID`: the user's plug-in id, when revoked inside a plug-in.
        open_pid: Option<String> = text("OpenPID"),
    }
}
