//! What a provider is made of: the `Provider`, `Resource` and `DataSource` traits a backend
//! implements on typed models, and the adapters that turn them into value-level operations
//! for the RPC layer (decoding, validation, declarative plan rules, encoding).

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::cty::{Type, Value};
use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::model::{conform, Cty};
use super::schema::{Attribute, Block, NestedBlock, Schema};
use super::upgrade::StateUpgrader;
use super::validators;
use crate::wait::Stop;

/// What every CRUD call gets: the configured provider's data and the stop signal.
#[derive(Clone)]
pub struct Ctx {
    data: Option<Arc<dyn Any + Send + Sync>>,
    pub stop: Stop,
}

impl Ctx {
    pub fn new(data: Option<Arc<dyn Any + Send + Sync>>, stop: Stop) -> Self {
        Ctx { data, stop }
    }

    /// The data the provider's `configure` returned, or an error if it was not configured.
    pub fn data<T: Send + Sync + 'static>(&self) -> Result<&T, Diagnostics> {
        self.data.as_deref().and_then(|d| d.downcast_ref::<T>()).ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The provider was used before it was configured. This is a bug in the provider or Terraform.",
            )
            .into()
        })
    }
}

/// The outcome of a create or update. `state` is what exists now: it is recorded even when
/// `diagnostics` has errors, so nothing the backend created is ever lost.
pub struct Applied<M> {
    pub state: Option<M>,
    pub diagnostics: Diagnostics,
}

impl<M> Applied<M> {
    pub fn ok(state: M) -> Self {
        Applied {
            state: Some(state),
            diagnostics: Diagnostics::new(),
        }
    }

    pub fn failed(state: Option<M>, diagnostics: impl Into<Diagnostics>) -> Self {
        Applied {
            state,
            diagnostics: diagnostics.into(),
        }
    }
}

/// A plan being made: the declarative rules have run; a resource may adjust it further.
pub struct Plan {
    /// Null when creating.
    pub prior: Value,
    pub config: Value,
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
}

impl Plan {
    pub fn is_create(&self) -> bool {
        matches!(self.prior, Value::Null)
    }

    pub fn prior(&self, name: &str) -> &Value {
        attr(&self.prior, name)
    }

    pub fn config(&self, name: &str) -> &Value {
        attr(&self.config, name)
    }

    pub fn planned(&self, name: &str) -> &Value {
        attr(&self.planned, name)
    }

    pub fn set_planned(&mut self, name: &str, value: Value) {
        if let Value::Object(attrs) = &mut self.planned {
            attrs.insert(name.to_string(), value);
        }
    }

    pub fn replace_on(&mut self, name: &str) {
        let path = AttrPath::attrs(&[name]);
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }
}

/// An attribute of an object value (null when absent or when the value is not an object).
pub fn attr<'a>(value: &'a Value, name: &str) -> &'a Value {
    match value {
        Value::Object(attrs) => attrs.get(name).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    type Model: Cty + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks across attributes on the raw configuration; values may be unknown or null.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Resource-specific planning, after defaults, replacement and unknown marking.
    async fn modify_plan(&self, _ctx: &Ctx, _plan: &mut Plan) -> Diagnostics {
        Diagnostics::new()
    }

    async fn create(&self, ctx: &Ctx, planned: Self::Model) -> Applied<Self::Model>;
    /// `Ok(None)`: the object is gone, and Terraform will plan to create it again.
    async fn read(
        &self,
        ctx: &Ctx,
        current: Self::Model,
    ) -> Result<Option<Self::Model>, Diagnostics>;
    async fn update(
        &self,
        ctx: &Ctx,
        prior: Self::Model,
        planned: Self::Model,
    ) -> Applied<Self::Model>;
    async fn delete(&self, ctx: &Ctx, prior: Self::Model) -> Diagnostics;
    /// The full state of an existing object named by the user's import id.
    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Self::Model, Diagnostics>;

    /// One upgrader per earlier schema version whose state this resource still reads (see
    /// [`super::upgrade`]). Only called for state older than the schema.
    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        Vec::new()
    }
}

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    type Model: Cty + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(&self, ctx: &Ctx, config: Self::Model) -> Result<Self::Model, Diagnostics>;
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's type name (`pools`): resource names start with it.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Builds the data every resource receives in its `Ctx`.
    async fn configure(
        &self,
        config: &Value,
        stop: &Stop,
        diags: &mut Diagnostics,
    ) -> Option<Arc<dyn Any + Send + Sync>>;
    fn resources(&self) -> Vec<Box<dyn AnyResource>>;
    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>>;
}

/// A resource seen through values, as the RPC layer drives it.
#[async_trait]
pub trait AnyResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// The type of the resource's values (its schema block's object type).
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn plan(
        &self,
        ctx: &Ctx,
        prior: Value,
        proposed: Value,
        config: Value,
    ) -> (Value, Vec<AttrPath>, Diagnostics);
    async fn apply(&self, ctx: &Ctx, prior: Value, planned: Value) -> (Value, Diagnostics);
    async fn read(&self, ctx: &Ctx, current: Value) -> (Value, Diagnostics);
    async fn import(&self, ctx: &Ctx, id: &str) -> (Value, Diagnostics);
    fn state_upgraders(&self) -> Vec<StateUpgrader>;
}

#[async_trait]
pub trait AnyDataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn read(&self, ctx: &Ctx, config: Value) -> (Value, Diagnostics);
}

pub fn resource<R: Resource>(inner: R) -> Box<dyn AnyResource> {
    let schema = inner.schema();
    Box::new(Adapter {
        ty: schema.block.ty(),
        inner,
        schema,
    })
}

pub fn data_source<D: DataSource>(inner: D) -> Box<dyn AnyDataSource> {
    let schema = inner.schema();
    Box::new(Adapter {
        ty: schema.block.ty(),
        inner,
        schema,
    })
}

struct Adapter<T> {
    inner: T,
    schema: Schema,
    /// The schema's value type, computed once.
    ty: Type,
}

impl<T> Adapter<T> {
    fn decode<M: Cty>(&self, value: &Value) -> Result<M, Diagnostics> {
        M::from_cty(value, &AttrPath::root()).map_err(Diagnostics::from)
    }

    fn encode<M: Cty>(&self, model: &M) -> Value {
        conform(model.to_cty(), &self.ty)
    }

    /// The schema's declarative validators, then the resource's own cross-attribute checks.
    fn validate_with(&self, config: &Value, custom: impl FnOnce(&mut Diagnostics)) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate_block(&self.schema.block, config, &AttrPath::root(), &mut diags);
        custom(&mut diags);
        diags
    }
}

#[async_trait]
impl<R: Resource> AnyResource for Adapter<R> {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn value_type(&self) -> &Type {
        &self.ty
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        self.validate_with(config, |diags| self.inner.validate(config, diags))
    }

    async fn plan(
        &self,
        ctx: &Ctx,
        prior: Value,
        proposed: Value,
        config: Value,
    ) -> (Value, Vec<AttrPath>, Diagnostics) {
        if matches!(proposed, Value::Null) {
            return (Value::Null, Vec::new(), Diagnostics::new());
        }
        let (planned, requires_replace) = plan_block(&self.schema.block, &prior, proposed, &config);
        let mut plan = Plan {
            prior,
            config,
            planned,
            requires_replace,
        };
        let diags = self.inner.modify_plan(ctx, &mut plan).await;
        (plan.planned, plan.requires_replace, diags)
    }

    async fn apply(&self, ctx: &Ctx, prior: Value, planned: Value) -> (Value, Diagnostics) {
        let applied = match (&prior, &planned) {
            (_, Value::Null) => {
                let diags = match self.decode(&prior) {
                    Ok(model) => self.inner.delete(ctx, model).await,
                    Err(d) => d,
                };
                // A failed delete keeps the object in state: it still exists.
                let state = if diags.has_errors() {
                    prior
                } else {
                    Value::Null
                };
                return (state, diags);
            }
            (Value::Null, _) => match self.decode(&planned) {
                Ok(p) => self.inner.create(ctx, p).await,
                Err(d) => return (Value::Null, d),
            },
            _ => match (self.decode(&prior), self.decode(&planned)) {
                (Ok(old), Ok(new)) => self.inner.update(ctx, old, new).await,
                (Err(d), _) | (_, Err(d)) => return (prior, d),
            },
        };
        let state = applied
            .state
            .as_ref()
            .map_or(Value::Null, |m| self.encode(m));
        (state, applied.diagnostics)
    }

    async fn read(&self, ctx: &Ctx, current: Value) -> (Value, Diagnostics) {
        let model = match self.decode(&current) {
            Ok(m) => m,
            Err(d) => return (current, d),
        };
        match self.inner.read(ctx, model).await {
            Ok(Some(m)) => (self.encode(&m), Diagnostics::new()),
            Ok(None) => (Value::Null, Diagnostics::new()),
            // Keep the state as it was: a failed refresh must not drop the resource.
            Err(d) => (current, d),
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> (Value, Diagnostics) {
        match self.inner.import(ctx, id).await {
            Ok(m) => (self.encode(&m), Diagnostics::new()),
            Err(d) => (Value::Null, d),
        }
    }

    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        self.inner.state_upgraders()
    }
}

#[async_trait]
impl<D: DataSource> AnyDataSource for Adapter<D> {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn value_type(&self) -> &Type {
        &self.ty
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        self.validate_with(config, |diags| self.inner.validate(config, diags))
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> (Value, Diagnostics) {
        let model = match self.decode(&config) {
            Ok(m) => m,
            Err(d) => return (Value::Null, d),
        };
        match self.inner.read(ctx, model).await {
            Ok(m) => (self.encode(&m), Diagnostics::new()),
            Err(d) => (Value::Null, d),
        }
    }
}

/// Runs every attribute's validators over a (possibly partly unknown) configuration.
pub fn validate_block(block: &Block, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    if !matches!(value, Value::Object(_)) {
        return;
    }
    for a in &block.attributes {
        let v = attr(value, &a.name);
        let at = path.attr(&a.name);
        for validator in &a.validators {
            validator.validate(v, &at, diags);
        }
        if let Some((_, inner)) = &a.nested {
            let inner = Block {
                attributes: inner.clone(),
                ..Block::default()
            };
            match v {
                Value::List(items) | Value::Set(items) => {
                    for (i, item) in items.iter().enumerate() {
                        validate_block(&inner, item, &at.index(i), diags);
                    }
                }
                Value::Map(items) => {
                    for (k, item) in items {
                        validate_block(&inner, item, &at.key(k), diags);
                    }
                }
                object => validate_block(&inner, object, &at, diags),
            }
        }
    }
    for b in &block.blocks {
        match attr(value, &b.name) {
            Value::List(items) | Value::Set(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate_block(&b.block, item, &path.attr(&b.name).index(i), diags);
                }
            }
            v => validate_block(&b.block, v, &path.attr(&b.name), diags),
        }
    }
}

/// The declarative plan rules over one block: defaults, semantic equality with the prior
/// state, computed values marked unknown when something changes (unless they keep their
/// state), and requires-replace.
fn plan_block(
    block: &Block,
    prior: &Value,
    proposed: Value,
    config: &Value,
) -> (Value, Vec<AttrPath>) {
    let Value::Object(mut planned) = proposed else {
        return (proposed, Vec::new());
    };
    let creating = matches!(prior, Value::Null);
    for a in &block.attributes {
        let configured = attr(config, &a.name);
        if matches!(configured, Value::Null) {
            if let Some(default) = &a.default {
                planned.insert(a.name.clone(), default.clone());
            } else if a.is_computed() && creating {
                planned.insert(a.name.clone(), Value::Unknown(Default::default()));
            }
        } else if let (Some(eq), false) = (a.semantic_eq, creating) {
            let before = attr(prior, &a.name);
            if configured.is_known() && !matches!(before, Value::Null) && eq(before, configured) {
                planned.insert(a.name.clone(), before.clone());
            }
        }
    }
    let mut requires_replace = Vec::new();
    if !creating {
        let changed = !Value::Object(planned.clone()).same_as(prior);
        for a in &block.attributes {
            let configured = attr(config, &a.name);
            if changed
                && a.is_computed()
                && matches!(configured, Value::Null)
                && a.default.is_none()
                && !a.use_state_for_unknown
            {
                planned.insert(a.name.clone(), Value::Unknown(Default::default()));
            }
            let now = planned.get(&a.name).unwrap_or(&Value::Null);
            if a.requires_replace && !now.same_as(attr(prior, &a.name)) {
                requires_replace.push(AttrPath::attrs(&[&a.name]));
            }
        }
    }
    (Value::Object(planned), requires_replace)
}

/// The `timeouts { create, read, update, delete }` block, with the operations a resource
/// supports.
pub fn timeouts_block(operations: &[&str], defaults: &[Duration]) -> NestedBlock {
    let mut block =
        Block::new("How long to wait for each operation, as a duration like `30s`, `10m` or `1h`.");
    for (op, default) in operations.iter().zip(defaults) {
        let what = match *op {
            "read" => "a read (refresh)".to_string(),
            op => op.to_string(),
        };
        block = block.attribute(
            Attribute::string(op)
                .optional()
                .describe(&format!(
                    "How long to wait for {what} to finish. Default: `{}`.",
                    show_duration(*default)
                ))
                .validate(validators::duration()),
        );
    }
    NestedBlock::single("timeouts", block)
}

fn show_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (h, 0, 0) if h > 0 => format!("{h}h"),
        (0, m, 0) => format!("{m}m"),
        (0, 0, sec) => format!("{sec}s"),
        (h, m, sec) => format!("{h}h{m}m{sec}s"),
    }
}

crate::model! {
    /// The user's `timeouts` block.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Timeouts {
        pub create: Option<String>,
        pub read: Option<String>,
        pub update: Option<String>,
        pub delete: Option<String>,
    }
}

impl Timeouts {
    /// The configured timeout for `op` (create, read, update, delete), or `default`.
    pub fn of(timeouts: &Option<Timeouts>, op: &str, default: Duration) -> Duration {
        let configured = timeouts.as_ref().and_then(|t| match op {
            "create" => t.create.as_deref(),
            "read" => t.read.as_deref(),
            "update" => t.update.as_deref(),
            "delete" => t.delete.as_deref(),
            _ => None,
        });
        configured
            .and_then(validators::parse_duration)
            .unwrap_or(default)
    }
}
