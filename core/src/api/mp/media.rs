//! Temporary media (wechatpy `client.media`): uploads kept 3 days, downloads, and the
//! uploads that prepare mass messages.
//!
//! Uploads are `multipart/form-data` bodies built by [`Multipart`]: one part named `media`
//! with the file name (WeChat infers the type from its extension) and a content type. The
//! boundary comes from [`Caller::random`], so the request value itself stays pure.
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/New_temporary_materials.html>

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::api::json::{self, Download};
use crate::api::{Caller, Endpoint};
use crate::endpoint;
use crate::error::Error;
use crate::http::{ApiRequest, ApiResponse};
use crate::multipart::{Multipart, guess_content_type};
use crate::secret::AccessToken;

/// The kind of a temporary media file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MediaType {
    /// `image`: bmp/png/jpeg/jpg/gif, up to 10 MB.
    #[default]
    Image,
    /// `voice`: amr/mp3, up to 2 MB and 60 s.
    Voice,
    /// `video`: mp4, up to 10 MB.
    Video,
    /// `thumb`: jpg thumbnail, up to 64 KB.
    Thumb,
}

impl MediaType {
    /// The `type` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Voice => "voice",
            MediaType::Video => "video",
            MediaType::Thumb => "thumb",
        }
    }
}

/// A file to upload: its name (with the extension WeChat relies on), content type and bytes.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct MediaFile {
    /// The file name, e.g. `photo.jpg`.
    pub filename: String,
    /// The content type; guessed from the extension when `None`.
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl MediaFile {
    /// A file whose content type is guessed from `filename`.
    pub fn new(filename: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            filename: filename.into(),
            content_type: None,
            bytes: bytes.into(),
        }
    }

    fn multipart(&self, boundary: &[u8; 16]) -> (String, Vec<u8>) {
        let content_type = self
            .content_type
            .as_deref()
            .unwrap_or_else(|| guess_content_type(&self.filename));
        Multipart::new(boundary)
            .file("media", &self.filename, content_type, &self.bytes)
            .finish()
    }
}

impl fmt::Debug for MediaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaFile")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

/// An uploaded media file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UploadedMedia {
    /// `image`, `voice`, `video`, `thumb` or `news`.
    pub r#type: String,
    /// The media id (valid 3 days); see [`UploadedMedia::id`].
    pub media_id: Option<String>,
    /// Thumbnail uploads answer with `thumb_media_id` instead of `media_id`.
    pub thumb_media_id: Option<String>,
    /// Upload time, Unix seconds.
    pub created_at: u64,
}

impl UploadedMedia {
    /// The id, whichever field WeChat put it in (`media_id`, or `thumb_media_id` for
    /// thumbnails); empty if neither.
    pub fn id(&self) -> &str {
        self.media_id
            .as_deref()
            .or(self.thumb_media_id.as_deref())
            .unwrap_or("")
    }
}

/// Uploads a temporary media file, `POST /cgi-bin/media/upload?type=...` (wechatpy
/// `media.upload`). Not idempotent: each call stores a new file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadMedia {
    /// The kind of media.
    pub media_type: MediaType,
    /// The file.
    pub file: MediaFile,
    /// Randomness for the multipart boundary ([`Caller::random`]).
    pub boundary: [u8; 16],
}

impl Endpoint for UploadMedia {
    type Output = UploadedMedia;

    fn request(&self) -> Result<ApiRequest, Error> {
        let (content_type, body) = self.file.multipart(&self.boundary);
        Ok(ApiRequest::post("/cgi-bin/media/upload")
            .query("type", self.media_type.as_str())
            .body(content_type, body))
    }

    fn parse(&self, response: ApiResponse) -> Result<UploadedMedia, Error> {
        json::parse_json(&response)
    }
}

/// Uploads an image for use inside news articles, `POST /cgi-bin/media/uploadimg` (wechatpy
/// `media.upload_image` / `upload_mass_image`); returns its URL. Not idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadImage {
    /// The jpg/png image, under 1 MB.
    pub file: MediaFile,
    /// Randomness for the multipart boundary ([`Caller::random`]).
    pub boundary: [u8; 16],
}

#[derive(Deserialize)]
struct UrlWire {
    #[serde(default)]
    url: String,
}

impl Endpoint for UploadImage {
    type Output = String;

    fn request(&self) -> Result<ApiRequest, Error> {
        let (content_type, body) = self.file.multipart(&self.boundary);
        Ok(ApiRequest::post("/cgi-bin/media/uploadimg").body(content_type, body))
    }

    fn parse(&self, response: ApiResponse) -> Result<String, Error> {
        let wire: UrlWire = json::parse_json(&response)?;
        Ok(wire.url)
    }
}

/// What `cgi-bin/media/get` returns: the file, or for video media a download URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaContent {
    /// Images, voice, thumbnails: the bytes.
    File(Download),
    /// Video: WeChat answers with JSON holding a URL to fetch.
    VideoUrl(String),
}

/// Downloads a temporary media file, `GET /cgi-bin/media/get` (wechatpy `media.download`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DownloadMedia {
    /// The media id.
    pub media_id: String,
}

#[derive(Deserialize)]
struct VideoWire {
    #[serde(default)]
    video_url: Option<String>,
}

impl Endpoint for DownloadMedia {
    type Output = MediaContent;

    fn request(&self) -> Result<ApiRequest, Error> {
        Ok(ApiRequest::get("/cgi-bin/media/get").query("media_id", self.media_id.clone()))
    }

    fn parse(&self, response: ApiResponse) -> Result<MediaContent, Error> {
        json::check(&response)?;
        if json::is_json(&response) {
            let wire: VideoWire = json::parse_json(&response)?;
            return match wire.video_url {
                Some(url) => Ok(MediaContent::VideoUrl(url)),
                None => Err(json::decode_error("expected a file or a video_url", &response.body)),
            };
        }
        json::parse_download(response).map(MediaContent::File)
    }
}

/// The download URL of a temporary media file (wechatpy `media.get_url`), for handing to a
/// downloader that cannot call the API itself.
///
/// **The URL contains the access token.** Anyone who sees it (logs, browser history,
/// referrers, a third-party service) can call every API of the account until the token
/// expires. Prefer [`DownloadMedia`]; if you must, keep the URL server-side and short-lived.
pub fn media_url(api_base: &str, token: &AccessToken, media_id: &str) -> String {
    ApiRequest::get("/cgi-bin/media/get")
        .query("media_id", media_id)
        .url(api_base, Some(token))
}

endpoint! {
    /// Turns an uploaded video into a mass-send video, `POST /cgi-bin/media/uploadvideo`
    /// (wechatpy `media.upload_video`). Not idempotent: each call makes a new media id.
    UploadVideo: POST "/cgi-bin/media/uploadvideo" => UploadedMedia {
        /// The media id from [`UploadMedia`] with [`MediaType::Video`].
        media_id: String,
        /// Title.
        title: String,
        /// Description.
        description: String,
    }
}

/// One article of a news material for mass sends (`media/uploadnews`). Like wechatpy, the
/// optional text fields are sent as `""` and `show_cover_pic` as 0 when not set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NewsArticle {
    /// The cover's media id (a `thumb` or permanent image).
    pub thumb_media_id: String,
    /// Title.
    pub title: String,
    /// HTML body; images must come from [`UploadImage`].
    pub content: String,
    /// Author.
    pub author: String,
    /// "Read the original" URL.
    pub content_source_url: String,
    /// Summary.
    pub digest: String,
    /// 1 to show the cover in the body.
    pub show_cover_pic: u8,
    /// 1 to open comments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_open_comment: Option<u8>,
    /// 1 to allow comments from followers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_fans_can_comment: Option<u8>,
}

endpoint! {
    /// Uploads a news material for mass sends, `POST /cgi-bin/media/uploadnews` (wechatpy
    /// `media.upload_articles`). Not idempotent.
    UploadArticles: POST "/cgi-bin/media/uploadnews" => UploadedMedia {
        /// 1 to 8 articles.
        articles: Vec<NewsArticle>,
    }
}

crate::facade!(
    /// `client.media()`: wechatpy's `client.media` group.
    MediaApi
);

impl<'c, C: Caller + ?Sized> MediaApi<'c, C> {
    /// Uploads a temporary file; the content type is guessed from `filename` (wechatpy
    /// `media.upload`). Use [`MediaApi::upload_file`] to set it.
    pub fn upload(
        &self,
        media_type: MediaType,
        filename: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> C::Ret<'c, UploadedMedia> {
        self.upload_file(media_type, MediaFile::new(filename, bytes))
    }

    /// Uploads a temporary file with an explicit content type.
    pub fn upload_file(&self, media_type: MediaType, file: MediaFile) -> C::Ret<'c, UploadedMedia> {
        self.0.call(UploadMedia {
            media_type,
            file,
            boundary: self.0.random(),
        })
    }

    /// Downloads a temporary file, or a video's URL (wechatpy `media.download`).
    pub fn download(&self, media_id: &str) -> C::Ret<'c, MediaContent> {
        self.0.call(DownloadMedia {
            media_id: media_id.into(),
        })
    }

    /// The download URL of a file (wechatpy `media.get_url`); get the token from
    /// `client.access_token()`. **The URL carries the token**: see [`media_url`].
    pub fn get_url(&self, token: &AccessToken, media_id: &str) -> String {
        media_url(super::API_BASE, token, media_id)
    }

    /// Prepares an uploaded video for a mass send (wechatpy `media.upload_video`).
    pub fn upload_video(&self, media_id: &str, title: &str, description: &str) -> C::Ret<'c, UploadedMedia> {
        self.0.call(UploadVideo {
            media_id: media_id.into(),
            title: title.into(),
            description: description.into(),
        })
    }

    /// Uploads a news material for mass sends (wechatpy `media.upload_articles`).
    pub fn upload_articles(&self, articles: Vec<NewsArticle>) -> C::Ret<'c, UploadedMedia> {
        self.0.call(UploadArticles { articles })
    }

    /// Uploads an image for article bodies; returns its URL (wechatpy `media.upload_image`).
    pub fn upload_image(&self, filename: &str, bytes: impl Into<Vec<u8>>) -> C::Ret<'c, String> {
        self.0.call(UploadImage {
            file: MediaFile::new(filename, bytes),
            boundary: self.0.random(),
        })
    }

    /// Same as [`MediaApi::upload_image`] (wechatpy `media.upload_mass_image`).
    pub fn upload_mass_image(&self, filename: &str, bytes: impl Into<Vec<u8>>) -> C::Ret<'c, String> {
        self.upload_image(filename, bytes)
    }
}

/// This group's endpoints, one list per declaration file, for the [registry](crate::api::registry).
pub(crate) const REGISTRY: &[&[crate::api::registry::Info]] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::mp::testing::MockCaller;
    use crate::http::{Idempotency, Method};
    use alloc::vec;

    const BOUNDARY: &str = "----WeChatRsBoundaryabababababababababababababababab";

    fn expected_multipart(filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
        crate::api::testing::expected_multipart(BOUNDARY, filename, content_type, bytes)
    }

    #[test]
    fn upload_is_an_exact_multipart_body() {
        let mock = MockCaller::answering(r#"{"type":"image","media_id":"MEDIA_ID","created_at":1398848981}"#);
        let media = MediaApi::new(&mock)
            .upload(MediaType::Image, "photo.JPG", &b"\xff\xd8\xff\xe0JFIF"[..])
            .unwrap();
        assert_eq!(media.id(), "MEDIA_ID");
        assert_eq!(media.created_at, 1398848981);
        let req = mock.request();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path, "/cgi-bin/media/upload");
        assert_eq!(req.idempotency, Idempotency::NonIdempotent);
        assert_eq!(
            req.url("https://api.weixin.qq.com", Some(&AccessToken::new("T"))),
            "https://api.weixin.qq.com/cgi-bin/media/upload?access_token=T&type=image"
        );
        let body = req.body.unwrap();
        assert_eq!(
            body.content_type,
            alloc::format!("multipart/form-data; boundary={BOUNDARY}")
        );
        assert_eq!(
            body.bytes,
            expected_multipart("photo.JPG", "image/jpeg", b"\xff\xd8\xff\xe0JFIF")
        );
    }

    #[test]
    fn upload_with_explicit_content_type_and_thumb_answer() {
        let mock = MockCaller::answering(r#"{"type":"thumb","thumb_media_id":"THUMB_ID","created_at":1}"#);
        let media = MediaApi::new(&mock)
            .upload_file(
                MediaType::Thumb,
                MediaFile {
                    filename: "t".into(),
                    content_type: Some("image/jpeg".into()),
                    bytes: vec![1, 2, 3],
                },
            )
            .unwrap();
        assert_eq!(media.id(), "THUMB_ID");
        let req = mock.request();
        assert_eq!(req.query, [("type".into(), String::from("thumb"))]);
        assert_eq!(
            req.body.unwrap().bytes,
            expected_multipart("t", "image/jpeg", &[1, 2, 3])
        );
    }

    #[test]
    fn upload_image_returns_the_url() {
        let mock = MockCaller::answering(
            r#"{"url":"http://mmbiz.qpic.cn/mmbiz/gLO17UPS6FS2xsypf378iaNhWacZ1G1UplZYWEYfwvuU6Ont96b1roYs CNFwaRrSaKTPCUdBK9DgEHicsKwWCBRQ/0"}"#,
        );
        let url = MediaApi::new(&mock)
            .upload_mass_image("a.png", &b"\x89PNG"[..])
            .unwrap();
        assert!(url.starts_with("http://mmbiz.qpic.cn/"));
        let req = mock.request();
        assert_eq!(req.path, "/cgi-bin/media/uploadimg");
        assert_eq!(req.idempotency, Idempotency::NonIdempotent);
        assert!(req.query.is_empty());
        assert_eq!(
            req.body.unwrap().bytes,
            expected_multipart("a.png", "image/png", b"\x89PNG")
        );
    }

    #[test]
    fn download_file_video_and_errors() {
        let call = DownloadMedia { media_id: "M 1".into() };
        let req = call.request().unwrap();
        assert_eq!(req.method, Method::Get);
        assert_eq!(req.idempotency, Idempotency::Idempotent);
        assert_eq!(
            req.url("https://api.weixin.qq.com", Some(&AccessToken::new("T"))),
            "https://api.weixin.qq.com/cgi-bin/media/get?access_token=T&media_id=M+1"
        );

        let mut jpeg = ApiResponse::new(200, &b"\xff\xd8\xff"[..]);
        jpeg.content_type = Some("image/jpeg".into());
        jpeg.content_disposition = Some("attachment; filename=\"MEDIA.jpg\"".into());
        match call.parse(jpeg).unwrap() {
            MediaContent::File(d) => {
                assert_eq!(&d.bytes[..], b"\xff\xd8\xff");
                assert_eq!(d.filename.as_deref(), Some("MEDIA.jpg"));
            }
            other => panic!("{other:?}"),
        }

        let mut video = ApiResponse::new(
            200,
            &br#"{"video_url":"http://203.205.158.71/vweixinp.tc.qq.com/1.mp4"}"#[..],
        );
        video.content_type = Some("text/plain".into());
        assert_eq!(
            call.parse(video).unwrap(),
            MediaContent::VideoUrl("http://203.205.158.71/vweixinp.tc.qq.com/1.mp4".into())
        );

        let err = call
            .parse(ApiResponse::json(
                &br#"{"errcode":40007,"errmsg":"invalid media_id"}"#[..],
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Api(e) if e.code == 40007));
        // JSON that is neither an error nor a video
        let err = call.parse(ApiResponse::json(&br#"{"unexpected":1}"#[..])).unwrap_err();
        assert!(matches!(
            err,
            Error::Response(crate::error::ResponseError::Decode { .. })
        ));
    }

    #[test]
    fn get_url_embeds_the_token() {
        let mock = MockCaller::default();
        assert_eq!(
            MediaApi::new(&mock).get_url(&AccessToken::new("TOK"), "MID"),
            "https://api.weixin.qq.com/cgi-bin/media/get?access_token=TOK&media_id=MID"
        );
        assert!(mock.requests.borrow().is_empty());
    }

    #[test]
    fn upload_video_and_articles() {
        let mock = MockCaller::answering(
            r#"{"type":"video","media_id":"IhdaAQXuvJtGzwwc0abfXnzeezfO0NgPK6AQYShD8RQYMTtfzbLdBIQkQziv2XJc","created_at":1398848981}"#,
        );
        let media = MediaApi::new(&mock)
            .upload_video("rF4UdIMf", "TITLE", "Description")
            .unwrap();
        assert_eq!(media.r#type, "video");
        let req = mock.request();
        assert_eq!(req.path, "/cgi-bin/media/uploadvideo");
        assert_eq!(req.idempotency, Idempotency::NonIdempotent);
        assert_eq!(
            mock.body(),
            r#"{"media_id":"rF4UdIMf","title":"TITLE","description":"Description"}"#
        );

        let mock = MockCaller::answering(
            r#"{"type":"news","media_id":"CsEf3ldqkAYJAU6EJeIkStVDSvffUJ54vqbThMgplD-VJXXof6ctX5fI6-aYyUiQ","created_at":1391857799}"#,
        );
        let media = MediaApi::new(&mock)
            .upload_articles(vec![NewsArticle {
                thumb_media_id: "TH".into(),
                title: "Happy Day".into(),
                content: "content".into(),
                ..NewsArticle::default()
            }])
            .unwrap();
        assert_eq!(media.r#type, "news");
        assert_eq!(mock.request().path, "/cgi-bin/media/uploadnews");
        assert_eq!(
            mock.body(),
            r#"{"articles":[{"thumb_media_id":"TH","title":"Happy Day","content":"content","author":"","content_source_url":"","digest":"","show_cover_pic":0}]}"#
        );
    }

    #[test]
    fn debug_hides_file_bytes() {
        let shown = alloc::format!("{:?}", MediaFile::new("a.jpg", vec![0u8; 4096]));
        assert!(shown.contains("<4096 bytes>"), "{shown}");
    }
}
