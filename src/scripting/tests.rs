//! Engine-level tests: scripts through the dispatcher, BUSY and SCRIPT
//! KILL across threads, atomicity.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::engine::{ClientState, Engine};
use crate::resp::Frame;

fn exec(engine: &Engine, client: &mut ClientState, argv: &[&str]) -> Frame {
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    engine.execute(client, &args)
}

fn error_text(frame: &Frame) -> String {
    match frame {
        Frame::Error(e) => String::from_utf8_lossy(e).into_owned(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn eval_round_trip() {
    let engine = Engine::new();
    let mut c = ClientState::new(0);
    let reply = exec(
        &engine,
        &mut c,
        &[
            "EVAL",
            "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])",
            "1",
            "k",
            "v",
        ],
    );
    assert_eq!(reply, Frame::bulk(b"v"));
    assert_eq!(exec(&engine, &mut c, &["GET", "k"]), Frame::bulk(b"v"));
    let sha = super::sha1_hex(b"return 7");
    assert_eq!(
        exec(&engine, &mut c, &["SCRIPT", "LOAD", "return 7"]),
        Frame::Bulk(sha.clone().into())
    );
    assert_eq!(
        exec(&engine, &mut c, &["EVALSHA", &sha, "0"]),
        Frame::Integer(7)
    );
    assert_eq!(exec(&engine, &mut c, &["SCRIPT", "FLUSH"]), Frame::ok());
    assert_eq!(
        error_text(&exec(&engine, &mut c, &["EVALSHA", &sha, "0"])),
        "NOSCRIPT No matching script. Please use EVAL."
    );
}

#[test]
fn sandbox_survives_a_new_interpreter() {
    let engine = Engine::new();
    let mut c = ClientState::new(0);
    for _ in 0..2 {
        let e = error_text(&exec(&engine, &mut c, &["EVAL", "x = 1", "0"]));
        assert!(
            e.starts_with("ERR user_script:1: Attempt to modify a readonly table"),
            "{e}"
        );
        exec(&engine, &mut c, &["SCRIPT", "FLUSH"]);
    }
}

#[test]
fn busy_then_kill() {
    let engine = Engine::new();
    let mut admin = ClientState::new(0);
    exec(
        &engine,
        &mut admin,
        &["CONFIG", "SET", "lua-time-limit", "50"],
    );
    let runner = {
        let engine = Arc::clone(&engine);
        thread::spawn(move || {
            let mut c = ClientState::new(0);
            exec(&engine, &mut c, &["EVAL", "while true do end", "0"])
        })
    };
    let start = Instant::now();
    let busy = loop {
        let reply = exec(&engine, &mut admin, &["PING"]);
        if reply.is_error() {
            break reply;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "never busy");
        thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(error_text(&busy), super::BUSY);
    assert_eq!(exec(&engine, &mut admin, &["SCRIPT", "KILL"]), Frame::ok());
    let reply = runner.join().unwrap_or_else(|_| Frame::Null);
    assert!(
        error_text(&reply).starts_with("ERR Script killed by user with SCRIPT KILL..."),
        "{reply:?}"
    );
    assert_eq!(
        exec(&engine, &mut admin, &["PING"]),
        Frame::simple_static("PONG")
    );
}

#[test]
fn scripts_are_atomic() {
    let engine = Engine::new();
    let mut c = ClientState::new(0);
    exec(&engine, &mut c, &["SET", "n", "0"]);
    let script = "local v = tonumber(redis.call('get', 'n')) redis.call('set', 'n', v + 1)";
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let engine = Arc::clone(&engine);
            thread::spawn(move || {
                let mut c = ClientState::new(0);
                for _ in 0..100 {
                    exec(&engine, &mut c, &["EVAL", script, "0"]);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    assert_eq!(exec(&engine, &mut c, &["GET", "n"]), Frame::bulk(b"400"));
}

const LIB: &str = "#!lua name=lib\n\
    redis.register_function('setget', function(keys, args)\n\
        redis.call('set', keys[1], args[1])\n\
        return redis.call('get', keys[1])\n\
    end)\n\
    redis.register_function('loop', function() while true do end end)";

#[test]
fn function_load_and_fcall() {
    let engine = Engine::new();
    let mut c = ClientState::new(0);
    assert_eq!(
        exec(&engine, &mut c, &["FUNCTION", "LOAD", LIB]),
        Frame::bulk(b"lib")
    );
    assert_eq!(
        exec(&engine, &mut c, &["FCALL", "SETGET", "1", "k", "v"]),
        Frame::bulk(b"v")
    );
    assert_eq!(
        error_text(&exec(
            &engine,
            &mut c,
            &["FCALL_RO", "setget", "1", "k", "v"]
        )),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    // SCRIPT FLUSH and FLUSHALL leave the libraries alone.
    exec(&engine, &mut c, &["SCRIPT", "FLUSH"]);
    exec(&engine, &mut c, &["FLUSHALL"]);
    assert_eq!(
        exec(&engine, &mut c, &["FCALL", "setget", "1", "k", "w"]),
        Frame::bulk(b"w")
    );
}

#[test]
fn function_dump_restore_round_trip() {
    let engine = Engine::new();
    let mut c = ClientState::new(0);
    exec(&engine, &mut c, &["FUNCTION", "LOAD", LIB]);
    let Frame::Bulk(payload) = exec(&engine, &mut c, &["FUNCTION", "DUMP"]) else {
        panic!("no payload");
    };
    let other = Engine::new();
    let payload = payload.to_vec();
    let args: [&[u8]; 3] = [b"FUNCTION", b"RESTORE", &payload];
    assert_eq!(other.execute(&mut c, &args), Frame::ok());
    assert_eq!(
        exec(&other, &mut c, &["FCALL", "setget", "1", "k", "v"]),
        Frame::bulk(b"v")
    );
    // The same library again: APPEND refuses, nothing changes.
    assert_eq!(
        error_text(&other.execute(&mut c, &args)),
        "ERR Library lib already exists"
    );
}

#[test]
fn function_busy_then_function_kill() {
    let engine = Engine::new();
    let mut admin = ClientState::new(0);
    exec(&engine, &mut admin, &["FUNCTION", "LOAD", LIB]);
    exec(
        &engine,
        &mut admin,
        &["CONFIG", "SET", "lua-time-limit", "50"],
    );
    let runner = {
        let engine = Arc::clone(&engine);
        thread::spawn(move || {
            let mut c = ClientState::new(0);
            exec(&engine, &mut c, &["FCALL", "loop", "0"])
        })
    };
    let start = Instant::now();
    let busy = loop {
        let reply = exec(&engine, &mut admin, &["PING"]);
        if reply.is_error() {
            break reply;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "never busy");
        thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(error_text(&busy), super::BUSY_FUNCTION);
    assert_eq!(
        error_text(&exec(&engine, &mut admin, &["SCRIPT", "KILL"])),
        super::BUSY_FUNCTION
    );
    assert_eq!(
        exec(&engine, &mut admin, &["FUNCTION", "KILL"]),
        Frame::ok()
    );
    let reply = runner.join().unwrap_or_else(|_| Frame::Null);
    assert_eq!(
        error_text(&reply),
        "ERR Script killed by user with SCRIPT KILL... script: loop, on @user_function:6."
    );
}

#[test]
fn a_bare_store_has_no_scripting() {
    let mut store = crate::engine::Store::new(crate::engine::Config::default());
    let mut c = ClientState::new(0);
    let argv: [&[u8]; 3] = [b"EVAL", b"return 1", b"0"];
    let reply = crate::commands::dispatch(&mut store, &mut c, &argv);
    assert_eq!(error_text(&reply), super::NO_SCRIPTING);
}
