//! Decoding a payload while noticing whether its top-level object names a WeChat status
//! (`errcode` or `base_resp`), in the same pass.
//!
//! A success answer has to be decoded anyway; looking at its top-level keys as the decoder
//! meets them costs a comparison per key, where searching the body for the names first costs
//! passes over all of it. Keys are seen after JSON unescaping, so `"err\u0063ode"` counts.
//! Only the top level is watched, which is where [`api_error`](super::api_error) looks too.
//!
//! The wrappers forward every call unchanged; they only add the look at each key.

use core::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

/// Deserializes `T` from `de`, setting `*named` when the top-level object has a key `errcode`
/// or `base_resp`.
pub(super) fn deserialize<'de, T, D>(de: D, named: &mut bool) -> Result<T, D::Error>
where
    T: de::Deserialize<'de>,
    D: Deserializer<'de>,
{
    T::deserialize(Watch::<_, TopLevel>::new(de, named))
}

fn is_status_key(key: &[u8]) -> bool {
    matches!(key, b"errcode" | b"base_resp")
}

/// A deserializer, visitor, map or seed wrapped to watch for status keys. At the top level
/// (`TopLevel`) the deserializer hands its visitor on wrapped, so that the object (found
/// directly, through an `Option` or a newtype) is read through a wrapped map, whose keys are
/// read with wrapped seeds (`KeyLevel`), whose visitors look at the key text.
struct Watch<'n, T, Level> {
    inner: T,
    named: &'n mut bool,
    level: PhantomData<Level>,
}

impl<'n, T, Level> Watch<'n, T, Level> {
    #[inline(always)]
    fn new(inner: T, named: &'n mut bool) -> Self {
        Self {
            inner,
            named,
            level: PhantomData,
        }
    }
}

/// The top-level value and object.
enum TopLevel {}
/// One key of the top-level object.
enum KeyLevel {}

/// Forwards each listed `deserialize_*` method of a wrapper to its inner deserializer, wrapping
/// the visitor with `$wrap`.
macro_rules! forward_deserializer {
    ($level:ident; $($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        #[inline(always)]
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
            self.inner.$method($($arg,)* Watch::<_, $level>::new(visitor, self.named))
        }
    )*};
}

macro_rules! all_deserialize_methods {
    ($mac:ident!($($pre:tt)*)) => {
        $mac! { $($pre)*
            deserialize_any() deserialize_bool() deserialize_i8() deserialize_i16()
            deserialize_i32() deserialize_i64() deserialize_i128() deserialize_u8()
            deserialize_u16() deserialize_u32() deserialize_u64() deserialize_u128()
            deserialize_f32() deserialize_f64() deserialize_char() deserialize_str()
            deserialize_string() deserialize_bytes() deserialize_byte_buf() deserialize_option()
            deserialize_unit() deserialize_unit_struct(name: &'static str)
            deserialize_newtype_struct(name: &'static str) deserialize_seq()
            deserialize_tuple(len: usize) deserialize_tuple_struct(name: &'static str, len: usize)
            deserialize_map() deserialize_struct(name: &'static str, fields: &'static [&'static str])
            deserialize_enum(name: &'static str, variants: &'static [&'static str])
            deserialize_identifier() deserialize_ignored_any()
        }
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Watch<'_, D, TopLevel> {
    type Error = D::Error;

    all_deserialize_methods!(forward_deserializer!(TopLevel;));

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Forwards each listed `visit_*` method with one argument to the inner visitor.
macro_rules! forward_visits {
    ($($method:ident($ty:ty))*) => {$(
        #[inline(always)]
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

macro_rules! forward_plain_visits {
    () => {
        forward_visits! {
            visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
            visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
            visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char)
        }

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            self.inner.expecting(f)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_none()
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_unit()
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            self.inner.visit_seq(seq)
        }

        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            self.inner.visit_enum(data)
        }
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Watch<'_, V, TopLevel> {
    type Value = V::Value;

    forward_plain_visits!();
    forward_visits! {
        visit_str(&str) visit_borrowed_str(&'de str) visit_string(alloc::string::String)
        visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(alloc::vec::Vec<u8>)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_some(Watch::<_, TopLevel>::new(d, self.named))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner
            .visit_newtype_struct(Watch::<_, TopLevel>::new(d, self.named))
    }

    #[inline(always)]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(Watch::<_, TopLevel>::new(map, self.named))
    }
}

/// The top-level object: each key is read through a `KeyLevel` seed, values pass untouched.
impl<'de, A: MapAccess<'de>> MapAccess<'de> for Watch<'_, A, TopLevel> {
    type Error = A::Error;

    #[inline(always)]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(Watch::<_, KeyLevel>::new(seed, self.named))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for Watch<'_, K, KeyLevel> {
    type Value = K::Value;

    #[inline(always)]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K::Value, D::Error> {
        self.inner.deserialize(Watch::<_, KeyLevel>::new(d, self.named))
    }
}

/// One top-level key: whatever the key's type asks for, the text it gets is looked at.
impl<'de, D: Deserializer<'de>> Deserializer<'de> for Watch<'_, D, KeyLevel> {
    type Error = D::Error;

    all_deserialize_methods!(forward_deserializer!(KeyLevel;));

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

#[inline(always)]
fn look(named: &mut bool, key: &[u8]) {
    *named |= is_status_key(key);
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Watch<'_, V, KeyLevel> {
    type Value = V::Value;

    forward_plain_visits!();

    #[inline(always)]
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        look(self.named, v.as_bytes());
        self.inner.visit_str(v)
    }

    #[inline(always)]
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        look(self.named, v.as_bytes());
        self.inner.visit_borrowed_str(v)
    }

    #[inline(always)]
    fn visit_string<E: de::Error>(self, v: alloc::string::String) -> Result<Self::Value, E> {
        look(self.named, v.as_bytes());
        self.inner.visit_string(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        look(self.named, v);
        self.inner.visit_bytes(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        look(self.named, v);
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(self, v: alloc::vec::Vec<u8>) -> Result<Self::Value, E> {
        look(self.named, &v);
        self.inner.visit_byte_buf(v)
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        self.inner.visit_some(d)
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        self.inner.visit_newtype_struct(d)
    }

    #[inline(always)]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(map)
    }
}
