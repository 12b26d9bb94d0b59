//! What the calls of one client share: its credentials and their token machines.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::client::ClientConfig;
use crate::credential::{Credential, Ticket, TicketKind};
use crate::http::TokenKind;
use crate::secret::AccessToken;
use crate::time::UnixTime;
use crate::token::{TokenKeys, TokenMachine};

/// One credential of a client and its token state.
pub(crate) struct Slot {
    pub(crate) credential: Arc<dyn Credential>,
    pub(crate) keys: TokenKeys,
    pub(crate) machine: TokenMachine,
    pub(crate) base: String,
    /// (China day, fetches that day): the budget when the store is down.
    local: (u64, u64),
    /// The current token and its query pair, `param=token` encoded: built once per token,
    /// not once per call.
    pair: Option<(AccessToken, String)>,
}

impl Slot {
    /// This process's fetches today, for the budget when the store is down.
    pub(crate) fn local_fetches(&mut self, now: UnixTime) -> u64 {
        if self.local.0 != now.beijing_day() {
            self.local = (now.beijing_day(), 0);
        }
        self.local.1
    }

    /// Makes sure the cached query pair is `token`'s in `param`, and returns the slot's base
    /// and that pair.
    pub(crate) fn base_and_pair(&mut self, param: &str, token: &AccessToken) -> (&str, &str) {
        // A plain comparison: both tokens are ours (nothing an attacker can time).
        let same = |t: &AccessToken| t.secret().as_bytes() == token.secret().as_bytes();
        if !self.pair.as_ref().is_some_and(|(t, p)| same(t) && p.starts_with(param)) {
            self.pair = Some((token.clone(), crate::http::token_pair(param, token)));
        }
        (&self.base, self.pair.as_ref().map_or("", |(_, p)| p.as_str()))
    }

    pub(crate) fn count_fetch(&mut self, now: UnixTime) {
        self.local_fetches(now);
        self.local.1 += 1;
    }
}

/// The state the calls of one client share: its configuration, its credentials by role
/// ([`TokenKind`]) and the token machine of each. Not thread-safe by itself: a transport keeps
/// it behind a lock, taken only while a call is [polled](crate::call::Call::poll) or
/// [fed](crate::call::Call::handle), never during I/O.
pub struct Session {
    pub(crate) config: ClientConfig,
    pub(crate) slots: Vec<Slot>,
    roles: Vec<(TokenKind, usize)>,
    tickets: Vec<(TicketKind, usize)>,
    /// Hex of random bytes drawn when the session was made: lease owners start with it.
    instance: String,
    owners: u64,
    pub(crate) token_fetches: u64,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let credentials: Vec<_> = self.slots.iter().map(|s| &s.credential).collect();
        f.debug_struct("Session")
            .field("credentials", &credentials)
            .field("token_fetches", &self.token_fetches)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session whose requests for [`TokenKind::AccessToken`] carry `primary`'s token.
    /// `random` makes this session's lease owners unique among processes.
    pub fn new(config: ClientConfig, primary: Arc<dyn Credential>, random: [u8; 16]) -> Self {
        let mut session = Self {
            config,
            slots: Vec::new(),
            roles: Vec::new(),
            tickets: Vec::new(),
            instance: crate::api::hex_nonce(&random),
            owners: 0,
            token_fetches: 0,
        };
        session.add(TokenKind::AccessToken, primary);
        session
    }

    /// Gives requests for `role` this credential (replacing an earlier one).
    pub fn add(&mut self, role: TokenKind, credential: Arc<dyn Credential>) {
        let index = self.slot(credential);
        match self.roles.iter_mut().find(|(r, _)| *r == role) {
            Some(entry) => entry.1 = index,
            None => self.roles.push((role, index)),
        }
    }

    fn slot(&mut self, credential: Arc<dyn Credential>) -> usize {
        let keys = TokenKeys::new(&self.config.store_prefix, &credential.account(), credential.name());
        let base = match &self.config.api_base {
            Some(base) => base.clone(),
            None => String::from(credential.api_base()),
        };
        self.slots.push(Slot {
            machine: TokenMachine::new(self.config.token.clone()),
            credential,
            keys,
            base,
            local: (0, 0),
            pair: None,
        });
        self.slots.len() - 1
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The credential requests for `role` carry.
    pub fn credential(&self, role: TokenKind) -> Option<&Arc<dyn Credential>> {
        self.role(role).map(|i| &self.slots[i].credential)
    }

    /// Whether `request`'s credential signs with random bytes ([`Credential::signs`]): only
    /// then need a call be given fresh ones.
    pub fn signs(&self, request: &crate::http::ApiRequest) -> bool {
        self.role(request.token)
            .is_some_and(|i| self.slots[i].credential.signs())
    }

    /// How many token (and ticket) fetches this session sent to WeChat.
    pub fn token_fetches(&self) -> u64 {
        self.token_fetches
    }

    /// The cached token of `role` and its expiry, if any.
    pub fn current(&self, role: TokenKind) -> Option<(&AccessToken, UnixTime)> {
        self.role(role).and_then(|i| self.slots[i].machine.current())
    }

    /// Adopts a token for `role` obtained elsewhere (given by the user, read from a store of
    /// your own): calls use it until it is due for refresh.
    pub fn accept(&mut self, role: TokenKind, token: crate::token::StoredToken, now: UnixTime) {
        if let Some(i) = self.role(role) {
            self.slots[i].machine.accept(token, now);
        }
    }

    pub(crate) fn role(&self, role: TokenKind) -> Option<usize> {
        self.roles.iter().find(|(r, _)| *r == role).map(|(_, i)| *i)
    }

    /// The slot of a JS-SDK ticket of the primary account, made on first use.
    pub(crate) fn ticket(&mut self, kind: TicketKind) -> usize {
        if let Some((_, i)) = self.tickets.iter().find(|(k, _)| *k == kind) {
            return *i;
        }
        let account = self.slots[0].credential.account();
        let index = self.slot(Arc::new(Ticket { kind, account }));
        self.tickets.push((kind, index));
        index
    }

    /// A lease owner value unique to this refresh: this session's random id and a counter.
    pub(crate) fn owner(&mut self) -> String {
        self.owners += 1;
        let mut owner = self.instance.clone();
        owner.push('-');
        owner.push_str(&self.owners.to_string());
        owner
    }
}
