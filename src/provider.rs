//! The `pools` provider: one configuration block per backend (each backend owns its
//! settings) and the resources and data sources it serves.

use std::sync::Arc;

use async_trait::async_trait;

use crate::exoscale::{
    EvictAction, InstancePoolDataSource, InstancePoolList, InstancePoolResource,
    InstancePoolsDataSource,
};
use crate::ona::{WarmPoolDataSource, WarmPoolList, WarmPoolResource, WarmPoolsDataSource};
use crate::plugin::cty::Value;
use crate::plugin::schema::{Block, NestedBlock, Schema};
use crate::plugin::{
    action, data_source, list_resource, resource, AnyAction, AnyDataSource, AnyListResource,
    AnyResource, Configured, Diagnostics, Provider, Settings, Stop,
};
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
        let ona = ona::settings::configure(config, stop, &mut settings, diags);
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

    fn list_resources(&self) -> Vec<Box<dyn AnyListResource>> {
        vec![
            list_resource(InstancePoolList::default()),
            list_resource(WarmPoolList),
        ]
    }

    fn actions(&self) -> Vec<Arc<dyn AnyAction>> {
        vec![action(EvictAction)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::msgpack;
    use crate::plugin::proto::tfplugin6 as pb;
    use crate::plugin::proto::tfplugin6::provider_server::Provider as _;
    use crate::plugin::ProviderService;
    use crate::testing::{n, object, s};
    use tonic::Request;

    fn dynamic(value: &Value, ty: &crate::plugin::cty::Type) -> Option<pb::DynamicValue> {
        let value = crate::plugin::conform(value.clone(), ty);
        Some(pb::DynamicValue {
            msgpack: msgpack::encode(&value, ty).unwrap(),
            json: Vec::new(),
        })
    }

    /// Over the wire as Terraform drives it: a provider zone unknown at plan time plans the
    /// pool's zone as unknown, and a Terraform that allows deferral (protocol 6.6) gets the
    /// change deferred while the credentials are unknown.
    #[tokio::test]
    async fn unknown_provider_settings_over_grpc() {
        let service = ProviderService::new(PoolsProvider, Stop::new());
        let provider_ty = PoolsProvider.schema().block.ty();
        let unknown = Value::Unknown(Default::default());
        let config = object([(
            "exoscale",
            object([
                ("key", s("EXOkey")),
                ("secret", s("secret")),
                ("endpoint", unknown.clone()),
                ("zone", unknown.clone()),
            ]),
        )]);
        let configured = service
            .configure_provider(Request::new(pb::configure_provider::Request {
                config: dynamic(&config, &provider_ty),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            configured.diagnostics.is_empty(),
            "{:?}",
            configured.diagnostics
        );

        let ty = resource(InstancePoolResource::default())
            .value_type()
            .clone();
        let pool = object([
            ("name", s("web")),
            ("size", n(1)),
            ("instance_type", s("standard.small")),
            ("template_id", s("22222222-0000-4000-8000-000000000001")),
            ("disk_size", n(10)),
        ]);
        let plan = |deferral_allowed| pb::plan_resource_change::Request {
            type_name: "pools_instance_pool".into(),
            prior_state: dynamic(&Value::Null, &ty),
            proposed_new_state: dynamic(&pool, &ty),
            config: dynamic(&pool, &ty),
            client_capabilities: Some(pb::ClientCapabilities {
                deferral_allowed,
                ..Default::default()
            }),
            ..Default::default()
        };
        let planned = service
            .plan_resource_change(Request::new(plan(false)))
            .await
            .unwrap()
            .into_inner();
        assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
        assert_eq!(planned.deferred, None);
        let state = msgpack::decode(&planned.planned_state.unwrap().msgpack, &ty).unwrap();
        assert!(state.attr("zone").is_unknown(), "{state:?}");

        let deferred = service
            .plan_resource_change(Request::new(plan(true)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            deferred.deferred.map(|d| d.reason),
            Some(pb::deferred::Reason::ProviderConfigUnknown as i32)
        );
    }
}

#[cfg(test)]
mod identity_tests {
    use super::*;
    use crate::plugin::cty::msgpack;
    use crate::plugin::proto::tfplugin6 as pb;
    use crate::plugin::proto::tfplugin6::provider_server::Provider as _;
    use crate::plugin::{ProviderService, Resource as _};
    use tonic::Request;

    #[tokio::test]
    async fn identity_schemas_and_their_upgrade() {
        let service = ProviderService::new(PoolsProvider, Stop::new());
        let schemas = service
            .get_resource_identity_schemas(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner()
            .identity_schemas;
        let pool = &schemas["pools_instance_pool"];
        let names: Vec<&str> = pool
            .identity_attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["id", "zone"]);
        assert_eq!(schemas["pools_warm_pool"].identity_attributes.len(), 1);

        let upgrade = |version, json: &str| pb::upgrade_resource_identity::Request {
            type_name: "pools_instance_pool".into(),
            version,
            raw_identity: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                flatmap: Default::default(),
            }),
        };
        let id = r#"{"id":"01234567-89ab-cdef-0123-456789abcdef","zone":"de-fra-1"}"#;
        let upgraded = service
            .upgrade_resource_identity(Request::new(upgrade(0, id)))
            .await
            .unwrap()
            .into_inner();
        assert!(
            upgraded.diagnostics.is_empty(),
            "{:?}",
            upgraded.diagnostics
        );
        let data = upgraded.upgraded_identity.unwrap().identity_data.unwrap();
        let ty = InstancePoolResource::default()
            .identity()
            .map(|i| i.ty())
            .unwrap();
        let value = msgpack::decode(&data.msgpack, &ty).unwrap();
        assert_eq!(value.attr("zone"), &Value::String("de-fra-1".into()));
        let newer = service
            .upgrade_resource_identity(Request::new(upgrade(1, id)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(newer.upgraded_identity, None);
        assert_eq!(
            newer.diagnostics[0].summary,
            "State written by a newer provider"
        );
    }
}

#[cfg(test)]
mod ca_file_tests {
    use super::*;
    use crate::testing::{object, s};

    /// An unusable `ca_file` fails configure, on the attribute, saying what is wrong; a
    /// good one configures a client.
    #[tokio::test]
    async fn ca_files_are_checked_at_configure_time() {
        let dir = std::env::temp_dir().join(format!("pools-ca-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_pem = dir.join("key.pem");
        std::fs::write(&not_pem, "just some text\n").unwrap();
        let config = object([
            ("exoscale", object([("ca_file", s("/nonexistent/ca.pem"))])),
            ("ona", object([("ca_file", s(not_pem.to_str().unwrap()))])),
        ]);
        let mut diags = Diagnostics::new();
        let configured = PoolsProvider
            .configure(&config, &Stop::new(), &mut diags)
            .await;
        assert!(configured.is_none());
        let found: Vec<(String, &str, &str)> = diags
            .0
            .iter()
            .map(|d| {
                let path = d.path.as_ref().map(|p| p.to_string()).unwrap_or_default();
                (path, d.summary.as_str(), d.detail.as_str())
            })
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            (found[0].0.as_str(), found[0].1),
            ("exoscale.ca_file", "Unusable CA file")
        );
        assert!(
            found[0]
                .2
                .starts_with("`exoscale.ca_file`: cannot read \"/nonexistent/ca.pem\": "),
            "{found:?}"
        );
        assert_eq!(
            (found[1].0.as_str(), found[1].1),
            ("ona.ca_file", "Unusable CA file")
        );
        assert!(found[1].2.contains("holds no PEM certificate"), "{found:?}");

        let sandbox = pools_sandbox::Sandbox::start(
            pools_sandbox::Config {
                tls: true,
                ..Default::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, sandbox.ca_pem().unwrap()).unwrap();
        let config = object([(
            "ona",
            object([
                ("ca_file", s(ca.to_str().unwrap())),
                ("token", s(pools_sandbox::DEFAULT_ONA_TOKEN)),
                ("endpoint", s(&sandbox.ona_endpoint())),
            ]),
        )]);
        let mut diags = Diagnostics::new();
        let configured = PoolsProvider
            .configure(&config, &Stop::new(), &mut diags)
            .await;
        let _ = std::fs::remove_dir_all(&dir);
        assert!(diags.is_empty(), "{diags:?}");
        let configured = configured.unwrap();
        let ctx = crate::plugin::Ctx::new(Some(Arc::new(configured)), Stop::new());
        let client = crate::ona::settings::Ona::client(&ctx).unwrap();
        let pools = client.list_warm_pools(&Default::default()).await;
        assert!(pools.is_ok(), "{pools:?}");
    }
}
