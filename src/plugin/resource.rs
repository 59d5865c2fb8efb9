//! What a provider is made of: the `Provider`, `Resource` and `DataSource` traits a backend
//! implements on typed models, and the adapters that turn them into value-level operations
//! for the RPC layer: on the shared core (decoding, validation, encoding, settings unknown
//! until apply), a resource's declarative plan rules and CRUD, and a data source's read.

use async_trait::async_trait;

use super::action::AnyAction;
use super::adapter::Core;
use super::ctx::{Configured, Ctx};
use super::cty::{Type, Value};
use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::identity::Identity;
use super::list::AnyListResource;
use super::model::Cty;
use super::moves::MoveSource;
use super::plan::{plan_effects, plan_values, Plan};
use super::schema::Schema;
use super::stop::Stop;
use super::upgrade::StateUpgrader;

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

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    type Model: Cty + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// The provider settings (by dotted name) every API call of this resource needs. While
    /// one is unknown, plans do not call the API, and reads keep the state as it is.
    fn settings(&self) -> &'static [&'static str] {
        &[]
    }

    /// Checks across attributes on the raw configuration; values may be unknown or null.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// What the declared rules cannot know without the API (such as looking a name up).
    async fn modify_plan(&self, _ctx: &Ctx, _plan: &mut Plan) -> Diagnostics {
        Diagnostics::new()
    }

    /// A plan to destroy `prior`: errors refuse it at plan time.
    fn plan_destroy(&self, _prior: &Self::Model) -> Diagnostics {
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
    /// Warnings about an object just imported, shown with the import (such as changes the
    /// API will refuse).
    fn import_warnings(&self, _imported: &Self::Model) -> Diagnostics {
        Diagnostics::new()
    }

    /// One upgrader per earlier schema version whose state this resource still reads (see
    /// [`super::upgrade`]). Only called for state older than the schema.
    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        Vec::new()
    }

    /// The attributes that name the remote object for good (see [`Identity`](super::Identity)).
    fn identity(&self) -> Option<Identity> {
        None
    }

    /// Other providers' resource types whose state moves here (see [`super::moves`]).
    fn move_sources(&self) -> Vec<MoveSource> {
        Vec::new()
    }
}

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    type Model: Cty + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// As [`Resource::settings`]; a read waits for them (Terraform defers it, or fails).
    fn settings(&self) -> &'static [&'static str] {
        &[]
    }
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(&self, ctx: &Ctx, config: Self::Model) -> Result<Self::Model, Diagnostics>;
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's type name (`pools`): resource names start with it.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Builds the data and settings every resource receives in its `Ctx`. Settings the
    /// configuration leaves unknown stay unknown: never replaced by a default.
    async fn configure(
        &self,
        config: &Value,
        stop: &Stop,
        diags: &mut Diagnostics,
    ) -> Option<Configured>;
    fn resources(&self) -> Vec<Box<dyn AnyResource>>;
    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>>;
    /// List resources for `terraform query`; each lists the managed resource of its name.
    fn list_resources(&self) -> Vec<Box<dyn AnyListResource>> {
        Vec::new()
    }
    /// Actions, for `terraform apply -invoke` and `action_trigger`s.
    fn actions(&self) -> Vec<std::sync::Arc<dyn AnyAction>> {
        Vec::new()
    }
}

/// The outcome of planning one change, as the RPC layer answers it.
#[derive(Debug)]
pub struct Planned {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
    pub diagnostics: Diagnostics,
    /// Terraform should defer this change: provider settings it needs are unknown.
    pub deferred: bool,
}

/// The outcome of a read: the new state (the current one when deferred or failed).
#[derive(Debug)]
pub struct Read {
    pub state: Value,
    pub diagnostics: Diagnostics,
    pub deferred: bool,
}

/// A resource seen through values, as the RPC layer drives it.
#[async_trait]
pub trait AnyResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// The type of the resource's values (its schema block's object type).
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn plan(&self, ctx: &Ctx, prior: Value, proposed: Value, config: Value) -> Planned;
    async fn apply(&self, ctx: &Ctx, prior: Value, planned: Value) -> (Value, Diagnostics);
    async fn read(&self, ctx: &Ctx, current: Value) -> Read;
    /// The imported state, or None when deferred.
    async fn import(&self, ctx: &Ctx, id: &str) -> (Option<Value>, Diagnostics);
    fn state_upgraders(&self) -> Vec<StateUpgrader>;
    fn identity(&self) -> Option<&Identity>;
    fn move_sources(&self) -> Vec<MoveSource>;
}

#[async_trait]
pub trait AnyDataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn read(&self, ctx: &Ctx, config: Value) -> Read;
}

pub fn resource<R: Resource>(inner: R) -> Box<dyn AnyResource> {
    let identity = inner.identity();
    let core = Core::new(inner.type_name(), inner.schema(), inner.settings(), inner);
    Box::new(ResourceAdapter { core, identity })
}

pub fn data_source<D: DataSource>(inner: D) -> Box<dyn AnyDataSource> {
    let core = Core::new(inner.type_name(), inner.schema(), inner.settings(), inner);
    Box::new(DataSourceAdapter { core })
}

struct ResourceAdapter<R> {
    core: Core<R>,
    identity: Option<Identity>,
}

#[async_trait]
impl<R: Resource> AnyResource for ResourceAdapter<R> {
    fn type_name(&self) -> &'static str {
        self.core.type_name
    }

    fn schema(&self) -> &Schema {
        &self.core.schema
    }

    fn value_type(&self) -> &Type {
        &self.core.ty
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        self.core
            .validate(config, |diags| self.core.inner.validate(config, diags))
    }

    async fn plan(&self, ctx: &Ctx, prior: Value, proposed: Value, config: Value) -> Planned {
        let (core, inner) = (&self.core, &self.core.inner);
        if let Err(diagnostics) = core.missing_settings(ctx, "plan") {
            return Planned {
                planned: proposed,
                requires_replace: Vec::new(),
                diagnostics,
                deferred: false,
            };
        }
        let unknown_settings = core.unknown_settings(ctx);
        if proposed.is_null() {
            let diagnostics = match core.decode(&prior) {
                Ok(model) => inner.plan_destroy(&model),
                Err(d) => d,
            };
            return Planned {
                planned: Value::Null,
                requires_replace: Vec::new(),
                diagnostics,
                deferred: false,
            };
        }
        let mut diagnostics = Diagnostics::new();
        let block = &core.schema.block;
        let planned = plan_values(block, ctx, &prior, proposed, &config);
        let deferred = !unknown_settings.is_empty() && ctx.deferral_allowed;
        let mut plan = Plan {
            prior,
            config,
            planned,
            unknown_settings,
        };
        if !deferred {
            diagnostics.extend(inner.modify_plan(ctx, &mut plan).await);
        }
        let (planned, requires_replace) =
            plan_effects(block, &plan.prior, &plan.config, plan.planned);
        Planned {
            planned,
            requires_replace,
            diagnostics,
            deferred,
        }
    }

    async fn apply(&self, ctx: &Ctx, prior: Value, planned: Value) -> (Value, Diagnostics) {
        let (core, inner) = (&self.core, &self.core.inner);
        if let Err(d) = core.require_settings(ctx, "apply a change to") {
            return (prior, d);
        }
        let applied = match (&prior, &planned) {
            (_, Value::Null) => {
                let diags = match core.decode(&prior) {
                    Ok(model) => inner.delete(ctx, model).await,
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
            (Value::Null, _) => match core.decode(&planned) {
                Ok(p) => inner.create(ctx, p).await,
                Err(d) => return (Value::Null, d),
            },
            _ => match (core.decode(&prior), core.decode(&planned)) {
                (Ok(old), Ok(new)) => inner.update(ctx, old, new).await,
                (Err(d), _) | (_, Err(d)) => return (prior, d),
            },
        };
        let state = applied
            .state
            .as_ref()
            .map_or(Value::Null, |m| core.encode(m));
        (state, applied.diagnostics)
    }

    async fn read(&self, ctx: &Ctx, current: Value) -> Read {
        let (core, inner) = (&self.core, &self.core.inner);
        if let Err(diagnostics) = core.missing_settings(ctx, "refresh") {
            return Read {
                state: current,
                diagnostics,
                deferred: false,
            };
        }
        let unknown = core.unknown_settings(ctx);
        if !unknown.is_empty() {
            // Planning with settings known only at apply: the state stays as last read.
            let diagnostics = if ctx.deferral_allowed {
                Diagnostics::new()
            } else {
                Diagnostic::warning(
                    format!("{} not refreshed", core.type_name),
                    format!(
                        "The provider setting {} is known only after apply, so this plan shows the state as it was last read.",
                        unknown.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .into()
            };
            return Read {
                state: current,
                diagnostics,
                deferred: ctx.deferral_allowed,
            };
        }
        let (state, diagnostics) = match core.decode(&current) {
            Err(d) => (current, d),
            Ok(model) => match inner.read(ctx, model).await {
                Ok(Some(m)) => (core.encode(&m), Diagnostics::new()),
                Ok(None) => (Value::Null, Diagnostics::new()),
                // Keep the state as it was: a failed refresh must not drop the resource.
                Err(d) => (current, d),
            },
        };
        Read {
            state,
            diagnostics,
            deferred: false,
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> (Option<Value>, Diagnostics) {
        if let Some(diags) = self.core.settings_pending(ctx, "import") {
            return (None, diags);
        }
        match self.core.inner.import(ctx, id).await {
            Ok(m) => (
                Some(self.core.encode(&m)),
                self.core.inner.import_warnings(&m),
            ),
            Err(d) => (None, d),
        }
    }

    fn state_upgraders(&self) -> Vec<StateUpgrader> {
        self.core.inner.state_upgraders()
    }

    fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    fn move_sources(&self) -> Vec<MoveSource> {
        self.core.inner.move_sources()
    }
}

struct DataSourceAdapter<D> {
    core: Core<D>,
}

#[async_trait]
impl<D: DataSource> AnyDataSource for DataSourceAdapter<D> {
    fn type_name(&self) -> &'static str {
        self.core.type_name
    }

    fn schema(&self) -> &Schema {
        &self.core.schema
    }

    fn value_type(&self) -> &Type {
        &self.core.ty
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        self.core
            .validate(config, |diags| self.core.inner.validate(config, diags))
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> Read {
        let core = &self.core;
        if let Some(diagnostics) = core.settings_pending(ctx, "read data source") {
            // Deferred (or refused): every value waits for apply.
            return Read {
                state: Value::Unknown(Default::default()),
                diagnostics,
                deferred: ctx.deferral_allowed,
            };
        }
        let result = match core.decode(&config) {
            Ok(model) => core.inner.read(ctx, model).await,
            Err(d) => Err(d),
        };
        let (state, diagnostics) = match result {
            Ok(m) => (core.encode(&m), Diagnostics::new()),
            Err(d) => (Value::Null, d),
        };
        Read {
            state,
            diagnostics,
            deferred: false,
        }
    }
}
