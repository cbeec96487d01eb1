//! CLUSTER, READONLY, READWRITE and ASKING as a Redis 7.0 server with
//! `cluster-enabled no` answers them: every one is refused with "This
//! instance has cluster support disabled" (an embedded engine is never a
//! cluster node; redcore's cluster client talks to real clusters). The
//! rows still carry Redis's arity and flags, so COMMAND, ACL categories
//! and the arity check behave as on the server.

use super::flags::*;
use super::routing::{Combine, Nodes};
use super::{acl, Command, Ctx, Group};
use crate::error::{CmdResult, Error};

const G: Group = Group::Cluster;
/// Flags of the subcommands that change the cluster.
const CHANGE: u32 = ADMIN | STALE | NO_ASYNC_LOADING;

const fn sub(name: &'static str, arity: i32, flags: u32) -> Command {
    Command::new(name, arity, flags, G, disabled)
}

const SUBCOMMANDS: &[Command] = &[
    sub("cluster|addslots", -3, CHANGE).reply("OK"),
    sub("cluster|addslotsrange", -4, CHANGE).reply("OK"),
    sub("cluster|bumpepoch", 2, CHANGE),
    sub("cluster|count-failure-reports", 3, ADMIN | STALE),
    sub("cluster|countkeysinslot", 3, STALE).route(Nodes::SlotId, Combine::Each),
    sub("cluster|delslots", -3, CHANGE)
        .route(Nodes::SlotId, Combine::Each)
        .reply("OK"),
    sub("cluster|delslotsrange", -4, CHANGE)
        .route(Nodes::SlotId, Combine::Each)
        .reply("OK"),
    sub("cluster|failover", -2, CHANGE).reply("OK"),
    sub("cluster|flushslots", 2, CHANGE),
    sub("cluster|forget", 3, CHANGE).reply("OK"),
    sub("cluster|getkeysinslot", 4, STALE)
        .route(Nodes::SlotId, Combine::Each)
        .reply("STR_LIST"),
    sub("cluster|help", 2, LOADING | STALE),
    sub("cluster|info", 2, STALE)
        .route(Nodes::Random, Combine::Each)
        .reply("parse_cluster_info"),
    sub("cluster|keyslot", 3, STALE),
    sub("cluster|links", 2, STALE),
    sub("cluster|meet", -4, CHANGE).reply("OK"),
    sub("cluster|myid", 2, STALE),
    sub("cluster|nodes", 2, STALE).route(Nodes::Random, Combine::Each),
    sub("cluster|replicas", 3, ADMIN | STALE),
    sub("cluster|replicate", 3, CHANGE).reply("OK"),
    sub("cluster|reset", -2, ADMIN | NOSCRIPT | STALE).reply("OK"),
    sub("cluster|saveconfig", 2, CHANGE).reply("OK"),
    sub("cluster|set-config-epoch", 3, CHANGE).reply("OK"),
    sub("cluster|setslot", -4, CHANGE)
        .route(Nodes::SlotId, Combine::Each)
        .reply("OK"),
    sub("cluster|shards", 2, STALE).route(Nodes::Random, Combine::Each),
    sub("cluster|slaves", 3, ADMIN | STALE),
    sub("cluster|slots", 2, STALE).route(Nodes::Random, Combine::Each),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("cluster", -2, 0, G, super::server::container).subcommands(SUBCOMMANDS),
    Command::new("readonly", 1, LOADING | STALE | FAST, G, disabled)
        .reply("OK")
        .acl(acl::CONNECTION),
    Command::new("readwrite", 1, LOADING | STALE | FAST, G, disabled)
        .reply("OK")
        .acl(acl::CONNECTION),
    Command::new("asking", 1, FAST, G, disabled)
        .reply("OK")
        .acl(acl::CONNECTION),
];

/// Any CLUSTER subcommand, READONLY, READWRITE, ASKING.
fn disabled(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Err(Error::err("ERR This instance has cluster support disabled"))
}
