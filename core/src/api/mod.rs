//! API calls as pure request/response halves, one module per WeChat API group.
//!
//! Every endpoint is a struct implementing [`Endpoint`]: [`Endpoint::request`] builds the
//! [`ApiRequest`] value, [`Endpoint::parse`] decodes the [`ApiResponse`]. Both are pure, so
//! any transport (the blocking and async clients, or your own HTTP stack) drives them the
//! same way:
//!
//! ```
//! use wechat_core::api::{Endpoint, mp::user::GetUser};
//! use wechat_core::http::ApiResponse;
//! use wechat_core::secret::AccessToken;
//!
//! let call = GetUser { openid: "oUser".into(), lang: None };
//! let url = call.request()?.url("https://api.weixin.qq.com", Some(&AccessToken::new("T")));
//! assert_eq!(url, "https://api.weixin.qq.com/cgi-bin/user/info?access_token=T&openid=oUser");
//! let user = call.parse(ApiResponse::json(&br#"{"subscribe":1,"openid":"oUser","nickname":"Band"}"#[..]))?;
//! assert_eq!(user.nickname.as_deref(), Some("Band"));
//! # Ok::<(), wechat_core::Error>(())
//! ```
//!
//! Endpoints are declared in one place each with [`endpoint!`](crate::endpoint): method, path,
//! idempotency, request fields and response type. The group façades (`client.user().get(..)`)
//! are generic over [`Caller`], which the blocking and async clients implement.

mod declare;
pub mod json;
#[cfg(feature = "mp")]
pub mod mp;
pub mod registry;
#[cfg(feature = "work")]
pub mod work;

mod raw;
#[cfg(test)]
pub(crate) mod testing;

pub use json::{ApiOk, Download};
pub use raw::{Prepared, RawCall, RawResponse};

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse};
use crate::time::UnixTime;

/// One WeChat API call: a pure request builder and a pure response parser.
pub trait Endpoint {
    /// What a successful call returns.
    type Output;

    /// Builds the request (without the access token, which the caller adds).
    ///
    /// # Errors
    /// [`ConfigError`](crate::error::ConfigError) when the arguments are invalid.
    fn request(&self) -> Result<ApiRequest, Error>;

    /// Parses WeChat's response.
    ///
    /// # Errors
    /// [`Error::Api`] for WeChat error codes, [`Error::Response`] for unusable responses.
    fn parse(&self, response: ApiResponse) -> Result<Self::Output, Error>;
}

/// Something that executes endpoints: the blocking client (`Ret = Result<T, E>`) or the
/// async client (`Ret = a boxed future`). The API group façades are written once against it.
pub trait Caller {
    /// What [`Caller::call`] returns for an output `T`.
    type Ret<'a, T: Send + 'a>
    where
        Self: 'a;

    /// Executes an endpoint through the client's token and retry pipeline.
    fn call<'a, E>(&'a self, endpoint: E) -> Self::Ret<'a, E::Output>
    where
        E: Endpoint + Send + Sync + 'a,
        E::Output: Send + 'a;

    /// [`Caller::call`], then `then` on the output (a façade that returns one field of the
    /// answer).
    fn call_then<'a, E, T>(&'a self, endpoint: E, then: fn(E::Output) -> T) -> Self::Ret<'a, T>
    where
        E: Endpoint + Send + Sync + 'a,
        E::Output: Send + 'a,
        T: Send + 'a;

    /// A JS-SDK ticket, cached and refreshed like the access token (same store, same lease,
    /// same quota guard).
    fn ticket<'a>(&'a self, kind: crate::token::TicketKind) -> Self::Ret<'a, crate::secret::Ticket>;

    /// The current access token (fetched or refreshed if needed), wechatpy's
    /// `client.access_token`.
    fn access_token<'a>(&'a self) -> Self::Ret<'a, crate::secret::AccessToken>;

    /// 16 random bytes (multipart boundaries, nonces). Clients draw them from the OS.
    fn random(&self) -> [u8; 16];

    /// The current time. Clients read the system clock.
    fn now(&self) -> UnixTime;
}

/// WeChat's API host (official accounts, mini programs, third-party platforms).
pub const MP_API_BASE: &str = "https://api.weixin.qq.com";

/// WeCom's API host.
pub const WORK_API_BASE: &str = "https://qyapi.weixin.qq.com";

/// Lowercase hex of 16 random bytes: nonces and `reserved` values built from
/// [`Caller::random`](crate::api::Caller::random).
pub(crate) fn hex_nonce(random: &[u8; 16]) -> alloc::string::String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = alloc::string::String::with_capacity(32);
    for b in random {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
    }
    out
}

/// A value that can be a query-string parameter.
pub trait QueryValue {
    /// Appends `name=value` unless the value is absent.
    fn push_to(&self, name: &'static str, query: &mut Vec<(alloc::borrow::Cow<'static, str>, String)>);
}

macro_rules! query_value_display {
    ($($t:ty),*) => {$(
        impl QueryValue for $t {
            fn push_to(&self, name: &'static str, query: &mut Vec<(alloc::borrow::Cow<'static, str>, String)>) {
                query.push((name.into(), self.to_string()));
            }
        }
    )*};
}
query_value_display!(String, &str, u8, u16, u32, u64, i32, i64, usize, bool);

impl<T: QueryValue> QueryValue for Option<T> {
    fn push_to(&self, name: &'static str, query: &mut Vec<(alloc::borrow::Cow<'static, str>, String)>) {
        if let Some(v) = self {
            v.push_to(name, query);
        }
    }
}

/// Strips the `r#` of raw identifiers used as parameter names (`r#type` → `type`).
#[doc(hidden)]
pub const fn param_name(ident: &'static str) -> &'static str {
    match ident.as_bytes() {
        [b'r', b'#', ..] => {
            let (_, rest) = ident.split_at(2);
            rest
        }
        _ => ident,
    }
}

/// Declares an endpoint in one place: its request struct, method, path, idempotency and
/// response type.
///
/// ```ignore
/// endpoint! {
///     /// Gets a user's profile.
///     GetUser: GET "/cgi-bin/user/info" => UserInfo {
///         /// The user's openid.
///         openid: String,
///         /// `zh_CN`, `zh_TW` or `en`.
///         lang: Option<String>,
///     }
/// }
/// endpoint! {
///     /// Sets a user's remark name.
///     UpdateRemark: POST "/cgi-bin/user/info/updateremark" [Idempotent] => ApiOk {
///         openid: String,
///         remark: String,
///     }
/// }
/// ```
///
/// GET fields become query parameters (`None` is left out); POST structs are the JSON body
/// (derive `Serialize`; add `#[serde(skip_serializing_if = "Option::is_none")]` to optional
/// fields). An optional `, from Wire => field` after the output type decodes the body as
/// `Wire` and returns one of its fields (wechatpy's `result_processor=itemgetter(...)`). GET is idempotent; POST is non-idempotent unless marked `[Idempotent]`. Endpoints
/// with both a query and a body, or multipart bodies, implement [`Endpoint`] by hand.
#[macro_export]
macro_rules! endpoint {
    (
        $(#[$meta:meta])*
        $name:ident : GET $path:literal $([$idem:ident])? => $out:ty $(, from $wire:ty => $wfield:ident)? {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::api::Endpoint for $name {
            type Output = $out;

            fn request(&self) -> ::core::result::Result<$crate::http::ApiRequest, $crate::Error> {
                #[allow(unused_mut)]
                let mut req = $crate::http::ApiRequest::get($path)
                    $( .idempotency($crate::http::Idempotency::$idem) )?;
                $( $crate::api::QueryValue::push_to(&self.$field, $crate::api::param_name(stringify!($field)), &mut req.query); )*
                Ok(req)
            }

            fn parse(&self, response: $crate::http::ApiResponse) -> ::core::result::Result<$out, $crate::Error> {
                $crate::__endpoint_parse!(response $(, $wire => $wfield)?)
            }
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident : POST $path:literal $([$idem:ident])? => $out:ty $(, from $wire:ty => $wfield:ident)? {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::api::Endpoint for $name {
            type Output = $out;

            fn request(&self) -> ::core::result::Result<$crate::http::ApiRequest, $crate::Error> {
                $crate::http::ApiRequest::post($path)
                    $( .idempotency($crate::http::Idempotency::$idem) )?
                    .json_of(self)
            }

            fn parse(&self, response: $crate::http::ApiResponse) -> ::core::result::Result<$out, $crate::Error> {
                $crate::__endpoint_parse!(response $(, $wire => $wfield)?)
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __endpoint_parse {
    ($response:ident) => {
        $crate::api::json::parse_json(&$response)
    };
    ($response:ident, $wire:ty => $field:ident) => {{
        let wire: $wire = $crate::api::json::parse_json(&$response)?;
        Ok(wire.$field)
    }};
}

/// Declares an API group façade: `pub struct Name<'c, C>(&'c C)` with a `new` constructor.
/// Methods are added in an `impl<'c, C: Caller + ?Sized> Name<'c, C>` block.
#[doc(hidden)]
#[macro_export]
macro_rules! facade {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        pub struct $name<'c, C: ?Sized>(&'c C);

        impl<'c, C: ?Sized> $name<'c, C> {
            /// Binds the group to a client (clients call this from their accessor).
            pub fn new(client: &'c C) -> Self {
                Self(client)
            }
        }
    };
}
