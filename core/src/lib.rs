#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! wechat-core (work in progress)

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
pub mod callback;
pub mod api;
pub mod call;
pub mod client;
pub mod crypto;
pub mod error;
pub mod http;
#[cfg(feature = "std")]
pub mod message;
pub mod multipart;
#[cfg(feature = "std")]
pub mod reply;
pub mod secret;
pub mod signature;
pub mod time;
pub mod token;
#[cfg(feature = "std")]
pub mod xml;

pub use error::Error;
