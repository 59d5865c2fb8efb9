//! What every resource call receives: the configured provider's data, its settings as
//! planning sees them (some may be unknown until apply), the stop signal, and whether
//! Terraform accepts a deferred answer.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::cty::Value;
use super::diag::{Diagnostic, Diagnostics};
use super::model::Tri;
use crate::wait::Stop;

/// The provider's settings by dotted name (`exoscale.zone`), as plans depend on them: a
/// value a default can take, or `Value::Unknown` when the configuration sets it from
/// something not known until apply. Secrets are never stored here, only whether they are
/// unknown.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    values: BTreeMap<&'static str, Value>,
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

/// The error for a call that needs settings only apply will know.
pub fn settings_unknown_error(names: &[&str], what: &str) -> Diagnostics {
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::error(
        "Provider configuration not known yet",
        format!(
            "Cannot {what}: the provider setting {list} depends on values known only after apply. Set it from values known at plan time, or apply the resources it depends on first (terraform apply -target=...)."
        ),
    )
    .into()
}

/// A string setting of a provider block: the configured value (unknown stays unknown, never
/// replaced by a fallback), else the first of the environment variables that is set.
pub fn string_setting(block: &Value, name: &str, env: &[&str]) -> Tri<String> {
    match super::plan::attr(block, name) {
        Value::String(s) => Tri::Known(s.clone()),
        Value::Unknown(_) => Tri::Unknown,
        _ => env
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .into(),
    }
}
