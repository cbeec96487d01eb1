//! The RESP codec: the shared [`Frame`] type, incremental parsers for
//! replies (RESP2 and RESP3, [`parser`]) and requests (multibulk and inline,
//! [`command`]), a [`flat`] scanner that lets a client read arrays of bulk
//! strings without frames, and a [`writer`] that serializes frames for
//! RESP2 or RESP3 peers.
//!
//! The module is self-contained (it depends only on `bytes` and `memchr`)
//! so the client, the server and the Python layer can all share it.

pub mod command;
pub mod flat;
pub mod frame;
pub mod parser;
pub mod writer;

#[cfg(test)]
mod tests;

pub use flat::{FlatKind, FlatScan, Scan};
pub use frame::Frame;
pub use parser::{
    parse_command, parse_command_with, parse_frame, parse_frame_with, split_args, CommandLimits,
    CommandParser, Limits, ParseError, Parser,
};
pub use writer::{
    double_text, encode_command, format_double, frame_to_bytes, write_bulk, write_frame,
    write_header, write_i64, write_integer, write_u64, DoubleText,
};
