//! The cluster-routing column of the command table: where redis-py's
//! `RedisCluster` sends a command that its keys do not place (to which
//! nodes), and how it folds the replies of several nodes into one.
//! `redcore._cluster_nodes` reads this column (`_redcore.command_table()`).

/// The nodes a keyless command goes to (redis-py's default node flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nodes {
    /// The node its keys' slot names, else the default node.
    Default,
    /// Every primary.
    Primaries,
    /// Every node, replicas too.
    AllNodes,
    /// One node picked at random.
    Random,
    /// The node serving the slot given as its first argument.
    SlotId,
}

/// How the replies of several nodes become the command's one reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// None: `{node_name: reply}` (a single node's reply as it is).
    Each,
    /// True when every node's reply is.
    AllTrue,
    /// The sum of the replies.
    Sum,
    /// The replies' lists, one after the other.
    Concat,
    /// One node's reply (they are all the same).
    Last,
    /// Per position, true when every node's list is true there.
    AllTruePerIndex,
}

/// A row's cluster routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub nodes: Nodes,
    pub combine: Combine,
}

impl Route {
    /// Routed by its keys (or to the default node), replies not combined.
    pub const DEFAULT: Route = Route {
        nodes: Nodes::Default,
        combine: Combine::Each,
    };

    /// The names `command_table()` gives: `(nodes, combine)`, None for
    /// the defaults.
    pub fn names(&self) -> (Option<&'static str>, Option<&'static str>) {
        let nodes = match self.nodes {
            Nodes::Default => None,
            Nodes::Primaries => Some("primaries"),
            Nodes::AllNodes => Some("all_nodes"),
            Nodes::Random => Some("random"),
            Nodes::SlotId => Some("slot_id"),
        };
        let combine = match self.combine {
            Combine::Each => None,
            Combine::AllTrue => Some("all_true"),
            Combine::Sum => Some("sum"),
            Combine::Concat => Some("concat"),
            Combine::Last => Some("last"),
            Combine::AllTruePerIndex => Some("all_true_per_index"),
        };
        (nodes, combine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every routed row, as `NAME` or `NAME SUB` (redis-py's spelling).
    fn routed(pick: impl Fn(&Route) -> bool) -> Vec<String> {
        let mut out: Vec<String> = crate::commands::all()
            .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
            .filter(|c| pick(&c.route))
            .map(|c| c.name.replace('|', " ").to_ascii_uppercase())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn routed_rows_are_redis_py_lists() {
        // The lists `redcore._cluster_nodes` kept by hand before this
        // column (redis-py's node flags and result callbacks).
        let nodes = |n: Nodes| routed(|r| r.nodes == n);
        assert_eq!(
            nodes(Nodes::Primaries),
            [
                "DBSIZE",
                "FLUSHALL",
                "FLUSHDB",
                "FUNCTION DELETE",
                "FUNCTION FLUSH",
                "FUNCTION LIST",
                "FUNCTION LOAD",
                "FUNCTION RESTORE",
                "KEYS",
                "SCAN",
                "SCRIPT EXISTS",
                "SCRIPT FLUSH",
                "SCRIPT LOAD",
            ]
        );
        assert_eq!(
            nodes(Nodes::AllNodes),
            [
                "BGSAVE",
                "CLIENT PAUSE",
                "CLIENT SETNAME",
                "CLIENT UNPAUSE",
                "CONFIG RESETSTAT",
                "CONFIG REWRITE",
                "CONFIG SET",
                "MEMORY PURGE",
                "PING",
                "SAVE",
                "SCRIPT KILL",
                "SLOWLOG RESET",
            ]
        );
        assert_eq!(
            nodes(Nodes::Random),
            [
                "CLUSTER INFO",
                "CLUSTER NODES",
                "CLUSTER SHARDS",
                "CLUSTER SLOTS",
                "FUNCTION DUMP",
                "RANDOMKEY",
            ]
        );
        assert_eq!(
            nodes(Nodes::SlotId),
            [
                "CLUSTER COUNTKEYSINSLOT",
                "CLUSTER DELSLOTS",
                "CLUSTER DELSLOTSRANGE",
                "CLUSTER GETKEYSINSLOT",
                "CLUSTER SETSLOT",
            ]
        );
        let combine = |c: Combine| routed(|r| r.combine == c);
        assert_eq!(combine(Combine::Sum), ["DBSIZE"]);
        assert_eq!(combine(Combine::Concat), ["KEYS"]);
        assert_eq!(combine(Combine::Last), ["SCRIPT LOAD"]);
        assert_eq!(combine(Combine::AllTruePerIndex), ["SCRIPT EXISTS"]);
        // Every all-nodes command but SCRIPT KILL, and three on primaries.
        let mut all_true: Vec<String> = nodes(Nodes::AllNodes)
            .into_iter()
            .filter(|n| n != "SCRIPT KILL")
            .chain(["FLUSHALL", "FLUSHDB", "SCRIPT FLUSH"].map(String::from))
            .collect();
        all_true.sort();
        assert_eq!(combine(Combine::AllTrue), all_true);
    }
}
