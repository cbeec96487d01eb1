//! LZF, the compressor of RDB strings and quicklist nodes.
//!
//! The format: a control byte `000LLLLL` starts a run of L+1 literal bytes;
//! `LLLooooo oooooooo` copies L+2 bytes (L = 1..6) from `o+1` bytes back;
//! `111ooooo LLLLLLLL oooooooo` copies L+9 bytes.
//!
//! [`compress`] follows the choices of the reference compressor as Redis
//! builds it (a 64K-slot hash of the next three bytes and the byte before,
//! one candidate per slot, two hash updates after each match, and the same
//! early-abort tests on the output budget), so the compressed bytes, and
//! whether compression is attempted at all, come out as Redis's do.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline]
fn first(input: &[u8], i: usize) -> u32 {
    (u32::from(input[i]) << 8) | u32::from(input[i + 1])
}

#[inline]
fn next(h: u32, input: &[u8], i: usize) -> u32 {
    (h << 8) | u32::from(input[i + 2])
}

#[inline]
fn slot(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compresses `input` into at most `out_len` bytes; `None` when the result
/// would not fit (or either length is zero), as the reference returns 0.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len == 0 || out_len == 0 {
        return None;
    }
    // Positions + 1, so 0 means "empty slot".
    let mut htab = vec![0u32; HSIZE];
    let mut out = vec![0u8; out_len + 3];
    let mut ip = 0usize;
    let mut op = 1usize; // byte 0 is the first run's header
    let mut lit = 0usize;
    let mut hval = if in_len >= 2 { first(input, 0) } else { 0 };
    while in_len >= 3 && ip < in_len - 2 {
        hval = next(hval, input, ip);
        let s = slot(hval);
        let candidate = htab[s];
        htab[s] = ip as u32 + 1;
        let matched = candidate != 0 && {
            let r = candidate as usize - 1;
            // The reference never references position 0.
            r > 0
                && r < ip
                && ip - r - 1 < MAX_OFF
                && input[r + 2] == input[ip + 2]
                && input[r] == input[ip]
                && input[r + 1] == input[ip + 1]
        };
        if matched {
            let r = candidate as usize - 1;
            let off = ip - r - 1;
            let maxlen = (in_len - ip - 2).min(MAX_REF);
            if op + 4 >= out_len && op - usize::from(lit == 0) + 4 >= out_len {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            if lit == 0 {
                op -= 1;
            }
            let mut len = 2usize;
            let mut done = false;
            if maxlen > 16 {
                // The reference's unrolled step checks 16 more bytes before
                // it looks at `maxlen` again.
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1;
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = first(input, ip);
            hval = next(hval, input, ip);
            htab[slot(hval)] = ip as u32 + 1;
            ip += 1;
            hval = next(hval, input, ip);
            htab[slot(hval)] = ip as u32 + 1;
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    if lit == 0 {
        op -= 1;
    }
    out.truncate(op);
    Some(out)
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // Each 3-byte back reference yields at most 264 bytes; refuse sizes no
    // input of this length could produce before allocating for them.
    if out_len > input.len().saturating_mul(MAX_REF / 3 + 1) {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < (1 << 5) {
            let n = ctrl + 1;
            if out.len() + n > out_len {
                return None;
            }
            let lits = input.get(ip..ip + n)?;
            out.extend_from_slice(lits);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            let mut back = ((ctrl & 0x1f) << 8) + 1;
            if len == 7 {
                len += usize::from(*input.get(ip)?);
                ip += 1;
            }
            back += usize::from(*input.get(ip)?);
            ip += 1;
            let n = len + 2;
            if out.len() + n > out_len || back > out.len() {
                return None;
            }
            let start = out.len() - back;
            // Byte by byte: the source may overlap what is being written.
            for k in 0..n {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) {
        if let Some(c) = compress(data, data.len() + 64) {
            assert_eq!(decompress(&c, data.len()).as_deref(), Some(data));
        }
    }

    #[test]
    fn roundtrips() {
        roundtrip(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        roundtrip(b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc");
        let mut rng = 12345u64;
        for n in [0usize, 1, 2, 3, 4, 5, 17, 18, 19, 20, 21, 100, 1000, 70000] {
            let data: Vec<u8> = (0..n)
                .map(|_| {
                    rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
                    b"ab c"[(rng >> 60) as usize % 4]
                })
                .collect();
            roundtrip(&data);
        }
    }

    #[test]
    fn known_redis_output() {
        // DUMP of SET k (50 x 'a') on Redis 7.0: compressed 'a' run.
        let data = [b'a'; 50];
        let c = compress(&data, 46).unwrap();
        assert_eq!(
            c,
            vec![0x01, b'a', b'a', 0xe0, 0x25, 0x00, 0x01, b'a', b'a']
        );
        let data = b"abcabcabcabcabcabcabcabcabcabc".repeat(3);
        let c = compress(&data, data.len() - 4).unwrap();
        assert_eq!(c, b"\x03abca\xe0\x4b\x02\x01bc".to_vec());
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(decompress(&[0x01, b'a'], 2), None); // literal overruns input
        assert_eq!(decompress(&[0x20, 0x00], 2), None); // back ref before start
        assert_eq!(decompress(&[0x00, b'a'], 2), None); // wrong length
        assert_eq!(decompress(&[], 0), Some(vec![]));
    }
}
