//! Engine events (`log` records: RDB load and save start, progress, end,
//! errors) into Python's `logging`, through pyo3-log, under `redcore.*`
//! loggers (the Rust module path with `::` as `.`). Never to stdout.
//!
//! Records are handed to one forwarding thread instead of being logged
//! where they happen: the engine logs while it holds its store lock, and
//! logging into Python needs the GIL, which a Python thread waiting for
//! that lock may hold. The thread takes the GIL holding nothing else.

use std::sync::mpsc::{channel, Sender};
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

/// A record detached from its call site.
struct Owned {
    level: Level,
    target: String,
    message: String,
    module_path: Option<String>,
    file: Option<String>,
    line: Option<u32>,
}

struct Deferred {
    tx: Mutex<Sender<Owned>>,
}

impl Log for Deferred {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.target().starts_with("redcore")
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let owned = Owned {
            level: record.level(),
            target: record.target().to_string(),
            message: record.args().to_string(),
            module_path: record.module_path().map(str::to_string),
            file: record.file().map(str::to_string),
            line: record.line(),
        };
        if let Ok(tx) = self.tx.lock() {
            let _ = tx.send(owned);
        }
    }

    fn flush(&self) {}
}

/// Installs the bridge (once per process; later calls do nothing).
pub fn install(py: Python<'_>) -> PyResult<()> {
    // Levels are asked of Python on every record (no level cache), so a
    // logger configured after the first event still gets the next ones.
    let inner = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?.filter(LevelFilter::Trace);
    let (tx, rx) = channel::<Owned>();
    let logger = Deferred { tx: Mutex::new(tx) };
    if log::set_boxed_logger(Box::new(logger)).is_err() {
        return Ok(());
    }
    log::set_max_level(LevelFilter::Debug);
    let spawned = std::thread::Builder::new()
        .name("redcore-log".into())
        .spawn(move || {
            for r in rx {
                let forward = || {
                    inner.log(
                        &Record::builder()
                            .level(r.level)
                            .target(&r.target)
                            .args(format_args!("{}", r.message))
                            .module_path(r.module_path.as_deref())
                            .file(r.file.as_deref())
                            .line(r.line)
                            .build(),
                    )
                };
                // The interpreter may be finalizing at exit: drop the record.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(forward));
            }
        });
    drop(spawned);
    Ok(())
}
