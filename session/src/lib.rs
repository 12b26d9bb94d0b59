//! Token stores for the WeChat SDK: memory, file, Redis, memcached, and the traits for your own.
#![warn(missing_docs)]

mod store;

pub use store::{AsyncSessionStore, AsyncTokenStore, BoxFuture, SessionStore, StoreError, TokenStore};
