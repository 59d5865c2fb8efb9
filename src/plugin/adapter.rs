//! What the four adapters share. A resource, data source, action or list resource is
//! written on typed models; its adapter (in `resource.rs`, `action.rs`, `list.rs`) drives it
//! with values for the RPC layer. Each holds a [`Core`]: the backend's implementation and
//! its schema, with the conversions between values and models, validation, and the check
//! of the provider settings a call needs. The adapters keep only what is their own.

use super::ctx::Ctx;
use super::cty::{Type, Value};
use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::model::{conform, Cty};
use super::schema::{validate_block, Schema};

pub(super) struct Core<T> {
    pub inner: T,
    pub type_name: &'static str,
    pub schema: Schema,
    /// The schema's value type, computed once.
    pub ty: Type,
    /// The provider settings (by dotted name) every call to the backend needs.
    settings: &'static [&'static str],
}

impl<T> Core<T> {
    pub fn new(
        type_name: &'static str,
        schema: Schema,
        settings: &'static [&'static str],
        inner: T,
    ) -> Self {
        Core {
            inner,
            type_name,
            ty: schema.block.ty(),
            schema,
            settings,
        }
    }

    pub fn decode<M: Cty>(&self, value: &Value) -> Result<M, Diagnostics> {
        M::from_cty(value, &AttrPath::root()).map_err(Diagnostics::from)
    }

    /// A model as a value of the schema's type.
    pub fn encode<M: Cty>(&self, model: &M) -> Value {
        conform(model.to_cty(), &self.ty)
    }

    /// The schema's declarative validators, then the backend's own cross-attribute checks.
    pub fn validate(&self, config: &Value, own: impl FnOnce(&mut Diagnostics)) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate_block(&self.schema.block, config, &AttrPath::root(), &mut diags);
        own(&mut diags);
        diags
    }

    /// The settings the backend needs that are unknown until apply.
    pub fn unknown_settings(&self, ctx: &Ctx) -> Vec<&'static str> {
        ctx.unknown_settings(self.settings)
    }

    /// The error when a setting the backend needs is set nowhere: known now, so it fails
    /// the plan rather than the apply. `verb` completes "Cannot `verb` `type_name`".
    pub fn missing_settings(&self, ctx: &Ctx, verb: &str) -> Result<(), Diagnostics> {
        let missing = ctx.missing_settings(self.settings);
        if missing.is_empty() {
            return Ok(());
        }
        let each = missing
            .iter()
            .map(|(name, how)| format!("`{name}` is not set: {how}"))
            .collect::<Vec<_>>()
            .join("; ");
        Err(Diagnostic::error(
            "Missing provider setting",
            format!("Cannot {verb} {}: {each}.", self.type_name),
        )
        .into())
    }

    /// For a call that cannot wait for them (apply, invoke, list): the error while a
    /// setting it needs is missing or unknown. `verb` completes "Cannot `verb` `type_name`".
    pub fn require_settings(&self, ctx: &Ctx, verb: &str) -> Result<(), Diagnostics> {
        self.missing_settings(ctx, verb)?;
        let unknown = self.unknown_settings(ctx);
        if unknown.is_empty() {
            return Ok(());
        }
        Err(self.settings_unknown_error(&unknown, verb))
    }

    /// For a call Terraform may defer (import, a data source read): `None` when the
    /// settings it needs are known; else the answer's diagnostics: an error for a missing
    /// setting; for an unknown one, none when Terraform accepts a deferred answer
    /// (`ctx.deferral_allowed`), an error when it does not.
    pub fn settings_pending(&self, ctx: &Ctx, verb: &str) -> Option<Diagnostics> {
        if let Err(d) = self.missing_settings(ctx, verb) {
            return Some(d);
        }
        let unknown = self.unknown_settings(ctx);
        if unknown.is_empty() {
            return None;
        }
        Some(match ctx.deferral_allowed {
            true => Diagnostics::new(),
            false => self.settings_unknown_error(&unknown, verb),
        })
    }

    fn settings_unknown_error(&self, names: &[&str], verb: &str) -> Diagnostics {
        let list = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        Diagnostic::error(
            "Provider configuration not known yet",
            format!(
                "Cannot {verb} {}: the provider setting {list} depends on values known only after apply. Set it from values known at plan time, or apply the resources it depends on first (terraform apply -target=...).",
                self.type_name
            ),
        )
        .into()
    }
}
