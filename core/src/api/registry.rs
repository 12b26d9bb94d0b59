//! Every endpoint the SDK declares, as data: its name, product, method, path, credential,
//! idempotency, required fields, the wechatpy methods it serves and its official page.
//!
//! The [`endpoints!`](crate::endpoints) declarations fill it; nothing is listed by hand twice.
//! It drives the hostile-input tests of every parser, the idempotency rules test, the
//! `wechat endpoints` / `wechat call` commands, the offline sandbox's routing and the
//! wechatpy parity table.
//!
//! ```
//! use wechat_core::api::registry;
//!
//! let get = registry::find("mp.user.get").unwrap();
//! assert_eq!((get.method.as_str(), get.path), ("GET", "/cgi-bin/user/info"));
//! assert_eq!(get.required, ["openid"]);
//! assert!(registry::all().all(|e| e.doc.starts_with("https://")));
//! ```
//!
//! With the `dynamic` feature each entry can also build its request from JSON spelled as the
//! official documentation spells it, and turn an answer into JSON with the official wire names
//! ([`Dynamic`]); with `samples`, [`sample`] gives the request and response examples of the
//! endpoint's official page.

use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse, Idempotency, Method, TokenKind};

/// A product line: the cargo feature that compiles its endpoints has the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Product {
    /// Official accounts (公众号), `api.weixin.qq.com`.
    Mp,
    /// Mini programs (小程序), `api.weixin.qq.com`.
    Wxa,
    /// WeCom (企业微信), `qyapi.weixin.qq.com`.
    Work,
    /// Open-platform third-party platforms (第三方平台).
    Component,
    /// WeCom third-party suites and service providers.
    Suite,
    /// WeChat Pay, `api.mch.weixin.qq.com`.
    Pay,
}

impl Product {
    /// Every product line.
    pub const ALL: [Product; 6] = [
        Product::Mp,
        Product::Wxa,
        Product::Work,
        Product::Component,
        Product::Suite,
        Product::Pay,
    ];

    /// `"mp"`, `"wxa"`, `"work"`, `"component"`, `"suite"` or `"pay"`: the cargo feature, and
    /// the first part of its endpoints' names.
    pub const fn as_str(self) -> &'static str {
        match self {
            Product::Mp => "mp",
            Product::Wxa => "wxa",
            Product::Work => "work",
            Product::Component => "component",
            Product::Suite => "suite",
            Product::Pay => "pay",
        }
    }

    /// The product named `name` ([`Product::as_str`]).
    pub fn from_name(name: &str) -> Option<Product> {
        Product::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The credential its endpoints carry unless declared otherwise.
    pub const fn default_credential(self) -> TokenKind {
        match self {
            Product::Component => TokenKind::Component,
            Product::Suite => TokenKind::Suite,
            Product::Pay => TokenKind::None,
            Product::Mp | Product::Wxa | Product::Work => TokenKind::AccessToken,
        }
    }
}

/// How a request carries its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fields {
    /// In the query string (GET).
    Query,
    /// In a JSON body.
    Json,
    /// In a `multipart/form-data` body (uploads); a file part's name is a required field.
    Multipart,
    /// Some in the query string, the rest in a JSON body.
    QueryAndJson,
}

/// What a successful answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// A JSON object.
    Json,
    /// Bytes (a media file, a QR code image); a JSON body is an error.
    Binary,
}

/// One declared endpoint.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Info {
    /// `product.group.method`, e.g. `mp.user.get`.
    pub name: &'static str,
    /// The product line.
    pub product: Product,
    /// GET or POST.
    pub method: Method,
    /// The path (`/cgi-bin/user/info`), or an absolute URL for another host.
    pub path: &'static str,
    /// The credential it carries.
    pub credential: TokenKind,
    /// Whether it may be retried after a busy answer or a lost response.
    pub idempotency: Idempotency,
    /// Where the request's fields go.
    pub fields: Fields,
    /// What a successful answer is.
    pub answer: Answer,
    /// The required request fields, by wire name (query parameters, top-level JSON keys,
    /// multipart part names).
    pub required: &'static [&'static str],
    /// The wechatpy methods it serves (`user.get`), as the parity table names them.
    pub wechatpy: &'static [&'static str],
    /// The official documentation page.
    pub doc: &'static str,
    /// Parses an answer with the endpoint's own parser (a default request's), keeping only
    /// whether it succeeded: every parser, reachable without knowing its types.
    pub parse: fn(ApiResponse) -> Result<(), Error>,
    /// Requests from JSON and answers to JSON.
    #[cfg(feature = "dynamic")]
    pub dynamic: Dynamic,
}

impl Info {
    /// An entry with the product's defaults: GET carries its fields in the query string and is
    /// idempotent, POST a JSON body and is not; JSON answers. [`endpoints!`](crate::endpoints)
    /// applies the declared flags (`#[idempotent]`, `#[no_token]`, ...) to it.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn declared(
        name: &'static str,
        product: Product,
        method: Method,
        path: &'static str,
        required: &'static [&'static str],
        wechatpy: &'static [&'static str],
        doc: &'static str,
        parse: fn(ApiResponse) -> Result<(), Error>,
    ) -> Self {
        let (idempotency, fields) = match method {
            Method::Get => (Idempotency::Idempotent, Fields::Query),
            Method::Post => (Idempotency::NonIdempotent, Fields::Json),
        };
        Info {
            name,
            product,
            method,
            path,
            credential: product.default_credential(),
            idempotency,
            fields,
            answer: Answer::Json,
            required,
            wechatpy,
            doc,
            parse,
            #[cfg(feature = "dynamic")]
            dynamic: Dynamic::UNDECLARED,
        }
    }

    /// Sets the JSON halves.
    #[cfg(feature = "dynamic")]
    #[doc(hidden)]
    pub const fn dynamic(mut self, dynamic: Dynamic) -> Self {
        self.dynamic = dynamic;
        self
    }

    /// Flag `#[idempotent]`: a POST that may be retried (it sets a state).
    #[doc(hidden)]
    pub const fn idempotent(mut self) -> Self {
        self.idempotency = Idempotency::Idempotent;
        self
    }

    /// Flag `#[non_idempotent]`: a GET with a side effect.
    #[doc(hidden)]
    pub const fn non_idempotent(mut self) -> Self {
        self.idempotency = Idempotency::NonIdempotent;
        self
    }

    /// Flag `#[no_token]`: carries no credential.
    #[doc(hidden)]
    pub const fn no_token(mut self) -> Self {
        self.credential = TokenKind::None;
        self
    }

    /// Flag `#[component_token]`: carries the third-party platform's token.
    #[doc(hidden)]
    pub const fn component_token(mut self) -> Self {
        self.credential = TokenKind::Component;
        self
    }

    /// Flag `#[suite_token]`: carries the WeCom suite's token.
    #[doc(hidden)]
    pub const fn suite_token(mut self) -> Self {
        self.credential = TokenKind::Suite;
        self
    }

    /// Flag `#[provider_token]`: carries the WeCom service provider's token.
    #[doc(hidden)]
    pub const fn provider_token(mut self) -> Self {
        self.credential = TokenKind::Provider;
        self
    }

    /// Flag `#[multipart]`: an upload.
    #[doc(hidden)]
    pub const fn multipart(mut self) -> Self {
        self.fields = Fields::Multipart;
        self
    }

    /// Flag `#[query_and_json]`: fields in both the query string and a JSON body.
    #[doc(hidden)]
    pub const fn query_and_json(mut self) -> Self {
        self.fields = Fields::QueryAndJson;
        self
    }

    /// Flag `#[seeded]`: a hand-written endpoint that takes random bytes when built from JSON.
    #[doc(hidden)]
    pub const fn seeded(self) -> Self {
        self
    }

    /// Flag `#[binary]`: the answer is bytes.
    #[doc(hidden)]
    pub const fn binary(mut self) -> Self {
        self.answer = Answer::Binary;
        self
    }

    /// The request value with this entry's method, path, credential and idempotency, and no
    /// fields yet.
    pub fn request(&self) -> ApiRequest {
        let request = match self.method {
            Method::Get => ApiRequest::get(self.path),
            Method::Post => ApiRequest::post(self.path),
        };
        request.token(self.credential).idempotency(self.idempotency)
    }

    /// The credential's name as the CLI prints it: `none`, `access_token`,
    /// `component_access_token`, ...
    pub fn credential_name(&self) -> &'static str {
        match self.credential {
            TokenKind::None => "none",
            TokenKind::Custom(name) => name,
            other => other.param().unwrap_or("none"),
        }
    }
}

/// An endpoint declared with [`endpoints!`](crate::endpoints): its registry entry.
pub trait Declared: super::Endpoint {
    /// The entry.
    const INFO: Info;
}

/// Every declared endpoint of the compiled product lines, in declaration order.
pub fn all() -> impl Iterator<Item = &'static Info> {
    GROUPS
        .iter()
        .flat_map(|group| group.iter())
        .flat_map(|file| file.iter())
}

/// The endpoint named `name` (`mp.user.get`).
pub fn find(name: &str) -> Option<&'static Info> {
    all().find(|e| e.name == name)
}

/// The endpoints of one product line.
pub fn of(product: Product) -> impl Iterator<Item = &'static Info> {
    all().filter(move |e| e.product == product)
}

/// Every group's entries: one list per group, of one list per declaration file.
static GROUPS: &[&[&[Info]]] = &[
    #[cfg(feature = "mp")]
    super::mp::group::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::jsapi::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::media::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::menu::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::message::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::misc::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::qrcode::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::tag::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::template::REGISTRY,
    #[cfg(feature = "mp")]
    super::mp::user::REGISTRY,
    #[cfg(feature = "work")]
    super::work::agent::REGISTRY,
    #[cfg(feature = "work")]
    super::work::department::REGISTRY,
    #[cfg(feature = "work")]
    super::work::jsapi::REGISTRY,
    #[cfg(feature = "work")]
    super::work::media::REGISTRY,
    #[cfg(feature = "work")]
    super::work::message::REGISTRY,
    #[cfg(feature = "work")]
    super::work::tag::REGISTRY,
    #[cfg(feature = "work")]
    super::work::user::REGISTRY,
];

/// Turns the typed halves of an endpoint into JSON ones (the `dynamic` feature).
#[cfg(feature = "dynamic")]
#[derive(Clone, Copy)]
pub struct Dynamic {
    /// Builds the request from its fields as JSON, spelled as the official documentation
    /// spells them (wire names; a GET's query parameters as an object; no `access_token`; a
    /// file as [`dynamic::File`]), with 16 random bytes for what needs them (a multipart
    /// boundary).
    pub request: fn(serde_json::Value, [u8; 16]) -> Result<ApiRequest, Error>,
    /// Parses an answer into the typed response and prints it back as JSON with the wire
    /// names ([`Answer::Binary`] endpoints: the download).
    pub response: fn(ApiResponse) -> Result<Output, Error>,
}

#[cfg(feature = "dynamic")]
impl Dynamic {
    const UNDECLARED: Dynamic = Dynamic {
        request: |_, _| Err(Error::Misuse(alloc::string::String::from("no JSON request declared"))),
        response: |_| Err(Error::Misuse(alloc::string::String::from("no JSON answer declared"))),
    };
}

#[cfg(feature = "dynamic")]
impl core::fmt::Debug for Dynamic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Dynamic")
    }
}

/// A typed answer printed back: JSON, or a download.
#[cfg(feature = "dynamic")]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// The typed response as JSON, with the official wire names.
    Json(serde_json::Value),
    /// A file.
    Binary(super::Download),
}

/// The generic halves behind [`Dynamic`], instantiated once per endpoint by
/// [`endpoints!`](crate::endpoints).
#[cfg(feature = "dynamic")]
#[doc(hidden)]
pub mod dynamic {
    use alloc::string::ToString;

    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::Output;
    use crate::api::{Download, Endpoint};
    use crate::error::{ConfigError, Error};
    use crate::http::{ApiRequest, ApiResponse};

    /// JSON → the typed request → its request value. A field of the wrong type, an unknown
    /// field or a missing required field is an invalid argument naming it.
    pub fn request<E: Endpoint + DeserializeOwned + Seed>(
        fields: serde_json::Value,
        random: [u8; 16],
    ) -> Result<ApiRequest, Error> {
        let mut endpoint: E =
            serde_json::from_value(fields).map_err(|e| Error::from(ConfigError::InvalidArgument(e.to_string())))?;
        endpoint.seed(random);
        endpoint.request()
    }

    /// Takes the random bytes a request built from JSON needs (a multipart boundary); most
    /// need none. Hand-written endpoints that do are registered with `#[seeded]`.
    pub trait Seed {
        /// Uses `random`.
        fn seed(&mut self, random: [u8; 16]) {
            let _ = random;
        }
    }

    /// A file in a request built from JSON: `{"filename": "cat.jpg", "base64": "..."}`, with
    /// an optional `content_type` (guessed from the extension when absent). `wechat call`
    /// turns a `"@PATH"` argument into one.
    #[derive(Clone, PartialEq, Eq, Default)]
    pub struct File {
        /// The file name WeChat sees (its extension matters).
        pub filename: alloc::string::String,
        /// The content type, if given.
        pub content_type: Option<alloc::string::String>,
        /// The bytes.
        pub bytes: alloc::vec::Vec<u8>,
    }

    impl core::fmt::Debug for File {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("File")
                .field("filename", &self.filename)
                .field("content_type", &self.content_type)
                .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
                .finish()
        }
    }

    impl<'de> serde::Deserialize<'de> for File {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            use base64::Engine;
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Wire {
                filename: alloc::string::String,
                #[serde(default)]
                content_type: Option<alloc::string::String>,
                base64: alloc::string::String,
            }
            let wire = Wire::deserialize(d)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(wire.base64.as_bytes())
                .map_err(serde::de::Error::custom)?;
            Ok(File {
                filename: wire.filename,
                content_type: wire.content_type,
                bytes,
            })
        }
    }

    /// The answer → the endpoint's typed output → JSON (or the download).
    pub fn response<E: Endpoint + Default>(response: ApiResponse) -> Result<Output, Error>
    where
        E::Output: ToOutput,
    {
        E::default().parse(response)?.to_output()
    }

    /// A typed output printed back.
    pub trait ToOutput {
        /// JSON with the wire names, or the download.
        fn to_output(self) -> Result<Output, Error>;
    }

    impl<T: Serialize> ToOutput for T {
        fn to_output(self) -> Result<Output, Error> {
            serde_json::to_value(&self)
                .map(Output::Json)
                .map_err(|e| crate::api::json::decode_error(e, b""))
        }
    }

    impl ToOutput for Download {
        fn to_output(self) -> Result<Output, Error> {
            Ok(Output::Binary(self))
        }
    }

    /// `typed` (a typed answer printed back) without the fields WeChat did not send in `sent`
    /// (the raw answer): what `wechat call` prints. Object keys absent from `sent` go; where
    /// the shapes differ (a list WeCom sent as `"a|b"`), the typed value stays.
    pub fn prune(typed: serde_json::Value, sent: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match (typed, sent) {
            (Value::Object(typed), Value::Object(sent)) => Value::Object(
                typed
                    .into_iter()
                    .filter_map(|(k, v)| sent.get(&k).map(|s| (k, prune(v, s))))
                    .collect(),
            ),
            (Value::Array(typed), Value::Array(sent)) if typed.len() == sent.len() => {
                Value::Array(typed.into_iter().zip(sent).map(|(t, s)| prune(t, s)).collect())
            }
            (typed, _) => typed,
        }
    }

    /// Where `actual` does not carry the information of `expected`, one line per place
    /// (`user_info_list[1].openid: missing`). Equivalent: a number and the same number in a
    /// string; a list and its `|`-joined string; a missing field and `null`. A field of
    /// `actual` that `expected` lacks counts only when it is not empty (`null`, `0`, `""`,
    /// `false`, `[]`, `{}`).
    pub fn differences(
        expected: &serde_json::Value,
        actual: &serde_json::Value,
    ) -> alloc::vec::Vec<alloc::string::String> {
        let mut out = alloc::vec::Vec::new();
        diff(expected, actual, &mut alloc::string::String::new(), &mut out);
        out
    }

    fn diff(
        expected: &serde_json::Value,
        actual: &serde_json::Value,
        path: &mut alloc::string::String,
        out: &mut alloc::vec::Vec<alloc::string::String>,
    ) {
        use serde_json::Value;
        let at = |path: &str| {
            if path.is_empty() {
                alloc::string::String::from("(root)")
            } else {
                path.to_string()
            }
        };
        match (expected, actual) {
            (Value::Object(e), Value::Object(a)) => {
                for (k, ev) in e {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    match a.get(k) {
                        Some(av) => diff(ev, av, path, out),
                        None if ev.is_null() => {}
                        None => out.push(alloc::format!("{path}: missing")),
                    }
                    path.truncate(len);
                }
                for (k, av) in a {
                    if !e.contains_key(k) && !empty(av) {
                        out.push(alloc::format!(
                            "{}{}{k}: not in the sample ({av})",
                            path,
                            if path.is_empty() { "" } else { "." }
                        ));
                    }
                }
            }
            (Value::Array(e), Value::Array(a)) => {
                if e.len() != a.len() {
                    out.push(alloc::format!("{}: {} items instead of {}", at(path), a.len(), e.len()));
                    return;
                }
                for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                    let len = path.len();
                    path.push_str(&alloc::format!("[{i}]"));
                    diff(ev, av, path, out);
                    path.truncate(len);
                }
            }
            (e, a) if e == a || same_scalar(e, a) || joined(e, a) || joined(a, e) => {}
            (e, a) => out.push(alloc::format!("{}: {a} instead of {e}", at(path))),
        }
    }

    fn empty(v: &serde_json::Value) -> bool {
        use serde_json::Value;
        match v {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
        }
    }

    /// `1` and `"1"`.
    fn same_scalar(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value;
        match (a, b) {
            (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => n.to_string() == *s,
            _ => false,
        }
    }

    /// `"a|b"` and `["a", "b"]`.
    fn joined(s: &serde_json::Value, list: &serde_json::Value) -> bool {
        use serde_json::Value;
        let (Value::String(s), Value::Array(items)) = (s, list) else {
            return false;
        };
        let parts: alloc::vec::Vec<alloc::string::String> = items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        parts.join("|") == *s
    }
}

/// Runs a default request's parser: [`Info::parse`].
#[doc(hidden)]
pub fn parse_with<E: super::Endpoint + Default>(response: ApiResponse) -> Result<(), Error> {
    E::default().parse(response).map(drop)
}

/// One endpoint's official example: the request and the answer of its documentation page.
#[cfg(feature = "samples")]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Sample {
    /// The endpoint's name.
    pub name: alloc::string::String,
    /// The page the example comes from.
    pub source: alloc::string::String,
    /// `true` when the page shows only the field tables and the example was built from them.
    pub constructed: bool,
    /// The request's fields as the page spells them (a GET's query parameters as an object),
    /// `None` for an endpoint without any.
    pub request: Option<serde_json::Value>,
    /// The answer.
    pub response: serde_json::Value,
}

/// The sample files, one per declaration file (`core/samples/<product>/<group>.json`).
#[cfg(feature = "samples")]
static SAMPLE_FILES: &[(&str, &str)] = &[
    #[cfg(feature = "mp")]
    ("mp/group.json", include_str!("../../samples/mp/group.json")),
    #[cfg(feature = "mp")]
    ("mp/jsapi.json", include_str!("../../samples/mp/jsapi.json")),
    #[cfg(feature = "mp")]
    ("mp/media.json", include_str!("../../samples/mp/media.json")),
    #[cfg(feature = "mp")]
    ("mp/menu.json", include_str!("../../samples/mp/menu.json")),
    #[cfg(feature = "mp")]
    ("mp/message.json", include_str!("../../samples/mp/message.json")),
    #[cfg(feature = "mp")]
    ("mp/misc.json", include_str!("../../samples/mp/misc.json")),
    #[cfg(feature = "mp")]
    ("mp/qrcode.json", include_str!("../../samples/mp/qrcode.json")),
    #[cfg(feature = "mp")]
    ("mp/tag.json", include_str!("../../samples/mp/tag.json")),
    #[cfg(feature = "mp")]
    ("mp/template.json", include_str!("../../samples/mp/template.json")),
    #[cfg(feature = "mp")]
    ("mp/user.json", include_str!("../../samples/mp/user.json")),
    #[cfg(feature = "work")]
    ("work/agent.json", include_str!("../../samples/work/agent.json")),
    #[cfg(feature = "work")]
    (
        "work/department.json",
        include_str!("../../samples/work/department.json"),
    ),
    #[cfg(feature = "work")]
    ("work/jsapi.json", include_str!("../../samples/work/jsapi.json")),
    #[cfg(feature = "work")]
    ("work/media.json", include_str!("../../samples/work/media.json")),
    #[cfg(feature = "work")]
    ("work/message.json", include_str!("../../samples/work/message.json")),
    #[cfg(feature = "work")]
    ("work/tag.json", include_str!("../../samples/work/tag.json")),
    #[cfg(feature = "work")]
    ("work/user.json", include_str!("../../samples/work/user.json")),
];

/// Every sample, parsed; a file that does not parse yields one entry named after the file,
/// with the error as its `source` (a test catches it).
#[cfg(feature = "samples")]
pub fn samples() -> alloc::vec::Vec<Sample> {
    use alloc::string::ToString;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        source: alloc::string::String,
        #[serde(default)]
        constructed: bool,
        #[serde(default)]
        request: Option<serde_json::Value>,
        response: serde_json::Value,
    }

    let mut all = alloc::vec::Vec::new();
    for (file, text) in SAMPLE_FILES {
        match serde_json::from_str::<alloc::collections::BTreeMap<alloc::string::String, Entry>>(text) {
            Ok(entries) => all.extend(entries.into_iter().map(|(name, e)| Sample {
                name,
                source: e.source,
                constructed: e.constructed,
                request: e.request,
                response: e.response,
            })),
            Err(e) => all.push(Sample {
                name: (*file).to_string(),
                source: alloc::format!("unparsable: {e}"),
                constructed: false,
                request: None,
                response: serde_json::Value::Null,
            }),
        }
    }
    all
}

/// The sample of the endpoint named `name`.
#[cfg(feature = "samples")]
pub fn sample(name: &str) -> Option<Sample> {
    samples().into_iter().find(|s| s.name == name)
}
