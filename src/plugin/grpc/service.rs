//! [`ProviderService`], the `tfplugin6.Provider` gRPC service: the provider's resources,
//! data sources, list resources and actions by type name, the configured provider, and
//! the stop signal. It answers the provider-level RPCs itself (metadata, schemas,
//! validating and configuring the provider, StopProvider); every other RPC is looked up
//! here (an unknown type name is NOT_FOUND), given its call's context, and answered by
//! the file of its kind. Every handler runs inside [`log::serving`], so each line it logs
//! names the RPC and the type it serves.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tonic::{Request, Response, Status};

use super::actions::{self, InvokeStream};
use super::codec::{decode, try_diags, RpcResult};
use super::data_sources;
use super::list_resources::{self, ListStream};
use super::resources;
use crate::plugin::action::AnyAction;
use crate::plugin::ctx::{Configured, Ctx};
use crate::plugin::cty::Type;
use crate::plugin::diag::{AttrPath, Diagnostics};
use crate::plugin::list::AnyListResource;
use crate::plugin::log::{self, serving, Serves};
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::resource::{AnyDataSource, AnyResource, Provider};
use crate::plugin::schema::validate_block;
use crate::plugin::stop::Stop;

pub struct ProviderService {
    provider: Box<dyn Provider>,
    provider_type: Type,
    resources: HashMap<String, Box<dyn AnyResource>>,
    data_sources: HashMap<String, Box<dyn AnyDataSource>>,
    list_resources: HashMap<String, Box<dyn AnyListResource>>,
    actions: HashMap<String, Arc<dyn AnyAction>>,
    schema: pb::get_provider_schema::Response,
    configured: RwLock<Option<Arc<Configured>>>,
    stop: Stop,
}

impl ProviderService {
    pub fn new(provider: impl Provider, stop: Stop) -> Self {
        let provider_schema = provider.schema();
        let resources: HashMap<_, _> = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name().to_string(), r))
            .collect();
        let data_sources: HashMap<_, _> = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name().to_string(), d))
            .collect();
        let list_resources: HashMap<_, _> = provider
            .list_resources()
            .into_iter()
            .map(|l| (l.type_name().to_string(), l))
            .collect();
        let actions: HashMap<_, _> = provider
            .actions()
            .into_iter()
            .map(|a| (a.type_name().to_string(), a))
            .collect();
        let schema = pb::get_provider_schema::Response {
            provider: Some(provider_schema.to_proto()),
            resource_schemas: resources
                .iter()
                .map(|(n, r)| (n.clone(), r.schema().to_proto()))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(n, d)| (n.clone(), d.schema().to_proto()))
                .collect(),
            list_resource_schemas: list_resources
                .iter()
                .map(|(n, l)| (n.clone(), l.schema().to_proto()))
                .collect(),
            action_schemas: actions
                .iter()
                .map(|(n, a)| {
                    let schema = Some(a.schema().to_proto());
                    (n.clone(), pb::ActionSchema { schema })
                })
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        };
        ProviderService {
            provider_type: provider_schema.block.ty(),
            provider: Box::new(provider),
            resources,
            data_sources,
            list_resources,
            actions,
            schema,
            configured: RwLock::new(None),
            stop,
        }
    }

    /// The provider's full schema, as `GetProviderSchema` answers it (also used for docs).
    pub fn schema(&self) -> &pb::get_provider_schema::Response {
        &self.schema
    }

    /// The context of one call; `client` is the request's client capabilities.
    fn ctx(&self, client: Option<&pb::ClientCapabilities>) -> Ctx {
        let configured = self
            .configured
            .read()
            .map(|d| d.clone())
            .unwrap_or_else(|e| e.into_inner().clone());
        Ctx::new(configured, self.stop.clone())
            .with_deferral(client.is_some_and(|c| c.deferral_allowed))
    }

    fn resource(&self, name: &str) -> Result<&dyn AnyResource, Status> {
        self.resources
            .get(name)
            .map(|r| &**r)
            .ok_or_else(|| Status::not_found(format!("unknown resource type {name}")))
    }

    fn action(&self, name: &str) -> Result<Arc<dyn AnyAction>, Status> {
        self.actions
            .get(name)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("unknown action type {name}")))
    }

    fn list_resource(&self, name: &str) -> Result<&dyn AnyListResource, Status> {
        self.list_resources
            .get(name)
            .map(|l| &**l)
            .ok_or_else(|| Status::not_found(format!("unknown list resource type {name}")))
    }

    fn data_source(&self, name: &str) -> Result<&dyn AnyDataSource, Status> {
        self.data_sources
            .get(name)
            .map(|d| &**d)
            .ok_or_else(|| Status::not_found(format!("unknown data source type {name}")))
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        // Destroy plans reach the provider, so it can refuse to destroy what it must not.
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: true,
        generate_resource_config: false,
    }
}

/// The provider-level RPCs, answered here (the trait below serves each as its RPC).
impl ProviderService {
    fn metadata(&self) -> RpcResult<pb::get_metadata::Response> {
        use pb::get_metadata::{DataSourceMetadata, ResourceMetadata};
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|n| ResourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|n| DataSourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            list_resources: self
                .list_resources
                .keys()
                .map(|n| pb::get_metadata::ListResourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            actions: self
                .actions
                .keys()
                .map(|n| pb::get_metadata::ActionMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    fn identity_schemas(&self) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .resources
                .iter()
                .filter_map(|(n, r)| r.identity().map(|i| (n.clone(), i.to_proto())))
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    fn validate_config(
        &self,
        r: pb::validate_provider_config::Request,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let empty = pb::validate_provider_config::Response::default();
        let config = try_diags!(
            decode(
                r.config.as_ref(),
                &self.provider_type,
                "provider configuration"
            ),
            empty
        );
        let mut diags = Diagnostics::new();
        validate_block(
            &self.provider.schema().block,
            &config,
            &AttrPath::root(),
            &mut diags,
        );
        self.provider.validate(&config, &mut diags);
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diags.to_proto(),
        }))
    }

    async fn configure(
        &self,
        r: pb::configure_provider::Request,
    ) -> RpcResult<pb::configure_provider::Response> {
        log::debug(
            "configuring provider",
            &[("terraform_version", &r.terraform_version)],
        );
        let empty = pb::configure_provider::Response::default();
        let config = try_diags!(
            decode(
                r.config.as_ref(),
                &self.provider_type,
                "provider configuration"
            ),
            empty
        );
        let mut diags = Diagnostics::new();
        let configured = self
            .provider
            .configure(&config, &self.stop, &mut diags)
            .await
            .map(Arc::new);
        if let Some(configured) = configured {
            match self.configured.write() {
                Ok(mut slot) => *slot = Some(configured),
                Err(e) => *e.into_inner() = Some(configured),
            }
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diags.to_proto(),
        }))
    }
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        serving("GetMetadata", Serves::Provider, async { self.metadata() }).await
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        let schema = async { Ok(Response::new(self.schema.clone())) };
        serving("GetProviderSchema", Serves::Provider, schema).await
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        let schemas = async { self.identity_schemas() };
        serving("GetResourceIdentitySchemas", Serves::Provider, schemas).await
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let validate = async { self.validate_config(request.into_inner()) };
        serving("ValidateProviderConfig", Serves::Provider, validate).await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let configure = self.configure(request.into_inner());
        serving("ConfigureProvider", Serves::Provider, configure).await
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> RpcResult<pb::stop_provider::Response> {
        let stop = async {
            log::info("StopProvider: cancelling waits in progress", &[]);
            self.stop.trigger();
            Ok(Response::new(pb::stop_provider::Response::default()))
        };
        serving("StopProvider", Serves::Provider, stop).await
    }

    // Each RPC below is answered by the file of its kind, given what its request names,
    // and served as the RPC of that type (see `log::serving`).

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let validate = async { resources::validate(resource, r) };
        serving("ValidateResourceConfig", serves(resource), validate).await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let upgrade = async { resources::upgrade_state(resource, r) };
        serving("UpgradeResourceState", serves(resource), upgrade).await
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let upgrade = async { resources::upgrade_identity(resource, r) };
        serving("UpgradeResourceIdentity", serves(resource), upgrade).await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let read = resources::read(resource, &ctx, r);
        serving("ReadResource", serves(resource), read).await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let plan = resources::plan(resource, &ctx, r);
        serving("PlanResourceChange", serves(resource), plan).await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ctx = self.ctx(None);
        let apply = resources::apply(resource, &ctx, r);
        serving("ApplyResourceChange", serves(resource), apply).await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let import = resources::import(resource, &ctx, r);
        serving("ImportResourceState", serves(resource), import).await
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.target_type_name)?;
        let move_state = async { resources::move_state(resource, r) };
        serving("MoveResourceState", serves(resource), move_state).await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let r = request.into_inner();
        let data_source = self.data_source(&r.type_name)?;
        let validate = async { data_sources::validate(data_source, r) };
        let serves = Serves::DataSource(data_source.type_name());
        serving("ValidateDataResourceConfig", serves, validate).await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let r = request.into_inner();
        let data_source = self.data_source(&r.type_name)?;
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let serves = Serves::DataSource(data_source.type_name());
        let read = data_sources::read(data_source, &ctx, r);
        serving("ReadDataSource", serves, read).await
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        let r = request.into_inner();
        let list = self.list_resource(&r.type_name)?;
        let validate = async { list_resources::validate(list, r) };
        let serves = Serves::ListResource(list.type_name());
        serving("ValidateListResourceConfig", serves, validate).await
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<ListStream>, Status> {
        let r = request.into_inner();
        let (list, resource) = (
            self.list_resource(&r.type_name)?,
            self.resource(&r.type_name)?,
        );
        let ctx = self.ctx(None);
        let serves = Serves::ListResource(list.type_name());
        let listed = list_resources::list(list, resource, &ctx, r);
        serving("ListResource", serves, listed).await
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        let r = request.into_inner();
        let action = self.action(&r.type_name)?;
        let validate = async { actions::validate(&*action, r) };
        let serves = Serves::Action(action.type_name());
        serving("ValidateActionConfig", serves, validate).await
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> RpcResult<pb::plan_action::Response> {
        let r = request.into_inner();
        let action = self.action(&r.action_type)?;
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let plan = async { actions::plan(&*action, &ctx, r) };
        serving("PlanAction", Serves::Action(action.type_name()), plan).await
    }

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<InvokeStream>, Status> {
        let r = request.into_inner();
        let action = self.action(&r.action_type)?;
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let serves = Serves::Action(action.type_name());
        // The action runs in a task of its own, which keeps this RPC's log fields.
        let invoke = async { actions::invoke(action, ctx, r) };
        serving("InvokeAction", serves, invoke).await
    }
}

/// How a resource RPC names what it serves in the log.
fn serves(resource: &dyn AnyResource) -> Serves {
    Serves::Resource(resource.type_name())
}
