//! The reply-shape column of the command table: which redis-py response
//! callback shapes a command's reply for Python, per client profile.
//!
//! A shape is named by text: a native shape (`"OK"`, `"BOOL"`,
//! `"SCORE_PAIRS"`..., the names of `src/python/reply.rs`'s `Native`) or
//! the name of a function in `redcore._callbacks`; `None` means the reply
//! is handed back as the protocol delivers it. `redcore._callbacks`
//! builds every client's default `response_callbacks` from this column
//! (`_redcore.command_table()`), and the Rust methods read their shapes
//! from those callbacks.

/// A command's reply shape for each client profile (redis-py 8's tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// `protocol=2`: RESP2 on the wire, legacy shapes.
    pub resp2: Option<&'static str>,
    /// `protocol=None` (the default): RESP3 on the wire, legacy shapes.
    pub default: Option<&'static str>,
    /// `protocol=3`: RESP3 on the wire, redis-py's RESP3 shapes.
    pub resp3: Option<&'static str>,
    /// `protocol=2, legacy_responses=False`.
    pub resp2_unified: Option<&'static str>,
    /// `legacy_responses=False` on RESP3.
    pub resp3_unified: Option<&'static str>,
    /// A string reply is a status (`+OK`, `+string`), not a bulk string,
    /// as redis-cli shows it (unquoted); see [`Reply::is_status`].
    pub status: bool,
}

impl Reply {
    /// No callback in any profile.
    pub const NONE: Reply = Reply {
        resp2: None,
        default: None,
        resp3: None,
        resp2_unified: None,
        resp3_unified: None,
        status: false,
    };

    /// The profile names, in [`Reply::shapes`] order.
    pub const PROFILES: [&'static str; 5] = [
        "resp2",
        "default",
        "resp3",
        "resp2_unified",
        "resp3_unified",
    ];

    /// The shape of every profile, in [`Reply::PROFILES`] order.
    pub fn shapes(&self) -> [Option<&'static str>; 5] {
        [
            self.resp2,
            self.default,
            self.resp3,
            self.resp2_unified,
            self.resp3_unified,
        ]
    }

    /// `shape` in every profile.
    pub const fn all(shape: &'static str) -> Reply {
        Reply {
            resp2: Some(shape),
            default: Some(shape),
            resp3: Some(shape),
            resp2_unified: Some(shape),
            resp3_unified: Some(shape),
            status: false,
        }
    }

    /// True if a string reply of the command is a status: marked so, or
    /// shaped by redis-py's status callbacks (`OK`: `+OK` is True,
    /// `TRUE`: BGSAVE's and BGREWRITEAOF's messages).
    pub fn is_status(&self) -> bool {
        self.status
            || self
                .shapes()
                .iter()
                .any(|s| matches!(s, Some("OK") | Some("TRUE")))
    }

    /// `shape` where redis-py's legacy shapes apply: `protocol=2` (also
    /// unified) and the default profile.
    pub const fn resp2(mut self, shape: &'static str) -> Reply {
        self.resp2 = Some(shape);
        self.resp2_unified = Some(shape);
        self.default = Some(shape);
        self
    }

    /// `shape` with `protocol=3` (also unified).
    pub const fn resp3(mut self, shape: &'static str) -> Reply {
        self.resp3 = Some(shape);
        self.resp3_unified = Some(shape);
        self
    }

    /// `shape` in the default profile only.
    pub const fn default_profile(mut self, shape: Option<&'static str>) -> Reply {
        self.default = shape;
        self
    }

    /// `shape` with `protocol=2, legacy_responses=False` only.
    pub const fn resp2_unified(mut self, shape: &'static str) -> Reply {
        self.resp2_unified = Some(shape);
        self
    }

    /// `shape` with `legacy_responses=False` on RESP3 only.
    pub const fn resp3_unified(mut self, shape: &'static str) -> Reply {
        self.resp3_unified = Some(shape);
        self
    }
}

/// Reply shapes of commands a client sends that are not rows of the
/// engine's table: SENTINEL's (answered by a Redis Sentinel only) and
/// DEBUG OBJECT (DEBUG's subcommands are not rows).
pub const CLIENT_ONLY: &[(&str, Reply)] = &[
    ("debug|object", Reply::all("parse_debug_object")),
    ("sentinel|master", Reply::all("parse_sentinel_master")),
    ("sentinel|masters", Reply::all("parse_sentinel_masters")),
    ("sentinel|slaves", Reply::all("parse_sentinel_list")),
    ("sentinel|sentinels", Reply::all("parse_sentinel_list")),
    (
        "sentinel|get-master-addr-by-name",
        Reply::all("parse_sentinel_get_master"),
    ),
    ("sentinel|ckquorum", Reply::all("OK")),
    ("sentinel|failover", Reply::all("OK")),
    ("sentinel|flushconfig", Reply::all("OK")),
    ("sentinel|monitor", Reply::all("OK")),
    ("sentinel|remove", Reply::all("OK")),
    ("sentinel|reset", Reply::all("OK")),
    ("sentinel|set", Reply::all("OK")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_only_commands_are_not_rows() {
        for (name, _) in CLIENT_ONLY {
            let (top, sub) = name.split_once('|').unwrap();
            let row = crate::commands::lookup(top.as_bytes())
                .and_then(|c| crate::commands::find_subcommand(c, sub.as_bytes()));
            assert!(row.is_none(), "{name} is a row: its shape belongs there");
        }
    }

    #[test]
    fn shape_names_are_identifiers() {
        let rows = crate::commands::all()
            .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
            .map(|c| (c.name, c.reply))
            .chain(CLIENT_ONLY.iter().copied());
        let mut named = 0;
        for (name, reply) in rows {
            for shape in reply.shapes().into_iter().flatten() {
                named += 1;
                let ok = !shape.is_empty()
                    && shape.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                assert!(ok, "{name}: bad shape name {shape:?}");
            }
        }
        assert!(named > 700);
    }
}
