//! What to do after each attempt of one API call: the retry rules, in one place, for every
//! transport.
//!
//! | outcome | idempotent call | non-idempotent call (sends) |
//! | --- | --- | --- |
//! | 40001 / 40014 / 42001 (token rejected) | invalidate the token, replay **once** | same: WeChat refused before acting |
//! | the same again after the replay | [`TokenError::RejectedAfterRefresh`] | same |
//! | −1 system busy | retry with back-off, at most `busy_retries` times | return the error |
//! | transport failure (timeout, reset) | retry with back-off, at most `transport_retries` times | return the error: the send may have reached WeChat |
//! | connection failure (WeChat never saw it) | retry with back-off, at most `transport_retries` times | same |
//! | an unusable answer (bad status, undecodable body) | return it | return it as [`ResponseError::Unconfirmed`]: the send may have been carried out |
//! | anything else | return it | return it |
//!
//! There is no recursion and no unbounded loop: every path ends after a fixed number of
//! attempts.

use core::time::Duration;

use crate::error::{ApiError, ApiErrorKind, Error, ResponseError, TokenError};
use crate::http::{ApiRequest, Idempotency, TokenKind};

/// Retry limits of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallPolicy {
    /// Retries after −1 (busy), idempotent calls only. Default 2.
    pub busy_retries: u32,
    /// Retries after a transport failure, idempotent calls only. Default 1.
    pub transport_retries: u32,
    /// First back-off. Default 200 ms; doubles each retry.
    pub backoff_initial: Duration,
    /// Longest back-off. Default 2 s.
    pub backoff_max: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            busy_retries: 2,
            transport_retries: 1,
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(2),
        }
    }
}

impl CallPolicy {
    /// A policy that never retries (tests, or callers with their own retry logic).
    pub fn no_retries() -> Self {
        Self {
            busy_retries: 0,
            transport_retries: 0,
            ..Self::default()
        }
    }
}

/// The decision after an attempt, from [`CallState::on_result`].
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub(crate) enum Decision<T> {
    /// The call is over.
    Done(Result<T, Error>),
    /// WeChat rejected the token: `invalidate` it in the token machine, get a token again and
    /// send the same request once more.
    ReplayWithFreshToken,
    /// Send the same request again after this delay.
    RetryAfter(Duration),
}

/// The decision after a transport failure, from [`CallState::on_transport_error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum TransportDecision {
    /// Send again after this delay (idempotent calls only).
    RetryAfter(Duration),
    /// Give up and return the transport error.
    GiveUp,
}

/// The retry state of one call.
#[derive(Debug, Clone)]
pub(crate) struct CallState {
    policy: CallPolicy,
    idempotency: Idempotency,
    uses_token: bool,
    token_replayed: bool,
    busy: u32,
    transport: u32,
}

impl CallState {
    /// Starts a call of `request` under `policy`.
    pub(crate) fn new(request: &ApiRequest, policy: CallPolicy) -> Self {
        Self {
            policy,
            idempotency: request.idempotency,
            uses_token: request.token != TokenKind::None,
            token_replayed: false,
            busy: 0,
            transport: 0,
        }
    }

    /// Whether the call may be retried after −1 or a transport failure.
    pub(crate) fn idempotency(&self) -> Idempotency {
        self.idempotency
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1).min(16)).unwrap_or(u32::MAX);
        self.policy
            .backoff_initial
            .saturating_mul(factor)
            .min(self.policy.backoff_max)
    }

    /// Decides after WeChat answered and the endpoint parsed the answer. An unusable answer
    /// to a call that is not idempotent comes back as [`ResponseError::Unconfirmed`]: the call
    /// may have been carried out.
    pub(crate) fn on_result<T>(&mut self, result: Result<T, Error>) -> Decision<T> {
        match result {
            Err(Error::Response(e)) if self.idempotency == Idempotency::NonIdempotent && !e.is_unconfirmed() => {
                Decision::Done(Err(ResponseError::Unconfirmed(alloc::boxed::Box::new(e)).into()))
            }
            Err(Error::Api(e)) => self.on_api_error(e),
            other => Decision::Done(other),
        }
    }

    fn on_api_error<T>(&mut self, e: ApiError) -> Decision<T> {
        match e.kind {
            ApiErrorKind::TokenInvalid if self.uses_token => {
                if self.token_replayed {
                    Decision::Done(Err(TokenError::RejectedAfterRefresh { code: e.code }.into()))
                } else {
                    self.token_replayed = true;
                    Decision::ReplayWithFreshToken
                }
            }
            ApiErrorKind::Busy
                if self.idempotency == Idempotency::Idempotent && self.busy < self.policy.busy_retries =>
            {
                self.busy += 1;
                Decision::RetryAfter(self.backoff(self.busy))
            }
            _ => Decision::Done(Err(e.into())),
        }
    }

    /// Decides after the request failed in transport (no response). A request that never
    /// reached WeChat (the connection failed) may be sent again whatever it is; one that may
    /// have reached it only if it is idempotent.
    pub(crate) fn on_transport_error(&mut self, maybe_sent: bool) -> TransportDecision {
        let safe = self.idempotency == Idempotency::Idempotent || !maybe_sent;
        if safe && self.transport < self.policy.transport_retries {
            self.transport += 1;
            TransportDecision::RetryAfter(self.backoff(self.transport))
        } else {
            TransportDecision::GiveUp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn api(code: i64) -> Result<(), Error> {
        Err(ApiError::new(code, "x").into())
    }

    #[test]
    fn token_errors_replay_once_for_every_call() {
        for req in [ApiRequest::get("/a"), ApiRequest::post("/cgi-bin/message/custom/send")] {
            let mut s = CallState::new(&req, CallPolicy::default());
            assert_eq!(s.on_result(api(40001)), Decision::ReplayWithFreshToken);
            assert_eq!(
                s.on_result(api(42001)),
                Decision::Done(Err(TokenError::RejectedAfterRefresh { code: 42001 }.into()))
            );
        }
        // A call without a token (the token endpoint itself) never replays.
        let mut s = CallState::new(
            &ApiRequest::get("/cgi-bin/token").token(TokenKind::None),
            CallPolicy::default(),
        );
        assert!(matches!(s.on_result(api(40001)), Decision::Done(Err(_))));
    }

    #[test]
    fn busy_retries_are_bounded_and_idempotent_only() {
        let mut s = CallState::new(&ApiRequest::get("/a"), CallPolicy::default());
        assert_eq!(s.on_result(api(-1)), Decision::RetryAfter(Duration::from_millis(200)));
        assert_eq!(s.on_result(api(-1)), Decision::RetryAfter(Duration::from_millis(400)));
        assert!(matches!(s.on_result(api(-1)), Decision::Done(Err(Error::Api(e))) if e.code == -1));
        let mut send = CallState::new(&ApiRequest::post("/cgi-bin/message/custom/send"), CallPolicy::default());
        assert!(matches!(send.on_result(api(-1)), Decision::Done(Err(_))));
    }

    #[test]
    fn transport_failures_never_replay_sends() {
        let mut send = CallState::new(&ApiRequest::post("/cgi-bin/message/custom/send"), CallPolicy::default());
        assert_eq!(send.on_transport_error(true), TransportDecision::GiveUp);
        // A connection that never opened: the send never reached WeChat.
        let mut unsent = CallState::new(&ApiRequest::post("/cgi-bin/message/custom/send"), CallPolicy::default());
        assert!(matches!(
            unsent.on_transport_error(false),
            TransportDecision::RetryAfter(_)
        ));
        let mut read = CallState::new(&ApiRequest::get("/cgi-bin/user/info"), CallPolicy::default());
        assert_eq!(
            read.on_transport_error(true),
            TransportDecision::RetryAfter(Duration::from_millis(200))
        );
        assert_eq!(read.on_transport_error(true), TransportDecision::GiveUp);
    }

    #[test]
    fn unusable_answers_to_sends_are_unconfirmed() {
        use alloc::string::ToString;
        let decode = || Err::<(), Error>(crate::api::json::decode_error("EOF", b"{\"errcode\":0,"));
        let mut send = CallState::new(&ApiRequest::post("/cgi-bin/message/custom/send"), CallPolicy::default());
        let Decision::Done(Err(Error::Response(e))) = send.on_result(decode()) else {
            panic!("a send's unusable answer ends the call")
        };
        assert!(e.is_unconfirmed());
        assert_eq!(e.kind(), "decode");
        assert_eq!(e.body(), b"{\"errcode\":0,");
        assert!(e.to_string().contains("may have been carried out"), "{e}");
        let mut read = CallState::new(&ApiRequest::get("/cgi-bin/user/info"), CallPolicy::default());
        let Decision::Done(Err(Error::Response(e))) = read.on_result(decode()) else {
            panic!()
        };
        assert!(!e.is_unconfirmed());
    }

    #[test]
    fn other_results_pass_through() {
        let mut s = CallState::new(&ApiRequest::get("/a"), CallPolicy::default());
        assert_eq!(s.on_result(Ok::<_, Error>(5)), Decision::Done(Ok(5)));
        assert!(matches!(s.on_result(api(45009)), Decision::Done(Err(_))));
    }
}
