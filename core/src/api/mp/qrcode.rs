//! Parametric QR codes (wechatpy `client.qrcode`): scanning one pushes a `subscribe` or
//! `SCAN` event carrying the scene.
//!
//! The image itself is served by `https://mp.weixin.qq.com/cgi-bin/showqrcode`, another host
//! than the API. [`ShowQrCode`] therefore uses an absolute URL as its path, which
//! [`ApiRequest::url`] uses as is, without the API base and without the access token (the
//! ticket is the only credential). A client configured with a custom API base (a mock
//! server) still fetches the image from mp.weixin.qq.com.
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html>

use alloc::string::String;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::api::json::{self, Download};
use crate::api::{Caller, Endpoint};
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse, TokenKind};

/// The host and path of QR code images.
pub const SHOW_QRCODE_URL: &str = "https://mp.weixin.qq.com/cgi-bin/showqrcode";

/// The scene a QR code carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrScene {
    /// A number: 1..=4 294 967 295 for temporary codes, 1..=100 000 for permanent ones.
    Id(u32),
    /// A string of 1 to 64 characters.
    Str(String),
}

/// Temporary (expiring) or permanent (at most 100 000 per account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrKind {
    /// Expires after `expire_seconds` (at most 2 592 000 = 30 days; WeChat's default 30 s).
    Temporary {
        /// Lifetime in seconds.
        expire_seconds: u32,
    },
    /// Never expires.
    Permanent,
}

/// Creates a QR code ticket, `POST /cgi-bin/qrcode/create` (wechatpy `qrcode.create`).
/// Not idempotent: each call creates a code (permanent codes are a limited quota).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateQrCode {
    /// Temporary or permanent.
    pub kind: QrKind,
    /// The scene.
    pub scene: QrScene,
}

impl CreateQrCode {
    /// A temporary code.
    pub fn temporary(scene: QrScene, expire_seconds: u32) -> Self {
        Self {
            kind: QrKind::Temporary { expire_seconds },
            scene,
        }
    }

    /// A permanent code.
    pub fn permanent(scene: QrScene) -> Self {
        Self {
            kind: QrKind::Permanent,
            scene,
        }
    }

    /// `QR_SCENE`, `QR_STR_SCENE`, `QR_LIMIT_SCENE` or `QR_LIMIT_STR_SCENE`.
    pub fn action_name(&self) -> &'static str {
        match (&self.kind, &self.scene) {
            (QrKind::Temporary { .. }, QrScene::Id(_)) => "QR_SCENE",
            (QrKind::Temporary { .. }, QrScene::Str(_)) => "QR_STR_SCENE",
            (QrKind::Permanent, QrScene::Id(_)) => "QR_LIMIT_SCENE",
            (QrKind::Permanent, QrScene::Str(_)) => "QR_LIMIT_STR_SCENE",
        }
    }
}

impl Serialize for CreateQrCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Scene<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            scene_id: Option<u32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            scene_str: Option<&'a str>,
        }
        #[derive(Serialize)]
        struct ActionInfo<'a> {
            scene: Scene<'a>,
        }
        let scene = match &self.scene {
            QrScene::Id(id) => Scene {
                scene_id: Some(*id),
                scene_str: None,
            },
            QrScene::Str(s) => Scene {
                scene_id: None,
                scene_str: Some(s),
            },
        };
        let mut map = serializer.serialize_map(None)?;
        if let QrKind::Temporary { expire_seconds } = self.kind {
            map.serialize_entry("expire_seconds", &expire_seconds)?;
        }
        map.serialize_entry("action_name", self.action_name())?;
        map.serialize_entry("action_info", &ActionInfo { scene })?;
        map.end()
    }
}

/// A created QR code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct QrCodeTicket {
    /// The ticket, for [`ShowQrCode`] / [`qrcode_url`].
    pub ticket: String,
    /// Lifetime of a temporary code, seconds.
    pub expire_seconds: Option<u64>,
    /// The URL the code encodes (make your own image from it).
    pub url: String,
}

impl Endpoint for CreateQrCode {
    type Output = QrCodeTicket;

    fn request(&self) -> Result<ApiRequest, Error> {
        ApiRequest::post("/cgi-bin/qrcode/create").json_of(self)
    }

    fn parse(&self, response: ApiResponse) -> Result<QrCodeTicket, Error> {
        json::parse_json(&response)
    }
}

/// Fetches the QR code image, `GET https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=`
/// (wechatpy `qrcode.show`). No access token is sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShowQrCode {
    /// The ticket from [`CreateQrCode`].
    pub ticket: String,
}

impl Endpoint for ShowQrCode {
    type Output = Download;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(ApiRequest::get(SHOW_QRCODE_URL)
            .token(TokenKind::None)
            .query("ticket", self.ticket.clone()))
    }

    fn parse(&self, response: ApiResponse) -> Result<Download, Error> {
        json::parse_download(response)
    }
}

/// The image URL of a ticket (wechatpy `qrcode.get_url`); safe to publish, it holds no
/// token.
pub fn qrcode_url(ticket: &str) -> String {
    ShowQrCode { ticket: ticket.into() }
        .request()
        .map(|r| r.url("", None))
        .unwrap_or_default()
}

crate::facade!(
    /// `client.qrcode()`: wechatpy's `client.qrcode` group.
    QrCodeApi
);

impl<'c, C: Caller + ?Sized> QrCodeApi<'c, C> {
    /// Creates a code (wechatpy `qrcode.create`).
    pub fn create(&self, qrcode: CreateQrCode) -> C::Ret<'c, QrCodeTicket> {
        self.0.call(qrcode)
    }

    /// Creates a temporary code.
    pub fn create_temporary(&self, scene: QrScene, expire_seconds: u32) -> C::Ret<'c, QrCodeTicket> {
        self.create(CreateQrCode::temporary(scene, expire_seconds))
    }

    /// Creates a permanent code.
    pub fn create_permanent(&self, scene: QrScene) -> C::Ret<'c, QrCodeTicket> {
        self.create(CreateQrCode::permanent(scene))
    }

    /// Downloads the image (wechatpy `qrcode.show`).
    pub fn show(&self, ticket: &str) -> C::Ret<'c, Download> {
        self.0.call(ShowQrCode { ticket: ticket.into() })
    }

    /// The image URL (wechatpy `qrcode.get_url`); pure.
    pub fn get_url(&self, ticket: &str) -> String {
        qrcode_url(ticket)
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::mp::testing::MockCaller;
    use crate::http::{Idempotency, Method};
    use crate::secret::AccessToken;

    #[test]
    fn create_variants() {
        let body = |c: CreateQrCode| {
            let req = c.request().unwrap();
            assert_eq!(req.method, Method::Post);
            assert_eq!(req.path, "/cgi-bin/qrcode/create");
            assert_eq!(req.idempotency, Idempotency::NonIdempotent);
            String::from_utf8(req.body.unwrap().bytes).unwrap()
        };
        assert_eq!(
            body(CreateQrCode::temporary(QrScene::Id(123), 1800)),
            r#"{"expire_seconds":1800,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":123}}}"#
        );
        assert_eq!(
            body(CreateQrCode::temporary(QrScene::Str("test".into()), 604800)),
            r#"{"expire_seconds":604800,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"test"}}}"#
        );
        assert_eq!(
            body(CreateQrCode::permanent(QrScene::Id(7))),
            r#"{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":7}}}"#
        );
        assert_eq!(
            body(CreateQrCode::permanent(QrScene::Str("scan_qrcode_from_scene".into()))),
            r#"{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"scan_qrcode_from_scene"}}}"#
        );
    }

    #[test]
    fn create_parses_the_ticket() {
        let mock = MockCaller::answering(
            r#"{"ticket":"gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==","expire_seconds":60,"url":"http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI"}"#,
        );
        let t = QrCodeApi::new(&mock).create_temporary(QrScene::Id(1), 60).unwrap();
        assert_eq!(t.expire_seconds, Some(60));
        assert_eq!(t.url, "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI");
        let mock = MockCaller::answering(r#"{"ticket":"T","url":"http://weixin.qq.com/q/x"}"#);
        let t = QrCodeApi::new(&mock)
            .create_permanent(QrScene::Str("s".into()))
            .unwrap();
        assert_eq!(t.expire_seconds, None);
        assert!(mock.body().contains("QR_LIMIT_STR_SCENE"));
    }

    #[test]
    fn show_goes_to_mp_weixin_without_token() {
        let mock = MockCaller::default();
        let mut png = ApiResponse::new(200, &b"\x89PNG\r\n"[..]);
        png.content_type = Some("image/jpg".into());
        mock.responses.borrow_mut().push_back(png);
        let image = QrCodeApi::new(&mock).show("gQH4+8/==").unwrap();
        assert_eq!(&image.bytes[..], b"\x89PNG\r\n");
        let req = mock.request();
        assert_eq!(req.method, Method::Get);
        assert_eq!(req.token, TokenKind::None);
        assert_eq!(req.idempotency, Idempotency::Idempotent);
        // whatever the API base, the token never goes to mp.weixin.qq.com
        assert_eq!(
            req.url("http://127.0.0.1:8080", Some(&AccessToken::new("SECRET"))),
            "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH4%2B8%2F%3D%3D"
        );
        // an invalid ticket comes back as a JSON error
        let err = ShowQrCode::default()
            .parse(ApiResponse::json(
                &br#"{"errcode":40001,"errmsg":"invalid ticket"}"#[..],
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Api(e) if e.code == 40001));
    }

    #[test]
    fn get_url_matches_wechatpy() {
        // wechatpy: quote("gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==")
        let ticket = "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==";
        let mock = MockCaller::default();
        assert_eq!(
            QrCodeApi::new(&mock).get_url(ticket),
            "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D"
        );
        assert!(mock.requests.borrow().is_empty());
    }
}
