//! Stored state across schema versions (UpgradeResourceState). Terraform sends the JSON it
//! stored and the schema version that wrote it. State of the current version is read as
//! is; state of an earlier version goes through the [`StateUpgrader`] the resource declares
//! for that version, which maps it straight to the current version (upgraders are not
//! chained, so each one stays valid when later versions are added). State of a newer
//! version is refused: reading it would silently drop what the newer provider stored.
//!
//! To change a resource's schema incompatibly: bump `Schema::version`, write the old
//! version's value type out in full (never derive it from the current schema, which moves
//! on), and add an upgrader from it to the resource's `state_upgraders`.

use std::fmt;

use super::cty::json::{self, DecodeOptions};
use super::cty::{DecodeError, Path, PathStep, Type, Value};
use super::diag::{Diagnostic, Diagnostics};
use super::proto::tfplugin6 as pb;

/// Maps a decoded value of an earlier schema version to a value of the current type.
pub type UpgradeFn = Box<dyn Fn(Value) -> Result<Value, Diagnostics> + Send + Sync>;

/// How to read state written at one earlier schema version.
pub struct StateUpgrader {
    /// The schema version whose state this reads.
    pub from_version: i64,
    /// The value type of the resource at that version; stored state is decoded strictly
    /// against it.
    pub prior_type: Type,
    /// Called with the decoded (non-null) prior value; must return a value of the current
    /// type, which is checked before Terraform gets it.
    pub upgrade: UpgradeFn,
}

impl StateUpgrader {
    pub fn new(
        from_version: i64,
        prior_type: Type,
        upgrade: impl Fn(Value) -> Result<Value, Diagnostics> + Send + Sync + 'static,
    ) -> Self {
        StateUpgrader {
            from_version,
            prior_type,
            upgrade: Box::new(upgrade),
        }
    }
}

impl fmt::Debug for StateUpgrader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateUpgrader")
            .field("from_version", &self.from_version)
            .field("prior_type", &self.prior_type)
            .finish_non_exhaustive()
    }
}

/// Stored state as UpgradeResourceState carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawState<'a> {
    Json(&'a [u8]),
    /// The flatmap form of Terraform 0.11 and earlier, with no JSON.
    Flatmap,
    /// Nothing stored.
    Empty,
}

impl<'a> RawState<'a> {
    pub fn from_proto(raw: Option<&'a pb::RawState>) -> Self {
        match raw {
            Some(r) if !r.json.is_empty() => RawState::Json(&r.json),
            Some(r) if !r.flatmap.is_empty() => RawState::Flatmap,
            _ => RawState::Empty,
        }
    }
}

/// The stored state as a value of `current_type`, the resource's type at schema version
/// `current_version`. On error the caller returns no state, so Terraform keeps its own.
pub fn upgrade_state(
    raw: RawState<'_>,
    stored_version: i64,
    current_version: i64,
    current_type: &Type,
    upgraders: &[StateUpgrader],
) -> Result<Value, Diagnostics> {
    let json = match raw {
        RawState::Json(json) => json,
        RawState::Empty => return Ok(Value::Null),
        RawState::Flatmap => {
            return Err(Diagnostic::error(
                "Unsupported stored state",
                "The stored state is in the flatmap format of Terraform 0.11 and earlier, which this provider does not read. Remove the resource from the state (`terraform state rm`) and import it again.",
            )
            .into())
        }
    };
    if stored_version > current_version {
        return Err(Diagnostic::error(
            "State written by a newer provider",
            format!(
                "The stored state has schema version {stored_version}, but this version of the provider knows schema versions up to {current_version} only: the state was written by a newer version of the provider. Upgrade the provider to that version or later. The state was left unchanged."
            ),
        )
        .into());
    }
    if stored_version == current_version {
        // Attributes removed from the schema without a version bump are dropped; those
        // added are null, as Terraform itself would plan them.
        let lenient = DecodeOptions {
            ignore_unknown_attributes: true,
        };
        return json::decode_with(json, current_type, lenient)
            .map_err(|e| invalid_stored_state(stored_version, &e));
    }
    let Some(upgrader) = upgraders.iter().find(|u| u.from_version == stored_version) else {
        return Err(Diagnostic::error(
            "Cannot upgrade stored state",
            format!(
                "The stored state has schema version {stored_version}, and this version of the provider has no upgrade from it to schema version {current_version}. Upgrade through a provider version that reads it, or remove the resource from the state (`terraform state rm`) and import it again. The state was left unchanged."
            ),
        )
        .into());
    };
    let prior = json::decode(json, &upgrader.prior_type)
        .map_err(|e| invalid_stored_state(stored_version, &e))?;
    if prior.is_null() {
        return Ok(Value::Null);
    }
    let upgraded = (upgrader.upgrade)(prior)?;
    let mut path = Vec::new();
    conforms(&upgraded, current_type, &mut path).map_err(|problem| {
        Diagnostic::error(
            "Invalid upgraded state",
            format!(
                "Upgrading the stored state from schema version {stored_version} to {current_version} gave a value that does not match the current schema{}: {problem}. This is a bug in the provider. The state was left unchanged.",
                at(&path)
            ),
        )
    })?;
    Ok(upgraded)
}

fn invalid_stored_state(version: i64, e: &DecodeError) -> Diagnostics {
    Diagnostic::error(
        "Invalid stored state",
        format!("The stored state (schema version {version}) could not be read: {e}. The state was left unchanged."),
    )
    .into()
}

fn at(path: &[PathStep]) -> String {
    match path.is_empty() {
        true => String::new(),
        false => format!(" at {}", Path(path.to_vec())),
    }
}

/// Whether `value` is a value of `ty` that state may hold: every object attribute of the
/// type present and no others, no unknowns. On failure `path` is where it went wrong.
fn conforms(value: &Value, ty: &Type, path: &mut Vec<PathStep>) -> Result<(), String> {
    let found = |what: &str| format!("expected {}, found {what}", ty.kind_name());
    match (ty, value) {
        (_, Value::Null) => Ok(()),
        (_, Value::Unknown(_)) => Err("an unknown value, which state cannot hold".to_string()),
        (Type::Bool, Value::Bool(_))
        | (Type::Number, Value::Number(_))
        | (Type::String, Value::String(_)) => Ok(()),
        (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
            each(items.iter().enumerate(), path, |_| elem)
        }
        (Type::Tuple(elems), Value::Tuple(items)) if elems.len() == items.len() => {
            each(items.iter().enumerate(), path, |i| &elems[i])
        }
        (Type::Tuple(elems), Value::Tuple(items)) => Err(format!(
            "expected a tuple of {} elements, found {}",
            elems.len(),
            items.len()
        )),
        (Type::Map(elem), Value::Map(items)) => {
            for (key, item) in items {
                path.push(PathStep::Key(key.clone()));
                conforms(item, elem, path)?;
                path.pop();
            }
            Ok(())
        }
        (Type::Object(attrs), Value::Object(values)) => {
            if let Some(extra) = values.keys().find(|k| !attrs.contains_key(*k)) {
                path.push(PathStep::Attr(extra.clone()));
                return Err("an attribute the current schema does not have".to_string());
            }
            for (name, attr_type) in attrs {
                path.push(PathStep::Attr(name.clone()));
                let item = values
                    .get(name)
                    .ok_or_else(|| "missing (set it, to null if need be)".to_string())?;
                conforms(item, attr_type, path)?;
                path.pop();
            }
            Ok(())
        }
        (Type::Dynamic, Value::Dynamic(inner_type, inner)) if **inner_type != Type::Dynamic => {
            conforms(inner, inner_type, path)
        }
        (_, Value::Bool(_)) => Err(found("a bool")),
        (_, Value::Number(_)) => Err(found("a number")),
        (_, Value::String(_)) => Err(found("a string")),
        (_, Value::List(_)) => Err(found("a list")),
        (_, Value::Set(_)) => Err(found("a set")),
        (_, Value::Map(_)) => Err(found("a map")),
        (_, Value::Object(_)) => Err(found("an object")),
        (_, Value::Tuple(_)) => Err(found("a tuple")),
        (_, Value::Dynamic(..)) => Err(found("a dynamic value without a concrete type")),
    }
}

fn each<'v, 't>(
    items: impl Iterator<Item = (usize, &'v Value)>,
    path: &mut Vec<PathStep>,
    elem_type: impl Fn(usize) -> &'t Type,
) -> Result<(), String> {
    for (i, item) in items {
        path.push(PathStep::Index(i as u64));
        conforms(item, elem_type(i), path)?;
        path.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plugin::cty::Number;

    fn object(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn object_type(attrs: &[(&str, Type)]) -> Type {
        Type::Object(
            attrs
                .iter()
                .map(|(k, t)| (k.to_string(), t.clone()))
                .collect(),
        )
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    /// Version 0 had `size` as a string and `timeouts { create }`; version 1 has a number
    /// and `timeouts { create, read }`.
    fn v0() -> Type {
        object_type(&[
            ("name", Type::String),
            ("size", Type::String),
            ("timeouts", object_type(&[("create", Type::String)])),
        ])
    }

    fn v1() -> Type {
        object_type(&[
            ("name", Type::String),
            ("size", Type::Number),
            (
                "timeouts",
                object_type(&[("create", Type::String), ("read", Type::String)]),
            ),
        ])
    }

    fn size_to_number(value: Value) -> Result<Value, Diagnostics> {
        let Value::Object(mut attrs) = value else {
            return Err(Diagnostic::error("not an object", "").into());
        };
        let size = match attrs.remove("size") {
            Some(Value::String(text)) => match text.parse::<Number>() {
                Ok(n) => Value::Number(n),
                Err(_) => return Err(Diagnostic::error("Bad size", format!("{text:?}")).into()),
            },
            _ => Value::Null,
        };
        attrs.insert("size".into(), size);
        if let Some(Value::Object(t)) = attrs.get_mut("timeouts") {
            t.insert("read".into(), Value::Null);
        }
        Ok(Value::Object(attrs))
    }

    fn upgraders() -> Vec<StateUpgrader> {
        vec![StateUpgrader::new(0, v0(), size_to_number)]
    }

    fn upgrade(json: &str, version: i64) -> Result<Value, Diagnostics> {
        upgrade_state(
            RawState::Json(json.as_bytes()),
            version,
            1,
            &v1(),
            &upgraders(),
        )
    }

    fn error(result: Result<Value, Diagnostics>) -> (String, String) {
        match result {
            Err(d) if d.has_errors() && d.0.len() == 1 => {
                (d.0[0].summary.clone(), d.0[0].detail.clone())
            }
            other => panic!("expected one error, got {other:?}"),
        }
    }

    #[test]
    fn current_version_ignores_removed_attributes_and_nulls_missing_ones() {
        let state = upgrade(
            r#"{"name":"web","removed":{"deep":[1]},"timeouts":{"create":"1m","old":"x"}}"#,
            1,
        )
        .unwrap();
        let timeouts = object(&[("create", s("1m")), ("read", Value::Null)]);
        assert_eq!(
            state,
            object(&[
                ("name", s("web")),
                ("size", Value::Null),
                ("timeouts", timeouts)
            ])
        );
    }

    #[test]
    fn numbers_keep_their_precision() {
        let text = "123456789012345678901234567890.5";
        let state = upgrade(&format!(r#"{{"name":"a","size":{text}}}"#), 1).unwrap();
        let expected: Number = text.parse().unwrap();
        assert_eq!(state.attr("size"), &Value::Number(expected));
        // Also through the msgpack Terraform receives.
        let wire = crate::plugin::cty::msgpack::encode(&state, &v1()).unwrap();
        let back = crate::plugin::cty::msgpack::decode(&wire, &v1()).unwrap();
        assert_eq!(back, state);
        // And through an upgrader (the v0 size is a string holding the number).
        let state = upgrade(&format!(r#"{{"name":"a","size":"{text}"}}"#), 0).unwrap();
        assert_eq!(state.attr("size"), back.attr("size"));
    }

    #[test]
    fn a_prior_version_is_decoded_strictly_then_upgraded() {
        let state = upgrade(r#"{"name":"a","size":"3","timeouts":{"create":"5m"}}"#, 0).unwrap();
        let three = Value::Number(Number::from_i64(3));
        let timeouts = object(&[("create", s("5m")), ("read", Value::Null)]);
        assert_eq!(
            state,
            object(&[("name", s("a")), ("size", three), ("timeouts", timeouts)])
        );
        // An attribute version 0 never had means the state is not what it claims to be.
        let (summary, detail) = error(upgrade(r#"{"name":"a","read":"x"}"#, 0));
        assert_eq!(summary, "Invalid stored state");
        assert!(detail.contains("schema version 0"), "{detail}");
        assert!(
            detail.contains("at .read: unsupported attribute"),
            "{detail}"
        );
        // The upgrader's own errors reach the user as they are.
        let (summary, detail) = error(upgrade(r#"{"size":"many"}"#, 0));
        assert_eq!(
            (summary.as_str(), detail.as_str()),
            ("Bad size", "\"many\"")
        );
        // Null stays null without the upgrader.
        assert_eq!(upgrade("null", 0).unwrap(), Value::Null);
    }

    #[test]
    fn newer_state_is_refused_naming_both_versions() {
        let (summary, detail) = error(upgrade(r#"{"name":"a"}"#, 2));
        assert_eq!(summary, "State written by a newer provider");
        assert!(
            detail.contains("schema version 2")
                && detail.contains("up to 1")
                && detail.contains("Upgrade the provider"),
            "{detail}"
        );
    }

    #[test]
    fn a_version_without_upgrader_is_refused() {
        let current = v1();
        let result = upgrade_state(RawState::Json(b"{}"), 0, 1, &current, &[]);
        let (summary, detail) = error(result);
        assert_eq!(summary, "Cannot upgrade stored state");
        assert!(
            detail.contains("schema version 0") && detail.contains("to schema version 1"),
            "{detail}"
        );
        // Negative versions never come from Terraform; they are refused the same way.
        assert_eq!(error(upgrade("{}", -1)).0, "Cannot upgrade stored state");
    }

    #[test]
    fn malformed_state_is_an_error_not_a_panic() {
        for bad in [
            r#"{"name":"a""#,
            "[1,2]",
            r#"{"name":{}}"#,
            "\u{1}",
            r#"{"size":"x"}"#,
        ] {
            let (summary, detail) = error(upgrade(bad, 1));
            assert_eq!(summary, "Invalid stored state", "{bad}");
            assert!(detail.contains("schema version 1"), "{detail}");
        }
    }

    #[test]
    fn flatmap_and_empty_state() {
        let (summary, detail) = error(upgrade_state(RawState::Flatmap, 0, 1, &v1(), &upgraders()));
        assert_eq!(summary, "Unsupported stored state");
        assert!(detail.contains("flatmap"), "{detail}");
        assert_eq!(
            upgrade_state(RawState::Empty, 1, 1, &v1(), &[]).unwrap(),
            Value::Null
        );
        let flat = pb::RawState {
            json: Vec::new(),
            flatmap: [("id".to_string(), "x".to_string())].into(),
        };
        assert_eq!(RawState::from_proto(Some(&flat)), RawState::Flatmap);
        let json = pb::RawState {
            json: b"{}".to_vec(),
            flatmap: Default::default(),
        };
        assert_eq!(RawState::from_proto(Some(&json)), RawState::Json(b"{}"));
        assert_eq!(RawState::from_proto(None), RawState::Empty);
    }

    #[test]
    fn an_upgrade_that_misses_the_current_type_is_caught() {
        let forgetful = StateUpgrader::new(0, v0(), |mut value| {
            if let Value::Object(attrs) = &mut value {
                attrs.insert("size".into(), Value::Null);
            }
            Ok(value)
        });
        let state = br#"{"name":"a","timeouts":{"create":"1m"}}"#;
        let result = upgrade_state(RawState::Json(state), 0, 1, &v1(), &[forgetful]);
        let (summary, detail) = error(result);
        assert_eq!(summary, "Invalid upgraded state");
        assert!(detail.contains("at .timeouts.read: missing"), "{detail}");

        let mut path = Vec::new();
        let wrong = object(&[("name", Value::Bool(true))]);
        let ty = object_type(&[("name", Type::String)]);
        assert_eq!(
            conforms(&wrong, &ty, &mut path),
            Err("expected a string, found a bool".to_string())
        );
        assert_eq!(Path(path).to_string(), ".name");
        let extra = object(&[("name", Value::Null), ("other", Value::Null)]);
        assert!(conforms(&extra, &ty, &mut Vec::new()).is_err());
        let unknown = object(&[("name", Value::Unknown(Default::default()))]);
        assert!(conforms(&unknown, &ty, &mut Vec::new()).is_err());
        let labels = Type::Map(Box::new(Type::Number));
        let map = Value::Map(BTreeMap::from([("a".to_string(), s("1"))]));
        let mut path = Vec::new();
        assert!(conforms(&map, &labels, &mut path).is_err());
        assert_eq!(Path(path).to_string(), "[\"a\"]");
    }

    #[test]
    fn upgraders_show_their_version_and_prior_type() {
        let u = StateUpgrader::new(3, object_type(&[("name", Type::String)]), Ok);
        let shown = format!("{u:?}");
        assert!(shown.contains("from_version: 3"), "{shown}");
        assert!(shown.contains("name"), "{shown}");
    }
}
