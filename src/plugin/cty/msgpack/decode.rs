//! Decoding the msgpack form, driven by the expected type and bounded: hostile input yields
//! an error, never a panic, a stack overflow or a huge allocation.

use std::collections::BTreeMap;

use super::unknown::{
    EXT_REFINED_UNKNOWN, REFINE_LENGTH_LOWER, REFINE_LENGTH_UPPER, REFINE_NULLNESS,
    REFINE_NUMBER_LOWER, REFINE_NUMBER_UPPER, REFINE_STRING_PREFIX,
};
use crate::plugin::cty::number::Number;
use crate::plugin::cty::path::{DecodeError, Path, Step};
use crate::plugin::cty::value::{Refinements, Type, Value, MAX_DEPTH};

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut decoder = Decoder {
        reader: Reader { buf: bytes, pos: 0 },
        path: Vec::new(),
        depth: 0,
    };
    let value = decoder.value(ty)?;
    if decoder.reader.pos != bytes.len() {
        return Err(decoder.error("unexpected bytes after the value"));
    }
    Ok(value)
}

/// One msgpack item. Strings, binaries and extensions come with their payload;
/// arrays and maps with their length (their elements follow).
#[derive(Clone, Copy)]
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext(i8, &'a [u8]),
}

impl Item<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Item::Nil => "nil",
            Item::Bool(_) => "a boolean",
            Item::Int(_) | Item::UInt(_) | Item::Float(_) => "a number",
            Item::Str(_) => "a string",
            Item::Bin(_) => "binary data",
            Item::Array(_) => "an array",
            Item::Map(_) => "a map",
            Item::Ext(..) => "an extension",
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    fn be<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn len(&mut self, width: usize) -> Option<usize> {
        let n = match width {
            1 => u64::from(self.be::<1>()?[0]),
            2 => u64::from(u16::from_be_bytes(self.be()?)),
            _ => u64::from(u32::from_be_bytes(self.be()?)),
        };
        usize::try_from(n).ok()
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next item, or `None` if the input is truncated or uses the reserved marker.
    fn item(&mut self) -> Option<Item<'a>> {
        let marker = self.be::<1>()?[0];
        Some(match marker {
            0x00..=0x7f => Item::Int(i64::from(marker)),
            0x80..=0x8f => Item::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Item::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(marker & 0x1f))?),
            0xc0 => Item::Nil,
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (marker - 0xc4))?;
                Item::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (marker - 0xc7))?;
                let code = i8::from_be_bytes(self.be()?);
                Item::Ext(code, self.take(n)?)
            }
            0xca => Item::Float(f64::from(f32::from_be_bytes(self.be()?))),
            0xcb => Item::Float(f64::from_be_bytes(self.be()?)),
            0xcc => Item::UInt(u64::from(u8::from_be_bytes(self.be()?))),
            0xcd => Item::UInt(u64::from(u16::from_be_bytes(self.be()?))),
            0xce => Item::UInt(u64::from(u32::from_be_bytes(self.be()?))),
            0xcf => Item::UInt(u64::from_be_bytes(self.be()?)),
            0xd0 => Item::Int(i64::from(i8::from_be_bytes(self.be()?))),
            0xd1 => Item::Int(i64::from(i16::from_be_bytes(self.be()?))),
            0xd2 => Item::Int(i64::from(i32::from_be_bytes(self.be()?))),
            0xd3 => Item::Int(i64::from_be_bytes(self.be()?)),
            0xd4..=0xd8 => {
                let code = i8::from_be_bytes(self.be()?);
                Item::Ext(code, self.take(1 << (marker - 0xd4))?)
            }
            0xd9..=0xdb => {
                let n = self.len(1 << (marker - 0xd9))?;
                Item::Str(self.take(n)?)
            }
            0xdc | 0xdd => Item::Array(self.len(2 << (marker - 0xdc))?),
            0xde | 0xdf => Item::Map(self.len(2 << (marker - 0xde))?),
            0xe0..=0xff => Item::Int(i64::from(marker as i8)),
            0xc1 => return None,
        })
    }

    /// Skips one whole item, iteratively (no recursion to exhaust).
    fn skip(&mut self) -> Option<()> {
        let mut pending: usize = 1;
        while pending > 0 {
            pending -= 1;
            match self.item()? {
                Item::Array(n) => pending = pending.checked_add(n)?,
                Item::Map(n) => pending = pending.checked_add(n.checked_mul(2)?)?,
                _ => {}
            }
            // Every pending item needs at least one byte.
            if pending > self.remaining() {
                return None;
            }
        }
        Some(())
    }
}

fn number_from_item(item: &Item) -> Option<Number> {
    match *item {
        Item::Int(n) => Some(Number::from_i64(n)),
        Item::UInt(n) => Some(Number::from_u64(n)),
        Item::Float(f) => Number::from_f64(f),
        Item::Str(text) => std::str::from_utf8(text).ok()?.parse().ok(),
        _ => None,
    }
}

struct Decoder<'a> {
    reader: Reader<'a>,
    path: Vec<Step<'a>>,
    depth: usize,
}

impl<'a> Decoder<'a> {
    fn error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError {
            path: Path::of(&self.path),
            message: message.into(),
        }
    }

    fn item(&mut self) -> Result<Item<'a>, DecodeError> {
        self.reader
            .item()
            .ok_or_else(|| self.error("truncated or malformed msgpack"))
    }

    fn expected(&self, what: &str, found: &Item) -> DecodeError {
        self.error(format!("expected {what}, found {}", found.describe()))
    }

    fn value(&mut self, ty: &Type) -> Result<Value, DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("value nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let value = self.value_inner(ty);
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self, ty: &Type) -> Result<Value, DecodeError> {
        let item = self.item()?;
        match (ty, item) {
            // Any extension is an unknown; only type 12 carries refinements.
            (_, Item::Ext(code, payload)) => Ok(Value::Unknown(Box::new(match code {
                EXT_REFINED_UNKNOWN => decode_refinements(payload, ty).unwrap_or_default(),
                _ => Refinements::default(),
            }))),
            (_, Item::Nil) => Ok(Value::Null),
            (Type::Dynamic, Item::Array(2)) => self.dynamic(),
            (Type::Dynamic, other) => Err(self.expected("a [type, value] pair", &other)),
            (Type::Bool, Item::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Number, Item::Str(_)) => number_from_item(&item)
                .map(Value::Number)
                .ok_or_else(|| self.error("a string that is not a decimal number")),
            (Type::Number, Item::Int(_) | Item::UInt(_) | Item::Float(_)) => {
                number_from_item(&item)
                    .map(Value::Number)
                    .ok_or_else(|| self.error("numbers must be finite"))
            }
            (Type::String, Item::Str(bytes) | Item::Bin(bytes)) => match std::str::from_utf8(bytes)
            {
                Ok(s) => Ok(Value::String(s.to_owned())),
                Err(_) => Err(self.error("string is not valid UTF-8")),
            },
            (Type::List(elem), Item::Array(n)) => {
                self.elements(n, |_| elem.as_ref()).map(Value::List)
            }
            (Type::Set(elem), Item::Array(n)) => {
                self.elements(n, |_| elem.as_ref()).map(Value::Set)
            }
            (Type::Tuple(elems), Item::Array(n)) if n == elems.len() => {
                self.elements(n, |i| &elems[i]).map(Value::Tuple)
            }
            (Type::Tuple(elems), Item::Array(n)) => Err(self.error(format!(
                "expected a tuple of {} elements, found {n}",
                elems.len()
            ))),
            (Type::Map(elem), Item::Map(n)) => self.map_entries(n, elem).map(Value::Map),
            (Type::Object(attrs), Item::Map(n)) => self.object(n, attrs).map(Value::Object),
            (ty, other) => Err(self.expected(ty.kind_name(), &other)),
        }
    }

    fn dynamic(&mut self) -> Result<Value, DecodeError> {
        let ty = match self.item()? {
            Item::Bin(json) | Item::Str(json) => {
                Type::from_json_bytes(json).map_err(|e| self.error(e.message))?
            }
            other => return Err(self.expected("a JSON type description", &other)),
        };
        if ty == Type::Dynamic {
            return Err(self.error("a dynamic value's type must be concrete"));
        }
        let value = self.value(&ty)?;
        Ok(Value::Dynamic(Box::new(ty), Box::new(value)))
    }

    fn elements<'t>(
        &mut self,
        n: usize,
        elem_type: impl Fn(usize) -> &'t Type,
    ) -> Result<Vec<Value>, DecodeError> {
        // Each element takes at least one byte: never trust the header for the capacity.
        let mut items = Vec::with_capacity(n.min(self.reader.remaining()));
        for i in 0..n {
            self.path.push(Step::Index(i as u64));
            items.push(self.value(elem_type(i))?);
            self.path.pop();
        }
        Ok(items)
    }

    /// An object's attributes. Terraform writes them in the type's (sorted) order, so the
    /// type is walked alongside; other orders fall back to lookups. Omitted ones are null.
    fn object(
        &mut self,
        n: usize,
        attrs: &BTreeMap<String, Type>,
    ) -> Result<BTreeMap<String, Value>, DecodeError> {
        let mut given: Vec<(&'a str, Value)> = Vec::with_capacity(n.min(attrs.len()));
        let mut ahead = attrs.iter().peekable();
        for _ in 0..n {
            let key = self.key()?;
            self.path.push(Step::Attr(key));
            while ahead.next_if(|(name, _)| name.as_str() < key).is_some() {}
            let ty = match ahead.next_if(|(name, _)| name.as_str() == key) {
                Some((_, ty)) => ty,
                None => attrs
                    .get(key)
                    .ok_or_else(|| self.error("unsupported attribute"))?,
            };
            let value = self.value(ty)?;
            self.path.pop();
            given.push((key, value));
        }
        // Already sorted when written in order, which sorting finds in one pass.
        given.sort_by(|a, b| a.0.cmp(b.0));
        if let Some(pair) = given.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            self.path.push(Step::Attr(pair[0].0));
            return Err(self.error("duplicate key"));
        }
        let mut given = given.into_iter().peekable();
        Ok(attrs
            .keys()
            .map(|name| {
                let value = given.next_if(|(key, _)| *key == name.as_str());
                (name.clone(), value.map_or(Value::Null, |(_, v)| v))
            })
            .collect())
    }

    fn key(&mut self) -> Result<&'a str, DecodeError> {
        match self.item()? {
            Item::Str(bytes) => {
                std::str::from_utf8(bytes).map_err(|_| self.error("key is not valid UTF-8"))
            }
            other => Err(self.expected("a string key", &other)),
        }
    }

    /// A map's elements, all of type `elem`.
    fn map_entries(
        &mut self,
        n: usize,
        elem: &Type,
    ) -> Result<BTreeMap<String, Value>, DecodeError> {
        let mut entries = BTreeMap::new();
        for _ in 0..n {
            let key = self.key()?;
            self.path.push(Step::Key(key));
            if entries.contains_key(key) {
                return Err(self.error("duplicate key"));
            }
            let value = self.value(elem)?;
            self.path.pop();
            entries.insert(key.to_owned(), value);
        }
        Ok(entries)
    }
}

/// Reads a refinement map. `None` if it is malformed: refinements are optional, so
/// the value then stays a plain unknown. Unknown keys and refinements that do not
/// apply to `ty` are skipped.
fn decode_refinements(payload: &[u8], ty: &Type) -> Option<Refinements> {
    let mut reader = Reader {
        buf: payload,
        pos: 0,
    };
    let Item::Map(n) = reader.item()? else {
        return None;
    };
    let mut refinements = Refinements::default();
    for _ in 0..n {
        let key = match reader.item()? {
            Item::Int(k) => k,
            Item::UInt(k) => i64::try_from(k).unwrap_or(i64::MAX),
            _ => return None,
        };
        match key {
            REFINE_NULLNESS => match reader.item()? {
                // "Definitely null" is never sent in practice (it would be a known null).
                Item::Bool(is_null) => refinements.not_null = !is_null,
                _ => return None,
            },
            REFINE_STRING_PREFIX => match reader.item()? {
                Item::Str(prefix) => {
                    refinements.string_prefix = Some(std::str::from_utf8(prefix).ok()?.to_owned())
                }
                _ => return None,
            },
            REFINE_NUMBER_LOWER | REFINE_NUMBER_UPPER => {
                let Item::Array(2) = reader.item()? else {
                    return None;
                };
                let bound = number_from_item(&reader.item()?)?;
                let Item::Bool(inclusive) = reader.item()? else {
                    return None;
                };
                match key {
                    REFINE_NUMBER_LOWER => refinements.number_lower = Some((bound, inclusive)),
                    _ => refinements.number_upper = Some((bound, inclusive)),
                }
            }
            REFINE_LENGTH_LOWER | REFINE_LENGTH_UPPER => {
                let bound = match reader.item()? {
                    Item::Int(n) => u64::try_from(n).ok()?,
                    Item::UInt(n) => n,
                    _ => return None,
                };
                match key {
                    REFINE_LENGTH_LOWER => refinements.length_lower = Some(bound),
                    _ => refinements.length_upper = Some(bound),
                }
            }
            _ => reader.skip()?,
        }
    }
    // Trailing bytes are allowed: the format reserves them for future use.
    Some(refinements.applicable_to(ty))
}
