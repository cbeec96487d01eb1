//! What the engine-level command tests share: a store and a client run
//! through the dispatcher, with the keyspace notifications they cause
//! recorded.

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::commands::dispatch;
use crate::engine::pubsub::{Message, Sink, SinkRef};
use crate::engine::{notify, ClientState, Config, Now, Store};
use crate::resp::Frame;

/// The pub/sub id the recording subscriber uses.
const LISTENER_ID: u64 = 1;

/// Records the messages delivered to it.
#[derive(Default)]
struct Events(Mutex<Vec<Message>>);

impl Sink for Events {
    fn deliver(&self, frame: Frame) -> bool {
        let Some(msg) = Message::from_frame(&frame) else {
            return true;
        };
        self.0.lock().map(|mut v| v.push(msg)).is_ok()
    }
}

/// A store with its default configuration and a RESP2 client on db 0.
pub(crate) struct Harness {
    pub store: Store,
    pub client: ClientState,
    events: Arc<Events>,
}

impl Harness {
    /// Notifications off, nothing recorded.
    pub fn new() -> Harness {
        Harness {
            store: Store::new(Config::default()),
            client: ClientState::new(0),
            events: Arc::default(),
        }
    }

    /// The client speaks RESP3.
    pub fn resp3() -> Harness {
        let mut h = Harness::new();
        h.client.resp3 = true;
        h
    }

    /// Notifications set to `flags`, recording the ones on channels that
    /// match `pattern`.
    pub fn listening(flags: u32, pattern: &[u8]) -> Harness {
        let mut h = Harness::new();
        h.store.config.notify_keyspace_events = flags;
        let sink: SinkRef = h.events.clone();
        h.store.pubsub.psubscribe(LISTENER_ID, &sink, pattern);
        h
    }

    /// Every keyevent class on (`new` included), all recorded.
    pub fn keyevents() -> Harness {
        Harness::listening(
            notify::ALL | notify::KEYEVENT | notify::NEW,
            b"__keyevent@*",
        )
    }

    /// Runs `cmd`, split on single spaces.
    pub fn run(&mut self, cmd: &str) -> Frame {
        run(&mut self.store, &mut self.client, cmd)
    }

    /// Runs a command given as its arguments (binary ones included).
    pub fn run_argv(&mut self, argv: &[&[u8]]) -> Frame {
        dispatch(&mut self.store, &mut self.client, argv)
    }

    /// The notifications recorded so far, as `(key, event)`, forgotten
    /// once read. A keyspace channel names the key and carries the event;
    /// a keyevent channel the other way round.
    pub fn take_pairs(&self) -> Vec<(String, String)> {
        let msgs = std::mem::take(&mut *self.events.0.lock().unwrap());
        msgs.iter()
            .map(|m| {
                let chan = String::from_utf8_lossy(&m.channel);
                let name = chan.split_once(':').map_or(&*chan, |(_, n)| n);
                let payload = String::from_utf8_lossy(&m.payload).into_owned();
                if chan.starts_with("__keyspace@") {
                    (name.to_string(), payload)
                } else {
                    (payload, name.to_string())
                }
            })
            .collect()
    }

    /// [`take_pairs`](Harness::take_pairs) as `event:key` strings.
    pub fn take_events(&self) -> Vec<String> {
        self.take_pairs()
            .into_iter()
            .map(|(key, event)| format!("{event}:{key}"))
            .collect()
    }

    /// The notifications `cmd` causes, as `event:key`.
    pub fn events(&mut self, cmd: &str) -> Vec<String> {
        self.take_pairs();
        self.run(cmd);
        self.take_events()
    }

    /// The notifications `cmd` causes and the change count it adds.
    pub fn events_and_dirty(&mut self, cmd: &str) -> (Vec<String>, u64) {
        let dirty = self.store.dirty;
        let events = self.events(cmd);
        (events, self.store.dirty - dirty)
    }

    /// OBJECT ENCODING of `key` in db 0, `none` when missing.
    pub fn encoding(&mut self, key: &str) -> &'static str {
        // Any clock reading will do for keys without a TTL.
        let cell = std::cell::Cell::new(0);
        let entry = self.store.dbs[0].peek(key.as_bytes(), Now::new(&cell));
        entry.map_or("none", |e| e.value.encoding())
    }
}

/// Runs `cmd`, split on single spaces, for `client`.
pub(crate) fn run(store: &mut Store, client: &mut ClientState, cmd: &str) -> Frame {
    dispatch(store, client, &argv(cmd))
}

/// `cmd` split on single spaces.
pub(crate) fn argv(cmd: &str) -> Vec<&[u8]> {
    cmd.split(' ').map(str::as_bytes).collect()
}

/// A bulk string reply.
pub(crate) fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}
