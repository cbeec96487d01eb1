//! Codec-wide tests: writer-to-parser round trips, input split at every
//! position, and seeded garbage that must never panic.

use bytes::Bytes;

use super::*;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// One frame of every type, plus nesting and awkward payloads. No NaN:
/// it is not equal to itself.
fn samples() -> Vec<Frame> {
    vec![
        Frame::ok(),
        Frame::Simple(Bytes::new()),
        Frame::error("ERR something bad"),
        Frame::Integer(0),
        Frame::Integer(i64::MIN),
        Frame::Integer(i64::MAX),
        Frame::Bulk(Bytes::new()),
        Frame::Bulk(Bytes::from_static(b"bin\r\n\0\xff$*")),
        Frame::Null,
        Frame::NullArray,
        Frame::Double(1.5),
        Frame::Double(-0.1),
        Frame::Double(3.0e-5),
        Frame::Double(1e300),
        Frame::Double(f64::INFINITY),
        Frame::Double(f64::NEG_INFINITY),
        Frame::Boolean(true),
        Frame::Boolean(false),
        Frame::BigNumber(b("3492890328409238509324850943850943825024385")),
        Frame::Verbatim(*b"txt", b("Some string\r\nwith CRLF")),
        Frame::Verbatim(*b"mkd", Bytes::new()),
        Frame::Array(vec![]),
        Frame::Map(vec![]),
        Frame::Set(vec![]),
        Frame::Push(vec![]),
        Frame::Array(vec![Frame::Bulk(b("a")), Frame::Null, Frame::Integer(3)]),
        Frame::Map(vec![
            (Frame::Bulk(b("k1")), Frame::Double(2.5)),
            (
                Frame::Simple(b("k2")),
                Frame::Array(vec![Frame::Boolean(false), Frame::Map(vec![])]),
            ),
        ]),
        Frame::Set(vec![
            Frame::Bulk(b("x")),
            Frame::Set(vec![Frame::Integer(1)]),
        ]),
        Frame::Push(vec![
            Frame::Bulk(b("message")),
            Frame::Bulk(b("chan")),
            Frame::Bulk(b("hi")),
        ]),
        Frame::Array(vec![Frame::Array(vec![Frame::Array(vec![
            Frame::NullArray,
            Frame::Error(b("E")),
        ])])]),
    ]
}

/// What a frame looks like after a RESP3 round trip.
fn after_resp3(f: &Frame) -> Frame {
    match f {
        Frame::NullArray => Frame::Null,
        Frame::Array(v) => Frame::Array(v.iter().map(after_resp3).collect()),
        Frame::Set(v) => Frame::Set(v.iter().map(after_resp3).collect()),
        Frame::Push(v) => Frame::Push(v.iter().map(after_resp3).collect()),
        Frame::Map(v) => Frame::Map(
            v.iter()
                .map(|(k, v)| (after_resp3(k), after_resp3(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What a RESP2 client parses from a downgraded frame.
fn after_resp2(f: &Frame) -> Frame {
    match f {
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => {
            Frame::Array(v.iter().map(after_resp2).collect())
        }
        Frame::Map(v) => Frame::Array(
            v.iter()
                .flat_map(|(k, v)| [after_resp2(k), after_resp2(v)])
                .collect(),
        ),
        Frame::Double(d) => Frame::Bulk(Bytes::copy_from_slice(&double_text(*d))),
        Frame::Boolean(x) => Frame::Integer(i64::from(*x)),
        Frame::BigNumber(t) | Frame::Verbatim(_, t) => Frame::Bulk(t.clone()),
        other => other.clone(),
    }
}

fn stream_bytes(frames: &[Frame], resp3: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        write_frame(&mut out, f, resp3);
    }
    out
}

/// Frames from a `Parser` fed `pieces` in order, stopping at the first error.
fn feed_all<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<Frame>, ParseError> {
    let mut p = Parser::new();
    let mut out = Vec::new();
    for piece in pieces {
        p.feed(piece);
        while let Some(f) = p.next_frame()? {
            out.push(f);
        }
    }
    Ok(out)
}

#[test]
fn round_trip_every_type() {
    for resp3 in [true, false] {
        for f in samples() {
            let want = if resp3 {
                after_resp3(&f)
            } else {
                after_resp2(&f)
            };
            let enc = frame_to_bytes(&f, resp3);
            assert_eq!(
                parse_frame(&enc),
                Ok(Some((want.clone(), enc.len()))),
                "resp3={resp3} {f:?}"
            );
            assert_eq!(feed_all([&enc[..]]), Ok(vec![want]));
            for cut in 0..enc.len() {
                assert_eq!(parse_frame(&enc[..cut]), Ok(None), "prefix {cut} of {f:?}");
            }
        }
    }
    let enc = frame_to_bytes(&Frame::Double(f64::NAN), true);
    assert!(matches!(parse_frame(&enc), Ok(Some((Frame::Double(d), 6))) if d.is_nan()));
}

#[test]
fn split_at_every_position_and_byte_by_byte() {
    for resp3 in [true, false] {
        let frames = samples();
        let want: Vec<Frame> = frames
            .iter()
            .map(|f| {
                if resp3 {
                    after_resp3(f)
                } else {
                    after_resp2(f)
                }
            })
            .collect();
        let enc = stream_bytes(&frames, resp3);
        for split in 0..=enc.len() {
            assert_eq!(
                feed_all([&enc[..split], &enc[split..]]),
                Ok(want.clone()),
                "split {split}"
            );
        }
        assert_eq!(feed_all(enc.chunks(1)), Ok(want.clone()));
        assert_eq!(feed_all(enc.chunks(7)), Ok(want.clone()));
        // The stateless parser walks the same stream frame by frame.
        let mut pos = 0;
        let mut got = Vec::new();
        while let Some((f, n)) = parse_frame(&enc[pos..]).unwrap() {
            got.push(f);
            pos += n;
        }
        assert_eq!((got, pos), (want, enc.len()));
    }
}

/// Deterministic xorshift64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mostly protocol-shaped garbage, so parsing gets past the first byte.
fn garbage(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"*",
        b"$",
        b"%",
        b"~",
        b">",
        b"|",
        b"+",
        b"-",
        b":",
        b"_",
        b",",
        b"#",
        b"(",
        b"!",
        b"=",
        b"\r\n",
        b"\r\n",
        b"\r\n",
        b"\r",
        b"\n",
        b"0",
        b"1",
        b"2",
        b"3",
        b"-1",
        b"-2",
        b"10",
        b"999999999999",
        b"t",
        b"f",
        b"inf",
        b"nan",
        b"1.5e3",
        b"txt:",
        b"abc",
        b" ",
        b"\"",
        b"'",
        b"\\",
        b"\\x4",
        b"\0",
        b"*1\r\n",
        b"$3\r\nfoo\r\n",
    ];
    let mut out = Vec::new();
    for _ in 0..rng.below(40) {
        if rng.below(8) == 0 {
            out.push(rng.next() as u8);
        } else {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
    }
    out
}

fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    for _ in 0..=rng.below(3) {
        let at = rng.below(data.len() + 1);
        match rng.below(5) {
            0 if at < data.len() => data[at] = rng.next() as u8,
            1 if at < data.len() => {
                data.remove(at);
            }
            2 => data.insert(at, b"\r\n*$:-0123456789"[rng.below(16)]),
            3 => data.truncate(at),
            _ => {
                let end = (at + rng.below(16)).min(data.len());
                let copy = data[at..end].to_vec();
                data.splice(at..at, copy);
            }
        }
    }
}

/// Frames are compared by encoding, which treats NaN as equal to itself.
fn first_frame(input: &[u8], chunk: usize) -> Result<Option<Vec<u8>>, ParseError> {
    let mut p = Parser::new();
    for piece in input.chunks(chunk) {
        p.feed(piece);
        if let Some(f) = p.next_frame()? {
            return Ok(Some(frame_to_bytes(&f, true)));
        }
    }
    Ok(None)
}

/// Non-empty commands until the end, an incomplete request, or an error.
fn commands_stateless(input: &[u8]) -> (Vec<Vec<Bytes>>, Option<ParseError>) {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        match parse_command(&input[pos..]) {
            Ok(Some((cmd, n))) => {
                assert!(n > 0 && pos + n <= input.len());
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

fn commands_streaming(input: &[u8], chunk: usize) -> (Vec<Vec<Bytes>>, Option<ParseError>) {
    let mut p = CommandParser::new();
    let mut out = Vec::new();
    for piece in input.chunks(chunk) {
        p.feed(piece);
        loop {
            match p.next_command() {
                Ok(Some(cmd)) => {
                    assert!(!cmd.is_empty());
                    out.push(cmd);
                }
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

/// Every parser agrees with itself however the input is split.
fn check_consistent(input: &[u8]) {
    let whole = parse_frame(input).map(|r| {
        r.map(|(f, n)| {
            assert!(n > 0 && n <= input.len());
            frame_to_bytes(&f, true)
        })
    });
    for chunk in [input.len().max(1), 1, 3] {
        assert_eq!(
            first_frame(input, chunk),
            whole,
            "chunk {chunk} of {input:?}"
        );
    }
    let cmds = commands_stateless(input);
    for chunk in [input.len().max(1), 1, 5] {
        assert_eq!(
            commands_streaming(input, chunk),
            cmds,
            "chunk {chunk} of {input:?}"
        );
    }
}

#[test]
fn seeded_garbage_never_panics() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..20_000 {
        let input = garbage(&mut rng);
        check_consistent(&input);
    }
    for _ in 0..2_000 {
        let mut input: Vec<u8> = (0..rng.below(48)).map(|_| rng.next() as u8).collect();
        check_consistent(&input);
        input.insert(0, b"*$+-:_,#(!=%~>|"[rng.below(15)]);
        check_consistent(&input);
    }
}

#[test]
fn mutated_frames_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let valid: Vec<Vec<u8>> = samples()
        .iter()
        .flat_map(|f| [frame_to_bytes(f, true), frame_to_bytes(f, false)])
        .chain([
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n".to_vec(),
            b"SET k \"a\\x41 b\" 'c'\r\n".to_vec(),
        ])
        .collect();
    for i in 0..10_000 {
        let mut input = valid[i % valid.len()].clone();
        mutate(&mut rng, &mut input);
        check_consistent(&input);
    }
}

/// A pre-encoded array of bulks writes exactly the bytes the array of
/// frames writes, in both protocols, and reads back as that array.
#[test]
fn encoded_bulk_arrays_match_their_frames() {
    let mut rng = Rng(0x5eed_1234);
    for n in [0usize, 1, 9, 10, 11, 99, 100, 1000, 12345] {
        let items: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let len = match i % 4 {
                    0 => 0,
                    1 => (rng.next() % 10) as usize,
                    2 => (rng.next() % 200) as usize,
                    _ => (rng.next() % 20_000) as usize,
                };
                (0..len).map(|_| rng.next() as u8).collect()
            })
            .collect();
        let array = Frame::bulk_array_for(false, items.iter().map(|v| v.as_slice()));
        let encoded = Frame::bulk_array_for(true, items.iter().map(|v| v.as_slice()));
        assert!(matches!(encoded, Frame::Encoded(_)), "n={n}");
        for resp3 in [false, true] {
            assert_eq!(
                frame_to_bytes(&encoded, resp3),
                frame_to_bytes(&array, resp3),
                "n={n}"
            );
        }
        assert_eq!(*encoded.expanded(), array, "n={n}");
        // Nested (EXEC's reply) it is written in place too.
        let nested = Frame::Array(vec![Frame::Integer(1), encoded.clone()]);
        let plain = Frame::Array(vec![Frame::Integer(1), array.clone()]);
        assert_eq!(frame_to_bytes(&nested, true), frame_to_bytes(&plain, true));
    }
}
