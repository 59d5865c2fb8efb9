//! The `pools` provider: one configuration block per backend (each backend owns its
//! settings) and the resources and data sources it serves.

use std::sync::Arc;

use async_trait::async_trait;

use crate::exoscale::data_source::{InstancePoolDataSource, InstancePoolsDataSource};
use crate::exoscale::resource::InstancePoolResource;
use crate::ona::data_source::{WarmPoolDataSource, WarmPoolsDataSource};
use crate::ona::resource::WarmPoolResource;
use crate::plugin::ctx::{Configured, Settings};
use crate::plugin::cty::Value;
use crate::plugin::diag::Diagnostics;
use crate::plugin::resource::{data_source, resource, AnyDataSource, AnyResource, Provider};
use crate::plugin::schema::{Block, NestedBlock, Schema};
use crate::wait::Stop;
use crate::{exoscale, ona};

pub struct PoolsProvider;

#[async_trait]
impl Provider for PoolsProvider {
    fn type_name(&self) -> &'static str {
        "pools"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("Manages Exoscale Instance Pools and Ona prebuild warm pools.")
                .block(NestedBlock::single("exoscale", exoscale::settings::block()))
                .block(NestedBlock::single("ona", ona::settings::block())),
        )
    }

    async fn configure(
        &self,
        config: &Value,
        stop: &Stop,
        diags: &mut Diagnostics,
    ) -> Option<Configured> {
        let mut settings = Settings::default();
        let exoscale = exoscale::settings::configure(config, stop, &mut settings, diags);
        let ona = ona::settings::configure(config, stop, &mut settings);
        if diags.has_errors() {
            return None;
        }
        Some(Configured {
            data: vec![Arc::new(exoscale), Arc::new(ona)],
            settings,
        })
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource>> {
        vec![
            resource(InstancePoolResource::default()),
            resource(WarmPoolResource),
        ]
    }

    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>> {
        vec![
            data_source(InstancePoolDataSource),
            data_source(InstancePoolsDataSource),
            data_source(WarmPoolDataSource),
            data_source(WarmPoolsDataSource),
        ]
    }
}
