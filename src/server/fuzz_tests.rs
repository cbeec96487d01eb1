//! Fuzzing the server's request path on the stable toolchain: a seeded
//! generator builds request streams (valid multibulk and inline commands
//! from the command table, truncations, garbage, hostile headers), feeds
//! them to the streaming [`CommandParser`] in random pieces, checks it
//! against the stateless parser, and runs every parsed command through the
//! engine's dispatcher. Nothing may panic, the two parsers must agree, and
//! no handler may hit the panic guard. Runs are bounded in time; inputs
//! that once failed are kept in `fuzz_corpus.txt` (one escaped input per
//! line) and replayed first. Set `REDCORE_FUZZ_SECS` for a longer run.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::commands;
use crate::engine::{ClientState, Engine};
use crate::resp::{parse_command, CommandParser, ParseError};

/// Commands the fuzzer leaves out: they touch the filesystem or the
/// network, or pause every client.
const SKIP: &[&str] = &[
    "save",
    "bgsave",
    "bgrewriteaof",
    "shutdown",
    "migrate",
    "replicaof",
    "slaveof",
    "sync",
    "psync",
    "failover",
    "debug",
    "client|pause",
    "acl|save",
    "acl|load",
    "config|rewrite",
    "monitor",
    "client|kill",
    "quit",
    "wait",
    "waitaof",
];

const WORDS: &[&str] = &[
    "k",
    "k2",
    "{t}a",
    "0",
    "1",
    "-1",
    "10",
    "3.5",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "(1",
    "[a",
    "-",
    "+",
    "*",
    "$",
    "EX",
    "PX",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "WITHSCORES",
    "LIMIT",
    "COUNT",
    "MATCH",
    "TYPE",
    "BLOCK",
    "STREAMS",
    "GROUP",
    ">",
    "$",
    "0-0",
    "AGGREGATE",
    "SUM",
    "BYSCORE",
    "BYLEX",
    "REV",
    "LEFT",
    "RIGHT",
    "FIELDS",
    "KEEPTTL",
    "GET",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "",
    " ",
    "\u{0}",
    "a\r\nb",
];

/// Parses `input` in one go with the stateless parser: the commands and
/// the error, if any.
fn stateless(input: &[u8]) -> (Vec<Vec<Bytes>>, Option<ParseError>) {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        match parse_command(&input[pos..]) {
            Ok(Some((cmd, n))) => {
                pos += n;
                if !cmd.is_empty() {
                    out.push(cmd);
                }
            }
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// Parses `input` fed in random pieces with the streaming parser. With
/// `peek`, each request is taken by `peek` and `consume` where the parser
/// can look at it whole, as the server's runs of pipelined commands do,
/// and by `next_command` otherwise.
fn streaming(
    input: &[u8],
    rng: &mut fastrand::Rng,
    peek: bool,
) -> (Vec<Vec<Bytes>>, Option<ParseError>) {
    let mut p = CommandParser::new();
    let mut spans = crate::resp::command::Spans::new();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < input.len() {
        let n = rng.usize(1..=input.len() - pos);
        p.feed(&input[pos..pos + n]);
        pos += n;
        loop {
            if let Some(used) = p.peek(&mut spans).filter(|_| peek) {
                let buf = p.buffered_bytes();
                let cmd = spans
                    .iter()
                    .map(|&(at, len)| Bytes::copy_from_slice(&buf[at..at + len]))
                    .collect();
                out.push(cmd);
                p.consume(used);
                continue;
            }
            match p.next_command() {
                Ok(Some(cmd)) => out.push(cmd),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fn word(rng: &mut fastrand::Rng) -> Vec<u8> {
    match rng.u8(0..10) {
        0 => (0..rng.usize(0..20)).map(|_| rng.u8(..)).collect(),
        1 => rng.i64(..).to_string().into_bytes(),
        _ => WORDS[rng.usize(0..WORDS.len())].as_bytes().to_vec(),
    }
}

/// One random command line from the table.
fn command(rng: &mut fastrand::Rng, names: &[&'static commands::Command]) -> Vec<Vec<u8>> {
    let cmd = names[rng.usize(0..names.len())];
    let mut argv: Vec<Vec<u8>> = cmd.name.split('|').map(|w| w.as_bytes().to_vec()).collect();
    if rng.bool() {
        argv[0].make_ascii_uppercase();
    }
    let want = match cmd.arity {
        a if a > 0 => a as usize,
        a => a.unsigned_abs() as usize + rng.usize(0..4),
    };
    let extra = if rng.u8(0..8) == 0 {
        rng.usize(0..3)
    } else {
        0
    };
    while argv.len() < want + extra {
        argv.push(word(rng));
    }
    argv
}

fn encode(rng: &mut fastrand::Rng, argv: &[Vec<u8>], out: &mut Vec<u8>) {
    let inline_ok = argv.iter().all(|a| {
        !a.is_empty()
            && a.iter()
                .all(|c| c.is_ascii_graphic() && !b"\"'\\".contains(c))
    });
    if inline_ok && rng.u8(0..4) == 0 {
        let line: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
        out.extend_from_slice(&line.join(&b' '));
        out.extend_from_slice(if rng.bool() { b"\r\n" } else { b"\n" });
    } else {
        crate::resp::encode_command(out, argv);
    }
}

/// A hostile or broken fragment.
fn garbage(rng: &mut fastrand::Rng) -> Vec<u8> {
    let pick: &[&[u8]] = &[
        b"*4294967296\r\n",
        b"*1\r\n$4294967296\r\n",
        b"*1000000\r\n",
        b"*-5\r\n",
        b"*1\r\n$-1\r\n",
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        b"\"unbalanced\r\n",
        b"'x'y\r\n",
        b"\r\n\r\n",
        b"*0\r\n",
        b"$3\r\nfoo\r\n",
    ];
    match rng.u8(0..3) {
        0 => (0..rng.usize(1..64)).map(|_| rng.u8(..)).collect(),
        _ => pick[rng.usize(0..pick.len())].to_vec(),
    }
}

/// Runs `input` through both parsers and the dispatcher; panics (the test
/// fails) on any disagreement or internal error.
fn check(engine: &Engine, input: &[u8], rng: &mut fastrand::Rng) {
    let (want, want_err) = stateless(input);
    let (peeked, peeked_err) = streaming(input, rng, true);
    assert_eq!(
        (&peeked, &peeked_err),
        (&want, &want_err),
        "peeking disagrees on {:?}",
        Bytes::copy_from_slice(input)
    );
    let (got, got_err) = streaming(input, rng, false);
    assert_eq!(
        got,
        want,
        "parsers disagree on {:?}",
        Bytes::copy_from_slice(input)
    );
    assert_eq!(
        got_err,
        want_err,
        "errors differ on {:?}",
        Bytes::copy_from_slice(input)
    );
    let mut client = ClientState::new(0);
    client.no_block = true;
    for cmd in &got {
        let argv: Vec<&[u8]> = cmd.iter().map(|a| a.as_ref()).collect();
        if commands::resolve(&argv).is_ok_and(|c| SKIP.contains(&c.name)) {
            continue;
        }
        let frame = engine.execute(&mut client, &argv);
        if let Some(b) = client.blocked.take() {
            engine.cancel_block(b.id, &b.slot);
        }
        if let Some(e) = frame.error_text() {
            assert!(
                !e.starts_with(b"ERR internal error"),
                "{:?} -> {}",
                cmd,
                String::from_utf8_lossy(e)
            );
        }
    }
    engine.disconnect(&mut client);
}

/// The checked-in inputs: `\xHH`, `\r`, `\n` and `\\` escapes.
fn corpus() -> Vec<Vec<u8>> {
    let text = include_str!("fuzz_corpus.txt");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let b = l.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                match (b[i], b.get(i + 1)) {
                    (b'\\', Some(b'r')) => (out.push(b'\r'), i += 2).1,
                    (b'\\', Some(b'n')) => (out.push(b'\n'), i += 2).1,
                    (b'\\', Some(b'\\')) => (out.push(b'\\'), i += 2).1,
                    (b'\\', Some(b'x')) => {
                        let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap_or("00");
                        out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                        i += 4;
                    }
                    (c, _) => (out.push(c), i += 1).1,
                }
            }
            out
        })
        .collect()
}

#[test]
fn fuzz_request_parser_and_dispatcher() {
    let secs = std::env::var("REDCORE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3u64);
    let seed = std::env::var("REDCORE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64);
    let mut rng = fastrand::Rng::with_seed(seed);
    let engine = Engine::new();
    for input in corpus() {
        check(&engine, &input, &mut rng);
    }
    let mut names: Vec<&'static commands::Command> = commands::all()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
        .filter(|c| !SKIP.contains(&c.name))
        .filter(|c| c.subcommands.is_empty())
        .collect();
    names.sort_by_key(|c| c.name);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let mut input = Vec::new();
        for _ in 0..rng.usize(1..8) {
            if rng.u8(0..6) == 0 {
                input.extend(garbage(&mut rng));
            } else {
                let argv = command(&mut rng, &names);
                encode(&mut rng, &argv, &mut input);
            }
        }
        if rng.u8(0..5) == 0 {
            input.truncate(rng.usize(0..=input.len()));
        }
        check(&engine, &input, &mut rng);
        runs += 1;
        if runs % 200 == 0 {
            engine.execute(&mut ClientState::ephemeral(0), &[b"FLUSHALL"]);
        }
    }
    assert!(runs > 0);
}
