//! Encoding values in the msgpack form as Terraform writes it: the shortest header for
//! each length, numbers as integers or exact floats when they can be, refined unknowns as
//! extension 12.

use super::unknown::{
    EXT_REFINED_UNKNOWN, REFINE_LENGTH_LOWER, REFINE_LENGTH_UPPER, REFINE_NULLNESS,
    REFINE_NUMBER_LOWER, REFINE_NUMBER_UPPER, REFINE_STRING_PREFIX,
};
use crate::plugin::cty::number::Number;
use crate::plugin::cty::path::{EncodeError, Path, Step};
use crate::plugin::cty::value::{Refinements, Type, Value};

/// Terraform's decoder refuses refinement payloads over 1 KiB; prefixes are cut well below.
const MAX_PREFIX_BYTES: usize = 255;

pub fn encode(v: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut encoder = Encoder {
        out: Vec::new(),
        path: Vec::new(),
    };
    encoder.value(v, ty)?;
    Ok(encoder.out)
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
            (ty, _) => return Err(self.error(format!("expected {}", ty.kind_name()))),
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
