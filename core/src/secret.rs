//! Secrets as types: values that never show up in `Debug`, `Display`, errors or logs.
//!
//! Every secret the SDK handles (app secret, access token, callback token, EncodingAESKey,
//! tickets) is wrapped in a newtype whose `Debug` prints `Name([redacted])` and which has no
//! `Display`. Reading the value needs an explicit `.secret()` call, which is easy to grep for.
//! Equality is constant-time.

use alloc::string::String;
use core::fmt;
use subtle::ConstantTimeEq;

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Default)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself. Call this only where the value must leave the process
            /// (a request to WeChat, a token store).
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Consumes the wrapper, returning the secret.
            pub fn into_secret(self) -> String {
                self.0
            }

            /// Whether the secret is the empty string.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
            }
        }

        impl Eq for $name {}

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.into())
            }
        }

        /// The value itself, for `wechat call`, which prints what the user asked for (a
        /// session key, a ticket) and nothing else: only with the `dynamic` feature.
        #[cfg(feature = "dynamic")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

secret_type!(
    /// An official account's AppSecret, or a WeCom application (agent) secret.
    AppSecret
);
secret_type!(
    /// An `access_token` issued by WeChat.
    AccessToken
);
secret_type!(
    /// The callback `Token` configured in the WeChat console, used to sign callbacks.
    CallbackToken
);
secret_type!(
    /// The 43-character `EncodingAESKey` configured in the WeChat console.
    EncodingAesKey
);
secret_type!(
    /// A JS-SDK ticket (`jsapi_ticket`, card ticket or WeCom agent-config ticket).
    Ticket
);
secret_type!(
    /// A value read from or written to the token store: stored tokens, refresh tokens,
    /// permanent codes. Kept whole, printed never.
    StoreValue
);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_is_redacted() {
        let s = AppSecret::new("hunter2-super-secret");
        let shown = format!("{s:?}");
        assert_eq!(shown, "AppSecret([redacted])");
        assert!(!shown.contains("hunter2"));
        assert_eq!(format!("{:?}", AccessToken::new("ACCESS")), "AccessToken([redacted])");
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(AccessToken::new("a"), AccessToken::new("a"));
        assert_ne!(AccessToken::new("a"), AccessToken::new("b"));
        assert_ne!(AccessToken::new("a"), AccessToken::new("ab"));
    }
}
