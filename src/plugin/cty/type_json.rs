//! The JSON form of types: `"string"`, `["list","string"]`, `["object",{"a":"bool"}]`.
//! Schemas carry attribute types in this form, and dynamic values carry theirs.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::path::{DecodeError, Path};
use super::value::Type;

/// Deeper type descriptions are refused rather than risking the stack.
const MAX_TYPE_DEPTH: usize = 64;

impl Type {
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::from(vec![Json::from("list"), t.to_json()]),
            Type::Set(t) => Json::from(vec![Json::from("set"), t.to_json()]),
            Type::Map(t) => Json::from(vec![Json::from("map"), t.to_json()]),
            Type::Object(attrs) => {
                let attrs = attrs.iter().map(|(k, t)| (k.clone(), t.to_json()));
                Json::from(vec![Json::from("object"), Json::Object(attrs.collect())])
            }
            Type::Tuple(ts) => Json::from(vec![
                Json::from("tuple"),
                Json::Array(ts.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// The compact JSON bytes, as in `Schema.Attribute.type`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses a type description. An object type's optional-attributes list (a third
    /// element, found in type constraints) is accepted and ignored.
    pub fn from_json(json: &Json) -> Result<Type, DecodeError> {
        type_from_json(json, 0).map_err(|message| DecodeError {
            path: Path::default(),
            message: format!("invalid type description: {message}"),
        })
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, DecodeError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|_| DecodeError {
            path: Path::default(),
            message: "invalid type description: not JSON".to_owned(),
        })?;
        Type::from_json(&json)
    }
}

fn type_from_json(json: &Json, depth: usize) -> Result<Type, String> {
    if depth > MAX_TYPE_DEPTH {
        return Err("nested too deeply".to_owned());
    }
    let elem = |j: &Json| type_from_json(j, depth + 1).map(Box::new);
    match json {
        Json::String(name) => match name.as_str() {
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            "dynamic" => Ok(Type::Dynamic),
            _ => Err(format!("unknown primitive type {name:?}")),
        },
        Json::Array(parts) => match parts.as_slice() {
            [Json::String(kind), arg, rest @ ..] => match (kind.as_str(), arg, rest) {
                ("list", t, []) => Ok(Type::List(elem(t)?)),
                ("set", t, []) => Ok(Type::Set(elem(t)?)),
                ("map", t, []) => Ok(Type::Map(elem(t)?)),
                ("tuple", Json::Array(ts), []) => ts
                    .iter()
                    .map(|t| type_from_json(t, depth + 1))
                    .collect::<Result<_, _>>()
                    .map(Type::Tuple),
                ("object", Json::Object(attrs), [] | [Json::Array(_)]) => attrs
                    .iter()
                    .map(|(k, t)| Ok((k.clone(), type_from_json(t, depth + 1)?)))
                    .collect::<Result<BTreeMap<_, _>, String>>()
                    .map(Type::Object),
                _ => Err(format!("malformed {kind:?} type")),
            },
            _ => Err("expected [kind, argument]".to_owned()),
        },
        _ => Err("expected a string or an array".to_owned()),
    }
}

/// The compact JSON form, e.g. `["map","string"]`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}
