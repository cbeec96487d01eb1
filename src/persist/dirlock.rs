//! One owner per data directory: an engine that persists to `dir` holds
//! an exclusive `flock` on `dir/.redcore.lock` for its lifetime, so a
//! second engine (in this or another process) opening the same directory
//! fails with a clear error instead of writing the same files. The lock
//! goes with the file descriptor: when the engine is dropped, or its
//! process dies, the directory is free again.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = ".redcore.lock";

/// A held directory lock (released on drop).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    pub path: PathBuf,
}

/// Takes the lock of `dir`, or says who holds it. When the holder is this
/// process, the lock is retried for up to a second: an engine just dropped
/// here is released by whichever of its threads lets go last (its expiry
/// thread may be finishing a cycle).
pub fn lock(dir: &Path) -> Result<DirLock, String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        match try_lock(dir) {
            Err((msg, holder)) if holder == Some(std::process::id()) => {
                if std::time::Instant::now() >= deadline {
                    return Err(msg);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => return other.map_err(|(msg, _)| msg),
        }
    }
}

/// One attempt: the lock, or the error text and the holder's pid.
fn try_lock(dir: &Path) -> Result<DirLock, (String, Option<u32>)> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| {
            (
                format!("can't open lock file {}: {e}", path.display()),
                None,
            )
        })?;
    // SAFETY: flock on a descriptor we own; no memory is passed.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim();
        let who = if holder.is_empty() {
            String::new()
        } else {
            format!(" (pid {holder})")
        };
        return Err((
            format!(
                "directory {} is already in use by another redcore engine{who}; lock file {}",
                dir.display(),
                path.display()
            ),
            holder.parse().ok(),
        ));
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}", std::process::id());
    let _ = file.flush();
    Ok(DirLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    #[test]
    fn second_lock_fails_until_first_dropped() {
        let dir = std::env::temp_dir().join(format!("rdb-dirlock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = super::lock(&dir).unwrap();
        let err = super::lock(&dir).unwrap_err();
        assert!(
            err.contains("already in use") && err.contains(&std::process::id().to_string()),
            "{err}"
        );
        drop(first);
        assert!(super::lock(&dir).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
