//! Types and values: [`Type`], [`Value`] (null, unknown with its [`Refinements`], known, or
//! dynamic with its type), and what the codecs share about them.

use std::collections::BTreeMap;

use super::number::Number;

/// How deeply decoded values may nest (dynamic values bring their own types, so the
/// schema alone does not bound this).
pub const MAX_DEPTH: usize = 128;

/// A cty type. Object attributes are kept sorted by name, as cty orders them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Bool,
    Number,
    String,
    /// `DynamicPseudoType`: the concrete type travels with the value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// What Terraform (>= 1.6) may promise about an unknown value. Everything is optional;
/// a codec that cannot use a refinement keeps it opaque rather than failing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refinements {
    pub not_null: bool,
    pub string_prefix: Option<String>,
    pub number_lower: Option<(Number, bool)>,
    pub number_upper: Option<(Number, bool)>,
    pub length_lower: Option<u64>,
    pub length_upper: Option<u64>,
}

/// A cty value. Values do not carry their type (except where dynamic): codecs
/// decode and encode against the schema's `Type`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// Boxed: unknowns are rare, and every other value would otherwise be as large.
    Unknown(Box<Refinements>),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value in a `Dynamic` position: its concrete type and the value of that type.
    Dynamic(Box<Type>, Box<Value>),
}

impl Type {
    /// An object type from (attribute, type) pairs, as schemas and state layouts list them.
    pub fn object<'a>(attrs: impl IntoIterator<Item = (&'a str, Type)>) -> Type {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.to_string(), t)).collect())
    }

    /// How errors name a type's kind: "a list", "an object".
    pub fn kind_name(&self) -> &'static str {
        match self {
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
}

impl Refinements {
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }

    /// Only the refinements that mean something for `ty` (Terraform rejects, say, a string
    /// prefix on a number), minus those that promise nothing (an empty prefix, length >= 0).
    pub fn applicable_to(&self, ty: &Type) -> Refinements {
        let collection = matches!(ty, Type::List(_) | Type::Set(_) | Type::Map(_));
        Refinements {
            not_null: self.not_null && *ty != Type::Dynamic,
            string_prefix: match ty {
                Type::String => self.string_prefix.clone().filter(|p| !p.is_empty()),
                _ => None,
            },
            number_lower: self.number_lower.clone().filter(|_| *ty == Type::Number),
            number_upper: self.number_upper.clone().filter(|_| *ty == Type::Number),
            length_lower: self.length_lower.filter(|&n| collection && n > 0),
            length_upper: self.length_upper.filter(|_| collection),
        }
    }
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this value itself is unknown (its elements may be unknown either way).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// Whether this value is wholly known: no unknown anywhere inside it.
    pub fn is_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_known)
            }
            Value::Map(items) | Value::Object(items) => items.values().all(Value::is_known),
            Value::Dynamic(_, inner) => inner.is_known(),
        }
    }

    /// The text of a known string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A known number that is a whole number in i64 range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// An object's attribute, looking through a dynamic wrapper: null when the value is not
    /// an object or has no such attribute (Terraform reads an absent attribute as null).
    pub fn attr(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Object(attrs) => attrs.get(name).unwrap_or(&NULL),
            Value::Dynamic(_, inner) => inner.attr(name),
            _ => &NULL,
        }
    }

    /// Semantic equality: like `==`, except that sets compare as unordered collections.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
            }
            (Value::Set(a), Value::Set(b)) => same_elements(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.same_as(vb))
            }
            (Value::Dynamic(ta, va), Value::Dynamic(tb, vb)) => ta == tb && va.same_as(vb),
            _ => self == other,
        }
    }
}

/// Multiset equality under `same_as`. Greedy matching suffices because `same_as` is an
/// equivalence relation.
fn same_elements(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut unmatched: Vec<&Value> = b.iter().collect();
    a.iter()
        .all(|x| match unmatched.iter().position(|y| x.same_as(y)) {
            Some(i) => {
                unmatched.swap_remove(i);
                true
            }
            None => false,
        })
}
