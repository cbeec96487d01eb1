//! The pub/sub hub: channel, pattern and shard-channel subscriptions,
//! PUBLISH fan-out and keyspace notifications. Subscribers are [`Sink`]s,
//! so an embedded Python `PubSub`, a server connection and a test can all
//! receive messages.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use indexmap::IndexSet;

use crate::engine::notify;
use crate::engine::value::Hasher;
use crate::glob::GlobPattern;
use crate::resp::Frame;

/// Where a subscriber's messages go: `Push` frames such as
/// `["message", channel, payload]` or `["subscribe", channel, count]`.
pub trait Sink: Send + Sync {
    /// Delivers one frame; returns false if the receiver is gone, which
    /// drops its subscriptions.
    fn deliver(&self, frame: Frame) -> bool;
}

/// A shared handle to a subscriber.
pub type SinkRef = Arc<dyn Sink>;

/// A published message read back out of a delivered frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The matching pattern, for pattern subscriptions (`pmessage`).
    pub pattern: Option<Bytes>,
    pub channel: Bytes,
    pub payload: Bytes,
}

impl Message {
    /// The message a `message` / `pmessage` / `smessage` frame carries;
    /// `None` for confirmations and other frames.
    pub fn from_frame(frame: &Frame) -> Option<Message> {
        let Frame::Push(items) = frame else {
            return None;
        };
        let text = |f: &Frame| match f {
            Frame::Bulk(b) => Some(b.clone()),
            _ => None,
        };
        match (items.first().and_then(text)?.as_ref(), items.len()) {
            (b"message" | b"smessage", 3) => Some(Message {
                pattern: None,
                channel: text(&items[1])?,
                payload: text(&items[2])?,
            }),
            (b"pmessage", 4) => Some(Message {
                pattern: Some(text(&items[1])?),
                channel: text(&items[2])?,
                payload: text(&items[3])?,
            }),
            _ => None,
        }
    }
}

/// The three subscription namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// The confirmation message types (`subscribe`, `punsubscribe`...).
    pub fn confirm(self, subscribe: bool) -> &'static str {
        match (self, subscribe) {
            (Kind::Channel, true) => "subscribe",
            (Kind::Channel, false) => "unsubscribe",
            (Kind::Pattern, true) => "psubscribe",
            (Kind::Pattern, false) => "punsubscribe",
            (Kind::Shard, true) => "ssubscribe",
            (Kind::Shard, false) => "sunsubscribe",
        }
    }
}

/// One subscriber's sink and subscriptions (in subscription order, which
/// is the order UNSUBSCRIBE with no arguments reports them in).
struct Client {
    sink: SinkRef,
    channels: IndexSet<Bytes, Hasher>,
    patterns: IndexSet<Bytes, Hasher>,
    shards: IndexSet<Bytes, Hasher>,
}

impl Client {
    fn set(&mut self, kind: Kind) -> &mut IndexSet<Bytes, Hasher> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shards,
        }
    }

    /// Channels + patterns: the count SUBSCRIBE and friends report.
    fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.shards.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }
}

/// All subscriptions of one engine.
#[derive(Default)]
pub struct PubSub {
    clients: HashMap<u64, Client, Hasher>,
    channels: HashMap<Bytes, Vec<u64>, Hasher>,
    patterns: HashMap<Bytes, (GlobPattern, Vec<u64>), Hasher>,
    shards: HashMap<Bytes, Vec<u64>, Hasher>,
}

impl std::fmt::Debug for PubSub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubSub")
            .field("channels", &self.channels.len())
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

fn push(items: Vec<Frame>) -> Frame {
    Frame::Push(items)
}

impl PubSub {
    /// Subscribes client `id` to `name` and returns the client's new
    /// subscription count (channels + patterns, or shard channels).
    pub fn subscribe(&mut self, id: u64, sink: &SinkRef, kind: Kind, name: &[u8]) -> usize {
        let client = self.clients.entry(id).or_insert_with(|| Client {
            sink: sink.clone(),
            channels: IndexSet::default(),
            patterns: IndexSet::default(),
            shards: IndexSet::default(),
        });
        let key = Bytes::copy_from_slice(name);
        if client.set(kind).insert(key.clone()) {
            match kind {
                Kind::Channel => self.channels.entry(key).or_default().push(id),
                Kind::Shard => self.shards.entry(key).or_default().push(id),
                Kind::Pattern => {
                    self.patterns
                        .entry(key)
                        .or_insert_with(|| (GlobPattern::new(name, false), Vec::new()))
                        .1
                        .push(id);
                }
            }
        }
        client.count(kind)
    }

    /// Subscribes client `id` to a glob pattern (see [`PubSub::subscribe`]).
    pub fn psubscribe(&mut self, id: u64, sink: &SinkRef, pattern: &[u8]) -> usize {
        self.subscribe(id, sink, Kind::Pattern, pattern)
    }

    /// Unsubscribes client `id` from `name`; returns the new count.
    pub fn unsubscribe(&mut self, id: u64, kind: Kind, name: &[u8]) -> usize {
        let Some(client) = self.clients.get_mut(&id) else {
            return 0;
        };
        if client.set(kind).shift_remove(name) {
            let drop_from = |ids: &mut Vec<u64>| {
                ids.retain(|c| *c != id);
                ids.is_empty()
            };
            match kind {
                Kind::Channel => {
                    if self.channels.get_mut(name).is_some_and(drop_from) {
                        self.channels.remove(name);
                    }
                }
                Kind::Shard => {
                    if self.shards.get_mut(name).is_some_and(drop_from) {
                        self.shards.remove(name);
                    }
                }
                Kind::Pattern => {
                    if self
                        .patterns
                        .get_mut(name)
                        .is_some_and(|(_, ids)| drop_from(ids))
                    {
                        self.patterns.remove(name);
                    }
                }
            }
        }
        let count = client.count(kind);
        if client.channels.is_empty() && client.patterns.is_empty() && client.shards.is_empty() {
            self.clients.remove(&id);
        }
        count
    }

    /// The names client `id` is subscribed to, in subscription order.
    pub fn subscriptions(&self, id: u64, kind: Kind) -> Vec<Bytes> {
        self.clients.get(&id).map_or_else(Vec::new, |c| match kind {
            Kind::Channel => c.channels.iter().cloned().collect(),
            Kind::Pattern => c.patterns.iter().cloned().collect(),
            Kind::Shard => c.shards.iter().cloned().collect(),
        })
    }

    /// Client `id`'s count for `kind` (0 when not subscribed).
    pub fn count(&self, id: u64, kind: Kind) -> usize {
        self.clients.get(&id).map_or(0, |c| c.count(kind))
    }

    /// Drops every subscription of client `id` (disconnect, RESET).
    pub fn remove_client(&mut self, id: u64) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in self.subscriptions(id, kind) {
                self.unsubscribe(id, kind, &name);
            }
        }
        self.clients.remove(&id);
    }

    fn deliver(&self, id: u64, frame: Frame, dead: &mut Vec<u64>) -> bool {
        match self.clients.get(&id) {
            Some(c) if c.sink.deliver(frame) => true,
            _ => {
                dead.push(id);
                false
            }
        }
    }

    /// Delivers `payload` to subscribers of `channel` and of matching
    /// patterns; returns how many received it (PUBLISH's reply).
    pub fn publish(&mut self, channel: &[u8], payload: &[u8]) -> usize {
        if self.channels.is_empty() && self.patterns.is_empty() {
            return 0;
        }
        let chan = Bytes::copy_from_slice(channel);
        let data = Bytes::copy_from_slice(payload);
        let mut received = 0;
        let mut dead = Vec::new();
        if let Some(ids) = self.channels.get(channel) {
            for &id in ids {
                let msg = push(vec![
                    Frame::bulk(b"message"),
                    Frame::Bulk(chan.clone()),
                    Frame::Bulk(data.clone()),
                ]);
                received += self.deliver(id, msg, &mut dead) as usize;
            }
        }
        for (pattern, (glob, ids)) in &self.patterns {
            if !glob.matches(channel) {
                continue;
            }
            for &id in ids {
                let msg = push(vec![
                    Frame::bulk(b"pmessage"),
                    Frame::Bulk(pattern.clone()),
                    Frame::Bulk(chan.clone()),
                    Frame::Bulk(data.clone()),
                ]);
                received += self.deliver(id, msg, &mut dead) as usize;
            }
        }
        for id in dead {
            self.remove_client(id);
        }
        received
    }

    /// SPUBLISH: delivers to subscribers of shard channel `channel`.
    pub fn spublish(&mut self, channel: &[u8], payload: &[u8]) -> usize {
        let Some(ids) = self.shards.get(channel) else {
            return 0;
        };
        let mut received = 0;
        let mut dead = Vec::new();
        for &id in ids {
            let msg = push(vec![
                Frame::bulk(b"smessage"),
                Frame::bulk(channel),
                Frame::bulk(payload),
            ]);
            received += self.deliver(id, msg, &mut dead) as usize;
        }
        for id in dead {
            self.remove_client(id);
        }
        received
    }

    /// Sends a confirmation or other message to one subscriber.
    pub fn send_to(&mut self, id: u64, frame: Frame) {
        let mut dead = Vec::new();
        self.deliver(id, frame, &mut dead);
        for id in dead {
            self.remove_client(id);
        }
    }

    /// Active channels (or shard channels), optionally only those matching
    /// `pattern` (PUBSUB CHANNELS / SHARDCHANNELS).
    pub fn channels(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let glob = pattern.map(|p| GlobPattern::new(p, false));
        let map = if shard { &self.shards } else { &self.channels };
        map.keys()
            .filter(|c| glob.as_ref().is_none_or(|g| g.matches(c)))
            .cloned()
            .collect()
    }

    /// Subscriber count of `channel` (PUBSUB NUMSUB / SHARDNUMSUB).
    pub fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let map = if shard { &self.shards } else { &self.channels };
        map.get(channel).map_or(0, |s| s.len())
    }

    /// Number of distinct subscribed patterns (PUBSUB NUMPAT).
    pub fn numpat(&self) -> usize {
        self.patterns.len()
    }

    /// Number of clients with at least one subscription (INFO
    /// `pubsub_clients`-style counts).
    pub fn subscribers(&self) -> usize {
        self.clients.len()
    }

    /// Publishes a keyspace and/or keyevent notification for `event` on
    /// `key` in database `db`, as `flags` (notify-keyspace-events) asks.
    pub fn notify_keyspace(&mut self, flags: u32, db: usize, event: &str, key: &[u8]) {
        if flags & notify::KEYSPACE != 0 {
            let mut chan = format!("__keyspace@{db}__:").into_bytes();
            chan.extend_from_slice(key);
            self.publish(&chan, event.as_bytes());
        }
        if flags & notify::KEYEVENT != 0 {
            let chan = format!("__keyevent@{db}__:{event}");
            self.publish(chan.as_bytes(), key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect(Mutex<Vec<Frame>>);
    impl Sink for Collect {
        fn deliver(&self, frame: Frame) -> bool {
            self.0.lock().map(|mut v| v.push(frame)).is_ok()
        }
    }

    #[test]
    fn publish_reaches_channel_and_pattern_subscribers() {
        let mut hub = PubSub::default();
        let a = Arc::new(Collect::default());
        let b = Arc::new(Collect::default());
        let sa: SinkRef = a.clone();
        let sb: SinkRef = b.clone();
        assert_eq!(hub.subscribe(1, &sa, Kind::Channel, b"news"), 1);
        assert_eq!(hub.subscribe(1, &sa, Kind::Channel, b"news"), 1);
        assert_eq!(hub.subscribe(2, &sb, Kind::Pattern, b"n*"), 1);
        assert_eq!(hub.publish(b"news", b"hi"), 2);
        assert_eq!(hub.publish(b"other", b"x"), 0);
        assert_eq!(a.0.lock().unwrap().len(), 1);
        match &b.0.lock().unwrap()[0] {
            Frame::Push(items) => assert_eq!(items[1], Frame::bulk(b"n*")),
            other => panic!("{other:?}"),
        }
        assert_eq!(hub.numsub(false, b"news"), 1);
        assert_eq!(hub.numpat(), 1);
        hub.remove_client(1);
        assert_eq!(hub.numsub(false, b"news"), 0);
        assert_eq!(hub.count(2, Kind::Pattern), 1);
    }
}
