//! What every resource call receives: the configured provider's data, its settings as
//! planning sees them (some may be unknown until apply), the stop signal, and whether
//! Terraform accepts a deferred answer.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::cty::Value;
use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::model::Tri;
use super::schema::Block;
use super::stop::Stop;

/// The provider's settings by dotted name (`exoscale.zone`), as plans depend on them: a
/// value a default can take, or `Value::Unknown` when the configuration sets it from
/// something not known until apply, or missing (set nowhere, with how to set it). Secrets
/// are never stored here, only whether they are unknown or missing.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    values: BTreeMap<&'static str, Value>,
    missing: BTreeMap<&'static str, String>,
}

impl Settings {
    pub fn set(&mut self, name: &'static str, value: Value) {
        self.values.insert(name, value);
    }

    pub fn set_unknown(&mut self, name: &'static str) {
        self.values.insert(name, Value::Unknown(Default::default()));
    }

    /// The value of a setting; unknown when the provider never set it, so a default taken
    /// from it is never invented.
    pub fn get(&self, name: &str) -> Value {
        self.values
            .get(name)
            .cloned()
            .unwrap_or(Value::Unknown(Default::default()))
    }

    pub fn is_unknown(&self, name: &str) -> bool {
        matches!(self.values.get(name), Some(Value::Unknown(_)))
    }

    /// A setting set nowhere (neither in the configuration nor in the environment), with
    /// how to set it: a call that needs it fails, at plan time already.
    pub fn set_missing(&mut self, name: &'static str, how_to_set: impl Into<String>) {
        self.missing.insert(name, how_to_set.into());
    }
}

/// What the provider's `configure` produced: one data item per backend (resources find
/// theirs by type) and the settings.
#[derive(Clone, Default)]
pub struct Configured {
    pub data: Vec<Arc<dyn Any + Send + Sync>>,
    pub settings: Settings,
}

#[derive(Clone)]
pub struct Ctx {
    configured: Option<Arc<Configured>>,
    pub stop: Stop,
    /// Terraform (protocol 6.6+, with deferral enabled) accepts "deferred" answers.
    pub deferral_allowed: bool,
}

impl Ctx {
    pub fn new(configured: Option<Arc<Configured>>, stop: Stop) -> Self {
        Ctx {
            configured,
            stop,
            deferral_allowed: false,
        }
    }

    pub fn with_deferral(mut self, allowed: bool) -> Self {
        self.deferral_allowed = allowed;
        self
    }

    /// The backend data of type `T` that `configure` produced, or an error if the provider
    /// was not configured.
    pub fn data<T: Send + Sync + 'static>(&self) -> Result<&T, Diagnostics> {
        self.configured
            .as_deref()
            .and_then(|c| c.data.iter().find_map(|d| d.downcast_ref::<T>()))
            .ok_or_else(|| {
                Diagnostic::error(
                    "Provider not configured",
                    "The provider was used before it was configured. This is a bug in the provider or Terraform.",
                )
                .into()
            })
    }

    pub fn setting(&self, name: &str) -> Value {
        match self.configured.as_deref() {
            Some(c) => c.settings.get(name),
            None => Value::Unknown(Default::default()),
        }
    }

    /// Which of `names` are set nowhere, each with how to set it.
    pub fn missing_settings(&self, names: &[&'static str]) -> Vec<(&'static str, &str)> {
        let Some(configured) = self.configured.as_deref() else {
            return Vec::new();
        };
        names
            .iter()
            .filter_map(|n| Some((*n, configured.settings.missing.get(n)?.as_str())))
            .collect()
    }

    /// Which of `names` are unknown until apply.
    pub fn unknown_settings(&self, names: &[&'static str]) -> Vec<&'static str> {
        let Some(configured) = self.configured.as_deref() else {
            return Vec::new();
        };
        names
            .iter()
            .copied()
            .filter(|n| configured.settings.is_unknown(n))
            .collect()
    }
}

/// A string setting at `path` (block name, attribute name) of the provider block `block`,
/// whose schema is `schema`: the configured value (unknown stays unknown, never replaced
/// by a fallback), else the first of the environment variables `env` that is set.
/// Terraform validates only configured values, so a value from the environment is held to
/// the attribute's validators here, and an error names its variable.
pub fn string_setting(
    block: &Value,
    path: [&str; 2],
    schema: &Block,
    env: &[&str],
    diags: &mut Diagnostics,
) -> Tri<String> {
    let [block_name, name] = path;
    match block.attr(name) {
        Value::String(s) => return Tri::Known(s.clone()),
        Value::Unknown(_) => return Tri::Unknown,
        _ => {}
    }
    let Some((var, text)) = env.iter().find_map(|var| {
        std::env::var(var)
            .ok()
            .filter(|s| !s.is_empty())
            .map(|s| (*var, s))
    }) else {
        return Tri::Null;
    };
    let attribute = schema.attributes.iter().find(|a| a.name == name);
    let value = Value::String(text.clone());
    for validator in attribute.iter().flat_map(|a| &a.validators) {
        if validator.check(&value) {
            continue;
        }
        let got = match attribute.is_some_and(|a| a.sensitive) {
            true => "the value is not shown: it is sensitive".to_string(),
            false => format!("got {text:?}"),
        };
        diags.error_at(
            AttrPath::attrs(&[block_name, name]),
            format!("Invalid value in {var}"),
            format!(
                "The {var} environment variable sets `{block_name}.{name}`, which must be {}; {got}.",
                validator.allowed()
            ),
        );
    }
    Tri::Known(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::Attribute;
    use crate::plugin::validators;

    fn schema() -> Block {
        Block::new("test")
            .attribute(
                Attribute::string("zone")
                    .optional()
                    .validate(validators::one_of(&["ch-gva-2", "de-fra-1"])),
            )
            .attribute(
                Attribute::string("token")
                    .optional()
                    .sensitive()
                    .validate(validators::header_safe()),
            )
    }

    fn block(zone: Value) -> Value {
        Value::Object(
            [
                ("zone".to_string(), zone),
                ("token".to_string(), Value::Null),
            ]
            .into_iter()
            .collect(),
        )
    }

    // Each test sets variables of its own: the environment is shared by parallel tests.
    #[test]
    fn the_configuration_wins_and_unknown_stays_unknown() {
        std::env::set_var("POOLS_TEST_CTX_ZONE_A", "nowhere");
        let env = ["POOLS_TEST_CTX_ZONE_A"];
        let mut diags = Diagnostics::new();
        let configured = block(Value::String("de-fra-1".into()));
        let unknown = block(Value::Unknown(Default::default()));
        let path = ["exoscale", "zone"];
        assert_eq!(
            string_setting(&configured, path, &schema(), &env, &mut diags),
            Tri::Known("de-fra-1".to_string())
        );
        assert_eq!(
            string_setting(&unknown, path, &schema(), &env, &mut diags),
            Tri::Unknown
        );
        assert!(diags.is_empty(), "{diags}");
    }

    #[test]
    fn a_value_from_the_environment_meets_the_attributes_validators() {
        std::env::set_var("POOLS_TEST_CTX_ZONE_B", "de-fra-1");
        std::env::set_var("POOLS_TEST_CTX_ZONE_C", "nowhere");
        std::env::set_var("POOLS_TEST_CTX_TOKEN", "hunter2 in the clear");
        let unset = block(Value::Null);
        let mut diags = Diagnostics::new();
        let zone = ["exoscale", "zone"];
        let first_set = ["POOLS_TEST_CTX_UNSET", "POOLS_TEST_CTX_ZONE_B"];
        assert_eq!(
            string_setting(&unset, zone, &schema(), &first_set, &mut diags),
            Tri::Known("de-fra-1".to_string())
        );
        assert!(diags.is_empty(), "{diags}");

        let bad = ["POOLS_TEST_CTX_ZONE_C"];
        string_setting(&unset, zone, &schema(), &bad, &mut diags);
        let text = diags.to_string();
        assert!(diags.has_errors());
        assert!(
            text.contains("Invalid value in POOLS_TEST_CTX_ZONE_C"),
            "{text}"
        );
        assert!(
            text.contains("sets `exoscale.zone`, which must be one of"),
            "{text}"
        );
        assert!(text.contains("\"nowhere\""), "{text}");
        assert_eq!(diags.0[0].path, Some(AttrPath::attrs(&zone)));

        let mut diags = Diagnostics::new();
        let token = ["POOLS_TEST_CTX_TOKEN"];
        string_setting(&unset, ["ona", "token"], &schema(), &token, &mut diags);
        let text = diags.to_string();
        assert!(diags.has_errors());
        assert!(text.contains("the value is not shown"), "{text}");
        assert!(
            !text.contains("hunter2"),
            "a secret is never quoted: {text}"
        );
        assert_eq!(
            string_setting(
                &unset,
                zone,
                &schema(),
                &["POOLS_TEST_CTX_UNSET"],
                &mut diags
            ),
            Tri::Null
        );
    }
}
