//! The callback (passive-response) side: the encrypted envelope, URL verification and the
//! sans-IO request handler that servers wrap.

mod envelope;
mod handler;

pub use envelope::{extract_encrypt, render_envelope};
pub use handler::{
    CallbackConfig, CallbackHandler, CallbackQuery, CallbackResponse, Inbound, Mode, ReplyContext, signed_query,
};
