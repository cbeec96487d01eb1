//! Client-side caching (CLIENT TRACKING): which clients read which keys,
//! and the invalidation messages sent when those keys change. A RESP3
//! connection tracking for itself (no REDIRECT) gets `invalidate` pushes
//! on its own connection; embedded clients and RESP2 ones receive them
//! through REDIRECT to a client subscribed to `__redis__:invalidate`.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use super::client::SubscriberSink;
use crate::resp::Frame;

/// The channel invalidations are published on for RESP2 redirects.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// One tracking client's options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Client id invalidations go to (0: the client itself).
    pub redirect: u64,
    pub bcast: bool,
    pub prefixes: Vec<Bytes>,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
}

/// Tracking state of an engine.
#[derive(Debug, Default)]
pub struct Tracking {
    /// Tracking clients by id.
    pub clients: HashMap<u64, Options>,
    /// Keys read by tracking clients (default mode), with their readers.
    keys: HashMap<Bytes, HashSet<u64>>,
    /// The sinks of RESP3 clients tracking for themselves, where their
    /// invalidation pushes go whether or not they subscribed to anything.
    own: HashMap<u64, SubscriberSink>,
}

impl Tracking {
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Remembers that client `id` read `key`.
    pub fn remember(&mut self, id: u64, key: &[u8]) {
        match self.keys.get_mut(key) {
            Some(readers) => {
                readers.insert(id);
            }
            None => {
                self.keys
                    .insert(Bytes::copy_from_slice(key), HashSet::from([id]));
            }
        }
    }

    /// Sends client `id`'s own invalidations to `sink` (RESP3, no
    /// REDIRECT); `None` stops that.
    pub fn set_own_sink(&mut self, id: u64, sink: Option<SubscriberSink>) {
        match sink {
            Some(sink) => self.own.insert(id, sink),
            None => self.own.remove(&id),
        };
    }

    /// Stops tracking for client `id`.
    pub fn disable(&mut self, id: u64) {
        self.clients.remove(&id);
        self.own.remove(&id);
        if self.clients.is_empty() {
            self.keys.clear();
        }
    }

    /// The (redirect target, key) messages owed because `key` changed,
    /// written by client `writer`; the key is forgotten (a reader must
    /// read it again to be told again).
    pub fn invalidate(&mut self, key: &[u8], writer: u64) -> Vec<(u64, Bytes)> {
        let mut out = Vec::new();
        if let Some(readers) = self.keys.remove(key) {
            for id in readers {
                if let Some(o) = self.clients.get(&id) {
                    if !(o.bcast || (o.noloop && id == writer)) {
                        out.push((target(id, o), Bytes::copy_from_slice(key)));
                    }
                }
            }
        }
        for (id, o) in &self.clients {
            let matches = o.prefixes.is_empty() || o.prefixes.iter().any(|p| key.starts_with(p));
            if o.bcast && matches && !(o.noloop && *id == writer) {
                out.push((target(*id, o), Bytes::copy_from_slice(key)));
            }
        }
        out
    }

    /// Everything changed (FLUSHDB / FLUSHALL): every tracking client's
    /// target gets a null invalidation.
    pub fn invalidate_all(&mut self) -> Vec<u64> {
        self.keys.clear();
        let mut targets: Vec<u64> = self.clients.iter().map(|(id, o)| target(*id, o)).collect();
        targets.sort_unstable();
        targets.dedup();
        targets
    }
}

fn target(id: u64, o: &Options) -> u64 {
    if o.redirect == 0 {
        id
    } else {
        o.redirect
    }
}

/// The invalidation of `keys` (`None`: every key) for a client speaking
/// `resp3`: a RESP3 `invalidate` push, else the RESP2 pub/sub message on
/// [`CHANNEL`] (what a REDIRECT target subscribed there reads).
pub fn message(keys: Option<Vec<Bytes>>, resp3: bool) -> Frame {
    let keys = keys.map(|keys| Frame::Array(keys.into_iter().map(Frame::Bulk).collect()));
    if resp3 {
        Frame::Push(vec![
            Frame::bulk(b"invalidate"),
            keys.unwrap_or(Frame::Null),
        ])
    } else {
        let payload = keys.unwrap_or(Frame::NullArray);
        Frame::Array(vec![Frame::bulk(b"message"), Frame::bulk(CHANNEL), payload])
    }
}

impl super::Store {
    /// Sends the invalidation of `keys` (`None`: every key) to client
    /// `target`, in the shape of its protocol.
    pub fn send_invalidation(&mut self, target: u64, keys: Option<Vec<Bytes>>) {
        let resp3 = self.clients.map.get(&target).is_some_and(|c| c.resp3);
        let frame = message(keys, resp3);
        match self.tracking.own.get(&target) {
            Some(sink) if resp3 => {
                sink.0.deliver(frame);
            }
            _ => self.pubsub.send_to(target, frame),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_are_told_once_and_noloop_skips_the_writer() {
        let mut t = Tracking::default();
        t.clients.insert(
            1,
            Options {
                redirect: 9,
                ..Options::default()
            },
        );
        t.clients.insert(
            2,
            Options {
                noloop: true,
                ..Options::default()
            },
        );
        t.remember(1, b"k");
        t.remember(2, b"k");
        let mut sent = t.invalidate(b"k", 2);
        sent.sort();
        assert_eq!(sent, vec![(9, Bytes::from_static(b"k"))]);
        assert!(t.invalidate(b"k", 3).is_empty());
    }

    #[test]
    fn bcast_matches_prefixes() {
        let mut t = Tracking::default();
        let o = Options {
            bcast: true,
            prefixes: vec![Bytes::from_static(b"user:")],
            redirect: 5,
            ..Options::default()
        };
        t.clients.insert(1, o);
        assert_eq!(t.invalidate(b"user:1", 0).len(), 1);
        assert!(t.invalidate(b"other", 0).is_empty());
    }
}
