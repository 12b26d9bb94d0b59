//! `multipart/form-data` bodies for media uploads, encoded in the core so every transport sends
//! identical bytes. The boundary is built from caller-supplied random bytes.

use alloc::string::String;
use alloc::vec::Vec;

/// A multipart body under construction.
#[derive(Clone)]
pub struct Multipart {
    boundary: String,
    body: Vec<u8>,
}

impl core::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Multipart")
            .field("boundary", &self.boundary)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// Quoted-string content for a header parameter: no quotes, backslashes or line breaks, so a
/// file name cannot inject headers.
fn sanitize_param(value: &str) -> String {
    value
        .chars()
        .map(|c| if matches!(c, '"' | '\\' | '\r' | '\n') { '_' } else { c })
        .collect()
}

impl Multipart {
    /// Starts a body whose boundary is derived from 16 random bytes.
    pub fn new(random: &[u8; 16]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut boundary = String::from("----WeChatRsBoundary");
        for b in random {
            boundary.push(HEX[(b >> 4) as usize] as char);
            boundary.push(HEX[(b & 0xf) as usize] as char);
        }
        Self {
            boundary,
            body: Vec::new(),
        }
    }

    /// The boundary string.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    fn start_part(&mut self, name: &str, filename: Option<&str>) {
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.as_bytes());
        self.body
            .extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        self.body.extend_from_slice(sanitize_param(name).as_bytes());
        self.body.push(b'"');
        if let Some(filename) = filename {
            self.body.extend_from_slice(b"; filename=\"");
            self.body.extend_from_slice(sanitize_param(filename).as_bytes());
            self.body.push(b'"');
        }
        self.body.extend_from_slice(b"\r\n");
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.start_part(name, None);
        self.body.extend_from_slice(b"\r\n");
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// Adds a file part.
    pub fn file(mut self, name: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Self {
        self.start_part(name, Some(filename));
        self.body.extend_from_slice(b"Content-Type: ");
        self.body.extend_from_slice(sanitize_param(content_type).as_bytes());
        self.body.extend_from_slice(b"\r\n\r\n");
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// Finishes the body: `(content_type, bytes)`.
    pub fn finish(mut self) -> (String, Vec<u8>) {
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.as_bytes());
        self.body.extend_from_slice(b"--\r\n");
        (
            alloc::format!("multipart/form-data; boundary={}", self.boundary),
            self.body,
        )
    }
}

/// A content type guessed from a file name's extension (WeChat infers the media type from it).
pub fn guess_content_type(filename: &str) -> &'static str {
    let ext = filename.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "amr" => "audio/amr",
        "mp3" => "audio/mpeg",
        "speex" => "audio/speex",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bytes() {
        let (ct, body) = Multipart::new(&[0xab; 16])
            .text("description", "{\"title\":\"t\"}")
            .file("media", "a\"b\r\n.jpg", "image/jpeg", b"\xff\xd8")
            .finish();
        let b = "----WeChatRsBoundaryabababababababababababababababab";
        assert_eq!(ct, alloc::format!("multipart/form-data; boundary={b}"));
        let mut expected = alloc::format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n{{\"title\":\"t\"}}\r\n--{b}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a_b__.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .into_bytes();
        expected.extend_from_slice(b"\xff\xd8\r\n");
        expected.extend_from_slice(alloc::format!("--{b}--\r\n").as_bytes());
        assert_eq!(body, expected);
        assert_eq!(guess_content_type("X.JPG"), "image/jpeg");
    }
}
