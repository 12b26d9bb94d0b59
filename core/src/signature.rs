//! Callback signatures: SHA1 over the byte-wise sorted concatenation of the inputs.
//!
//! * the plain `signature` of every callback = SHA1(sort(token, timestamp, nonce));
//! * `msg_signature` of encrypted callbacks = SHA1(sort(token, timestamp, nonce, Encrypt));
//! * the same construction signs JS-SDK card parameters.
//!
//! Verification compares in constant time.

use core::fmt;

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::error::{CallbackError, Error};
use crate::secret::CallbackToken;

/// A SHA1 signature as 40 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 40]);

impl Signature {
    /// The signature of `parts`, sorted byte-wise and concatenated without a delimiter.
    pub fn of_sorted(parts: &mut [&[u8]]) -> Self {
        parts.sort_unstable();
        let mut hasher = Sha1::new();
        for part in parts.iter() {
            hasher.update(part);
        }
        Self::from_digest(&hasher.finalize())
    }

    /// The lowercase hex form of a 20-byte SHA1 digest.
    pub fn from_digest(digest: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 40];
        for (i, b) in digest.iter().take(20).enumerate() {
            out[2 * i] = HEX[(b >> 4) as usize];
            out[2 * i + 1] = HEX[(b & 0xf) as usize];
        }
        Self(out)
    }

    /// The 40 hex digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Compares with a signature received from the network, in constant time.
    /// Upper-case hex is accepted too.
    pub fn matches(&self, provided: &str) -> bool {
        let provided = provided.as_bytes();
        if provided.len() != 40 {
            return false;
        }
        // Compared as five words: as constant-time as byte by byte, with an eighth of the
        // `subtle` barriers.
        let word = |bytes: &[u8], i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[8 * i..8 * i + 8]);
            u64::from_le_bytes(w)
        };
        let mut lower = [0u8; 40];
        for (dst, src) in lower.iter_mut().zip(provided) {
            *dst = src.to_ascii_lowercase();
        }
        let ours: [u64; 5] = core::array::from_fn(|i| word(&self.0, i));
        let theirs: [u64; 5] = core::array::from_fn(|i| word(&lower, i));
        ours.ct_eq(&theirs).into()
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.as_str())
    }
}

/// The plain callback `signature`: SHA1(sort(token, timestamp, nonce)).
pub fn signature(token: &CallbackToken, timestamp: &str, nonce: &str) -> Signature {
    Signature::of_sorted(&mut [token.secret().as_bytes(), timestamp.as_bytes(), nonce.as_bytes()])
}

/// The encrypted-mode `msg_signature`: SHA1(sort(token, timestamp, nonce, encrypt)).
pub fn msg_signature(token: &CallbackToken, timestamp: &str, nonce: &str, encrypt: &str) -> Signature {
    Signature::of_sorted(&mut [
        token.secret().as_bytes(),
        timestamp.as_bytes(),
        nonce.as_bytes(),
        encrypt.as_bytes(),
    ])
}

/// Checks the plain `signature` of a callback (wechatpy's `check_signature`).
///
/// # Errors
/// [`CallbackError::InvalidSignature`] when it does not match.
pub fn check_signature(
    token: &CallbackToken,
    signature_param: &str,
    timestamp: &str,
    nonce: &str,
) -> Result<(), Error> {
    if signature(token, timestamp, nonce).matches(signature_param) {
        Ok(())
    } else {
        Err(CallbackError::InvalidSignature.into())
    }
}

/// Checks a `msg_signature` over `encrypt` (the `Encrypt` element, or WeCom's `echostr`).
///
/// # Errors
/// [`CallbackError::InvalidSignature`] when it does not match.
pub fn check_msg_signature(
    token: &CallbackToken,
    msg_signature_param: &str,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
) -> Result<(), Error> {
    if msg_signature(token, timestamp, nonce, encrypt).matches(msg_signature_param) {
        Ok(())
    } else {
        Err(CallbackError::InvalidSignature.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechatpy_plain_signature_vector() {
        // tests/test_utils.py::test_check_signature_should_ok
        let token = CallbackToken::new("test");
        assert_eq!(
            signature(&token, "1410685589", "test").as_str(),
            "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
        );
        assert!(check_signature(&token, "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", "1410685589", "test").is_ok());
        assert!(check_signature(&token, "F21891DE399B4E33A1A93C9A7B8A8FFFB5A443FF", "1410685589", "test").is_ok());
        assert_eq!(
            check_signature(&token, "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe", "1410685589", "test"),
            Err(Error::Callback(CallbackError::InvalidSignature))
        );
        assert!(check_signature(&token, "", "1410685589", "test").is_err());
        assert!(check_signature(&token, "f21891de", "1410685589", "test").is_err());
    }

    #[test]
    fn wechatpy_signer_vector() {
        // tests/test_utils.py::test_wechat_card_signer
        let sig = Signature::of_sorted(&mut [b"789", b"456", b"123"]);
        assert_eq!(sig.as_str(), "f7c3bc1d808e04732adf679965ccc34ca7ae3441");
    }

    #[test]
    fn msg_signature_vector() {
        // tests/test_crypto.py::test_check_signature_should_ok
        let token = CallbackToken::new("123456");
        let echostr = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
        assert_eq!(
            msg_signature(&token, "1411443780", "437374425", echostr).as_str(),
            "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
        );
        assert!(
            check_msg_signature(
                &token,
                "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
                "1411443780",
                "437374424",
                echostr
            )
            .is_err()
        );
    }
}
