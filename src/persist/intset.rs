//! The intset format: encoding width (2, 4 or 8, u32 LE), element count
//! (u32 LE), then the integers in ascending order, little-endian, all in
//! the width of the widest one.

/// The intset of `sorted` (ascending, distinct) integers.
pub fn encode(sorted: &[i64]) -> Vec<u8> {
    let width: usize = sorted
        .iter()
        .map(|&v| {
            if i64::from(v as i16) == v {
                2
            } else if i64::from(v as i32) == v {
                4
            } else {
                8
            }
        })
        .max()
        .unwrap_or(2);
    let mut out = Vec::with_capacity(8 + width * sorted.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for &v in sorted {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Validates an intset (known width, exact size, not empty, strictly
/// ascending) and returns its integers.
pub fn decode(p: &[u8]) -> Option<Vec<i64>> {
    let header: [u8; 8] = p.get(..8)?.try_into().ok()?;
    let width = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return None;
    }
    let count = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as u64;
    if 8 + count * width as u64 != p.len() as u64 || count == 0 {
        return None;
    }
    let mut out: Vec<i64> = Vec::with_capacity(count as usize);
    for chunk in p[8..].chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([chunk[0], chunk[1]])),
            4 => i64::from(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])),
            _ => {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                i64::from_le_bytes(b)
            }
        };
        if out.last().is_some_and(|&prev| v <= prev) {
            return None;
        }
        out.push(v);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_widths() {
        for set in [vec![1, 2, 3], vec![-40000, 5], vec![i64::MIN, 0, i64::MAX]] {
            let blob = encode(&set);
            assert_eq!(decode(&blob), Some(set));
        }
        assert_eq!(encode(&[1, 2])[..4], [2, 0, 0, 0]);
        assert_eq!(encode(&[1, 70000])[..4], [4, 0, 0, 0]);
    }

    #[test]
    fn rejects_bad_blobs() {
        assert_eq!(decode(&encode(&[])), None);
        let mut unsorted = encode(&[1, 2]);
        unsorted.swap(8, 10);
        assert_eq!(decode(&unsorted), None);
        let mut bad_width = encode(&[1]);
        bad_width[0] = 3;
        assert_eq!(decode(&bad_width), None);
        assert_eq!(decode(&encode(&[1, 2])[..11]), None);
    }
}
