//! List resources (protocol 6.10, `terraform query` from Terraform 1.14): a `list` block
//! finds existing objects of a managed resource type, named by their identity, optionally
//! with their whole state, so `terraform query -generate-config-out` can write the config
//! and `import` blocks that adopt them.

use async_trait::async_trait;

use super::adapter::Core;
use super::ctx::Ctx;
use super::cty::{Type, Value};
use super::diag::Diagnostics;
use super::model::Cty;
use super::schema::Schema;

/// One object found.
pub struct Listed<M> {
    /// How `terraform query` shows it.
    pub display_name: String,
    /// Its full state, as the managed resource of the same type would hold it.
    pub state: M,
}

#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The `list` block's `config`.
    type Config: Cty + Send + Sync;
    /// The managed resource's model.
    type Model: Cty + Send + Sync;

    /// The managed resource type it lists (a list resource shares its name).
    fn type_name(&self) -> &'static str;
    /// The attributes of the `config` block.
    fn schema(&self) -> Schema;
    fn settings(&self) -> &'static [&'static str] {
        &[]
    }
    /// At most `limit` objects matching `config`.
    async fn list(
        &self,
        ctx: &Ctx,
        config: Self::Config,
        limit: usize,
    ) -> Result<Vec<Listed<Self::Model>>, Diagnostics>;
}

/// A list resource seen through values, as the RPC layer drives it.
#[async_trait]
pub trait AnyListResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn config_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    /// The objects found, each as (display name, state value before conforming to the
    /// resource's type).
    async fn list(
        &self,
        ctx: &Ctx,
        config: Value,
        limit: usize,
    ) -> (Vec<(String, Value)>, Diagnostics);
}

pub fn list_resource<L: ListResource>(inner: L) -> Box<dyn AnyListResource> {
    let core = Core::new(inner.type_name(), inner.schema(), inner.settings(), inner);
    Box::new(ListAdapter { core })
}

struct ListAdapter<L> {
    core: Core<L>,
}

#[async_trait]
impl<L: ListResource> AnyListResource for ListAdapter<L> {
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
        self.core.validate(config, |_| {})
    }

    async fn list(
        &self,
        ctx: &Ctx,
        config: Value,
        limit: usize,
    ) -> (Vec<(String, Value)>, Diagnostics) {
        if let Err(d) = self.core.require_settings(ctx, "list") {
            return (Vec::new(), d);
        }
        let config = match self.core.decode(&config) {
            Ok(c) => c,
            Err(d) => return (Vec::new(), d),
        };
        match self.core.inner.list(ctx, config, limit).await {
            Ok(found) => (
                found
                    .into_iter()
                    .take(limit)
                    .map(|l| (l.display_name, l.state.to_cty()))
                    .collect(),
                Diagnostics::new(),
            ),
            Err(d) => (Vec::new(), d),
        }
    }
}
