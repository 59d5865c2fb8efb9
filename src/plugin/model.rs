//! Typed models: conversion between cty values and plain Rust structs, so a resource's CRUD
//! reads like ordinary Rust. `model!` declares a struct whose fields are the schema's
//! attributes (same names); field types say how values convert:
//!
//! - `String`, `i64`, `bool`, `Vec<T>` (list or set), `BTreeMap<String, T>`, nested models:
//!   the value must be known and non-null, otherwise a diagnostic names the path;
//! - `Option<T>`: the value may be null (`None`) but must be known;
//! - [`Tri<T>`]: null, unknown or known, for every attribute a plan may leave unknown
//!   (computed ones). Code that diffs a plan must never read "unknown" as "removed", so the
//!   two are different types.

use std::collections::BTreeMap;

use super::cty::{Number, Type, Value};
use super::diag::{AttrPath, Diagnostic};

pub trait Cty: Sized {
    fn from_cty(value: &Value, path: &AttrPath) -> Result<Self, Diagnostic>;
    fn to_cty(&self) -> Value;
}

fn mismatch(path: &AttrPath, want: &str, value: &Value) -> Diagnostic {
    let problem = match value {
        Value::Null => "is null".to_string(),
        Value::Unknown(_) => "is not known yet".to_string(),
        _ => format!("is not {want}"),
    };
    Diagnostic::error(
        format!("Unexpected value for {}", if path.is_root() { "the resource".to_string() } else { path.to_string() }),
        format!("The value {problem}; the provider expected {want}. This is a bug in the provider if the configuration is valid."),
    )
    .at(path.clone())
}

impl Cty for String {
    fn from_cty(value: &Value, path: &AttrPath) -> Result<Self, Diagnostic> {
        match value {
            Value::String(s) => Ok(s.clone()),
            other => Err(mismatch(path, "a string", other)),
        }
    }
    fn to_cty(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Cty for i64 {
    fn from_cty(value: &Value, path: &AttrPath) -> Result<Self, Diagnostic> {
        match value {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| mismatch(path, "a whole number in range", value)),
            other => Err(mismatch(path, "a number", other)),
        }
    }
    fn to_cty(&self) -> Value {
        Value::Number(Number::from_i64(*self))
    }
}

impl Cty for bool {
    fn from_cty(value: &Value, path: &AttrPath) -> Result<Self, Diagnostic> {
        match value {
            Value::Bool(b) => Ok(*b),
            other => Err(mismatch(path, "a bool", other)),
        }
    }
    fn to_cty(&self) -> Value {
        Value::Bool(*self)
    }
}

impl Cty for Value {
    fn from_cty(value: &Value, _: &AttrPath) -> Result<Self, Diagnostic> {
        Ok(value.clone())
    }
    fn to_cty(&self) -> Value {
        self.clone()
    }
}

impl<T: Cty> Cty for Option<T> {
    fn from_cty(value: &Value, path: &AttrPath) -> Result<Self, Diagnostic> {
        match value {
            Value::Null => Ok(None),
            Value::Unknown(_) => Err(mismatch(path, "a known value or null", value)),
            v => T::from_cty(v, path).map(Some),
        }
    }
    fn to_cty(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_cty)
    }
}

/// A value in one of Terraform's three states. `Unknown` only ever appears in a plan (a
/// computed value the provider decides at apply); state and configuration at apply time
/// are known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Tri<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Tri<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Tri::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Tri::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Tri::Unknown)
    }

    pub fn as_ref(&self) -> Tri<&T> {
        match self {
            Tri::Null => Tri::Null,
            Tri::Unknown => Tri::Unknown,
            Tri::Known(v) => Tri::Known(v),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Tri<U> {
        match self {
            Tri::Null => Tri::Null,
            Tri::Unknown => Tri::Unknown,
            Tri::Known(v) => Tri::Known(f(v)),
        }
    }
}

impl<T> From<Option<T>> for Tri<T> {
    /// A value read from the API: present or null, never unknown.
    fn from(value: Option<T>) -> Self {
        value.map_or(Tri::Null, Tri::Known)
    }
}

impl Tri<String> {
    pub fn as_deref(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

impl<T: Cty> Cty for Tri<T> {
    fn from_cty(value: &Value, path: &AttrPath) -> Result<Self, Diagnostic> {
        match value {
            Value::Null => Ok(Tri::Null),
            Value::Unknown(_) => Ok(Tri::Unknown),
            v => T::from_cty(v, path).map(Tri::Known),
        }
    }
    fn to_cty(&self) -> Value {
        match self {
            Tri::Null => Value::Null,
            Tri::Unknown => Value::Unknown(Default::default()),
            Tri::Known(v) => v.to_cty(),
        }
    }
}

impl<T: Cty> Cty for Vec<T> {
    fn from_cty(value: &Value, path: &AttrPath) -> Result<Self, Diagnostic> {
        match value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| T::from_cty(v, &path.index(i)))
                .collect(),
            other => Err(mismatch(path, "a list", other)),
        }
    }
    /// Always a list; [`conform`] turns it into a set where the schema says so.
    fn to_cty(&self) -> Value {
        Value::List(self.iter().map(T::to_cty).collect())
    }
}

impl<T: Cty> Cty for BTreeMap<String, T> {
    fn from_cty(value: &Value, path: &AttrPath) -> Result<Self, Diagnostic> {
        match value {
            Value::Map(items) | Value::Object(items) => items
                .iter()
                .map(|(k, v)| Ok((k.clone(), T::from_cty(v, &path.key(k))?)))
                .collect(),
            other => Err(mismatch(path, "a map", other)),
        }
    }
    fn to_cty(&self) -> Value {
        Value::Map(self.iter().map(|(k, v)| (k.clone(), v.to_cty())).collect())
    }
}

/// Shapes a value built from a model to the schema's type: lists become sets where the type
/// is a set, objects get a null for every attribute the model does not carry, empty
/// collections stay empty (not null).
pub fn conform(value: Value, ty: &Type) -> Value {
    match (value, ty) {
        (Value::List(items), Type::Set(element)) | (Value::Set(items), Type::Set(element)) => {
            Value::Set(items.into_iter().map(|v| conform(v, element)).collect())
        }
        (Value::List(items), Type::List(element)) | (Value::Set(items), Type::List(element)) => {
            Value::List(items.into_iter().map(|v| conform(v, element)).collect())
        }
        (Value::Map(items), Type::Map(element)) | (Value::Object(items), Type::Map(element)) => {
            Value::Map(
                items
                    .into_iter()
                    .map(|(k, v)| (k, conform(v, element)))
                    .collect(),
            )
        }
        (Value::Object(mut items), Type::Object(attrs))
        | (Value::Map(mut items), Type::Object(attrs)) => Value::Object(
            attrs
                .iter()
                .map(|(name, aty)| {
                    let v = items.remove(name).unwrap_or(Value::Null);
                    (name.clone(), conform(v, aty))
                })
                .collect(),
        ),
        (value, _) => value,
    }
}

/// Declares a model struct and its [`Cty`] conversion; field names are attribute names.
#[macro_export]
macro_rules! model {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        $vis struct $name { $($(#[$fmeta])* $fvis $field: $ty),* }

        impl $crate::plugin::Cty for $name {
            fn from_cty(
                value: &$crate::plugin::Value,
                path: &$crate::plugin::AttrPath,
            ) -> Result<Self, $crate::plugin::Diagnostic> {
                match value {
                    $crate::plugin::Value::Object(attrs) => Ok($name {
                        $($field: $crate::plugin::Cty::from_cty(
                            attrs.get(stringify!($field)).unwrap_or(&$crate::plugin::Value::Null),
                            &path.attr(stringify!($field)),
                        )?),*
                    }),
                    other => Err($crate::plugin::Diagnostic::error(
                        "Unexpected value",
                        format!("expected an object for {}, got {:?}", stringify!($name), other),
                    ).at(path.clone())),
                }
            }

            fn to_cty(&self) -> $crate::plugin::Value {
                let mut attrs = std::collections::BTreeMap::new();
                $(attrs.insert(
                    stringify!($field).to_string(),
                    $crate::plugin::Cty::to_cty(&self.$field),
                );)*
                $crate::plugin::Value::Object(attrs)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::model! {
        #[derive(Clone, Debug, PartialEq, Default)]
        struct Inner { a: Option<String> }
    }
    crate::model! {
        #[derive(Clone, Debug, PartialEq, Default)]
        struct Sample {
            id: Option<String>,
            name: String,
            size: i64,
            tags: Vec<String>,
            labels: BTreeMap<String, String>,
            inner: Option<Inner>,
        }
    }

    fn sample_type() -> Type {
        Type::Object(BTreeMap::from([
            ("id".into(), Type::String),
            ("name".into(), Type::String),
            ("size".into(), Type::Number),
            ("tags".into(), Type::Set(Box::new(Type::String))),
            ("labels".into(), Type::Map(Box::new(Type::String))),
            (
                "inner".into(),
                Type::Object(BTreeMap::from([
                    ("a".into(), Type::String),
                    ("b".into(), Type::Bool),
                ])),
            ),
            ("extra".into(), Type::Bool),
        ]))
    }

    #[test]
    fn round_trip_and_conform() {
        let m = Sample {
            id: None,
            name: "web".into(),
            size: 3,
            tags: vec!["x".into()],
            labels: BTreeMap::from([("env".into(), "prod".into())]),
            inner: Some(Inner {
                a: Some("1".into()),
            }),
        };
        let v = conform(m.to_cty(), &sample_type());
        let Value::Object(attrs) = &v else {
            panic!("not an object")
        };
        assert_eq!(attrs["tags"], Value::Set(vec![Value::String("x".into())]));
        assert_eq!(attrs["extra"], Value::Null);
        let Value::Object(inner) = &attrs["inner"] else {
            panic!()
        };
        assert_eq!(inner["b"], Value::Null);
        assert_eq!(Sample::from_cty(&v, &AttrPath::root()).unwrap(), m);
    }

    #[test]
    fn unknown_is_an_error_for_option_and_required_fields_with_their_path() {
        let mut attrs = BTreeMap::new();
        attrs.insert("id".to_string(), Value::Unknown(Default::default()));
        attrs.insert("name".to_string(), s("web"));
        attrs.insert("size".to_string(), Value::Number(Number::from_i64(1)));
        let err = Sample::from_cty(&Value::Object(attrs.clone()), &AttrPath::root()).unwrap_err();
        assert_eq!(err.path, Some(AttrPath::attrs(&["id"])));
        assert!(err.detail.contains("not known yet"), "{}", err.detail);
        attrs.insert("id".to_string(), Value::Null);
        attrs.insert("name".to_string(), Value::Unknown(Default::default()));
        let err = Sample::from_cty(&Value::Object(attrs), &AttrPath::root()).unwrap_err();
        assert_eq!(err.path, Some(AttrPath::attrs(&["name"])));
    }

    crate::model! {
        #[derive(Clone, Debug, PartialEq, Default)]
        struct Computed { id: Tri<String>, flag: Tri<bool> }
    }

    #[test]
    fn tri_keeps_null_unknown_and_known_apart() {
        let v = Value::Object(BTreeMap::from([
            ("id".to_string(), Value::Unknown(Default::default())),
            ("flag".to_string(), Value::Null),
        ]));
        let m = Computed::from_cty(&v, &AttrPath::root()).unwrap();
        assert_eq!(m.id, Tri::Unknown);
        assert_eq!(m.flag, Tri::Null);
        assert_eq!(m.to_cty(), v);
        let known = Computed {
            id: Tri::Known("x".into()),
            flag: Tri::from(Some(true)),
        };
        assert_eq!(
            Computed::from_cty(&known.to_cty(), &AttrPath::root()).unwrap(),
            known
        );
        assert_eq!(known.id.as_deref(), Some("x"));
    }

    fn s(text: &str) -> Value {
        Value::String(text.to_string())
    }
}
