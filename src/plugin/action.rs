//! Actions (protocol 6.10, Terraform 1.14+): operations that are not resources, run by
//! `terraform apply -invoke=action.TYPE.NAME` or by a resource's `lifecycle { action_trigger }`.
//! An action is planned (checked) and invoked; while it runs it streams progress messages.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::adapter::Core;
use super::ctx::Ctx;
use super::cty::{Type, Value};
use super::diag::Diagnostics;
use super::model::Cty;
use super::schema::Schema;

/// Where an invocation reports progress; Terraform shows each message as it comes.
#[derive(Clone)]
pub struct Progress(mpsc::Sender<String>);

impl Progress {
    pub fn new(sender: mpsc::Sender<String>) -> Self {
        Progress(sender)
    }

    pub async fn say(&self, message: impl Into<String>) {
        // Terraform may have stopped listening; the action goes on regardless.
        let _ = self.0.send(message.into()).await;
    }
}

#[async_trait]
pub trait Action: Send + Sync + 'static {
    type Config: Cty + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn settings(&self) -> &'static [&'static str] {
        &[]
    }
    /// Cross-attribute checks on the raw configuration (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn invoke(&self, ctx: &Ctx, config: Self::Config, progress: &Progress) -> Diagnostics;
}

/// An action seen through values, as the RPC layer drives it.
#[async_trait]
pub trait AnyAction: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn config_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    /// What planning the action can check: the configuration, and that the settings its
    /// invocation needs will be known.
    fn plan(&self, ctx: &Ctx, config: &Value) -> Diagnostics;
    async fn invoke(&self, ctx: &Ctx, config: Value, progress: &Progress) -> Diagnostics;
}

pub fn action<A: Action>(inner: A) -> Arc<dyn AnyAction> {
    let core = Core::new(inner.type_name(), inner.schema(), inner.settings(), inner);
    Arc::new(ActionAdapter { core })
}

struct ActionAdapter<A> {
    core: Core<A>,
}

#[async_trait]
impl<A: Action> AnyAction for ActionAdapter<A> {
    fn type_name(&self) -> &'static str {
        self.core.type_name
    }

    fn schema(&self) -> &Schema {
        &self.core.schema
    }

    fn config_type(&self) -> &Type {
        &self.core.ty
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        self.core
            .validate(config, |diags| self.core.inner.validate(config, diags))
    }

    fn plan(&self, ctx: &Ctx, config: &Value) -> Diagnostics {
        // Settings unknown now are known when the action runs, at apply: nothing to refuse;
        // a setting set nowhere will still be missing then.
        let mut diags = self.validate(config);
        if let Err(missing) = self.core.missing_settings(ctx, "invoke") {
            diags.extend(missing);
        }
        diags
    }

    async fn invoke(&self, ctx: &Ctx, config: Value, progress: &Progress) -> Diagnostics {
        if let Err(d) = self.core.require_settings(ctx, "invoke") {
            return d;
        }
        match self.core.decode(&config) {
            Ok(config) => self.core.inner.invoke(ctx, config, progress).await,
            Err(d) => d,
        }
    }
}
