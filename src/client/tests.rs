//! Client tests against a scripted in-process server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::pool::{Lease, WhenFull};
use super::timeouts::read_timeout;
use super::*;
use crate::resp::{CommandParser, Frame};

/// A server that answers each request with `reply(argv)`, on every
/// connection, until `max_conns` connections were served.
fn fake_server(
    max_conns: usize,
    reply: impl Fn(&[Vec<u8>]) -> Option<Vec<u8>> + Send + Sync + 'static,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let reply = Arc::new(reply);
    thread::spawn(move || {
        for stream in listener.incoming().take(max_conns) {
            let Ok(mut stream) = stream else { return };
            let reply = reply.clone();
            thread::spawn(move || {
                let mut parser = CommandParser::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    parser.feed(&buf[..n]);
                    while let Ok(Some(argv)) = parser.next_command() {
                        let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
                        match reply(&argv) {
                            Some(out) => stream.write_all(&out).unwrap(),
                            None => return, // hang up
                        }
                    }
                }
            });
        }
    });
    port
}

fn echo_ok(argv: &[Vec<u8>]) -> Option<Vec<u8>> {
    match argv[0].to_ascii_uppercase().as_slice() {
        b"GET" => Some(b"$5\r\nvalue\r\n".to_vec()),
        b"QUIT" => None,
        _ => Some(b"+OK\r\n".to_vec()),
    }
}

fn config(port: u16) -> Config {
    let mut c = Config::tcp("127.0.0.1", port);
    c.socket_timeout = Some(Duration::from_secs(2));
    c
}

fn roundtrip(conn: &mut Connection, argv: &[&[u8]]) -> Result<Frame, Error> {
    conn.wbuf.clear();
    crate::resp::encode_command(&mut conn.wbuf, argv);
    conn.send()?;
    conn.read_frame(conn.socket_timeout)
}

#[test]
fn handshake_is_pipelined_and_checked() {
    let port = fake_server(4, |argv| match argv[0].as_slice() {
        b"AUTH" if argv.get(2).map(Vec::as_slice) == Some(b"pw") => Some(b"+OK\r\n".to_vec()),
        b"AUTH" => Some(b"-WRONGPASS invalid username-password pair\r\n".to_vec()),
        _ => echo_ok(argv),
    });
    let mut cfg = config(port);
    cfg.username = Some(b"user".to_vec());
    cfg.password = Some(b"pw".to_vec());
    cfg.db = 3;
    cfg.client_name = Some(b"me".to_vec());
    let mut conn = Connection::open(&cfg).unwrap();
    assert_eq!(conn.db, 3);
    assert_eq!(
        roundtrip(&mut conn, &[b"GET", b"k"]).unwrap(),
        Frame::Bulk("value".into())
    );
    cfg.password = Some(b"bad".to_vec());
    let err = Connection::open(&cfg).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Reply);
    assert!(err.message.starts_with("WRONGPASS"));
    assert!(err.command_not_sent());
}

#[test]
fn refused_connection_message() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Connection::open(&config(port)).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Connection);
    assert_eq!(
        err.message,
        format!("Error 111 connecting to 127.0.0.1:{port}. Connection refused.")
    );
    assert_eq!(err.stage, Stage::Connect);
}

#[test]
fn closed_connection_is_stale_and_read_reports_it() {
    let port = fake_server(2, echo_ok);
    let mut conn = Connection::open(&config(port)).unwrap();
    assert!(!conn.is_stale());
    let err = roundtrip(&mut conn, &[b"QUIT"]).err().unwrap();
    assert_eq!(err.message, "Connection closed by server.");
    assert_eq!(err.stage, Stage::Read);
    let mut conn = Connection::open(&config(port)).unwrap();
    conn.wbuf.clear();
    crate::resp::encode_command(&mut conn.wbuf, &[b"QUIT"]);
    conn.send().unwrap();
    thread::sleep(Duration::from_millis(50));
    assert!(conn.is_stale());
}

#[test]
fn read_timeout_reports_redis_py_text() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = thread::spawn(move || {
        let (_s, _) = listener.accept().unwrap();
        thread::sleep(Duration::from_millis(500));
    });
    let mut cfg = config(port);
    cfg.socket_timeout = Some(Duration::from_millis(50));
    let mut conn = Connection::open(&cfg).unwrap();
    let start = Instant::now();
    let err = roundtrip(&mut conn, &[b"PING"]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert_eq!(err.message, "Timeout reading from socket");
    assert!(start.elapsed() < Duration::from_millis(400));
}

#[test]
fn pool_reuses_limits_and_waits() {
    let port = fake_server(16, echo_ok);
    let pool = Arc::new(Pool::new(config(port), 1, WhenFull::Fail));
    let a = pool.get().unwrap();
    let err = pool.get().err().unwrap();
    assert_eq!(err.kind, ErrorKind::PoolFull);
    assert_eq!(err.message, "Too many connections");
    pool.put(a);
    let b = pool.get().unwrap();
    assert_eq!(pool.counts(), (1, 0));
    pool.discard(b);
    assert_eq!(pool.counts(), (0, 0));

    let blocking = Arc::new(Pool::new(
        config(port),
        1,
        WhenFull::Wait(Some(Duration::from_millis(100))),
    ));
    let held = blocking.lease().unwrap();
    let err = blocking.get().err().unwrap();
    assert_eq!(err.message, "No connection available.");
    let other = blocking.clone();
    let waiter = thread::spawn(move || other.lease().map(Lease::release).is_ok());
    thread::sleep(Duration::from_millis(20));
    held.release();
    assert!(waiter.join().unwrap());
    // A lease dropped without release is discarded, not reused.
    drop(blocking.lease().unwrap());
    assert_eq!(blocking.counts(), (0, 0));
}

#[test]
fn disconnect_retires_connections_in_use() {
    let port = fake_server(8, echo_ok);
    let pool = Pool::new(config(port), 4, WhenFull::Fail);
    let busy = pool.get().unwrap();
    let idle = pool.get().unwrap();
    pool.put(idle);
    pool.disconnect();
    assert_eq!(pool.counts(), (1, 0));
    pool.put(busy);
    assert_eq!(pool.counts(), (0, 0));
}

#[test]
fn stale_pooled_connections_are_replaced() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        // The first connection is closed at once; later ones are served.
        let (first, _) = listener.accept().unwrap();
        drop(first);
        for s in listener.incoming().flatten() {
            let mut s: TcpStream = s;
            thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(b"+PONG\r\n").is_err() {
                        return;
                    }
                }
            });
        }
    });
    let pool = Pool::new(config(port), 4, WhenFull::Fail);
    let conn = pool.get().unwrap();
    pool.put(conn);
    thread::sleep(Duration::from_millis(50));
    let mut conn = pool.get().unwrap();
    assert_eq!(
        roundtrip(&mut conn, &[b"PING"]).unwrap(),
        Frame::Simple("PONG".into())
    );
    assert_eq!(pool.counts(), (1, 0));
}

#[test]
fn blocking_commands_extend_the_read_timeout() {
    use crate::commands::{lookup, Timeout};
    let base = Some(Duration::from_secs(1));
    // The timeout's position comes from the command table.
    let t = |argv: &[&[u8]]| read_timeout(base, lookup(argv[0]).unwrap().timeout, argv);
    assert_eq!(
        t(&[b"BLPOP", b"q", b"2.5"]),
        Some(Duration::from_millis(3500))
    );
    assert_eq!(t(&[b"blpop", b"q", b"0"]), None);
    assert_eq!(
        t(&[b"BLMPOP", b"1", b"1", b"q", b"LEFT"]),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        t(&[b"XREAD", b"BLOCK", b"500", b"STREAMS", b"s", b"$"]),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(t(&[b"XREAD", b"STREAMS", b"s", b"$"]), base);
    assert_eq!(
        read_timeout(base, Timeout::ArgMs(2), &[b"WAIT", b"1", b"250"]),
        Some(Duration::from_millis(1250))
    );
    assert_eq!(t(&[b"BLPOP", b"q", b"nan"]), base);
    assert_eq!(t(&[b"GET", b"q"]), base);
    assert_eq!(
        read_timeout(None, Timeout::Last, &[b"BLPOP", b"q", b"5"]),
        None
    );
}
