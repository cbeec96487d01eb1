//! Byte accounting of Redis's stream layout, so node boundaries (and with
//! them approximate trimming and `XINFO STREAM`'s radix-tree figures) land
//! where Redis's do.
//!
//! Redis stores a stream as a radix tree keyed by 128-bit big-endian IDs;
//! each key holds a listpack of entries. A node is closed when its listpack
//! would reach `stream-node-max-bytes` or it holds
//! `stream-node-max-entries` entries (deleted ones included), so the sizes
//! below follow the listpack element encodings exactly.

use crate::num::parse_i64;

/// The bytes one integer element takes in a listpack: the encoding (1 to 9
/// bytes by magnitude) plus a one-byte back-length.
pub fn int_len(v: i64) -> usize {
    let enc = if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (-32768..=32767).contains(&v) {
        3
    } else if (-8_388_608..=8_388_607).contains(&v) {
        4
    } else if (-2_147_483_648..=2_147_483_647).contains(&v) {
        5
    } else {
        9
    };
    enc + 1
}

/// The bytes a string element takes: strings that read as a canonical
/// 64-bit integer are stored as integers; others carry a 1, 2 or 5 byte
/// length header plus a back-length sized by the whole element.
pub fn str_len(s: &[u8]) -> usize {
    if let Some(v) = parse_i64(s) {
        return int_len(v);
    }
    let len = s.len();
    let enc = if len < 64 {
        1 + len
    } else if len < 4096 {
        2 + len
    } else {
        5 + len
    };
    enc + backlen_len(enc)
}

/// Bytes of the back-length field that follows an element of `l` bytes.
fn backlen_len(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

/// Listpack header (total bytes + element count) plus the end marker.
pub const LISTPACK_OVERHEAD: usize = 7;

/// The node count of Redis's radix tree over these keys (sorted, distinct,
/// 16 bytes each). The tree is compressed: a run of single-child positions
/// is one node, a branching position is one node, and every key ends in a
/// leaf node. Redis re-compresses after deletions, so the shape depends
/// only on the key set.
pub fn rax_nodes(keys: &[[u8; 16]]) -> u64 {
    if keys.is_empty() {
        return 1;
    }
    subtree_nodes(keys, 0)
}

/// Nodes of the subtree at a position `depth` bytes deep shared by `keys`.
fn subtree_nodes(keys: &[[u8; 16]], depth: usize) -> u64 {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
        return 0;
    };
    if keys.len() == 1 {
        // A compressed run down to the leaf, unless this is the leaf.
        return if depth >= 16 { 1 } else { 2 };
    }
    let mut branch = depth;
    while branch < 16 && first[branch] == last[branch] {
        branch += 1;
    }
    if branch >= 16 {
        // Equal keys cannot happen; count them as one leaf.
        return 1;
    }
    // A run leading to the branching node (if any), the branching node,
    // then one subtree per distinct next byte.
    let mut n = u64::from(branch > depth) + 1;
    for group in keys.chunk_by(|a, b| a[branch] == b[branch]) {
        n += subtree_nodes(group, branch + 1);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_sizes_follow_listpack_encodings() {
        assert_eq!(int_len(0), 2);
        assert_eq!(int_len(127), 2);
        assert_eq!(int_len(128), 3);
        assert_eq!(int_len(-1), 3);
        assert_eq!(int_len(40_000), 5);
        assert_eq!(int_len(i64::MAX), 10);
        assert_eq!(str_len(b"abc"), 5);
        assert_eq!(str_len(b"123"), 2);
        assert_eq!(str_len(b"1234"), 3);
        assert_eq!(str_len(b"0123"), 6);
        assert_eq!(str_len(&[b'x'; 63]), 65);
        assert_eq!(str_len(&[b'x'; 64]), 67);
        assert_eq!(str_len(&[b'x'; 126]), 130);
    }

    fn key(ms: u64, seq: u64) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&ms.to_be_bytes());
        k[8..].copy_from_slice(&seq.to_be_bytes());
        k
    }

    #[test]
    fn radix_tree_node_counts() {
        assert_eq!(rax_nodes(&[]), 1);
        assert_eq!(rax_nodes(&[key(1, 0)]), 2);
        // Root run, branch at the last ms byte, two leaf runs.
        assert_eq!(rax_nodes(&[key(1, 0), key(2, 0)]), 6);
    }
}
