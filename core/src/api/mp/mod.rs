//! Official-account (mp) API groups, `https://api.weixin.qq.com`.
//!
//! One module per wechatpy group (`client.user` → [`user`]). Clients get an accessor per
//! group from [`impl_mp_api!`](crate::impl_mp_api).
//!
//! Every endpoint is also a public request struct, so anything the façade methods do not
//! expose (a `client_msg_id`, a rarely used option) is one `client.call(Struct { .. })` away.

pub mod group;
pub mod jsapi;
pub mod media;
pub mod menu;
pub mod message;
pub mod misc;
pub mod qrcode;
pub mod tag;
pub mod template;
pub mod user;

/// The default API base of official accounts.
pub const API_BASE: &str = crate::api::MP_API_BASE;

/// Adds one accessor per mp API group (`client.user()`, `client.menu()`, ...) to a client
/// type implementing [`Caller`](crate::api::Caller).
#[macro_export]
macro_rules! impl_mp_api {
    ($client:ty) => {
        impl $client {
            /// User management (wechatpy `client.user`).
            pub fn user(&self) -> $crate::api::mp::user::UserApi<'_, Self> {
                $crate::api::mp::user::UserApi::new(self)
            }

            /// Custom menus (wechatpy `client.menu`).
            pub fn menu(&self) -> $crate::api::mp::menu::MenuApi<'_, Self> {
                $crate::api::mp::menu::MenuApi::new(self)
            }

            /// Customer-service, template, mass and subscribe messages (wechatpy
            /// `client.message`).
            pub fn message(&self) -> $crate::api::mp::message::MessageApi<'_, Self> {
                $crate::api::mp::message::MessageApi::new(self)
            }

            /// Temporary media upload and download (wechatpy `client.media`).
            pub fn media(&self) -> $crate::api::mp::media::MediaApi<'_, Self> {
                $crate::api::mp::media::MediaApi::new(self)
            }

            /// User tags and the blacklist (wechatpy `client.tag`).
            pub fn tag(&self) -> $crate::api::mp::tag::TagApi<'_, Self> {
                $crate::api::mp::tag::TagApi::new(self)
            }

            /// Legacy user groups (wechatpy `client.group`).
            pub fn group(&self) -> $crate::api::mp::group::GroupApi<'_, Self> {
                $crate::api::mp::group::GroupApi::new(self)
            }

            /// Template-message and subscribe-message templates (wechatpy `client.template`).
            pub fn template(&self) -> $crate::api::mp::template::TemplateApi<'_, Self> {
                $crate::api::mp::template::TemplateApi::new(self)
            }

            /// Parametric QR codes (wechatpy `client.qrcode`).
            pub fn qrcode(&self) -> $crate::api::mp::qrcode::QrCodeApi<'_, Self> {
                $crate::api::mp::qrcode::QrCodeApi::new(self)
            }

            /// JS-SDK tickets and signatures (wechatpy `client.jsapi`).
            pub fn jsapi(&self) -> $crate::api::mp::jsapi::JsApi<'_, Self> {
                $crate::api::mp::jsapi::JsApi::new(self)
            }

            /// Short links, server IPs, network checks (wechatpy `client.misc`).
            pub fn misc(&self) -> $crate::api::mp::misc::MiscApi<'_, Self> {
                $crate::api::mp::misc::MiscApi::new(self)
            }
        }
    };
}

/// Lenient field decoders for values WeChat sends sometimes as strings, sometimes as numbers
/// (menu ids, match rules, category ids, mass message ids).
pub(crate) mod de {
    use alloc::string::{String, ToString};

    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Int(i64),
        UInt(u64),
        Float(f64),
        Bool(bool),
        Str(String),
    }

    impl Scalar {
        fn into_string(self) -> String {
            match self {
                Scalar::Int(i) => i.to_string(),
                Scalar::UInt(u) => u.to_string(),
                Scalar::Float(f) => f.to_string(),
                Scalar::Bool(b) => b.to_string(),
                Scalar::Str(s) => s,
            }
        }
    }

    /// A string, a number or `null` as an optional string.
    pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Scalar>::deserialize(d)?.map(Scalar::into_string))
    }

    /// A string or a number as a string (`null` → empty).
    pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(opt_string(d)?.unwrap_or_default())
    }

    /// A number, a numeric string or `null` as an optional `i64`.
    pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<Scalar>::deserialize(d)? {
            None => Ok(None),
            Some(Scalar::Int(i)) => Ok(Some(i)),
            Some(Scalar::UInt(u)) => i64::try_from(u).map(Some).map_err(serde::de::Error::custom),
            Some(Scalar::Str(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
            Some(_) => Err(serde::de::Error::custom("expected an integer")),
        }
    }

    /// A number or a numeric string as an `i64` (`null` → 0).
    pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        Ok(opt_int(d)?.unwrap_or(0))
    }
}

/// A [`Caller`](crate::api::Caller) for unit tests: records every built request and answers
/// with canned responses (`{"errcode":0,"errmsg":"ok"}` when none is queued).
#[cfg(test)]
pub(crate) mod testing {
    /// The mp mock caller (see [`crate::api::testing`]).
    pub(crate) type MockCaller = crate::api::testing::MockCaller<crate::api::testing::Mp>;
}
