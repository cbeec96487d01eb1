//! Pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs,
//! PUBLISH, SPUBLISH and PUBSUB introspection.
//!
//! Subscribe-family commands answer through the client's sink (one
//! confirmation per channel, as Redis sends them), so the dispatcher is
//! told to suppress the ordinary reply.

use super::flags::*;
use super::traits::{SUBSCRIBED_OK, SUBSCRIBES};
use super::{Command, Ctx, Group};
use crate::engine::pubsub::Kind;
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

const G: Group = Group::PubSub;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        G,
        subscribe,
    )
    .traits(SUBSCRIBED_OK | SUBSCRIBES),
    Command::new(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        G,
        unsubscribe,
    )
    .traits(SUBSCRIBED_OK),
    Command::new(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        G,
        psubscribe,
    )
    .traits(SUBSCRIBED_OK | SUBSCRIBES),
    Command::new(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        G,
        punsubscribe,
    )
    .traits(SUBSCRIBED_OK),
    Command::new(
        "ssubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        G,
        ssubscribe,
    )
    .traits(SUBSCRIBED_OK | SUBSCRIBES)
    .keys(1, -1, 1),
    Command::new(
        "sunsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        G,
        sunsubscribe,
    )
    .traits(SUBSCRIBED_OK)
    .keys(1, -1, 1),
    Command::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        G,
        publish,
    ),
    Command::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        G,
        spublish,
    )
    .keys(1, 1, 1),
    Command::new("pubsub", -2, 0, G, super::server::container).subcommands(PUBSUB_SUBCOMMANDS),
];

const PUBSUB_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "pubsub|channels",
        -2,
        PUBSUB | LOADING | STALE,
        G,
        pubsub_channels,
    ),
    Command::new(
        "pubsub|numsub",
        -2,
        PUBSUB | LOADING | STALE,
        G,
        pubsub_numsub,
    )
    .reply("parse_pubsub_numsub"),
    Command::new(
        "pubsub|numpat",
        2,
        PUBSUB | LOADING | STALE,
        G,
        pubsub_numpat,
    ),
    Command::new(
        "pubsub|shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        G,
        pubsub_shardchannels,
    ),
    Command::new(
        "pubsub|shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        G,
        pubsub_shardnumsub,
    )
    .reply("parse_pubsub_numsub"),
    Command::new("pubsub|help", 2, LOADING | STALE, G, pubsub_help),
];

/// A confirmation such as `["subscribe", "news", 1]`.
fn confirm(kind: Kind, subscribe: bool, name: Option<&[u8]>, count: usize) -> Frame {
    Frame::Push(vec![
        Frame::bulk(kind.confirm(subscribe).as_bytes()),
        name.map_or(Frame::Null, Frame::bulk),
        Frame::Integer(count as i64),
    ])
}

/// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE name [name ...]
fn subscribe_generic(ctx: &mut Ctx, argv: &[&[u8]], kind: Kind) -> CmdResult {
    let Some(sink) = ctx.client.sink.clone() else {
        let cmd = String::from_utf8_lossy(argv[0]).to_ascii_uppercase();
        return Err(Error::msg(format!(
            "ERR {cmd} isn't allowed for a DENY BLOCKING client"
        )));
    };
    let id = ctx.client.id;
    for name in &argv[1..] {
        let count = ctx.store.pubsub.subscribe(id, &sink.0, kind, name);
        ctx.store
            .pubsub
            .send_to(id, confirm(kind, true, Some(name), count));
    }
    ctx.client.pubsub = true;
    ctx.client.suppress_reply = true;
    Ok(Frame::Null)
}

/// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE [name ...]: no names means all.
fn unsubscribe_generic(ctx: &mut Ctx, argv: &[&[u8]], kind: Kind) -> CmdResult {
    let id = ctx.client.id;
    let names: Vec<bytes::Bytes> = if argv.len() > 1 {
        argv[1..]
            .iter()
            .map(|n| bytes::Bytes::copy_from_slice(n))
            .collect()
    } else {
        ctx.store.pubsub.subscriptions(id, kind)
    };
    let hub = &mut ctx.store.pubsub;
    let frames: Vec<Frame> = if names.is_empty() {
        vec![confirm(kind, false, None, hub.count(id, kind))]
    } else {
        names
            .iter()
            .map(|n| {
                let count = hub.unsubscribe(id, kind, n);
                confirm(kind, false, Some(n), count)
            })
            .collect()
    };
    match &ctx.client.sink {
        Some(sink) => {
            for f in frames {
                sink.0.deliver(f);
            }
            ctx.client.suppress_reply = true;
        }
        // A client that cannot receive messages gets the last confirmation
        // as its reply (it has no subscriptions anyway).
        None => return Ok(frames.into_iter().last().unwrap_or(Frame::Null)),
    }
    let hub = &ctx.store.pubsub;
    ctx.client.pubsub = hub.count(id, Kind::Channel) + hub.count(id, Kind::Shard) > 0;
    Ok(Frame::Null)
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    subscribe_generic(ctx, argv, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    subscribe_generic(ctx, argv, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    subscribe_generic(ctx, argv, Kind::Shard)
}

/// UNSUBSCRIBE [channel ...]
fn unsubscribe(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Channel)
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Pattern)
}

/// SUNSUBSCRIBE [shardchannel ...]
fn sunsubscribe(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Shard)
}

/// PUBLISH channel message
fn publish(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(
        ctx.store.pubsub.publish(argv[1], argv[2]) as i64
    ))
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(
        ctx.store.pubsub.spublish(argv[1], argv[2]) as i64
    ))
}

fn channels_generic(ctx: &mut Ctx, argv: &[&[u8]], shard: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(Error::WrongArity(
            String::from_utf8_lossy(argv[0]).to_lowercase()
                + "|"
                + &String::from_utf8_lossy(argv[1]).to_lowercase(),
        ));
    }
    let names = ctx.store.pubsub.channels(shard, argv.get(2).copied());
    Ok(Frame::Array(names.into_iter().map(Frame::Bulk).collect()))
}

fn numsub_generic(ctx: &mut Ctx, argv: &[&[u8]], shard: bool) -> CmdResult {
    let mut out = Vec::with_capacity(2 * (argv.len() - 2));
    for ch in &argv[2..] {
        out.push(Frame::bulk(ch));
        out.push(Frame::Integer(ctx.store.pubsub.numsub(shard, ch) as i64));
    }
    Ok(Frame::Array(out))
}

/// PUBSUB CHANNELS [pattern]
fn pubsub_channels(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    channels_generic(ctx, argv, false)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn pubsub_shardchannels(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    channels_generic(ctx, argv, true)
}

/// PUBSUB NUMSUB [channel ...]
fn pubsub_numsub(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    numsub_generic(ctx, argv, false)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
fn pubsub_shardnumsub(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    numsub_generic(ctx, argv, true)
}

/// PUBSUB NUMPAT
fn pubsub_numpat(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(ctx.store.pubsub.numpat() as i64))
}

/// PUBSUB HELP
fn pubsub_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(super::server::help_reply(
        argv[0],
        &[
            "CHANNELS [<pattern>]",
            "    List the channels that have subscribers, optionally only those matching <pattern>.",
            "NUMPAT",
            "    Count the distinct patterns clients are subscribed to.",
            "NUMSUB [<channel> ...]",
            "    For each <channel>, its number of (non-pattern) subscribers.",
            "SHARDCHANNELS [<pattern>]",
            "    Like CHANNELS, for shard channels.",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Like NUMSUB, for shard channels.",
        ],
    ))
}
