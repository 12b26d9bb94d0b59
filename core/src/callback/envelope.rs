//! The encrypted envelope around callback bodies and replies.
//!
//! Inbound (safe mode): `<xml><ToUserName>…</ToUserName><Encrypt>…</Encrypt></xml>`. In
//! compatible mode the plaintext fields travel next to `Encrypt` in the same body; either way
//! only `Encrypt` is used.
//!
//! Outbound: exactly wechatpy's layout (newline-separated, `TimeStamp` without CDATA):
//!
//! ```text
//! <xml>
//! <Encrypt><![CDATA[…]]></Encrypt>
//! <MsgSignature><![CDATA[…]]></MsgSignature>
//! <TimeStamp>…</TimeStamp>
//! <Nonce><![CDATA[…]]></Nonce>
//! </xml>
//! ```

use alloc::borrow::Cow;
use alloc::string::String;

use crate::crypto::MessageCrypto;
use crate::error::{CallbackError, Error};
use crate::xml::{self, Limits, push_cdata, push_escaped};

/// The `Encrypt` element of a callback body.
///
/// # Errors
/// [`CallbackError::InvalidXml`] or [`CallbackError::MissingElement`]`("Encrypt")`.
pub fn extract_encrypt(body: &str) -> Result<String, Error> {
    encrypt_of(body, Limits::default()).map(Cow::into_owned)
}

/// The trimmed `Encrypt` of a body, borrowed from it unless it had to be pieced together.
/// The body is checked as a whole, exactly as [`xml::parse_with`] checks it.
pub(crate) fn encrypt_of(body: &str, limits: Limits) -> Result<Cow<'_, str>, Error> {
    xml::leaf_text(body, limits, "Encrypt")?.ok_or_else(|| CallbackError::MissingElement("Encrypt").into())
}

const HEAD: &str = "<xml>\n<Encrypt>";

/// Everything after the `Encrypt` element.
fn push_tail(out: &mut String, msg_signature: &str, timestamp: &str, nonce: &str) {
    out.push_str("</Encrypt>\n<MsgSignature>");
    push_cdata(out, msg_signature);
    out.push_str("</MsgSignature>\n<TimeStamp>");
    push_escaped(out, timestamp);
    out.push_str("</TimeStamp>\n<Nonce>");
    push_cdata(out, nonce);
    out.push_str("</Nonce>\n</xml>");
}

/// The envelope's length without the `Encrypt` value, plus some room for escaping.
fn frame_len(timestamp: &str, nonce: &str) -> usize {
    HEAD.len() + 40 + timestamp.len() + nonce.len() + 160
}

/// Renders the encrypted reply envelope.
pub fn render_envelope(encrypt: &str, msg_signature: &str, timestamp: &str, nonce: &str) -> String {
    let mut out = String::with_capacity(encrypt.len() + msg_signature.len() + frame_len(timestamp, nonce));
    out.push_str(HEAD);
    push_cdata(&mut out, encrypt);
    push_tail(&mut out, msg_signature, timestamp, nonce);
    out
}

impl MessageCrypto {
    /// Checks `msg_signature` and decrypts an encrypted callback body (safe or compatible
    /// mode), returning the plaintext XML (wechatpy's `decrypt_message`).
    ///
    /// # Errors
    /// XML errors, [`CallbackError::MissingElement`]`("Encrypt")`, then as
    /// [`MessageCrypto::verify_and_decrypt`].
    pub fn decrypt_message(
        &self,
        body: &str,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
    ) -> Result<String, Error> {
        let encrypt = encrypt_of(body, Limits::default())?;
        self.verify_and_decrypt(msg_signature, timestamp, nonce, &encrypt)
    }

    /// Encrypts a rendered reply and wraps it in the signed envelope (wechatpy's
    /// `encrypt_message`). `random` is the 16-byte plaintext prefix.
    pub fn encrypt_message(&self, reply_xml: &str, timestamp: &str, nonce: &str, random: &[u8; 16]) -> String {
        let mut out = String::with_capacity(self.encrypted_len(reply_xml.len()) + frame_len(timestamp, nonce));
        // The base64 goes straight into the envelope (it never contains `]]>`), and is signed
        // where it lies: `render_envelope(&self.encrypt(..), ..)` without the copies.
        out.push_str(HEAD);
        out.push_str("<![CDATA[");
        let start = out.len();
        self.encrypt_into(reply_xml.as_bytes(), random, &mut out);
        let signature = self.sign(timestamp, nonce, &out[start..]);
        out.push_str("]]>");
        push_tail(&mut out, signature.as_str(), timestamp, nonce);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypto() -> MessageCrypto {
        MessageCrypto::new(
            "123456",
            "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
            "wx49f0ab532d5d035a",
        )
        .unwrap()
    }

    #[test]
    fn wechatpy_encrypt_message_vector() {
        let xml = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
        let out = crypto().encrypt_message(xml, "1411525903", "461056294", b"1234567890123456");
        assert_eq!(
            out,
            "<xml>\n<Encrypt><![CDATA[9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></Encrypt>\n<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>\n<TimeStamp>1411525903</TimeStamp>\n<Nonce><![CDATA[461056294]]></Nonce>\n</xml>"
        );
        // and it decrypts back
        assert_eq!(
            crypto()
                .decrypt_message(
                    &out,
                    "407518b7649e86ef23978113f92d27afa9296533",
                    "1411525903",
                    "461056294"
                )
                .unwrap(),
            xml
        );
    }

    #[test]
    fn wechatpy_decrypt_message_vector() {
        let body = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>";
        let xml = crypto()
            .decrypt_message(
                body,
                "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
                "1411525903",
                "461056294",
            )
            .unwrap();
        let msg = crate::message::parse_message(&xml, crate::message::Kind::Work).unwrap();
        assert_eq!(msg.source, "messense");
        assert_eq!(msg.id, Some(4363689963896700987));
        assert_eq!(msg.agent, Some(1));
        assert!(matches!(&msg.body, crate::message::Body::Text(t) if t.content.as_deref() == Some("test")));
    }

    #[test]
    fn missing_encrypt() {
        let err = crypto()
            .decrypt_message("<xml><A>1</A></xml>", "x", "1", "2")
            .unwrap_err();
        assert_eq!(err, Error::Callback(CallbackError::MissingElement("Encrypt")));
        assert_eq!(
            crypto().decrypt_message("<xml>", "x", "1", "2").unwrap_err().kind(),
            "invalid-xml"
        );
    }
}
