//! A client's response callbacks: the mapping users see
//! (`response_callbacks`) and the cache that lets the Rust methods skip
//! the lookup while nothing changed.
//!
//! The mapping is normally a `redcore._callbacks.CallbackDict` (a dict
//! with upper-case keys, as redis-py's `CaseInsensitiveDict`) whose
//! mutating methods call [`CallbackWatch::bump`]. Every client using the
//! dict (a client and its pipelines) registers an epoch counter with its
//! watch; a bump advances them all. A Rust method compares the client's
//! epoch with the one its cached shapes were read at (two atomic loads)
//! and only on a change reads the dict again. Any other mapping a user
//! assigns is looked up on every call.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::reply::{Native, Shape};

/// Declares the commands the Rust methods send, with their callback names.
macro_rules! fast_commands {
    ($($variant:ident => $name:literal,)*) => {
        /// A command a Rust method sends; indexes the shape cache.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum Fast { $($variant,)* }

        impl Fast {
            /// Callback names (redis-py's `args[0]`), in variant order.
            pub const NAMES: &'static [&'static str] = &[$($name,)*];
        }
    };
}

fast_commands! {
    Get => "GET",
    Set => "SET",
    MGet => "MGET",
    MSet => "MSET",
    IncrBy => "INCRBY",
    DecrBy => "DECRBY",
    Del => "DEL",
    Exists => "EXISTS",
    Expire => "EXPIRE",
    Ttl => "TTL",
    HGet => "HGET",
    HSet => "HSET",
    HGetAll => "HGETALL",
    HIncrBy => "HINCRBY",
    HMGet => "HMGET",
    LPush => "LPUSH",
    RPush => "RPUSH",
    LPop => "LPOP",
    RPop => "RPOP",
    LRange => "LRANGE",
    LLen => "LLEN",
    SAdd => "SADD",
    SRem => "SREM",
    SMembers => "SMEMBERS",
    SIsMember => "SISMEMBER",
    SCard => "SCARD",
    ZAdd => "ZADD",
    ZScore => "ZSCORE",
    ZIncrBy => "ZINCRBY",
    ZRevRange => "ZREVRANGE",
    ZRank => "ZRANK",
    ZCard => "ZCARD",
    ZRem => "ZREM",
}

const FAST_COUNT: usize = Fast::NAMES.len();

/// The commands the Rust methods send (their callback names).
#[pyfunction]
pub fn fast_commands() -> Vec<&'static str> {
    Fast::NAMES.to_vec()
}

/// The cached code of a command whose callback is a Python callable.
const CALLABLE: u8 = u8::MAX;
/// `valid` while no cache has been read.
const INVALID: u64 = u64::MAX;

/// Change notification of a `CallbackDict`: its mutating methods call
/// `bump()`, which advances the epoch of every client using the dict.
#[pyclass(frozen, module = "redcore._redcore", name = "CallbackWatch")]
#[derive(Default)]
pub struct CallbackWatch {
    listeners: Mutex<Listeners>,
}

/// The epochs of the clients using one dict. Clients come and go (a
/// pipeline per request), so dead entries are dropped whenever the list
/// has doubled since the last sweep.
#[derive(Default)]
struct Listeners {
    epochs: Vec<Weak<AtomicU64>>,
    sweep_at: usize,
}

impl Listeners {
    fn add(&mut self, epoch: &Arc<AtomicU64>) {
        if self.epochs.len() >= self.sweep_at {
            self.epochs.retain(|l| l.strong_count() > 0);
            self.sweep_at = (self.epochs.len() * 2).max(32);
        }
        self.epochs.push(Arc::downgrade(epoch));
    }
}

#[pymethods]
impl CallbackWatch {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Records that the dict changed.
    fn bump(&self) {
        self.listeners.lock().epochs.retain(|l| match l.upgrade() {
            Some(epoch) => {
                epoch.fetch_add(1, Ordering::AcqRel);
                true
            }
            None => false,
        });
    }
}

/// What the cache knows of a command's callback.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cached {
    Native(Native),
    Callable,
    /// The dict changed (or is not a `CallbackDict`): look again.
    Stale,
}

/// The response callbacks of one client.
pub struct Callbacks {
    map: Mutex<Py<PyAny>>,
    /// The mapping is not a `CallbackDict`: look up on every call.
    foreign: AtomicBool,
    epoch: Arc<AtomicU64>,
    /// The epoch `codes` were read at, or [`INVALID`].
    valid: AtomicU64,
    codes: [AtomicU8; FAST_COUNT],
    /// The callables behind [`CALLABLE`] codes, read with the codes.
    callables: Mutex<Vec<Option<Py<PyAny>>>>,
}

impl Callbacks {
    pub fn new(map: &Bound<'_, PyAny>) -> PyResult<Callbacks> {
        let cbs = Callbacks {
            map: Mutex::new(map.clone().unbind()),
            foreign: AtomicBool::new(true),
            epoch: Arc::new(AtomicU64::new(0)),
            valid: AtomicU64::new(INVALID),
            codes: std::array::from_fn(|_| AtomicU8::new(CALLABLE)),
            callables: Mutex::new(Vec::new()),
        };
        cbs.watch(map)?;
        Ok(cbs)
    }

    /// Another client's view of the same mapping (a pipeline's).
    pub fn share(&self, py: Python<'_>) -> PyResult<Callbacks> {
        let map = self.get(py);
        Callbacks::new(map.bind(py))
    }

    /// The mapping (`response_callbacks`).
    pub fn get(&self, py: Python<'_>) -> Py<PyAny> {
        self.map.lock().clone_ref(py)
    }

    /// Replaces the mapping (`response_callbacks = ...`).
    pub fn set(&self, map: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut held = self.map.lock();
        *held = map.clone().unbind();
        self.watch(map)?;
        self.epoch.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    fn watch(&self, map: &Bound<'_, PyAny>) -> PyResult<()> {
        let watch = map
            .getattr("_watch")
            .ok()
            .and_then(|w| w.cast_into::<CallbackWatch>().ok());
        let ok = match watch {
            Some(w) if map.is_instance_of::<PyDict>() => {
                w.get().listeners.lock().add(&self.epoch);
                true
            }
            _ => false,
        };
        self.foreign.store(!ok, Ordering::Release);
        Ok(())
    }

    /// The shape for a Rust method's command: a cached native code while
    /// the dict is unchanged, else a lookup.
    #[inline]
    pub fn fast(&self, py: Python<'_>, f: Fast) -> PyResult<Shape> {
        let mut cached = self.cached(f);
        if cached == Cached::Stale {
            self.refresh(py);
            cached = self.cached(f);
        }
        match cached {
            Cached::Native(n) => Ok(Shape::Native(n)),
            // A callable (or a mapping that is not a CallbackDict): one
            // lookup of this command.
            Cached::Callable => {
                let cached = self
                    .callables
                    .lock()
                    .get(f as usize)
                    .and_then(|c| c.as_ref().map(|c| c.clone_ref(py)));
                match cached {
                    Some(cb) => Ok(Shape::Callable(cb)),
                    None => {
                        let map = self.get(py);
                        lookup(map.bind(py), Fast::NAMES[f as usize])
                    }
                }
            }
            Cached::Stale => {
                let map = self.get(py);
                lookup(map.bind(py), Fast::NAMES[f as usize])
            }
        }
    }

    /// True when `f`'s reply takes the native shape `n` (its default), so
    /// a Rust method that knows the reply may build the value itself.
    #[inline]
    pub fn is_native(&self, f: Fast, n: Native) -> bool {
        self.cached(f) == Cached::Native(n)
    }

    #[inline]
    fn cached(&self, f: Fast) -> Cached {
        let epoch = self.epoch.load(Ordering::Acquire);
        if self.valid.load(Ordering::Acquire) != epoch {
            return Cached::Stale;
        }
        match Native::from_code(self.codes[f as usize].load(Ordering::Relaxed)) {
            Some(n) => Cached::Native(n),
            None => Cached::Callable,
        }
    }

    /// Reads every fast command's entry again (a `CallbackDict` only).
    fn refresh(&self, py: Python<'_>) {
        let held = self.map.lock();
        if self.foreign.load(Ordering::Acquire) {
            return;
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        self.valid.store(INVALID, Ordering::Release);
        let Ok(dict) = held.bind(py).cast::<PyDict>() else {
            return;
        };
        let mut callables = self.callables.lock();
        callables.clear();
        for (i, name) in Fast::NAMES.iter().enumerate() {
            let (code, callable) = match dict.get_item(name) {
                Ok(None) => (Native::Raw as u8, None),
                Ok(Some(cb)) => match cb.extract::<u8>() {
                    Ok(c) if Native::from_code(c).is_some() => (c, None),
                    _ => (CALLABLE, Some(cb.unbind())),
                },
                Err(_) => (CALLABLE, None),
            };
            self.codes[i].store(code, Ordering::Relaxed);
            callables.push(callable);
        }
        self.valid.store(epoch, Ordering::Release);
    }

    /// The shape `execute_command` applies for a command name.
    pub fn for_name(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<Shape> {
        let key = match name.cast::<PyString>() {
            Ok(s) => s.to_cow()?.into_owned(),
            Err(_) => match name.extract::<Vec<u8>>() {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(_) => return Ok(Shape::Native(Native::Raw)),
            },
        };
        let map = self.get(py);
        lookup(map.bind(py), &key)
    }
}

/// Looks `name` up in a callback mapping: upper-case first (the keys of a
/// `CallbackDict`, redis-py's convention), then as given, then lower-case.
fn lookup(map: &Bound<'_, PyAny>, name: &str) -> PyResult<Shape> {
    let upper = name.to_ascii_uppercase();
    let mut found = get(map, &upper)?;
    if found.is_none() && upper != name {
        found = get(map, name)?;
    }
    if found.is_none() {
        let lower = name.to_ascii_lowercase();
        if lower != name {
            found = get(map, &lower)?;
        }
    }
    Ok(match found {
        None => Shape::Native(Native::Raw),
        Some(cb) => match cb.extract::<u8>() {
            Ok(code) => Shape::Native(Native::from_code(code).unwrap_or(Native::Raw)),
            Err(_) => Shape::Callable(cb.unbind()),
        },
    })
}

fn get<'py>(map: &Bound<'py, PyAny>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(d) = map.cast::<PyDict>() {
        return d.get_item(key);
    }
    match map.get_item(key) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_instance_of::<PyKeyError>(map.py()) => Ok(None),
        Err(e) => Err(e),
    }
}
