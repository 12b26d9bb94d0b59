//! Async (reqwest) WeChat API client and hyper callback server
#![warn(missing_docs)]
