//! Users and their permissions (Redis 7.0 ACLs): the user store, the
//! `ACL SETUSER` rule parser, the permission checker the dispatcher calls
//! for every command, the description `ACL LIST` / `GETUSER` print, and
//! the ACL LOG.
//!
//! Command permissions are a set of full command names (`get`,
//! `config|get`), which is what Redis's per-command bitmap amounts to;
//! categories come from the command table (`command_info::categories`),
//! never from a second list.

use std::collections::{BTreeMap, HashSet, VecDeque};

use bytes::Bytes;

use crate::commands::{self, command_info, flags, Command};
use crate::glob::glob_match;

/// Key pattern permissions (`%R~`, `%W~`, `~` = both).
pub const READ: u8 = 1;
pub const WRITE: u8 = 2;

/// Why a command was refused. The order is Redis's: when no selector
/// allows a command, the "largest" reason is the one reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    Command,
    Key,
    Auth,
    Channel,
}

impl Denied {
    /// The ACL LOG `reason` field.
    pub fn reason(self) -> &'static str {
        match self {
            Denied::Command => "command",
            Denied::Key => "key",
            Denied::Auth => "auth",
            Denied::Channel => "channel",
        }
    }

    /// The NOPERM error a client gets.
    pub fn noperm(self, cmd: &str) -> String {
        match self {
            Denied::Command => {
                format!("NOPERM this user has no permissions to run the '{cmd}' command")
            }
            Denied::Key => {
                "NOPERM this user has no permissions to access one of the keys used as arguments"
                    .into()
            }
            _ => "NOPERM this user has no permissions to access one of the channels used as arguments"
                .into(),
        }
    }

    /// The error `redis.call` raises in a script.
    pub fn script_error(self) -> &'static str {
        match self {
            Denied::Command => "The user executing the script can't run this command or subcommand",
            Denied::Key => "The user executing the script can't access at least one of the keys mentioned in the command arguments",
            _ => "The user executing the script can't publish to the channel mentioned in the command",
        }
    }
}

/// A key pattern with its read/write permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub perms: u8,
    pub pattern: Bytes,
}

/// One set of permissions: the root selector of a user, or one of its
/// `(...)` selectors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Full names of the allowed commands (`get`, `config|get`).
    allowed: HashSet<&'static str>,
    /// Set by `+@all`: commands added later would be allowed too.
    all_future: bool,
    allkeys: bool,
    keys: Vec<KeyPattern>,
    allchannels: bool,
    channels: Vec<Bytes>,
}

/// Every command row, containers and subcommands alike.
fn every_command() -> impl Iterator<Item = &'static Command> {
    commands::all().flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
}

/// Every command row sorted by full name (stable descriptions).
fn sorted_commands() -> Vec<&'static Command> {
    let mut all: Vec<_> = every_command().collect();
    all.sort_by_key(|c| c.name);
    all
}

/// The category bit named `name` (without the `@`).
pub fn category(name: &[u8]) -> Option<u32> {
    command_info::CATEGORIES
        .iter()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|(bit, _)| *bit)
}

/// Names of the commands in category `bit`.
pub fn commands_in(bit: u32) -> Vec<&'static str> {
    let mut names: Vec<_> = every_command()
        .filter(|c| command_info::categories(c) & bit != 0)
        .map(|c| c.name)
        .collect();
    names.sort_unstable();
    names
}

impl Selector {
    /// A selector that allows everything (the default user's).
    pub fn everything() -> Selector {
        let mut s = Selector::default();
        s.set_all_commands(true);
        s.allkeys = true;
        s.keys.push(KeyPattern {
            perms: READ | WRITE,
            pattern: Bytes::from_static(b"*"),
        });
        s.allchannels = true;
        s
    }

    fn set_all_commands(&mut self, on: bool) {
        self.all_future = on;
        self.allowed.clear();
        if on {
            self.allowed.extend(every_command().map(|c| c.name));
        }
    }

    /// Allows or denies `cmd` and, for a container, all its subcommands.
    fn set_command(&mut self, cmd: &'static Command, on: bool) {
        for c in std::iter::once(cmd).chain(cmd.subcommands.iter()) {
            if on {
                self.allowed.insert(c.name);
            } else {
                self.allowed.remove(c.name);
            }
        }
    }

    fn set_category(&mut self, bit: u32, on: bool) {
        for c in every_command().filter(|c| command_info::categories(c) & bit != 0) {
            if on {
                self.allowed.insert(c.name);
            } else {
                self.allowed.remove(c.name);
            }
        }
    }

    /// Applies one rule (`+get`, `~key*`, `&chan`, `allkeys`...).
    fn apply(&mut self, rule: &[u8]) -> Result<(), String> {
        let lower = rule.to_ascii_lowercase();
        match lower.as_slice() {
            b"allcommands" | b"+@all" => self.set_all_commands(true),
            b"nocommands" | b"-@all" => self.set_all_commands(false),
            b"allkeys" => self.add_key(READ | WRITE, b"*")?,
            b"resetkeys" => {
                self.allkeys = false;
                self.keys.clear();
            }
            b"allchannels" => self.add_channel(b"*")?,
            b"resetchannels" => {
                self.allchannels = false;
                self.channels.clear();
            }
            _ => return self.apply_pattern_or_command(rule),
        }
        Ok(())
    }

    fn apply_pattern_or_command(&mut self, rule: &[u8]) -> Result<(), String> {
        let syntax = || "Syntax error".to_string();
        match rule.first() {
            Some(b'~') => self.add_key(READ | WRITE, &rule[1..]),
            Some(b'%') => {
                let tilde = rule.iter().position(|&c| c == b'~').ok_or_else(syntax)?;
                let mut perms = 0;
                for c in &rule[1..tilde] {
                    perms |= match c.to_ascii_uppercase() {
                        b'R' => READ,
                        b'W' => WRITE,
                        _ => return Err(syntax()),
                    };
                }
                if perms == 0 {
                    return Err(syntax());
                }
                self.add_key(perms, &rule[tilde + 1..])
            }
            Some(b'&') => self.add_channel(&rule[1..]),
            Some(&sign @ (b'+' | b'-')) => {
                let on = sign == b'+';
                let unknown = || "Unknown command or category name in ACL".to_string();
                if let Some(cat) = rule[1..].strip_prefix(b"@") {
                    let bit = category(cat).ok_or_else(unknown)?;
                    self.set_category(bit, on);
                } else {
                    let cmd = find_full(&rule[1..]).ok_or_else(unknown)?;
                    self.set_command(cmd, on);
                }
                Ok(())
            }
            _ => Err(syntax()),
        }
    }

    fn add_key(&mut self, perms: u8, pattern: &[u8]) -> Result<(), String> {
        if self.allkeys {
            return Err("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns".into());
        }
        if pattern == b"*" && perms == READ | WRITE {
            self.allkeys = true;
            self.keys.clear();
        }
        match self.keys.iter_mut().find(|k| k.pattern.as_ref() == pattern) {
            Some(k) => k.perms |= perms,
            None => self.keys.push(KeyPattern {
                perms,
                pattern: Bytes::copy_from_slice(pattern),
            }),
        }
        Ok(())
    }

    fn add_channel(&mut self, pattern: &[u8]) -> Result<(), String> {
        if self.allchannels {
            return Err("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels".into());
        }
        if pattern == b"*" {
            self.allchannels = true;
            self.channels.clear();
            return Ok(());
        }
        if !self.channels.iter().any(|c| c.as_ref() == pattern) {
            self.channels.push(Bytes::copy_from_slice(pattern));
        }
        Ok(())
    }

    /// The key patterns as `ACL GETUSER` prints them.
    pub fn describe_keys(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let parts: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let prefix = match k.perms {
                    READ => "%R~",
                    WRITE => "%W~",
                    _ => "~",
                };
                format!("{prefix}{}", String::from_utf8_lossy(&k.pattern))
            })
            .collect();
        parts.join(" ")
    }

    /// The channel patterns as `ACL GETUSER` prints them.
    pub fn describe_channels(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        let parts: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        parts.join(" ")
    }

    /// The command rules, rebuilt as Redis does: `+@all` or `-@all`, then
    /// each category that more than half matches, then single commands.
    pub fn describe_commands(&self) -> String {
        let mut fake = Selector::default();
        let mut rules = Vec::new();
        let additive = !self.all_future;
        if additive {
            rules.push("-@all".to_string());
        } else {
            rules.push("+@all".to_string());
            fake.set_all_commands(true);
        }
        for (bit, name) in command_info::CATEGORIES {
            let (mut on, mut off) = (0, 0);
            for c in every_command().filter(|c| command_info::categories(c) & bit != 0) {
                if self.allowed.contains(c.name) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
            if (additive && on > off) || (!additive && off > on) {
                fake.set_category(*bit, additive);
                rules.push(format!("{}@{name}", if additive { '+' } else { '-' }));
            }
        }
        for c in sorted_commands() {
            if c.subcommands.is_empty() && c.name.contains('|') {
                continue; // handled with its container
            }
            self.describe_single(c, &mut fake, &mut rules);
            for sub in c.subcommands {
                self.describe_single(sub, &mut fake, &mut rules);
            }
        }
        rules.join(" ")
    }

    fn describe_single(&self, c: &'static Command, fake: &mut Selector, rules: &mut Vec<String>) {
        let mine = self.allowed.contains(c.name);
        if mine != fake.allowed.contains(c.name) {
            rules.push(format!("{}{}", if mine { '+' } else { '-' }, c.name));
            fake.set_command(c, mine);
        }
    }

    /// The rules that rebuild this selector (`ACL LIST`).
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        let keys = self.describe_keys();
        if !keys.is_empty() {
            parts.push(keys);
        }
        if self.allchannels {
            parts.push("&*".into());
        } else {
            parts.push("resetchannels".into());
            let ch = self.describe_channels();
            if !ch.is_empty() {
                parts.push(ch);
            }
        }
        parts.push(self.describe_commands());
        parts.join(" ")
    }

    /// Checks one command against this selector; on refusal, the reason
    /// and the index of the offending argument.
    pub fn check(&self, cmd: &Command, argv: &[&[u8]]) -> Result<(), (Denied, usize)> {
        if !cmd.has(flags::NO_AUTH) && !self.allowed.contains(cmd.name) {
            return Err((Denied::Command, 0));
        }
        if !self.allkeys {
            let needed = if cmd.has(flags::WRITE) {
                WRITE
            } else if cmd.has(flags::READONLY) {
                READ
            } else {
                0
            };
            for i in cmd.key_indexes(argv) {
                let Some(key) = argv.get(i) else { continue };
                let ok = self
                    .keys
                    .iter()
                    .any(|k| k.perms & needed == needed && glob_match(&k.pattern, key, false));
                if !ok {
                    return Err((Denied::Key, i));
                }
            }
        }
        if !self.allchannels {
            for (i, literal) in channels_of(cmd, argv) {
                if !self.channel_ok(argv[i], literal) {
                    return Err((Denied::Channel, i));
                }
            }
        }
        Ok(())
    }

    /// A channel (or, for PSUBSCRIBE, a pattern that must equal one of the
    /// user's patterns) is allowed.
    fn channel_ok(&self, channel: &[u8], literal: bool) -> bool {
        self.channels.iter().any(|p| {
            if literal {
                p.as_ref() == channel
            } else {
                glob_match(p, channel, false)
            }
        })
    }
}

/// The argv indexes of a command's channels, each with whether it is a
/// pattern that must match a user pattern literally (PSUBSCRIBE).
fn channels_of(cmd: &Command, argv: &[&[u8]]) -> Vec<(usize, bool)> {
    match cmd.name {
        "publish" | "spublish" => vec![(1, false)],
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        _ => Vec::new(),
    }
}

/// A command or subcommand by full name (`get`, `config|get`).
pub fn find_full(name: &[u8]) -> Option<&'static Command> {
    let mut parts = name.splitn(2, |&c| c == b'|');
    let top = commands::lookup(parts.next()?)?;
    match parts.next() {
        None => Some(top),
        Some(sub) => commands::find_subcommand(top, sub).filter(|_| !top.subcommands.is_empty()),
    }
}

/// A user.
#[derive(Clone, Debug)]
pub struct User {
    pub name: Bytes,
    pub enabled: bool,
    pub nopass: bool,
    /// `Some(true)`: sanitize-payload; `Some(false)`: skip-sanitize-payload.
    pub sanitize: Option<bool>,
    /// SHA-256 hex digests of the passwords, in the order added.
    pub passwords: Vec<String>,
    pub root: Selector,
    pub selectors: Vec<Selector>,
}

impl User {
    /// A new user as SETUSER creates it: off, no passwords, no permissions.
    pub fn new(name: &[u8]) -> User {
        User {
            name: Bytes::copy_from_slice(name),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            root: Selector::default(),
            selectors: Vec::new(),
        }
    }

    /// The `default` user of a fresh engine: on, nopass, everything.
    pub fn default_user() -> User {
        User {
            enabled: true,
            nopass: true,
            root: Selector::everything(),
            ..User::new(b"default")
        }
    }

    /// Applies one SETUSER argument (selectors already merged into one).
    pub fn apply(&mut self, rule: &[u8]) -> Result<(), String> {
        if let Some(inner) = rule.strip_prefix(b"(") {
            let inner = inner.strip_suffix(b")").ok_or("Syntax error")?;
            let mut sel = Selector::default();
            for part in inner.split(|&c| c == b' ').filter(|p| !p.is_empty()) {
                sel.apply(part)?;
            }
            self.selectors.push(sel);
            return Ok(());
        }
        let lower = rule.to_ascii_lowercase();
        match lower.as_slice() {
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            b"sanitize-payload" => self.sanitize = Some(true),
            b"skip-sanitize-payload" => self.sanitize = Some(false),
            b"clearselectors" => self.selectors.clear(),
            b"reset" => {
                let name = self.name.clone();
                *self = User::new(&name);
                self.sanitize = Some(true);
            }
            _ => return self.apply_password_or_selector(rule),
        }
        Ok(())
    }

    fn apply_password_or_selector(&mut self, rule: &[u8]) -> Result<(), String> {
        let missing = || "The password you are trying to remove from the user does not exist";
        match rule.first() {
            Some(b'>') => {
                let hash = sha256_hex(&rule[1..]);
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.nopass = false;
            }
            Some(b'#') => {
                let hash = valid_hash(&rule[1..])?;
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.nopass = false;
            }
            Some(b'<') => {
                let hash = sha256_hex(&rule[1..]);
                let at = self.passwords.iter().position(|p| *p == hash);
                self.passwords.remove(at.ok_or_else(missing)?);
            }
            Some(b'!') => {
                let hash = valid_hash(&rule[1..])?;
                let at = self.passwords.iter().position(|p| *p == hash);
                self.passwords.remove(at.ok_or_else(missing)?);
            }
            _ => return self.root.apply(rule),
        }
        Ok(())
    }

    /// True if `password` opens this user.
    pub fn password_ok(&self, password: &[u8]) -> bool {
        self.enabled && (self.nopass || self.passwords.contains(&sha256_hex(password)))
    }

    /// True if this user may run anything on any key and channel (the
    /// dispatcher can skip its checks).
    pub fn unrestricted(&self) -> bool {
        self.root.all_future
            && self.root.allowed.len() == every_command().count()
            && self.root.allkeys
            && self.root.allchannels
    }

    /// The flags `ACL GETUSER` lists.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut out = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            out.push("nopass");
        }
        match self.sanitize {
            Some(true) => out.push("sanitize-payload"),
            Some(false) => out.push("skip-sanitize-payload"),
            None => {}
        }
        out
    }

    /// The user as one `ACL LIST` line.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("user {}", String::from_utf8_lossy(&self.name))];
        parts.extend(self.flags().iter().map(|f| f.to_string()));
        parts.extend(self.passwords.iter().map(|p| format!("#{p}")));
        parts.push(self.root.describe());
        for s in &self.selectors {
            parts.push(format!("({})", s.describe()));
        }
        parts.join(" ")
    }

    /// Checks a command against the root selector and then each selector;
    /// the first that allows it wins. Otherwise the most relevant refusal
    /// (Redis's order: channel > key > command, then the later argument).
    pub fn check(&self, cmd: &Command, argv: &[&[u8]]) -> Result<(), (Denied, usize)> {
        let mut worst = (Denied::Command, 0);
        for sel in std::iter::once(&self.root).chain(self.selectors.iter()) {
            match sel.check(cmd, argv) {
                Ok(()) => return Ok(()),
                Err(e) if e > worst => worst = e,
                Err(_) => {}
            }
        }
        Err(worst)
    }
}

fn valid_hash(hex: &[u8]) -> Result<String, String> {
    if hex.len() != 64 || !hex.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters".into());
    }
    Ok(String::from_utf8_lossy(hex).into_owned())
}

/// Joins SETUSER arguments so that a selector split over several
/// arguments (`(~a` `+get)`) becomes one. Errors name the opening part.
pub fn merge_selector_args(args: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut open: Option<Vec<u8>> = None;
    for a in args {
        match open.as_mut() {
            Some(buf) => {
                buf.push(b' ');
                buf.extend_from_slice(a);
                if a.ends_with(b")") {
                    out.push(open.take().unwrap_or_default());
                }
            }
            None if a.starts_with(b"(") && !a.ends_with(b")") => open = Some(a.to_vec()),
            None => out.push(a.to_vec()),
        }
    }
    if let Some(buf) = open {
        return Err(format!(
            "ERR Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(&buf)
        ));
    }
    Ok(out)
}

/// One ACL LOG entry.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub count: u64,
    pub reason: Denied,
    pub context: &'static str,
    pub object: Bytes,
    pub username: Bytes,
    /// Unix ms of the last occurrence.
    pub updated_ms: i64,
    pub client_info: String,
}

/// Entries similar to a new one within this window are merged into it.
const LOG_MERGE_MS: i64 = 60_000;

/// The users and the ACL LOG of one engine.
#[derive(Debug)]
pub struct Acl {
    /// By name, sorted (ACL USERS and ACL LIST list them in this order).
    pub users: BTreeMap<Bytes, User>,
    /// Newest first.
    pub log: VecDeque<LogEntry>,
}

impl Default for Acl {
    fn default() -> Acl {
        let mut users = BTreeMap::new();
        users.insert(Bytes::from_static(b"default"), User::default_user());
        Acl {
            users,
            log: VecDeque::new(),
        }
    }
}

impl Acl {
    pub fn user(&self, name: &[u8]) -> Option<&User> {
        self.users.get(name)
    }

    /// The default user (it cannot be deleted).
    pub fn default_user(&self) -> &User {
        self.users
            .get(b"default".as_slice())
            .expect("the default user always exists")
    }

    /// True when a new connection needs no AUTH (the default user is on
    /// and has nopass).
    pub fn default_opens(&self) -> bool {
        let d = self.default_user();
        d.enabled && d.nopass
    }

    /// True when every user may run everything: the dispatcher's checks
    /// and the typed fast paths agree without looking.
    pub fn trivial(&self) -> bool {
        self.users.len() == 1 && self.default_opens() && self.default_user().unrestricted()
    }

    /// SETUSER: applies every rule to a copy of the user (created if
    /// missing) and stores it only if all of them succeed.
    pub fn setuser(&mut self, name: &[u8], rules: &[&[u8]]) -> Result<(), String> {
        if name.iter().any(|&c| c == b' ' || c == 0) {
            return Err("ERR Usernames can't contain spaces or null characters".into());
        }
        let merged = merge_selector_args(rules)?;
        let mut user = self
            .users
            .get(name)
            .cloned()
            .unwrap_or_else(|| User::new(name));
        for rule in &merged {
            user.apply(rule).map_err(|e| {
                format!(
                    "ERR Error in ACL SETUSER modifier '{}': {e}",
                    String::from_utf8_lossy(rule)
                )
            })?;
        }
        self.users.insert(user.name.clone(), user);
        Ok(())
    }

    /// Records a denial; a similar recent entry is counted instead of
    /// repeated, and moves to the front.
    pub fn log_denial(&mut self, mut entry: LogEntry, max_len: usize) {
        let similar = self.log.iter().position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && e.object == entry.object
                && e.username == entry.username
                && entry.updated_ms - e.updated_ms < LOG_MERGE_MS
        });
        if let Some(i) = similar {
            if let Some(old) = self.log.remove(i) {
                entry.count = old.count + 1;
            }
        }
        self.log.push_front(entry);
        self.log.truncate(max_len);
    }
}

/// `bits` random bits as lower-case hex (ACL GENPASS), from the OS
/// generator when available.
pub fn genpass(bits: usize) -> String {
    let nibbles = bits.div_ceil(4);
    let bytes = nibbles.div_ceil(2);
    let mut buf = vec![0u8; bytes];
    let from_os = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf))
        .is_ok();
    if !from_os {
        buf.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    let mut hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(nibbles);
    hex
}

/// SHA-256 of `data` as lower-case hex (how Redis stores passwords).
pub fn sha256_hex(data: &[u8]) -> String {
    sha256(data).iter().map(|b| format!("{b:02x}")).collect()
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// FIPS 180-4 SHA-256.
fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, v) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

#[cfg(test)]
#[path = "acl_tests.rs"]
mod tests;
