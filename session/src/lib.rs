//! Token stores for the WeChat SDK: memory, file, Redis, memcached
#![warn(missing_docs)]
