//! Blocking (ureq) WeChat API client
#![warn(missing_docs)]
