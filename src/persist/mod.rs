//! Redis's serialization format: the RDB object encoding of values, shared
//! by DUMP/RESTORE payloads and (later) RDB snapshots.
//!
//! - [`rdb`]: one value as an RDB object (type byte + body), both ways.
//! - [`stream`]: stream objects (node listpacks, counters, consumer groups).
//! - [`hfe`]: Redis 7.4's hashes with field TTLs (RDB 12 types 24 and 25).
//! - [`listpack`], [`intset`]: the compact encodings nested in objects;
//!   [`legacy`]: ziplists and zipmaps, which Redis 7.0 still loads.
//! - [`rdbfile`]: whole RDB files (SAVE, BGSAVE), written atomically;
//!   [`rdbload`]: whole RDB files read back (startup, DEBUG RELOAD).
//! - [`dirlock`]: one engine per data directory (a `flock`ed lock file).
//! - [`lzf`], [`crc64`]: string compression and the payload checksum.
//! - [`strtod`]: C's number parsing where Redis's formats rely on it.
//!
//! Loading validates every nested structure (Redis's "deep sanitization"),
//! so a malformed payload is an error, never a panic.

pub mod aof;
pub mod crc64;
pub mod dirlock;
pub mod hfe;
pub mod intset;
pub mod legacy;
pub mod listpack;
pub mod lzf;
pub mod rdb;
pub mod rdbfile;
pub mod rdbload;
pub mod stream;
pub mod strtod;

use crate::engine::value::Value;
pub use rdb::{LoadError, LoadOptions, SaveOptions, RDB_VERSION};

/// A DUMP payload: the object, the RDB version (u16 LE) and a CRC-64 of
/// everything before it (u64 LE).
pub fn dump_payload(v: &Value, o: &SaveOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let t = rdb::object_type(v);
    out.push(t);
    rdb::save_object(&mut out, v, o);
    let version = if hfe::is_hfe_type(t) {
        hfe::RDB_VERSION
    } else {
        RDB_VERSION
    };
    out.extend_from_slice(&version.to_le_bytes());
    let crc = crc64::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// True if `p` ends with an RDB version this build reads and a matching
/// checksum.
pub fn payload_footer_ok(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    // Redis 7.4's hashes with field TTLs come in RDB 12 payloads; any other
    // object in a payload newer than 7.0's is refused, as 7.0 does.
    let newest = if hfe::is_hfe_type(p[0]) {
        hfe::RDB_VERSION
    } else {
        RDB_VERSION
    };
    if version > newest {
        return false;
    }
    let mut want = [0u8; 8];
    want.copy_from_slice(&footer[2..]);
    crc64::crc64(0, &p[..p.len() - 8]) == u64::from_le_bytes(want)
}

/// The value in a DUMP payload whose footer was checked. As in Redis the
/// object is read from the start of the whole payload and bytes it leaves
/// unread before the footer are ignored.
pub fn load_payload(p: &[u8], o: &LoadOptions) -> Result<Value, LoadError> {
    let mut r = rdb::Reader::new(p);
    let t = r.read_u8()?;
    if !rdb::is_object_type(t) {
        return Err(LoadError("not an object type"));
    }
    rdb::load_object(&mut r, t, o)
}

/// Redis's reply to writes while the last background save failed (with
/// save points configured and `stop-writes-on-bgsave-error yes`).
pub const BGSAVE_ERR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Why the disk refuses writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiskError {
    /// The last background save failed (with save points and
    /// `stop-writes-on-bgsave-error yes`).
    Rdb,
    /// AOF writes or fsyncs are failing: the OS's description of the error.
    Aof(String),
}

impl DiskError {
    /// Redis's `MISCONF` reply to a write command.
    pub fn text(&self) -> String {
        match self {
            DiskError::Rdb => BGSAVE_ERR.to_string(),
            DiskError::Aof(e) => format!("MISCONF Errors writing to the AOF file: {e}"),
        }
    }

    /// Redis's `MISCONF` reply to a script (or function) that did not
    /// declare `no-writes`, when it is about to run.
    pub fn script_text(&self) -> String {
        match self {
            DiskError::Rdb => "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.".to_string(),
            DiskError::Aof(e) => format!("MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: {e}"),
        }
    }
}

/// Why the disk refuses writes, if it does: the last background save
/// failed (with save points and `stop-writes-on-bgsave-error yes`), or AOF
/// writes or fsyncs are failing. `None` when writes may go ahead.
pub fn disk_error_kind(store: &mut crate::engine::Store) -> Option<DiskError> {
    if !store.config.save.is_empty()
        && store
            .config
            .extra
            .get("stop-writes-on-bgsave-error")
            .is_none_or(|v| v == "yes")
    {
        rdbfile::SaveStatus::settle(store);
        if !store.persistence.last_ok {
            return Some(DiskError::Rdb);
        }
    }
    if store.aof.on() {
        if let Some(e) = store.aof.status.write_error() {
            return Some(DiskError::Aof(e));
        }
    }
    None
}

/// Why the disk refuses writes, as Redis's `MISCONF` error text (see
/// [`disk_error_kind`]). `None` when writes may go ahead.
pub fn disk_error(store: &mut crate::engine::Store) -> Option<String> {
    disk_error_kind(store).map(|e| e.text())
}

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;
