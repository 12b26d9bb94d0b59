//! Test support: the mock WeChat API server and shared fixtures.
#![warn(missing_docs)]
