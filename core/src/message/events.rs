//! Events: mp §2.5 and WeCom §3.3 of the inventory, plus newer events WeChat documents.

use alloc::string::String;
use alloc::vec::Vec;

use super::fields::*;
use super::{Kind, typed};
use crate::xml::Raw;

/// Declares the [`Event`] enum from a table of `"key" [kinds] => Variant(Type)`.
macro_rules! events {
    ($( $(#[$meta:meta])* $key:literal [$($kind:ident)|+] => $variant:ident($ty:ident) ),* $(,)?) => {
        /// A typed event. The variant is chosen by the lowercase event key (after wechatpy's
        /// rewrites); events unknown to this version are [`Event::Unknown`].
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $( $(#[$meta])* $variant($ty), )*
            /// An event this version does not know (or not for this platform).
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
        }

        impl serde::Serialize for Event {
            /// The typed fields, keyed by wechatpy attribute name.
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
    /// `subscribe`.
    "subscribe" [Mp | Work] => Subscribe(SubscribeEvent),
    /// `unsubscribe`.
    "unsubscribe" [Mp | Work] => Unsubscribe(UnsubscribeEvent),
    /// `subscribe` through a parametric QR code (`EventKey` `qrscene_…`).
    "subscribe_scan" [Mp] => SubscribeScan(SubscribeScanEvent),
    /// `SCAN`: an existing follower scanned a parametric QR code.
    "scan" [Mp] => Scan(ScanEvent),
    /// `MASSSENDJOBFINISH`.
    "masssendjobfinish" [Mp] => MassSendJobFinish(MassSendJobFinishEvent),
    /// `TEMPLATESENDJOBFINISH`.
    "templatesendjobfinish" [Mp] => TemplateSendJobFinish(TemplateSendJobFinishEvent),
    /// `scancode_push`.
    "scancode_push" [Mp | Work] => ScanCodePush(ScanCodePushEvent),
    /// `pic_sysphoto`.
    "pic_sysphoto" [Mp | Work] => PicSysPhoto(PicSysPhotoEvent),
}

typed! {
    /// `subscribe`: a user followed the account (or, in WeCom, the agent).
    SubscribeEvent {
        /// `EventKey` (empty when absent, as in wechatpy).
        key: String = |raw: &Raw| text("EventKey")(raw).unwrap_or_default(),
    }
}

typed! {
    /// `unsubscribe`.
    UnsubscribeEvent {}
}

typed! {
    /// `subscribe_scan`: followed by scanning a parametric QR code.
    SubscribeScanEvent {
        /// `EventKey` without its `qrscene_` prefix.
        scene_id: Option<String> = |raw: &Raw| {
            raw.text("EventKey").map(|k| String::from(k.strip_prefix("qrscene_").unwrap_or(k)))
        },
        /// `Ticket`.
        ticket: Option<String> = text("Ticket"),
    }
}

typed! {
    /// `scan`: a follower scanned a parametric QR code.
    ScanEvent {
        /// `EventKey`.
        scene_id: Option<String> = text("EventKey"),
        /// `Ticket`.
        ticket: Option<String> = text("Ticket"),
    }
}

typed! {
    /// `masssendjobfinish`: the result of a mass send (its `MsgID` is `Message::id`).
    MassSendJobFinishEvent {
        /// `Status`.
        status: Option<String> = text("Status"),
        /// `TotalCount`.
        total_count: Option<i64> = int("TotalCount"),
        /// `FilterCount`.
        filter_count: Option<i64> = int("FilterCount"),
        /// `SentCount`.
        sent_count: Option<i64> = int("SentCount"),
        /// `ErrorCount`.
        error_count: Option<i64> = int("ErrorCount"),
    }
}

typed! {
    /// `templatesendjobfinish`: the result of a template message (its `MsgID` is `Message::id`).
    TemplateSendJobFinishEvent {
        /// `Status`.
        status: Option<String> = text("Status"),
    }
}

typed! {
    /// `scancode_push`: the menu's scan-code button.
    ScanCodePushEvent {
        /// `EventKey`.
        key: Option<String> = text("EventKey"),
        /// `ScanCodeInfo`, raw.
        scan_code_info: Option<Raw> = nested("ScanCodeInfo"),
        /// `ScanCodeInfo.ScanType`.
        scan_type: Option<String> = path(&["ScanCodeInfo", "ScanType"]),
        /// `ScanCodeInfo.ScanResult`.
        scan_result: Option<String> = path(&["ScanCodeInfo", "ScanResult"]),
    }
}

typed! {
    /// `pic_sysphoto`: the menu's camera button.
    PicSysPhotoEvent {
        /// `EventKey`.
        key: Option<String> = text("EventKey"),
        /// `SendPicsInfo`, raw.
        pictures_info: Option<Raw> = nested("SendPicsInfo"),
        /// `SendPicsInfo.Count`.
        count: Option<i64> = path_int(&["SendPicsInfo", "Count"]),
        /// `SendPicsInfo.PicList.item`, always a list.
        pictures: Vec<Raw> = list(&["SendPicsInfo", "PicList"], "item"),
    }
}
