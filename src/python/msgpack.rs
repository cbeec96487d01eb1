//! MessagePack for Python values (`_redcore.msgpack_dumps/loads`), the
//! default serializer of `redcore.cache`.
//!
//! Python objects are streamed straight into rmp-serde's serializer (no
//! intermediate tree) and decoded through a serde visitor that builds the
//! Python objects. The mapping follows the `msgpack` package's defaults
//! (`use_bin_type=True`, `raw=False`, doubles for floats):
//!
//! | Python                     | MessagePack                   | loads as |
//! |----------------------------|-------------------------------|----------|
//! | None, bool                 | nil, true/false               | same     |
//! | int in [-2**63, 2**64)     | smallest int format           | int      |
//! | any other int              | ext type 1 (big-endian two's complement) | int |
//! | float                      | float 64                      | float    |
//! | str                        | str                           | str      |
//! | bytes, bytearray, memoryview | bin                         | bytes    |
//! | list, tuple                | array                         | list     |
//! | dict                       | map                           | dict     |
//!
//! Dict keys must be str, bytes, int, float, bool or None (they must come
//! back hashable). Anything else, nesting deeper than [`MAX_DEPTH`], and str
//! with lone surrogates raise `DataError`; so do malformed input, trailing
//! bytes and unknown ext types on loads. A str whose bytes are not UTF-8
//! loads as bytes.

use std::fmt;
use std::io::Cursor;

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use serde::de::Error as _;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::Error as _;
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

use super::errors;

/// The ext type code for integers outside 64 bits.
const BIGINT_EXT: i8 = 1;
/// Deepest nesting of arrays/maps accepted both ways (also keeps recursion
/// well inside a thread's stack).
const MAX_DEPTH: usize = 512;

/// A Python object being serialized, with its nesting depth.
struct Enc<'a, 'py> {
    obj: &'a Bound<'py, PyAny>,
    depth: usize,
}

/// Bytes serialized as a MessagePack bin (a plain `&[u8]` would be an array).
struct Bin<'a>(&'a [u8]);

impl Serialize for Bin<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn ser_err<E: ser::Error>(e: PyErr) -> E {
    E::custom(e.to_string())
}

impl<'a, 'py> Enc<'a, 'py> {
    fn child<'b>(&self, obj: &'b Bound<'py, PyAny>) -> Enc<'b, 'py> {
        Enc {
            obj,
            depth: self.depth + 1,
        }
    }

    fn nested<E: ser::Error>(&self) -> Result<(), E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!(
                "cannot serialize to MessagePack: nesting deeper than {MAX_DEPTH} levels (or a recursive structure)"
            )));
        }
        Ok(())
    }

    fn big_int<S: Serializer>(&self, i: &Bound<'py, PyInt>, s: S) -> Result<S::Ok, S::Error> {
        // Minimal two's complement: bit_length + 1 sign bit, rounded up.
        let bits: usize = i
            .call_method0("bit_length")
            .and_then(|b| b.extract())
            .map_err(ser_err)?;
        let kwargs = PyDict::new(i.py());
        kwargs.set_item("signed", true).map_err(ser_err)?;
        let raw = i
            .call_method("to_bytes", (bits / 8 + 1, "big"), Some(&kwargs))
            .map_err(ser_err)?;
        let raw = raw
            .cast::<PyBytes>()
            .map_err(|e| S::Error::custom(e.to_string()))?;
        s.serialize_newtype_struct(
            rmp_serde::MSGPACK_EXT_STRUCT_NAME,
            &(BIGINT_EXT, Bin(raw.as_bytes())),
        )
    }

    fn check_key<E: ser::Error>(key: &Bound<'py, PyAny>) -> Result<(), E> {
        let ok = key.is_none()
            || key.is_instance_of::<PyString>()
            || key.is_instance_of::<PyBytes>()
            || key.is_instance_of::<PyInt>()
            || key.is_instance_of::<PyFloat>();
        if ok {
            Ok(())
        } else {
            Err(E::custom(format!(
                "cannot serialize a dict key of type '{}' to MessagePack (keys must be str, bytes, int, float, bool or None)",
                type_name(key)
            )))
        }
    }
}

impl Serialize for Enc<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.obj;
        if o.is_none() {
            return s.serialize_unit();
        }
        // bool before int: bool is an int subclass.
        if let Ok(b) = o.cast::<PyBool>() {
            return s.serialize_bool(b.is_true());
        }
        if let Ok(i) = o.cast::<PyInt>() {
            if let Ok(v) = i.extract::<i64>() {
                return s.serialize_i64(v);
            }
            if let Ok(v) = i.extract::<u64>() {
                return s.serialize_u64(v);
            }
            return self.big_int(i, s);
        }
        if let Ok(f) = o.cast::<PyFloat>() {
            return s.serialize_f64(f.value());
        }
        if let Ok(text) = o.cast::<PyString>() {
            let text = text.to_str().map_err(|e| {
                S::Error::custom(format!("cannot serialize str to MessagePack: {e}"))
            })?;
            return s.serialize_str(text);
        }
        if let Ok(b) = o.cast::<PyBytes>() {
            return s.serialize_bytes(b.as_bytes());
        }
        if let Ok(b) = o.cast::<PyByteArray>() {
            return s.serialize_bytes(&b.to_vec());
        }
        if o.is_instance_of::<PyMemoryView>() {
            let raw: Vec<u8> = o
                .call_method0("tobytes")
                .and_then(|b| b.extract())
                .map_err(ser_err)?;
            return s.serialize_bytes(&raw);
        }
        if let Ok(list) = o.cast::<PyList>() {
            self.nested()?;
            let mut seq = s.serialize_seq(Some(list.len()))?;
            for item in list.iter() {
                seq.serialize_element(&self.child(&item))?;
            }
            return seq.end();
        }
        if let Ok(tuple) = o.cast::<PyTuple>() {
            self.nested()?;
            let mut seq = s.serialize_seq(Some(tuple.len()))?;
            for item in tuple.iter() {
                seq.serialize_element(&self.child(&item))?;
            }
            return seq.end();
        }
        if let Ok(dict) = o.cast::<PyDict>() {
            self.nested()?;
            let mut map = s.serialize_map(Some(dict.len()))?;
            for (k, v) in dict.iter() {
                Self::check_key::<S::Error>(&k)?;
                map.serialize_entry(&self.child(&k), &self.child(&v))?;
            }
            return map.end();
        }
        Err(S::Error::custom(format!(
            "cannot serialize an object of type '{}' to MessagePack",
            type_name(o)
        )))
    }
}

/// Builds Python objects from MessagePack.
#[derive(Clone, Copy)]
struct Dec<'py> {
    py: Python<'py>,
}

fn de_err<E: de::Error>(e: PyErr) -> E {
    E::custom(e.to_string())
}

impl<'de, 'py> DeserializeSeed<'de> for Dec<'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'py> Visitor<'de> for Dec<'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MessagePack value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(PyInt::new(self.py, v).into_any())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(PyInt::new(self.py, v).into_any())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(PyFloat::new(self.py, v).into_any())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.py, v).into_any())
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(PyBytes::new(self.py, v).into_any())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = PyList::empty(self.py);
        while let Some(item) = seq.next_element_seed(self)? {
            list.append(item).map_err(de_err)?;
        }
        Ok(list.into_any())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.py);
        while let Some(key) = map.next_key_seed(self)? {
            let value = map.next_value_seed(self)?;
            dict.set_item(&key, value).map_err(|_| {
                A::Error::custom(format!(
                    "cannot use a MessagePack {} as a dict key",
                    type_name(&key)
                ))
            })?;
        }
        Ok(dict.into_any())
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // rmp-serde hands ext values over as a newtype of (type, data).
        d.deserialize_any(ExtVisitor { py: self.py })
    }
}

struct ExtVisitor<'py> {
    py: Python<'py>,
}

impl<'de, 'py> Visitor<'de> for ExtVisitor<'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MessagePack ext value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let tag: i8 = seq
            .next_element()?
            .ok_or_else(|| A::Error::custom("truncated ext value"))?;
        let data = seq
            .next_element_seed(RawBytes)?
            .ok_or_else(|| A::Error::custom("truncated ext value"))?;
        if tag != BIGINT_EXT {
            return Err(A::Error::custom(format!(
                "unsupported MessagePack ext type {tag}"
            )));
        }
        if data.is_empty() {
            return Err(A::Error::custom("empty big-integer ext value"));
        }
        let kwargs = PyDict::new(self.py);
        kwargs.set_item("signed", true).map_err(de_err)?;
        self.py
            .get_type::<PyInt>()
            .call_method(
                "from_bytes",
                (PyBytes::new(self.py, &data), "big"),
                Some(&kwargs),
            )
            .map_err(de_err)
    }
}

/// An ext value's payload.
struct RawBytes;

impl<'de> DeserializeSeed<'de> for RawBytes {
    type Value = Vec<u8>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for RawBytes {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ext data")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
}

/// `msgpack_dumps(obj) -> bytes`: `obj` as MessagePack (see the module
/// docs for the type mapping); `DataError` for what it cannot encode.
#[pyfunction]
pub fn msgpack_dumps<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = Vec::with_capacity(64);
    let mut ser = rmp_serde::Serializer::new(&mut out);
    Enc { obj, depth: 0 }
        .serialize(&mut ser)
        .map_err(|e| errors::data_error(py, &e.to_string()))?;
    Ok(PyBytes::new(py, &out))
}

/// `msgpack_loads(data) -> object`: the value encoded in `data` (one
/// complete MessagePack value, nothing after it); `DataError` otherwise.
#[pyfunction]
pub fn msgpack_loads<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let raw: Vec<u8>;
    let bytes: &[u8] = if let Ok(b) = data.cast::<PyBytes>() {
        b.as_bytes()
    } else if let Ok(b) = data.cast::<PyByteArray>() {
        raw = b.to_vec();
        &raw
    } else if data.is_instance_of::<PyMemoryView>() {
        raw = data.call_method0("tobytes")?.extract()?;
        &raw
    } else {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "msgpack_loads() expects bytes, not '{}'",
            type_name(data)
        )));
    };
    let mut de = rmp_serde::Deserializer::new(Cursor::new(bytes));
    de.set_max_depth(MAX_DEPTH);
    let value = Dec { py }
        .deserialize(&mut de)
        .map_err(|e| errors::data_error(py, &format!("invalid MessagePack data: {e}")))?;
    let used = de.position();
    if used != bytes.len() as u64 {
        return Err(errors::data_error(
            py,
            &format!(
                "invalid MessagePack data: {} extra bytes after the value",
                bytes.len() as u64 - used
            ),
        ));
    }
    Ok(value)
}
