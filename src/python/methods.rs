//! The methods users call most, written in Rust so they pay no per-call
//! Python frame: strings, keys, hashes, lists, sets and sorted-set basics.
//! Signatures, argument checks and return types follow redis-py.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::argrules::{expiry, keys_of};
use super::callbacks::Fast;
use super::client::{command, Client};
use super::encode::{arg, Args};
use super::errors::{data_error, reply_error};
use super::reply::{Native, Opts};
use crate::commands::{hash, list, string};

#[pymethods]
impl Client {
    /// Return the value at key ``name``, or None if the key doesn't exist.
    fn get<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        let key = arg(name, this.encoding())?;
        let py = slf.py();
        // Building the bytes under the engine lock is safe (a bytes object
        // never triggers the garbage collector) and saves a refcount trip.
        if let Some(r) = this.fast(
            Fast::Get,
            command!("get"),
            &[b"GET", key.as_slice()],
            |db, now| {
                string::lookup(db, key.as_slice(), now)
                    .map(|o| o.map(|b| this.dec.bulk_nogc(py, b)))
            },
        ) {
            return this.bulk_obj_result(py, r);
        }
        Client::run_fast(
            slf,
            Fast::Get,
            command!("get"),
            &[b"GET", key.as_slice()],
            Opts::default(),
        )
    }

    /// Set the value at key ``name`` to ``value`` (see redis-py's ``set``).
    #[pyo3(signature = (name, value, ex=None, px=None, nx=false, xx=false, keepttl=false, get=false, exat=None, pxat=None, ifeq=None, ifne=None, ifdeq=None, ifdne=None))]
    #[allow(clippy::too_many_arguments)]
    fn set<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
        ex: Option<Bound<'py, PyAny>>,
        px: Option<Bound<'py, PyAny>>,
        nx: bool,
        xx: bool,
        keepttl: bool,
        get: bool,
        exat: Option<Bound<'py, PyAny>>,
        pxat: Option<Bound<'py, PyAny>>,
        ifeq: Option<Bound<'py, PyAny>>,
        ifne: Option<Bound<'py, PyAny>>,
        ifdeq: Option<Bound<'py, PyAny>>,
        ifdne: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let enc = slf.get().encoding();
        let plain = ex.is_none() && px.is_none() && exat.is_none() && pxat.is_none();
        if plain
            && !(nx || xx || keepttl || get)
            && ifeq.is_none()
            && ifne.is_none()
            && ifdeq.is_none()
            && ifdne.is_none()
        {
            return Self::set_plain(slf, name, value);
        }
        let expiries = [
            ex.is_some(),
            px.is_some(),
            exat.is_some(),
            pxat.is_some(),
            keepttl,
        ];
        if expiries.iter().filter(|b| **b).count() > 1 {
            return Err(data_error(
                py,
                "``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive.",
            ));
        }
        let conds = [
            nx,
            xx,
            ifeq.is_some(),
            ifne.is_some(),
            ifdeq.is_some(),
            ifdne.is_some(),
        ];
        if conds.iter().filter(|b| **b).count() > 1 {
            return Err(data_error(
                py,
                "``nx``, ``xx``, ``ifeq``, ``ifne``, ``ifdeq``, ``ifdne`` are mutually exclusive.",
            ));
        }
        let mut a = Args::cmd("SET");
        a.push(name, enc)?;
        a.push(value, enc)?;
        if nx {
            a.push_static(b"NX");
        } else if xx {
            a.push_static(b"XX");
        } else {
            for (kw, v) in [
                (&b"IFEQ"[..], &ifeq),
                (b"IFNE", &ifne),
                (b"IFDEQ", &ifdeq),
                (b"IFDNE", &ifdne),
            ] {
                if let Some(v) = v {
                    a.push_bytes(kw);
                    a.push(v, enc)?;
                }
            }
        }
        if get {
            a.push_static(b"GET");
        }
        if let Some((kw, v)) = expiry(ex.as_ref(), px.as_ref(), exat.as_ref(), pxat.as_ref())? {
            a.push_static(kw.as_bytes());
            a.push(&v, enc)?;
        }
        if keepttl {
            a.push_static(b"KEEPTTL");
        }
        if get {
            let opts = Opts::native(Opts::GET, None);
            return Client::call_opts(slf, Fast::Set, command!("set"), &a, opts);
        }
        Client::call(slf, Fast::Set, command!("set"), &a)
    }

    /// ``r[name] = value``
    fn __setitem__<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<()> {
        Self::set_plain(slf, name, value)?;
        Ok(())
    }

    /// Return a list of values ordered identically to ``keys``.
    #[pyo3(signature = (keys, *args))]
    fn mget<'py>(
        slf: &Bound<'py, Self>,
        keys: &Bound<'py, PyAny>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let keys = keys_of(keys, Some(args))?;
        // Like redis-py, no keys is an empty list, not MGET's arity error.
        if keys.is_empty() && slf.get().runs_now() {
            return Ok(PyList::empty(slf.py()).into_any());
        }
        let mut a = Args::cmd_with_capacity("MGET", keys.len());
        for key in keys {
            a.push(&key, enc)?;
        }
        Client::call(slf, Fast::MGet, command!("mget"), &a)
    }

    /// Sets key/values based on a mapping.
    fn mset<'py>(
        slf: &Bound<'py, Self>,
        mapping: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd("MSET");
        let items = mapping.call_method0("items")?;
        for kv in items.try_iter()? {
            let kv = kv?;
            a.push(&kv.get_item(0)?, enc)?;
            a.push(&kv.get_item(1)?, enc)?;
        }
        Client::call(slf, Fast::MSet, command!("mset"), &a)
    }

    /// Increments the value of ``name`` by ``amount``.
    #[pyo3(signature = (name, amount=None))]
    fn incr<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        amount: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::incrby(slf, name, amount)
    }

    /// Increments the value of ``name`` by ``amount``.
    #[pyo3(signature = (name, amount=None))]
    fn incrby<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        amount: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut a = Args::cmd("INCRBY");
        a.push(name, slf.get().encoding())?;
        match amount {
            Some(n) => a.push(n, slf.get().encoding())?,
            None => a.push_static(b"1"),
        }
        Client::call(slf, Fast::IncrBy, command!("incrby"), &a)
    }

    /// Decrements the value of ``name`` by ``amount``.
    #[pyo3(signature = (name, amount=None))]
    fn decr<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        amount: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::decrby(slf, name, amount)
    }

    /// Decrements the value of ``name`` by ``amount``.
    #[pyo3(signature = (name, amount=None))]
    fn decrby<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        amount: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut a = Args::cmd("DECRBY");
        a.push(name, slf.get().encoding())?;
        match amount {
            Some(n) => a.push(n, slf.get().encoding())?,
            None => a.push_static(b"1"),
        }
        Client::call(slf, Fast::DecrBy, command!("decrby"), &a)
    }

    /// Delete one or more keys specified by ``names``.
    #[pyo3(signature = (*names))]
    fn delete<'py>(
        slf: &Bound<'py, Self>,
        names: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut a = Args::cmd("DEL");
        for n in names.iter() {
            a.push(&n, slf.get().encoding())?;
        }
        Client::call(slf, Fast::Del, command!("del"), &a)
    }

    /// ``del r[name]``: deletes the key (like redis-py, no error when missing).
    fn __delitem__<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<()> {
        let mut a = Args::cmd("DEL");
        a.push(name, slf.get().encoding())?;
        Client::call(slf, Fast::Del, command!("del"), &a)?;
        Ok(())
    }

    /// Returns the number of ``names`` that exist.
    #[pyo3(signature = (*names))]
    fn exists<'py>(
        slf: &Bound<'py, Self>,
        names: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut a = Args::cmd("EXISTS");
        for n in names.iter() {
            a.push(&n, slf.get().encoding())?;
        }
        Client::call(slf, Fast::Exists, command!("exists"), &a)
    }

    /// Set an expire flag on key ``name`` for ``time`` seconds (int or
    /// timedelta), with the NX / XX / GT / LT conditions.
    #[pyo3(signature = (name, time, nx=false, xx=false, gt=false, lt=false))]
    #[allow(clippy::too_many_arguments)]
    fn expire<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        time: &Bound<'py, PyAny>,
        nx: bool,
        xx: bool,
        gt: bool,
        lt: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd("EXPIRE");
        a.push(name, enc)?;
        if time.hasattr("total_seconds")? {
            let secs: f64 = time.call_method0("total_seconds")?.extract()?;
            a.push_i64(secs as i64);
        } else {
            a.push(time, enc)?;
        }
        for (on, kw) in [(nx, &b"NX"[..]), (xx, b"XX"), (gt, b"GT"), (lt, b"LT")] {
            if on {
                a.push_bytes(kw);
            }
        }
        Client::call(slf, Fast::Expire, command!("expire"), &a)
    }

    /// Returns the number of seconds until the key ``name`` will expire.
    fn ttl<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let mut a = Args::cmd("TTL");
        a.push(name, slf.get().encoding())?;
        Client::call(slf, Fast::Ttl, command!("ttl"), &a)
    }

    /// Return the value of ``key`` within the hash ``name``.
    fn hget<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        let (k, f) = (arg(name, this.encoding())?, arg(key, this.encoding())?);
        if let Some(r) = this.fast(
            Fast::HGet,
            command!("hget"),
            &[b"HGET", k.as_slice(), f.as_slice()],
            |db, now| hash::lookup_field(db, k.as_slice(), f.as_slice(), now),
        ) {
            return this.bulk_result(slf.py(), r);
        }
        Client::run_fast(
            slf,
            Fast::HGet,
            command!("hget"),
            &[b"HGET", k.as_slice(), f.as_slice()],
            Opts::default(),
        )
    }

    /// Set ``key`` to ``value`` within hash ``name``; ``mapping`` and
    /// ``items`` add more pairs. Returns the number of fields added.
    #[pyo3(signature = (name, key=None, value=None, mapping=None, items=None))]
    fn hset<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        key: Option<Bound<'py, PyAny>>,
        value: Option<Bound<'py, PyAny>>,
        mapping: Option<Bound<'py, PyAny>>,
        items: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let enc = slf.get().encoding();
        if key.is_none() && mapping.is_none() && items.is_none() {
            return Err(data_error(py, "'hset' with no key value pairs"));
        }
        let mut a = Args::cmd("HSET");
        a.push(name, enc)?;
        if let Some(items) = &items {
            for it in items.try_iter()? {
                a.push(&it?, enc)?;
            }
        }
        if let Some(k) = &key {
            a.push(k, enc)?;
            match &value {
                Some(v) => a.push(v, enc)?,
                None => a.push(&py.None().into_bound(py), enc)?,
            }
        }
        if let Some(m) = &mapping {
            for kv in m.call_method0("items")?.try_iter()? {
                let kv = kv?;
                a.push(&kv.get_item(0)?, enc)?;
                a.push(&kv.get_item(1)?, enc)?;
            }
        }
        Client::call(slf, Fast::HSet, command!("hset"), &a)
    }

    /// Return a Python dict of the hash's name/value pairs.
    fn hgetall<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut a = Args::cmd("HGETALL");
        a.push(name, slf.get().encoding())?;
        Client::call(slf, Fast::HGetAll, command!("hgetall"), &a)
    }

    /// Increment the value of ``key`` in hash ``name`` by ``amount``.
    #[pyo3(signature = (name, key, amount=None))]
    fn hincrby<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
        amount: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd("HINCRBY");
        a.push(name, enc)?;
        a.push(key, enc)?;
        match amount {
            Some(n) => a.push(n, enc)?,
            None => a.push_static(b"1"),
        }
        Client::call(slf, Fast::HIncrBy, command!("hincrby"), &a)
    }

    /// Returns a list of values ordered identically to ``keys``.
    #[pyo3(signature = (name, keys, *args))]
    fn hmget<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        keys: &Bound<'py, PyAny>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd("HMGET");
        a.push(name, enc)?;
        for key in keys_of(keys, Some(args))? {
            a.push(&key, enc)?;
        }
        Client::call(slf, Fast::HMGet, command!("hmget"), &a)
    }

    /// Push ``values`` onto the head of the list ``name``.
    #[pyo3(signature = (name, *values))]
    fn lpush<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::push_many(slf, Fast::LPush, "LPUSH", command!("lpush"), name, values)
    }

    /// Push ``values`` onto the tail of the list ``name``.
    #[pyo3(signature = (name, *values))]
    fn rpush<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::push_many(slf, Fast::RPush, "RPUSH", command!("rpush"), name, values)
    }

    /// Remove and return the first item (or ``count`` items) of the list.
    #[pyo3(signature = (name, count=None))]
    fn lpop<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        count: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::pop_generic(slf, Fast::LPop, "LPOP", command!("lpop"), name, count)
    }

    /// Remove and return the last item (or ``count`` items) of the list.
    #[pyo3(signature = (name, count=None))]
    fn rpop<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        count: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::pop_generic(slf, Fast::RPop, "RPOP", command!("rpop"), name, count)
    }

    /// Return a slice of the list ``name`` between ``start`` and ``end``.
    fn lrange<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        let enc = this.encoding();
        let mut a = Args::cmd("LRANGE");
        a.push(name, enc)?;
        a.push(start, enc)?;
        a.push(end, enc)?;
        let argv = a.slices();
        let py = slf.py();
        // The elements become bytes (or str) straight from the list's
        // packed nodes under the engine lock, as in `get` (bytes objects
        // never run the garbage collector); the list object, which the GC
        // tracks, is built once the lock is released.
        let items = this.fast(Fast::LRange, command!("lrange"), &argv, |db, now| {
            list::range(db, argv[1], argv[2], argv[3], now).map(|items| {
                items
                    .into_iter()
                    .flatten()
                    .map(|e| this.dec.bulk_nogc(py, e))
                    .collect::<Vec<_>>()
            })
        });
        let Some(items) = items else {
            return Client::run_fast(
                slf,
                Fast::LRange,
                command!("lrange"),
                &argv,
                Opts::default(),
            );
        };
        let items = items.map_err(|e| reply_error(py, e.to_string().as_bytes()))?;
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            out.push(match it {
                Ok(obj) => obj,
                Err(raw) => this.dec.bulk(py, &raw)?,
            });
        }
        Ok(PyList::new(py, out)?.into_any())
    }

    /// Return the length of the list ``name``.
    fn llen<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        Self::one_key(slf, Fast::LLen, "LLEN", command!("llen"), name)
    }

    /// Add ``values`` to set ``name``.
    #[pyo3(signature = (name, *values))]
    fn sadd<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::push_many(slf, Fast::SAdd, "SADD", command!("sadd"), name, values)
    }

    /// Remove ``values`` from set ``name``.
    #[pyo3(signature = (name, *values))]
    fn srem<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::push_many(slf, Fast::SRem, "SREM", command!("srem"), name, values)
    }

    /// Return all members of the set ``name``.
    fn smembers<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::one_key(slf, Fast::SMembers, "SMEMBERS", command!("smembers"), name)
    }

    /// Return 1 if ``value`` is a member of set ``name``, else 0.
    fn sismember<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd("SISMEMBER");
        a.push(name, enc)?;
        a.push(value, enc)?;
        Client::call(slf, Fast::SIsMember, command!("sismember"), &a)
    }

    /// Return the number of elements in set ``name``.
    fn scard<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        Self::one_key(slf, Fast::SCard, "SCARD", command!("scard"), name)
    }

    /// Set any number of element-name, score pairs to the key ``name``.
    #[pyo3(signature = (name, mapping, nx=false, xx=false, ch=false, incr=false, gt=false, lt=false))]
    #[allow(clippy::too_many_arguments)]
    fn zadd<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        mapping: &Bound<'py, PyAny>,
        nx: bool,
        xx: bool,
        ch: bool,
        incr: bool,
        gt: bool,
        lt: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let enc = slf.get().encoding();
        if mapping.len()? == 0 {
            return Err(data_error(
                py,
                "ZADD requires at least one element/score pair",
            ));
        }
        if nx && xx {
            return Err(data_error(py, "ZADD allows either 'nx' or 'xx', not both"));
        }
        if gt && lt {
            return Err(data_error(py, "ZADD allows either 'gt' or 'lt', not both"));
        }
        if incr && mapping.len()? != 1 {
            return Err(data_error(
                py,
                "ZADD option 'incr' only works when passing a single element/score pair",
            ));
        }
        if nx && (gt || lt) {
            return Err(data_error(
                py,
                "Only one of 'nx', 'lt', or 'gr' may be defined.",
            ));
        }
        let mut a = Args::cmd("ZADD");
        a.push(name, enc)?;
        for (on, kw) in [
            (nx, &b"NX"[..]),
            (xx, b"XX"),
            (gt, b"GT"),
            (lt, b"LT"),
            (ch, b"CH"),
            (incr, b"INCR"),
        ] {
            if on {
                a.push_bytes(kw);
            }
        }
        if let Ok(d) = mapping.cast::<pyo3::types::PyDict>() {
            for (member, score) in d.iter() {
                a.push(&score, enc)?;
                a.push(&member, enc)?;
            }
        } else {
            for kv in mapping.call_method0("items")?.try_iter()? {
                let kv = kv?;
                a.push(&kv.get_item(1)?, enc)?;
                a.push(&kv.get_item(0)?, enc)?;
            }
        }
        if incr {
            let opts = Opts::native(Opts::AS_SCORE, None);
            return Client::call_opts(slf, Fast::ZAdd, command!("zadd"), &a, opts);
        }
        Client::call(slf, Fast::ZAdd, command!("zadd"), &a)
    }

    /// Return the score of element ``value`` in sorted set ``name``.
    fn zscore<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd("ZSCORE");
        a.push(name, enc)?;
        a.push(value, enc)?;
        Client::call(slf, Fast::ZScore, command!("zscore"), &a)
    }

    /// Increment the score of ``value`` in sorted set ``name`` by ``amount``.
    fn zincrby<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        amount: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd("ZINCRBY");
        a.push(name, enc)?;
        a.push(amount, enc)?;
        a.push(value, enc)?;
        Client::call(slf, Fast::ZIncrBy, command!("zincrby"), &a)
    }

    /// Return a range of values from sorted set ``name`` between ``start``
    /// and ``end`` sorted in descending order.
    #[pyo3(signature = (name, start, end, withscores=false, score_cast_func=None))]
    fn zrevrange<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        withscores: bool,
        score_cast_func: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        if withscores && score_cast_func.is_none() {
            if let Some(r) = Self::zrevrange_pairs(slf, name, start, end)? {
                return Ok(r);
            }
        }
        let mut a = Args::cmd("ZREVRANGE");
        a.push(name, enc)?;
        a.push(start, enc)?;
        a.push(end, enc)?;
        if !withscores {
            return Client::call(slf, Fast::ZRevRange, command!("zrevrange"), &a);
        }
        a.push_static(b"WITHSCORES");
        let opts = Opts::native(Opts::WITHSCORES, score_cast_func.map(Bound::unbind));
        Client::call_opts(slf, Fast::ZRevRange, command!("zrevrange"), &a, opts)
    }

    /// Returns the 0-based rank of ``value`` in sorted set ``name``.
    #[pyo3(signature = (name, value, withscore=false, score_cast_func=None))]
    fn zrank<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
        withscore: bool,
        score_cast_func: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd("ZRANK");
        a.push(name, enc)?;
        a.push(value, enc)?;
        if !withscore {
            return Client::call(slf, Fast::ZRank, command!("zrank"), &a);
        }
        a.push_static(b"WITHSCORE");
        let opts = Opts::native(Opts::WITHSCORE, score_cast_func.map(Bound::unbind));
        Client::call_opts(slf, Fast::ZRank, command!("zrank"), &a, opts)
    }

    /// Return the number of elements in the sorted set ``name``.
    fn zcard<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        Self::one_key(slf, Fast::ZCard, "ZCARD", command!("zcard"), name)
    }

    /// Remove member ``values`` from sorted set ``name``.
    #[pyo3(signature = (name, *values))]
    fn zrem<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::push_many(slf, Fast::ZRem, "ZREM", command!("zrem"), name, values)
    }
}

impl Client {
    /// `SET name value` with no options: the arguments go to the handler
    /// as borrowed slices, skipping the argument builder.
    #[inline]
    fn set_plain<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        let enc = this.encoding();
        let (k, v) = (arg(name, enc)?, arg(value, enc)?);
        let argv: [&[u8]; 3] = [b"SET", k.as_slice(), v.as_slice()];
        let (key, val) = (k.as_slice(), v.as_slice());
        let done = this.fast_write(
            Fast::Set,
            Native::SetResult,
            command!("set"),
            &argv,
            key,
            |db, now| string::store_plain(db, key, val, now),
        );
        if done.is_some() {
            // SET's default callback turns its OK into True.
            return Ok(pyo3::types::PyBool::new(slf.py(), true)
                .to_owned()
                .into_any());
        }
        Client::run_fast(slf, Fast::Set, command!("set"), &argv, Opts::default())
    }

    fn one_key<'py>(
        slf: &Bound<'py, Self>,
        fast: Fast,
        cmd_name: &'static str,
        cmd: Option<&'static crate::commands::Command>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut a = Args::cmd(cmd_name);
        a.push(name, slf.get().encoding())?;
        Client::call(slf, fast, cmd, &a)
    }

    fn push_many<'py>(
        slf: &Bound<'py, Self>,
        fast: Fast,
        cmd_name: &'static str,
        cmd: Option<&'static crate::commands::Command>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd(cmd_name);
        a.push(name, enc)?;
        for v in values.iter() {
            a.push(&v, enc)?;
        }
        Client::call(slf, fast, cmd, &a)
    }

    fn pop_generic<'py>(
        slf: &Bound<'py, Self>,
        fast: Fast,
        cmd_name: &'static str,
        cmd: Option<&'static crate::commands::Command>,
        name: &Bound<'py, PyAny>,
        count: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let enc = slf.get().encoding();
        let mut a = Args::cmd(cmd_name);
        a.push(name, enc)?;
        if let Some(c) = count {
            if !c.is_none() {
                a.push(c, enc)?;
            }
        }
        Client::call(slf, fast, cmd, &a)
    }
}

impl Client {
    /// ZREVRANGE WITHSCORES with int bounds and the default callback on
    /// the embedded engine: `(member, score)` tuples built from the
    /// sorted set directly, with no reply frames. `None` when the general
    /// path must answer.
    fn zrevrange_pairs<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        use pyo3::types::{PyInt, PyList};
        if !(start.is_exact_instance_of::<PyInt>() && end.is_exact_instance_of::<PyInt>()) {
            return Ok(None);
        }
        let (Ok(lo), Ok(hi)) = (start.extract::<i64>(), end.extract::<i64>()) else {
            return Ok(None);
        };
        let this = slf.get();
        let key = arg(name, this.encoding())?;
        let (lo_text, hi_text) = (crate::num::format_i64(lo), crate::num::format_i64(hi));
        let argv: [&[u8]; 5] = [
            b"ZREVRANGE",
            key.as_slice(),
            lo_text.as_bytes(),
            hi_text.as_bytes(),
            b"WITHSCORES",
        ];
        let Some(r) = this.fast_as(
            Fast::ZRevRange,
            Native::ScorePairs,
            command!("zrevrange"),
            &argv,
            |db, now| crate::commands::zset::rank_pairs(db, key.as_slice(), lo, hi, true, now),
        ) else {
            return Ok(None);
        };
        let py = slf.py();
        let items = r.map_err(|e| super::errors::reply_error(py, e.to_string().as_bytes()))?;
        let list = PyList::empty(py);
        for (member, score) in items {
            let m = this.dec.bulk(py, &member)?;
            list.append(PyTuple::new(py, [m, score.into_pyobject(py)?.into_any()])?)?;
        }
        Ok(Some(list.into_any()))
    }
}
