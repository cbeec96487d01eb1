//! The AOF manifest of Redis 7's multi-part layout: one line per file,
//! `file <name> seq <n> type <b|h|i>` (base, history, incremental), kept
//! in `<appenddirname>/<appendfilename>.manifest`.

use std::path::Path;

/// What a file in the manifest is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Base,
    History,
    Incr,
}

/// One file the manifest lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: u64,
    pub kind: Kind,
}

/// The manifest: at most one base, the incremental files in order, and
/// history files (left over from a rewrite, to be deleted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    pub incrs: Vec<FileInfo>,
    pub history: Vec<FileInfo>,
    /// The highest sequence numbers used so far (new files continue them).
    pub base_seq: u64,
    pub incr_seq: u64,
}

/// The manifest's file name for `appendfilename`.
pub fn manifest_name(appendfilename: &str) -> String {
    format!("{appendfilename}.manifest")
}

/// A base file's name (`appendonly.aof.3.base.rdb`); `rdb` false gives
/// the RESP form's `.base.aof`.
pub fn base_name(appendfilename: &str, seq: u64, rdb: bool) -> String {
    let ext = if rdb { "rdb" } else { "aof" };
    format!("{appendfilename}.{seq}.base.{ext}")
}

/// An incremental file's name (`appendonly.aof.3.incr.aof`).
pub fn incr_name(appendfilename: &str, seq: u64) -> String {
    format!("{appendfilename}.{seq}.incr.aof")
}

impl Manifest {
    /// Parses manifest text; the error says what is wrong, as Redis does.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() % 2 != 0 {
                return Err("Invalid AOF manifest file format".into());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks_exact(2) {
                match pair[0] {
                    "file" => name = Some(pair[1].to_string()),
                    "seq" => seq = pair[1].parse::<u64>().ok(),
                    "type" => {
                        kind = match pair[1] {
                            "b" => Some(Kind::Base),
                            "h" => Some(Kind::History),
                            "i" => Some(Kind::Incr),
                            _ => None,
                        }
                    }
                    // Later versions may add keys; unknown ones are skipped.
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err("Invalid AOF manifest file format".into());
            };
            if name.contains('/') || name.is_empty() {
                return Err("Invalid AOF manifest file format".into());
            }
            let info = FileInfo { name, seq, kind };
            match kind {
                Kind::Base => {
                    if m.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    m.base_seq = seq;
                    m.base = Some(info);
                }
                Kind::History => m.history.push(info),
                Kind::Incr => {
                    if seq <= m.incr_seq && !m.incrs.is_empty() {
                        return Err("Found a non-monotonic sequence number".into());
                    }
                    m.incr_seq = seq;
                    m.incrs.push(info);
                }
            }
        }
        if m.base.is_none() && m.incrs.is_empty() {
            return Err("Found an empty AOF manifest".into());
        }
        Ok(m)
    }

    /// The manifest's text (base first, then history, then incrs).
    pub fn format(&self) -> String {
        let mut out = String::new();
        let mut line = |f: &FileInfo| {
            let t = match f.kind {
                Kind::Base => "b",
                Kind::History => "h",
                Kind::Incr => "i",
            };
            out.push_str(&format!("file {} seq {} type {t}\n", f.name, f.seq));
        };
        self.base.iter().for_each(&mut line);
        self.history.iter().for_each(&mut line);
        self.incrs.iter().for_each(&mut line);
        out
    }

    /// Reads the manifest in `dir`, if there is one.
    pub fn read(dir: &Path, appendfilename: &str) -> Result<Option<Manifest>, String> {
        let path = dir.join(manifest_name(appendfilename));
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("Invalid AOF manifest file format: {}", path.display()))?;
                Manifest::parse(&text)
                    .map(Some)
                    .map_err(|e| format!("{e}: {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!(
                "Can't open the AOF manifest {}: {e}",
                path.display()
            )),
        }
    }

    /// Writes the manifest atomically (temp file, fsync, rename).
    pub fn write(&self, dir: &Path, appendfilename: &str) -> std::io::Result<()> {
        let path = dir.join(manifest_name(appendfilename));
        crate::persist::rdbfile::write_atomic(&path, self.format().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_lines() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.4.incr.aof seq 4 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base.as_ref().unwrap().seq, 2);
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.incr_seq, 4);
        assert_eq!(m.format(), text);
        assert!(Manifest::parse("file x seq 1\n").is_err());
        assert!(Manifest::parse("file x seq 1 type z\n").is_err());
        assert!(Manifest::parse("").is_err());
        assert!(Manifest::parse("file a seq 1 type b\nfile b seq 2 type b\n").is_err());
    }
}
