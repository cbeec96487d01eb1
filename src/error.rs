//! Every error a command can reply with, and its exact Redis text.
//!
//! Handlers return `Err(Error::...)`; the dispatcher turns it into an error
//! frame. Keeping the texts here means one place to check against Redis.

use std::borrow::Cow;

use crate::resp::Frame;

/// A command error. `Display` gives the full reply text, code included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR syntax error`
    Syntax,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR index out of range`
    IndexOutOfRange,
    /// `ERR DB index is out of range`
    DbIndexOutOfRange,
    /// `ERR wrong number of arguments for '<cmd>' command`
    WrongArity(String),
    /// `ERR unknown command '<cmd>', with args beginning with: ...`
    UnknownCommand(String),
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand { sub: String, cmd: String },
    /// `ERR value is out of range, must be positive`
    NotPositive,
    /// `ERR string exceeds maximum allowed size (proto-max-bulk-len)`
    StringTooLong,
    /// `ERR min or max is not a float`
    MinMaxNotFloat,
    /// `ERR min or max not valid string range item`
    MinMaxNotLex,
    /// `ERR timeout is not a float or out of range`
    TimeoutNotFloat,
    /// `ERR invalid expire time in '<cmd>' command`
    InvalidExpire(String),
    /// `ERR hash value is not an integer`
    HashNotInteger,
    /// `ERR hash value is not a float`
    HashNotFloat,
    /// `ERR increment would produce NaN or Infinity`
    NanOrInfinity,
    /// `ERR XX and NX options at the same time are not compatible`
    XxAndNx,
    /// `ERR source and destination objects are the same`
    SameObject,
    /// `OOM command not allowed when used memory > 'maxmemory'.`
    Oom,
    /// Any other text; it must start with its code (`ERR ...`, `BUSY ...`).
    Other(Cow<'static, str>),
}

/// What handlers return: a reply frame or an error.
pub type CmdResult = Result<Frame, Error>;

impl Error {
    /// An `ERR <msg>` error from static text.
    pub const fn err(msg: &'static str) -> Error {
        Error::Other(Cow::Borrowed(msg))
    }

    /// An error with a computed text, which must include the code.
    pub fn msg(text: String) -> Error {
        Error::Other(Cow::Owned(text))
    }

    /// The error as a reply frame.
    pub fn to_frame(&self) -> Frame {
        Frame::Error(self.to_string().into())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            Error::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            Error::NotFloat => f.write_str("ERR value is not a valid float"),
            Error::Syntax => f.write_str("ERR syntax error"),
            Error::Overflow => f.write_str("ERR increment or decrement would overflow"),
            Error::NoSuchKey => f.write_str("ERR no such key"),
            Error::IndexOutOfRange => f.write_str("ERR index out of range"),
            Error::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            Error::WrongArity(cmd) => {
                write!(f, "ERR wrong number of arguments for '{cmd}' command")
            }
            Error::UnknownCommand(text) => f.write_str(text),
            Error::UnknownSubcommand { sub, cmd } => {
                write!(f, "ERR unknown subcommand '{sub}'. Try {cmd} HELP.")
            }
            Error::NotPositive => f.write_str("ERR value is out of range, must be positive"),
            Error::StringTooLong => {
                f.write_str("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
            }
            Error::MinMaxNotFloat => f.write_str("ERR min or max is not a float"),
            Error::MinMaxNotLex => f.write_str("ERR min or max not valid string range item"),
            Error::TimeoutNotFloat => f.write_str("ERR timeout is not a float or out of range"),
            Error::InvalidExpire(cmd) => write!(f, "ERR invalid expire time in '{cmd}' command"),
            Error::HashNotInteger => f.write_str("ERR hash value is not an integer"),
            Error::HashNotFloat => f.write_str("ERR hash value is not a float"),
            Error::NanOrInfinity => f.write_str("ERR increment would produce NaN or Infinity"),
            Error::XxAndNx => {
                f.write_str("ERR XX and NX options at the same time are not compatible")
            }
            Error::SameObject => f.write_str("ERR source and destination objects are the same"),
            Error::Oom => f.write_str("OOM command not allowed when used memory > 'maxmemory'."),
            Error::Other(text) => f.write_str(text),
        }
    }
}

/// Builds Redis's unknown-command text: the name and up to 128 bytes of each
/// of the first arguments, as `'a' 'b' `.
pub fn unknown_command(argv: &[&[u8]]) -> Error {
    let name = argv.first().map(|n| lossy(n, 128)).unwrap_or_default();
    let mut args = String::new();
    for arg in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        args.push('\'');
        args.push_str(&lossy(arg, 128 - args.len()));
        args.push_str("' ");
    }
    Error::UnknownCommand(format!(
        "ERR unknown command '{name}', with args beginning with: {args}"
    ))
}

/// Redis's reply for a container command called with an unknown subcommand.
pub fn unknown_subcommand(container: &[u8], sub: &[u8]) -> Error {
    Error::UnknownSubcommand {
        sub: lossy(sub, 128),
        cmd: lossy(container, 128).to_ascii_uppercase(),
    }
}

/// Up to `max` bytes of `b` as text, with newlines replaced by spaces so the
/// reply stays a single protocol line.
pub fn lossy(b: &[u8], max: usize) -> String {
    let b = &b[..b.len().min(max)];
    String::from_utf8_lossy(b).replace(['\r', '\n'], " ")
}
