//! Temporary media (wechatpy `client.media`): uploads, downloads, and download URLs.
//!
//! Docs: <https://developer.work.weixin.qq.com/document/path/90253> (upload),
//! <https://developer.work.weixin.qq.com/document/path/90256> (uploadimg),
//! <https://developer.work.weixin.qq.com/document/path/90254> (get),
//! <https://developer.work.weixin.qq.com/document/path/90255> (get/jssdk).
//!
//! Uploads are `multipart/form-data` with one part named `media`; the boundary comes from the
//! caller's randomness ([`Caller::random`]), so the encoded bytes are reproducible in tests.
//! Downloads go through the normal token and retry pipeline and come back as a
//! [`Download`]; an error body from WeCom becomes an [`Error::Api`] instead of being saved
//! as the file (wechatpy's `download` returns whatever `requests.get` got).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::de;
use crate::api::json::{parse_download, parse_json};
use crate::api::{Caller, Download, Endpoint};
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse, Idempotency};
use crate::multipart::{Multipart, guess_content_type};
use crate::secret::AccessToken;

/// The kind of a temporary media file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaType {
    /// `image`: JPG/PNG, up to 10 MB.
    Image,
    /// `voice`: AMR, up to 2 MB and 60 s.
    Voice,
    /// `video`: MP4, up to 10 MB.
    Video,
    /// `file`: anything, up to 20 MB.
    File,
}

impl MediaType {
    /// The `type` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Voice => "voice",
            MediaType::Video => "video",
            MediaType::File => "file",
        }
    }
}

/// An uploaded temporary media file; the id is valid for 3 days.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UploadedMedia {
    /// `image`, `voice`, `video` or `file`.
    pub r#type: String,
    /// The media id.
    pub media_id: String,
    /// When it was uploaded, Unix seconds (WeCom sends it as a string).
    #[serde(deserialize_with = "de::opt_u64")]
    pub created_at: Option<u64>,
}

fn multipart(random: &[u8; 16], filename: &str, content_type: Option<&str>, bytes: &[u8]) -> (String, Vec<u8>) {
    let content_type = content_type.unwrap_or_else(|| guess_content_type(filename));
    Multipart::new(random)
        .file("media", filename, content_type, bytes)
        .finish()
}

/// Uploads a temporary media file, `POST /cgi-bin/media/upload?type=...` (wechatpy
/// `media.upload`). Not retried: every upload creates a new media id.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadMedia {
    /// The kind.
    pub media_type: MediaType,
    /// The file name WeCom sees (its extension matters).
    pub filename: String,
    /// The part's content type; guessed from the extension when `None`.
    pub content_type: Option<String>,
    /// The file.
    pub bytes: Vec<u8>,
    /// 16 random bytes for the multipart boundary ([`Caller::random`]).
    pub boundary: [u8; 16],
}

impl fmt::Debug for UploadMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadMedia")
            .field("media_type", &self.media_type)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

impl Endpoint for UploadMedia {
    type Output = UploadedMedia;

    fn request(&self) -> Result<ApiRequest, Error> {
        let (content_type, body) = multipart(
            &self.boundary,
            &self.filename,
            self.content_type.as_deref(),
            &self.bytes,
        );
        Ok(ApiRequest::post("/cgi-bin/media/upload")
            .query("type", self.media_type.as_str())
            .idempotency(Idempotency::NonIdempotent)
            .body(content_type, body))
    }

    fn parse(&self, response: ApiResponse) -> Result<UploadedMedia, Error> {
        parse_json(&response)
    }
}

/// Uploads a permanent image for mpnews bodies, `POST /cgi-bin/media/uploadimg` (wechatpy
/// `media.upload_img`); returns its URL. 5 B to 2 MB, JPG/PNG; counts against a monthly
/// quota, so it is not retried.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadImage {
    /// The file name (`.jpg` or `.png`).
    pub filename: String,
    /// The part's content type; guessed from the extension when `None`.
    pub content_type: Option<String>,
    /// The image.
    pub bytes: Vec<u8>,
    /// 16 random bytes for the multipart boundary.
    pub boundary: [u8; 16],
}

impl fmt::Debug for UploadImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadImage")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

#[derive(Deserialize)]
struct UrlWire {
    #[serde(default)]
    url: String,
}

impl Endpoint for UploadImage {
    type Output = String;

    fn request(&self) -> Result<ApiRequest, Error> {
        let (content_type, body) = multipart(
            &self.boundary,
            &self.filename,
            self.content_type.as_deref(),
            &self.bytes,
        );
        Ok(ApiRequest::post("/cgi-bin/media/uploadimg")
            .idempotency(Idempotency::NonIdempotent)
            .body(content_type, body))
    }

    fn parse(&self, response: ApiResponse) -> Result<String, Error> {
        Ok(parse_json::<UrlWire>(&response)?.url)
    }
}

fn media_request(path: &'static str, media_id: &str) -> ApiRequest {
    ApiRequest::get(path).query("media_id", media_id)
}

/// Downloads a temporary media file, `GET /cgi-bin/media/get` (wechatpy `media.download`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetMedia {
    /// The media id.
    pub media_id: String,
}

impl Endpoint for GetMedia {
    type Output = Download;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(media_request("/cgi-bin/media/get", &self.media_id))
    }

    fn parse(&self, response: ApiResponse) -> Result<Download, Error> {
        parse_download(response)
    }
}

/// Downloads a high-quality voice recorded with the JS-SDK's `uploadVoice` (speex, 16 kHz),
/// `GET /cgi-bin/media/get/jssdk`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetJssdkMedia {
    /// The media id from `uploadVoice`.
    pub media_id: String,
}

impl Endpoint for GetJssdkMedia {
    type Output = Download;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(media_request("/cgi-bin/media/get/jssdk", &self.media_id))
    }

    fn parse(&self, response: ApiResponse) -> Result<Download, Error> {
        parse_download(response)
    }
}

/// The download URL of a media file (wechatpy `media.get_url`), `base` being
/// [`API_BASE`](super::API_BASE) or your proxy.
///
/// **The URL contains the access token.** Whoever sees it can call every API of the app
/// until the token expires: never log it, store it or hand it to a browser or another
/// service. Prefer [`GetMedia`] / `client.media().download(..)`, which keep the token inside
/// the client.
pub fn media_url(base: &str, token: &AccessToken, media_id: &str) -> String {
    media_request("/cgi-bin/media/get", media_id).url(base, Some(token))
}

/// The download URL of a JS-SDK voice (wechatpy `media.get_jssdk_url`). It contains the
/// access token: see [`media_url`].
pub fn jssdk_media_url(base: &str, token: &AccessToken, media_id: &str) -> String {
    media_request("/cgi-bin/media/get/jssdk", media_id).url(base, Some(token))
}

crate::facade!(
    /// `client.media()`: wechatpy's `client.media` group (WeCom temporary media).
    MediaApi
);

impl<'c, C: Caller + ?Sized> MediaApi<'c, C> {
    /// Uploads a temporary file (wechatpy `media.upload`); the content type is guessed from
    /// the file name.
    pub fn upload(&self, media_type: MediaType, filename: &str, bytes: Vec<u8>) -> C::Ret<'c, UploadedMedia> {
        self.0.call(UploadMedia {
            media_type,
            filename: filename.into(),
            content_type: None,
            bytes,
            boundary: self.0.random(),
        })
    }

    /// Uploads an image for mpnews bodies and returns its URL (wechatpy `media.upload_img`).
    pub fn upload_img(&self, filename: &str, bytes: Vec<u8>) -> C::Ret<'c, String> {
        self.0.call(UploadImage {
            filename: filename.into(),
            content_type: None,
            bytes,
            boundary: self.0.random(),
        })
    }

    /// Downloads a temporary file (wechatpy `media.download`, which did no error checking).
    pub fn download(&self, media_id: &str) -> C::Ret<'c, Download> {
        self.0.call(GetMedia {
            media_id: media_id.into(),
        })
    }

    /// Downloads a JS-SDK voice.
    pub fn download_jssdk(&self, media_id: &str) -> C::Ret<'c, Download> {
        self.0.call(GetJssdkMedia {
            media_id: media_id.into(),
        })
    }

    /// [`media_url`] against WeCom's default base. Contains the access token.
    pub fn get_url(&self, token: &AccessToken, media_id: &str) -> String {
        media_url(super::API_BASE, token, media_id)
    }

    /// [`jssdk_media_url`] against WeCom's default base. Contains the access token.
    pub fn get_jssdk_url(&self, token: &AccessToken, media_id: &str) -> String {
        jssdk_media_url(super::API_BASE, token, media_id)
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::work::testing::{Mock, assert_get};
    use crate::http::Idempotency::{Idempotent, NonIdempotent};
    use crate::http::Method;

    const BOUNDARY: &str = "----WeChatRsBoundary5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

    fn expected_multipart(filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
        crate::api::testing::expected_multipart(BOUNDARY, filename, content_type, bytes)
    }

    #[test]
    fn upload_is_exact_multipart() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"","type":"image","media_id":"1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0","created_at":"1380000000"}"#,
        ]);
        let uploaded = mock
            .media()
            .upload(MediaType::Image, "a.jpg", b"\xff\xd8\xff".to_vec())
            .unwrap();
        let req = mock.last();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path, "/cgi-bin/media/upload");
        assert_eq!(req.query, [("type".into(), String::from("image"))].to_vec());
        assert_eq!(req.idempotency, NonIdempotent);
        let body = req.body.unwrap();
        assert_eq!(
            body.content_type,
            alloc::format!("multipart/form-data; boundary={BOUNDARY}")
        );
        assert_eq!(body.bytes, expected_multipart("a.jpg", "image/jpeg", b"\xff\xd8\xff"));
        assert_eq!(uploaded.r#type, "image");
        assert_eq!(uploaded.created_at, Some(1_380_000_000));
        assert!(uploaded.media_id.starts_with("1G6nrLmr5EC3"));
        // an explicit content type wins over the guess; Debug hides the bytes
        let upload = UploadMedia {
            media_type: MediaType::File,
            filename: "report".into(),
            content_type: Some("application/pdf".into()),
            bytes: b"%PDF-1".to_vec(),
            boundary: [0x5a; 16],
        };
        let req = upload.request().unwrap();
        assert_eq!(req.query[0].1, "file");
        assert_eq!(
            req.body.unwrap().bytes,
            expected_multipart("report", "application/pdf", b"%PDF-1")
        );
        assert!(!alloc::format!("{upload:?}").contains("PDF"));
    }

    #[test]
    fn upload_img_returns_the_url() {
        let mock = Mock::new(&[
            r#"{"errcode":0,"errmsg":"","url":"http://p.qpic.cn/pic_wework/3474110808/7a7c8471673ff0f178f63447935d35a5c1247a7f31d9c060/0"}"#,
        ]);
        let url = mock.media().upload_img("x.png", b"\x89PNG".to_vec()).unwrap();
        assert!(url.starts_with("http://p.qpic.cn/pic_wework/"));
        let req = mock.last();
        assert_eq!(req.path, "/cgi-bin/media/uploadimg");
        assert!(req.query.is_empty());
        assert_eq!(req.idempotency, NonIdempotent);
        assert_eq!(
            req.body.unwrap().bytes,
            expected_multipart("x.png", "image/png", b"\x89PNG")
        );
    }

    #[test]
    fn downloads_go_through_the_pipeline() {
        let mut file = ApiResponse::new(200, &b"#!AMR\n"[..]);
        file.content_type = Some("audio/amr".into());
        file.content_disposition = Some("attachment; filename=\"voice.amr\"".into());
        let mut error = ApiResponse::new(200, &br#"{"errcode":40007,"errmsg":"invalid media_id"}"#[..]);
        error.content_type = Some("application/json; charset=utf-8".into());
        let mut speex = ApiResponse::new(200, &b"Speex   "[..]);
        speex.content_type = Some("audio/speex".into());
        let mock = Mock::with_responses(alloc::vec![file, error, speex]);

        let got = mock.media().download("MEDIA").unwrap();
        assert_get(&mock.last(), "/cgi-bin/media/get", &["media_id=MEDIA"], Idempotent);
        assert_eq!(got.filename.as_deref(), Some("voice.amr"));
        assert_eq!(&got.bytes[..], b"#!AMR\n");
        assert!(matches!(
            mock.media().download("BAD"),
            Err(Error::Api(e)) if e.code == 40007
        ));
        let voice = mock.media().download_jssdk("VOICE").unwrap();
        assert_get(
            &mock.last(),
            "/cgi-bin/media/get/jssdk",
            &["media_id=VOICE"],
            Idempotent,
        );
        assert_eq!(voice.content_type.as_deref(), Some("audio/speex"));
    }

    #[test]
    fn urls_carry_the_token_and_escape_the_id() {
        let token = AccessToken::new("TOK");
        assert_eq!(
            media_url(super::super::API_BASE, &token, "a b&c"),
            "https://qyapi.weixin.qq.com/cgi-bin/media/get?access_token=TOK&media_id=a+b%26c"
        );
        let mock = Mock::new(&[]);
        assert_eq!(
            mock.media().get_jssdk_url(&token, "V"),
            "https://qyapi.weixin.qq.com/cgi-bin/media/get/jssdk?access_token=TOK&media_id=V"
        );
        assert_eq!(
            mock.media().get_url(&token, "M"),
            media_url("https://qyapi.weixin.qq.com/", &token, "M")
        );
    }
}
