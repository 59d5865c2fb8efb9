//! The msgpack wire form of values (`DynamicValue.msgpack`), per Terraform's
//! `object-wire-format.md`. Decoding is driven by the expected type and is bounded:
//! hostile input yields an error, never a panic, a stack overflow or a huge allocation.

use std::collections::BTreeMap;

use super::path::{DecodeError, EncodeError, Path, Step};
use super::{Number, Refinements, Type, Value};

/// How deeply values may nest (dynamic values bring their own types, so the schema
/// alone does not bound this).
pub const MAX_DEPTH: usize = 128;

/// Extension type of an unknown value that carries refinements.
const EXT_REFINED_UNKNOWN: i8 = 12;

/// Refinement map keys.
const REFINE_NULLNESS: i64 = 1;
const REFINE_STRING_PREFIX: i64 = 2;
const REFINE_NUMBER_LOWER: i64 = 3;
const REFINE_NUMBER_UPPER: i64 = 4;
const REFINE_LENGTH_LOWER: i64 = 5;
const REFINE_LENGTH_UPPER: i64 = 6;

/// Terraform's decoder refuses refinement payloads over 1 KiB; prefixes are cut well below.
const MAX_PREFIX_BYTES: usize = 255;

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

pub fn encode(v: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut encoder = Encoder {
        out: Vec::new(),
        path: Vec::new(),
    };
    encoder.value(v, ty)?;
    Ok(encoder.out)
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
            (ty, other) => Err(self.expected(kind_name(ty), &other)),
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

/// How errors name a type's kind: "a list", "an object".
pub fn kind_name(ty: &Type) -> &'static str {
    match ty {
        Type::Bool => "a bool",
        Type::Number => "a number",
        Type::String => "a string",
        Type::Dynamic => "a dynamic value",
        Type::List(_) => "a list",
        Type::Set(_) => "a set",
        Type::Map(_) => "a map",
        Type::Object(_) => "an object",
        Type::Tuple(_) => "a tuple",
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

struct Encoder<'v> {
    out: Vec<u8>,
    path: Vec<Step<'v>>,
}

impl<'v> Encoder<'v> {
    fn error(&self, message: impl Into<String>) -> EncodeError {
        EncodeError {
            path: Path::of(&self.path),
            message: message.into(),
        }
    }

    fn value(&mut self, v: &'v Value, ty: &'v Type) -> Result<(), EncodeError> {
        match (ty, v) {
            (_, Value::Null) => self.out.push(0xc0),
            (_, Value::Unknown(refinements)) => self.unknown(&refinements.applicable_to(ty)),
            (Type::Dynamic, Value::Dynamic(_, inner)) if matches!(**inner, Value::Dynamic(..)) => {
                return Err(self.error("a dynamic value cannot directly wrap another"))
            }
            (Type::Dynamic, Value::Dynamic(inner_ty, _)) if **inner_ty == Type::Dynamic => {
                return Err(self.error("a dynamic value needs a concrete type"))
            }
            (Type::Dynamic, Value::Dynamic(inner_ty, inner)) => {
                write_array_len(&mut self.out, 2);
                write_bin(&mut self.out, &inner_ty.to_json_bytes());
                self.value(inner, inner_ty)?;
            }
            (Type::Dynamic, _) => {
                return Err(self
                    .error("a value in a dynamic position must carry its type (Value::Dynamic)"))
            }
            (Type::Bool, Value::Bool(b)) => self.out.push(if *b { 0xc3 } else { 0xc2 }),
            (Type::Number, Value::Number(n)) => write_number(&mut self.out, n),
            (Type::String, Value::String(s)) => write_str(&mut self.out, s),
            (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
                write_array_len(&mut self.out, items.len());
                for (i, item) in items.iter().enumerate() {
                    self.path.push(Step::Index(i as u64));
                    self.value(item, elem)?;
                    self.path.pop();
                }
            }
            (Type::Tuple(elems), Value::Tuple(items)) => {
                if elems.len() != items.len() {
                    return Err(self.error(format!(
                        "expected a tuple of {} elements, found {}",
                        elems.len(),
                        items.len()
                    )));
                }
                write_array_len(&mut self.out, items.len());
                for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                    self.path.push(Step::Index(i as u64));
                    self.value(item, elem)?;
                    self.path.pop();
                }
            }
            (Type::Map(elem), Value::Map(entries)) => {
                write_map_len(&mut self.out, entries.len());
                for (key, item) in entries {
                    self.path.push(Step::Key(key));
                    write_str(&mut self.out, key);
                    self.value(item, elem)?;
                    self.path.pop();
                }
            }
            (Type::Object(attrs), Value::Object(values)) => {
                if let Some(extra) = values.keys().find(|k| !attrs.contains_key(*k)) {
                    self.path.push(Step::Attr(extra));
                    return Err(self.error("attribute not in the type"));
                }
                // Every attribute is written; one missing from the value is null.
                write_map_len(&mut self.out, attrs.len());
                for (name, attr_ty) in attrs {
                    self.path.push(Step::Attr(name));
                    write_str(&mut self.out, name);
                    self.value(values.get(name).unwrap_or(&Value::Null), attr_ty)?;
                    self.path.pop();
                }
            }
            (ty, _) => return Err(self.error(format!("expected {}", kind_name(ty)))),
        }
        Ok(())
    }

    /// A plain unknown is the compact ext 0 (what Terraform writes); a refined one is
    /// ext 12 with a map of at least one refinement.
    fn unknown(&mut self, refinements: &Refinements) {
        if refinements.is_empty() {
            self.out.extend_from_slice(&[0xd4, 0, 0]);
            return;
        }
        let mut entries = Vec::new();
        let mut count = 0;
        let mut entry = |key: i64, write: &dyn Fn(&mut Vec<u8>)| {
            write_int(&mut entries, key);
            write(&mut entries);
            count += 1;
        };
        if refinements.not_null {
            entry(REFINE_NULLNESS, &|out| out.push(0xc2));
        }
        if let Some(prefix) = &refinements.string_prefix {
            entry(REFINE_STRING_PREFIX, &|out| {
                write_str(out, truncate_prefix(prefix))
            });
        }
        for (key, bound) in [
            (REFINE_NUMBER_LOWER, &refinements.number_lower),
            (REFINE_NUMBER_UPPER, &refinements.number_upper),
        ] {
            if let Some((n, inclusive)) = bound {
                entry(key, &|out| {
                    write_array_len(out, 2);
                    write_number(out, n);
                    out.push(if *inclusive { 0xc3 } else { 0xc2 });
                });
            }
        }
        for (key, bound) in [
            (REFINE_LENGTH_LOWER, refinements.length_lower),
            (REFINE_LENGTH_UPPER, refinements.length_upper),
        ] {
            if let Some(n) = bound {
                entry(key, &|out| write_uint(out, n));
            }
        }
        let mut payload = Vec::with_capacity(entries.len() + 5);
        write_map_len(&mut payload, count);
        payload.extend_from_slice(&entries);
        write_ext(&mut self.out, EXT_REFINED_UNKNOWN, &payload);
    }
}

/// A shorter prefix is a weaker (still true) promise, so cutting it is always safe.
fn truncate_prefix(prefix: &str) -> &str {
    if prefix.len() <= MAX_PREFIX_BYTES {
        return prefix;
    }
    let mut end = MAX_PREFIX_BYTES;
    while !prefix.is_char_boundary(end) {
        end -= 1;
    }
    // Drop one more character: it might combine with what follows it.
    let cut = &prefix[..end];
    cut.char_indices().last().map_or(cut, |(i, _)| &cut[..i])
}

/// As Terraform does: an integer if it fits i64, a float if one holds it exactly,
/// otherwise its decimal text.
fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.as_i64() {
        write_int(out, i);
    } else if !n.is_integer() && n.is_exact_f64() {
        out.push(0xcb);
        out.extend_from_slice(&n.as_f64().to_be_bytes());
    } else {
        write_str(out, &n.to_string());
    }
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    match n {
        0.. => write_uint(out, n.unsigned_abs()),
        -32..=-1 => out.push(n as u8),
        _ if n >= i64::from(i8::MIN) => {
            out.push(0xd0);
            out.push(n as u8);
        }
        _ if n >= i64::from(i16::MIN) => {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        }
        _ if n >= i64::from(i32::MIN) => {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn write_uint(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0x7f => out.push(n as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(0xcf);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// Writes a length header: the fix form when `len` fits, else 8/16/32-bit forms from
/// `markers` (any of which may be unused, as 0).
fn write_header(out: &mut Vec<u8>, len: usize, fix: Option<(u8, usize)>, markers: [u8; 3]) {
    match (fix, len) {
        (Some((base, max)), _) if len <= max => out.push(base | len as u8),
        (_, 0..=0xff) if markers[0] != 0 => out.extend_from_slice(&[markers[0], len as u8]),
        (_, 0..=0xffff) => {
            out.push(markers[1]);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(markers[2]);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    write_header(out, s.len(), Some((0xa0, 31)), [0xd9, 0xda, 0xdb]);
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, bytes: &[u8]) {
    write_header(out, bytes.len(), None, [0xc4, 0xc5, 0xc6]);
    out.extend_from_slice(bytes);
}

fn write_array_len(out: &mut Vec<u8>, len: usize) {
    write_header(out, len, Some((0x90, 15)), [0, 0xdc, 0xdd]);
}

fn write_map_len(out: &mut Vec<u8>, len: usize) {
    write_header(out, len, Some((0x80, 15)), [0, 0xde, 0xdf]);
}

fn write_ext(out: &mut Vec<u8>, code: i8, payload: &[u8]) {
    match payload.len() {
        1 => out.push(0xd4),
        2 => out.push(0xd5),
        4 => out.push(0xd6),
        8 => out.push(0xd7),
        16 => out.push(0xd8),
        n => write_header(out, n, None, [0xc7, 0xc8, 0xc9]),
    }
    out.push(code as u8);
    out.extend_from_slice(payload);
}
