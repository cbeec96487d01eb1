//! Per-connection state: selected database, protocol, name, MULTI queue and
//! WATCHed keys. The embedded Python client, each server connection and
//! each Lua script call carry one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::engine::blocking::{BlockRequest, Blocked};
use crate::engine::db::WatchFlag;
use crate::engine::pubsub::SinkRef;

static NEXT_CLIENT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh, process-unique client id (CLIENT ID).
pub fn next_client_id() -> u64 {
    NEXT_CLIENT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The state MULTI builds up until EXEC or DISCARD.
#[derive(Debug, Default)]
pub struct MultiState {
    /// Queued commands, each as its full argv.
    pub queued: Vec<Vec<Bytes>>,
    /// CLIENT LIST's `multi-mem`: the queued arguments' bytes plus a
    /// pointer per argument, as Redis 7.0 counts them.
    pub mem: u64,
    /// A queued command was rejected (unknown, wrong arity...): EXEC aborts.
    pub aborted: bool,
    /// The command flags of the queued commands, or-ed together as they
    /// were queued (scripts by their declared flags then): EXEC is judged
    /// by them (MISCONF, OOM), as Redis judges it by `mstate.cmd_flags`.
    pub flags: u32,
}

/// What a command knows about the client that sent it.
#[derive(Debug)]
pub struct ClientState {
    pub id: u64,
    /// Index of the selected database.
    pub db: usize,
    /// True once the client switched to RESP3 with HELLO 3.
    pub resp3: bool,
    /// CLIENT SETNAME.
    pub name: Option<Bytes>,
    /// Some while inside MULTI.
    pub multi: Option<MultiState>,
    /// Set by the keyspace when a watched key changes; created on first WATCH.
    pub watch_flag: Option<WatchFlag>,
    /// (db, key, already expired at WATCH time) for each WATCHed key.
    pub watched: Vec<(usize, Bytes, bool)>,
    /// True while running inside a Lua script or EXEC (no nested MULTI,
    /// no blocking).
    pub in_exec: bool,
    /// True while running inside a Lua script.
    pub in_script: bool,
    /// Blocking commands must answer at once (pipelines run under the
    /// engine lock; served waiters are re-run with it set).
    pub no_block: bool,
    /// Set by a handler that wants to block; the dispatcher registers it.
    pub block_request: Option<BlockRequest>,
    /// Set by a handler that would have blocked but could not.
    pub would_block: bool,
    /// After dispatch: the registration the caller must wait on.
    pub blocked: Option<Blocked>,
    /// Where pub/sub messages for this client go; None for clients that
    /// expect exactly one reply per command (they cannot SUBSCRIBE).
    pub sink: Option<SubscriberSink>,
    /// In pub/sub mode (subscribed to something).
    pub pubsub: bool,
    /// The handler sent its replies through the sink (SUBSCRIBE...): the
    /// returned frame is not a reply.
    pub suppress_reply: bool,
    /// The ACL user this client runs as.
    pub user: Bytes,
    /// AUTH succeeded (or the default user needed none at connect time).
    pub authenticated: bool,
    /// Registered in the engine's client list (connected).
    pub registered: bool,
    /// Credentials to authenticate with on (re)connect: (user, password).
    pub credentials: Option<(Option<Bytes>, Bytes)>,
    /// The name to take on (re)connect, as redis-py's `client_name=` sends
    /// CLIENT SETNAME on each new connection.
    pub setname: Option<Bytes>,
    /// Unix ms when this client connected.
    pub created_ms: i64,
    /// CLIENT NO-EVICT.
    pub no_evict: bool,
    /// CLIENT NO-TOUCH (Redis 7.2): its commands leave keys' LRU/LFU alone.
    pub no_touch: bool,
    /// CLIENT SETINFO LIB-NAME / LIB-VER (Redis 7.2).
    pub lib_name: Option<Bytes>,
    pub lib_ver: Option<Bytes>,
    /// The connection was killed while WATCHing: the next EXEC fails as if
    /// a watched key had changed.
    pub watch_lost: bool,
    /// CLIENT CACHING YES / NO, for the next command (tracking OPTIN /
    /// OPTOUT).
    pub caching: Option<bool>,
    /// CLIENT REPLY: Off drops every reply, SkipNext the next one.
    pub reply_mode: ReplyMode,
    /// A server connection's socket (CLIENT LIST's addr, laddr, fd); None
    /// for an embedded client.
    pub socket: Option<std::sync::Arc<super::clients::Socket>>,
}

/// CLIENT REPLY's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// Skip the reply of the command after CLIENT REPLY SKIP.
    SkipNext,
}

/// A pub/sub sink held by a client.
#[derive(Clone)]
pub struct SubscriberSink(pub SinkRef);

impl std::fmt::Debug for SubscriberSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubscriberSink")
    }
}

impl ClientState {
    /// A client on database `db`, speaking RESP2.
    pub fn new(db: usize) -> ClientState {
        ClientState {
            id: next_client_id(),
            ..ClientState::ephemeral(db)
        }
    }

    /// A short-lived client for one embedded call; skips id allocation since
    /// nothing can observe it.
    #[inline]
    pub fn ephemeral(db: usize) -> ClientState {
        ClientState {
            id: 0,
            db,
            resp3: false,
            name: None,
            multi: None,
            watch_flag: None,
            watched: Vec::new(),
            in_exec: false,
            in_script: false,
            no_block: false,
            block_request: None,
            would_block: false,
            blocked: None,
            sink: None,
            pubsub: false,
            suppress_reply: false,
            user: Bytes::from_static(b"default"),
            authenticated: true,
            registered: false,
            credentials: None,
            setname: None,
            created_ms: 0,
            no_evict: false,
            no_touch: false,
            lib_name: None,
            lib_ver: None,
            reply_mode: ReplyMode::On,
            watch_lost: false,
            caching: None,
            socket: None,
        }
    }

    /// The flag watched keys set, created on first use.
    pub fn watch_flag(&mut self) -> WatchFlag {
        self.watch_flag
            .get_or_insert_with(|| Arc::new(AtomicBool::new(false)))
            .clone()
    }

    /// True if a WATCHed key changed since WATCH.
    pub fn watch_dirty(&self) -> bool {
        self.watch_flag
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Acquire))
    }
}
