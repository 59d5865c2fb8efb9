use std::collections::BTreeMap;

use super::Number;

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
    Unknown(Refinements),
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

// TEMPORARY until the codec branch lands: type JSON for schemas.
impl Type {
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Object(attrs) => {
                let m: serde_json::Map<String, serde_json::Value> = attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect();
                json!(["object", m])
            }
            Type::Tuple(ts) => json!(["tuple", ts.iter().map(Type::to_json).collect::<Vec<_>>()]),
        }
    }
}

// TEMPORARY until the codec branch lands.
impl Value {
    pub fn is_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_known),
            Value::Dynamic(_, v) => v.is_known(),
            _ => true,
        }
    }
}

// TEMPORARY until the codec branch lands.
impl Value {
    pub fn same_as(&self, other: &Value) -> bool {
        self == other
    }
}
