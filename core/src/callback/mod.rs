//! The callback (passive-response) side: the encrypted envelope and URL verification.

mod envelope;

pub use envelope::{extract_encrypt, render_envelope};
