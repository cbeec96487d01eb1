//! ACL and AUTH: users (`engine::acl`), the permission check every command
//! passes in the dispatcher, and the ACL LOG.

use bytes::Bytes;

use super::flags::*;
use super::{acl as cat, args, Command, Ctx, Group};
use crate::engine::acl::{self, Denied, LogEntry};
use crate::engine::{clients, now_ms, ClientState, Store};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

const G: Group = Group::Server;
const ADMIN_CMD: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const LS: u32 = NOSCRIPT | LOADING | STALE;

const ACL_SUBCOMMANDS: &[Command] = &Command::all_traits(
    [
        Command::new("acl|cat", -2, LS, G, acl_cat).reply("_str_list"),
        Command::new("acl|deluser", -3, ADMIN_CMD, G, acl_deluser),
        Command::new("acl|dryrun", -4, ADMIN_CMD, G, acl_dryrun),
        Command::new("acl|genpass", -2, LS, G, acl_genpass).reply("_str"),
        Command::new("acl|getuser", 3, ADMIN_CMD, G, acl_getuser).reply("parse_acl_getuser"),
        Command::new("acl|help", 2, LOADING | STALE, G, acl_help).reply("_str_list"),
        Command::new("acl|list", 2, ADMIN_CMD, G, acl_list).reply("_str_list"),
        Command::new("acl|load", 2, ADMIN_CMD, G, acl_load).reply("OK"),
        Command::new("acl|log", -2, ADMIN_CMD, G, acl_log)
            .reply("parse_acl_log")
            .status(),
        Command::new("acl|save", 2, ADMIN_CMD, G, acl_save).reply("OK"),
        Command::new("acl|setuser", -3, ADMIN_CMD, G, acl_setuser).reply("OK"),
        Command::new("acl|users", 2, ADMIN_CMD, G, acl_users).reply("_str_list"),
        Command::new("acl|whoami", 2, LS, G, acl_whoami).reply("_str"),
    ],
    super::traits::ALONE,
);

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("acl", -2, 0, G, super::server::container)
        .subcommands(ACL_SUBCOMMANDS)
        .traits(super::traits::ALONE),
    Command::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        Group::Connection,
        auth,
    )
    .traits(super::traits::ALONE)
    .reply("BOOL")
    .status()
    .acl(cat::CONNECTION),
];

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Checks `user`'s password and makes it the client's user; a failure is
/// logged (reason `auth`) and answered with WRONGPASS.
pub fn authenticate(
    store: &mut Store,
    client: &mut ClientState,
    user: &[u8],
    pass: &[u8],
) -> Result<(), Error> {
    let ok = store.acl.user(user).is_some_and(|u| u.password_ok(pass));
    if ok {
        client.user = Bytes::copy_from_slice(user);
        client.authenticated = true;
        return Ok(());
    }
    log(
        store,
        client,
        Denied::Auth,
        "toplevel",
        b"AUTH",
        "auth",
        Some(user),
    );
    Err(Error::err(WRONGPASS))
}

/// Adds an ACL LOG entry for `client`.
fn log(
    store: &mut Store,
    client: &ClientState,
    reason: Denied,
    context: &'static str,
    object: &[u8],
    cmd: &'static str,
    username: Option<&[u8]>,
) {
    let entry = LogEntry {
        count: 1,
        reason,
        context,
        object: Bytes::copy_from_slice(object),
        username: Bytes::copy_from_slice(username.unwrap_or(&client.user)),
        updated_ms: now_ms(),
        client_info: clients::own_line(store, client, cmd).trim_end().to_string(),
    };
    let max = setting(store, "acllog-max-len").parse().unwrap_or(128);
    store.acl.log_denial(entry, max);
}

/// The dispatcher's check: may `client` run `argv`? A refusal is logged
/// with `context` (`toplevel`, `multi`, `lua`) and returned.
pub fn check(
    store: &mut Store,
    client: &ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
    context: &'static str,
) -> Result<(), Denied> {
    let verdict = match store.acl.user(&client.user) {
        Some(u) => u.check(cmd, argv),
        None => Err((Denied::Command, 0)),
    };
    let Err((reason, at)) = verdict else {
        return Ok(());
    };
    let object = match reason {
        Denied::Command => cmd.name.as_bytes(),
        _ => argv.get(at).copied().unwrap_or_default(),
    };
    log(store, client, reason, context, object, cmd.name, None);
    Err(reason)
}

/// EXEC's check of each queued command: the user's rules may have
/// changed since it was queued.
pub fn exec_check(
    store: &mut Store,
    client: &ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
) -> Option<Frame> {
    if !store.gate.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    let reason = match check(store, client, cmd, argv, "multi").err()? {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key => "no permission to touch the specified keys",
        _ => "no permission to access one of the channels used as arguments",
    };
    Some(Frame::Error(format!("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}").into()))
}

/// AUTH [username] password
fn auth(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 3 {
        return Err(Error::Syntax);
    }
    if argv.len() == 2 && ctx.store.acl.default_user().nopass {
        return Err(Error::err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"));
    }
    let (user, pass) = match argv {
        [_, pass] => (&b"default"[..], *pass),
        [_, user, pass] => (*user, *pass),
        _ => return Err(Error::Syntax),
    };
    authenticate(ctx.store, ctx.client, user, pass)?;
    Ok(Frame::ok())
}

/// ACL CAT [category]
fn acl_cat(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    match argv.get(2) {
        None => Ok(Frame::Array(
            super::command_info::CATEGORIES
                .iter()
                .map(|(_, n)| Frame::bulk(n.as_bytes()))
                .collect(),
        )),
        Some(name) if argv.len() == 3 => {
            let bit = acl::category(name).ok_or_else(|| {
                Error::msg(format!(
                    "ERR Unknown category '{}'",
                    String::from_utf8_lossy(name)
                ))
            })?;
            Ok(Frame::Array(
                acl::commands_in(bit)
                    .into_iter()
                    .map(|n| Frame::bulk(n.as_bytes()))
                    .collect(),
            ))
        }
        Some(_) => Err(Error::WrongArity("acl|cat".into())),
    }
}

/// ACL DELUSER username [username ...] — clients logged in as a deleted
/// user are disconnected.
fn acl_deluser(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv[2..].iter().any(|n| *n == b"default") {
        return Err(Error::err("ERR The 'default' user cannot be removed"));
    }
    let mut removed = 0;
    for name in &argv[2..] {
        if ctx.store.acl.users.remove(*name).is_some() {
            removed += 1;
            kill_clients_of(ctx.store, name);
        }
    }
    ctx.store.refresh_gate();
    Ok(Frame::Integer(removed))
}

/// Marks every client logged in as `user` killed.
fn kill_clients_of(store: &mut Store, user: &[u8]) {
    let ids: Vec<u64> = store
        .clients
        .map
        .values()
        .filter(|c| c.user.as_ref() == user)
        .map(|c| c.id)
        .collect();
    for id in ids {
        store.clients.map.remove(&id);
        store.clients.killed.insert(id);
    }
}

/// ACL DRYRUN username command [arg ...]
fn acl_dryrun(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let Some(user) = ctx.store.acl.user(argv[2]) else {
        return Err(Error::msg(format!(
            "ERR User '{}' not found",
            String::from_utf8_lossy(argv[2])
        )));
    };
    let call = &argv[3..];
    let cmd = super::resolve(call).map_err(|_| {
        Error::msg(format!(
            "ERR Command '{}' not found",
            String::from_utf8_lossy(call[0])
        ))
    })?;
    if !cmd.arity_ok(call.len()) {
        return Err(Error::WrongArity(cmd.name.to_string()));
    }
    let text = match user.check(cmd, call) {
        Ok(()) => return Ok(Frame::ok()),
        Err((Denied::Command, _)) => {
            format!(
                "This user has no permissions to run the '{}' command",
                cmd.name
            )
        }
        Err((Denied::Key, i)) => format!(
            "This user has no permissions to access the '{}' key",
            String::from_utf8_lossy(call[i])
        ),
        Err((_, i)) => format!(
            "This user has no permissions to access the '{}' channel",
            String::from_utf8_lossy(call[i])
        ),
    };
    Ok(Frame::Bulk(text.into()))
}

/// ACL GENPASS [bits]
fn acl_genpass(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let bits = match argv {
        [_, _] => 256,
        [_, _, bits] => args::int(bits)?,
        _ => return Err(Error::WrongArity("acl|genpass".into())),
    };
    if !(1..=4096).contains(&bits) {
        return Err(Error::err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"));
    }
    Ok(Frame::Bulk(acl::genpass(bits as usize).into()))
}

fn text(s: String) -> Frame {
    Frame::Bulk(s.into())
}

/// ACL GETUSER username
fn acl_getuser(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let Some(u) = ctx.store.acl.user(argv[2]) else {
        return Ok(Frame::Null);
    };
    let selector = |s: &acl::Selector| {
        Frame::Map(vec![
            (Frame::bulk(b"commands"), text(s.describe_commands())),
            (Frame::bulk(b"keys"), text(s.describe_keys())),
            (Frame::bulk(b"channels"), text(s.describe_channels())),
        ])
    };
    let strings = |v: Vec<String>| Frame::Array(v.into_iter().map(text).collect());
    let mut pairs = vec![
        (
            Frame::bulk(b"flags"),
            strings(u.flags().iter().map(|f| f.to_string()).collect()),
        ),
        (Frame::bulk(b"passwords"), strings(u.passwords.clone())),
    ];
    if let Frame::Map(root) = selector(&u.root) {
        pairs.extend(root);
    }
    pairs.push((
        Frame::bulk(b"selectors"),
        Frame::Array(u.selectors.iter().map(selector).collect()),
    ));
    Ok(Frame::Map(pairs))
}

/// ACL LIST
fn acl_list(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Array(
        ctx.store
            .acl
            .users
            .values()
            .map(|u| text(u.describe()))
            .collect(),
    ))
}

/// ACL USERS
fn acl_users(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Array(
        ctx.store
            .acl
            .users
            .keys()
            .map(|n| Frame::Bulk(n.clone()))
            .collect(),
    ))
}

/// ACL WHOAMI
fn acl_whoami(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Bulk(ctx.client.user.clone()))
}

/// ACL SETUSER username [rule ...]
fn acl_setuser(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    ctx.store
        .acl
        .setuser(argv[2], &argv[3..])
        .map_err(Error::msg)?;
    ctx.store.refresh_gate();
    Ok(Frame::ok())
}

/// ACL LOG [count | RESET]
fn acl_log(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let count = match argv {
        [_, _] => 10,
        [_, _, arg] if args::is(arg, "reset") => {
            ctx.store.acl.log.clear();
            return Ok(Frame::ok());
        }
        [_, _, arg] => args::int(arg)?.max(0) as usize,
        _ => return Err(Error::Syntax),
    };
    let now = now_ms();
    let entries = ctx.store.acl.log.iter().take(count).map(|e| {
        Frame::Map(vec![
            (Frame::bulk(b"count"), Frame::Integer(e.count as i64)),
            (
                Frame::bulk(b"reason"),
                Frame::bulk(e.reason.reason().as_bytes()),
            ),
            (Frame::bulk(b"context"), Frame::bulk(e.context.as_bytes())),
            (Frame::bulk(b"object"), Frame::Bulk(e.object.clone())),
            (Frame::bulk(b"username"), Frame::Bulk(e.username.clone())),
            (
                Frame::bulk(b"age-seconds"),
                Frame::Double((now - e.updated_ms).max(0) as f64 / 1000.0),
            ),
            (
                Frame::bulk(b"client-info"),
                Frame::Bulk(e.client_info.clone().into()),
            ),
        ])
    });
    Ok(Frame::Array(entries.collect()))
}

const NO_ACLFILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// A setting's CONFIG GET value.
fn setting(store: &Store, name: &str) -> String {
    crate::engine::config::lookup(name.as_bytes())
        .map(|e| store.config.get(e.setting))
        .unwrap_or_default()
}

/// The configured ACL file, or Redis's error when there is none.
fn aclfile(store: &Store) -> Result<String, Error> {
    let path = setting(store, "aclfile");
    if path.is_empty() {
        return Err(Error::err(NO_ACLFILE));
    }
    Ok(path)
}

/// ACL SAVE — writes `ACL LIST`'s lines to the `aclfile`.
fn acl_save(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let path = aclfile(ctx.store)?;
    let mut body = String::new();
    for u in ctx.store.acl.users.values() {
        body.push_str(&u.describe());
        body.push('\n');
    }
    let tmp = format!("{path}.tmp-{}", std::process::id());
    std::fs::write(&tmp, body)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| Error::msg(format!("ERR There was an error trying to save the ACLs. Please check the server logs for more information ({e})")))?;
    Ok(Frame::ok())
}

/// ACL LOAD — replaces every user with the `aclfile`'s (all or nothing).
fn acl_load(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let path = aclfile(ctx.store)?;
    let body = std::fs::read(&path).map_err(|e| {
        Error::msg(format!(
            "ERR Error loading ACLs, opening file '{path}': {e}"
        ))
    })?;
    let mut fresh = acl::Acl::default();
    for (n, line) in body.split(|&c| c == b'\n').enumerate() {
        let words: Vec<&[u8]> = line
            .split(|&c| c == b' ' || c == b'\r')
            .filter(|w| !w.is_empty())
            .collect();
        let (user, rules) = match words.as_slice() {
            [] => continue,
            [kw, name, rules @ ..] if *kw == b"user" => (*name, rules),
            _ => {
                return Err(Error::msg(format!(
                    "ERR /{path}:{}: line should start with user keyword",
                    n + 1
                )))
            }
        };
        if user == b"default" {
            fresh.setuser(user, &[b"reset"]).map_err(Error::msg)?;
        }
        fresh.setuser(user, rules).map_err(|e| {
            Error::msg(format!(
                "ERR /{path}:{}: {}",
                n + 1,
                e.trim_start_matches("ERR ")
            ))
        })?;
    }
    fresh.log = std::mem::take(&mut ctx.store.acl.log);
    ctx.store.acl = fresh;
    ctx.store.refresh_gate();
    Ok(Frame::ok())
}

/// ACL HELP
fn acl_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(super::server::help_reply(
        argv[0],
        &[
            "CAT [<category>]",
            "    The ACL categories, or the commands of <category>.",
            "DELUSER <username> [<username> ...]",
            "    Remove users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Tell whether the user may run the command, without running it.",
            "GETUSER <username>",
            "    Describe a user.",
            "GENPASS [<bits>]",
            "    A random password of 256 bits, or of <bits> bits.",
            "LIST",
            "    Every user as a rule line.",
            "LOAD",
            "    Replace the users with those of the ACL file.",
            "LOG [<count> | RESET]",
            "    The latest denials, or clear them.",
            "SAVE",
            "    Write the users to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or change a user.",
            "USERS",
            "    The names of the users.",
            "WHOAMI",
            "    The user of this connection.",
        ],
    ))
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
