//! The `tfplugin6.Provider` gRPC service: decodes Terraform's values, hands them to the
//! provider's resources and data sources, and encodes the answers. RPCs this provider has
//! no use for (functions, ephemeral and list resources, state stores, actions) keep the
//! generated UNIMPLEMENTED answer, which every Terraform version handles.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tonic::{Request, Response, Status};

use super::action::{AnyAction, Progress};
use super::ctx::{Configured, Ctx};
use super::cty::{self, Type, Value};
use super::diag::{Diagnostic, Diagnostics};
use super::list::AnyListResource;
use super::log;
use super::model::conform;
use super::moves;
use super::proto::tfplugin6 as pb;
use super::resource::{AnyDataSource, AnyResource, Provider};
use super::stop::Stop;
use super::upgrade::{self, RawState};

type RpcResult<T> = Result<Response<T>, Status>;
type InvokeStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::invoke_action::Event, Status>> + Send>,
>;
type ListStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::list_resource::Event, Status>> + Send>,
>;

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

/// Decodes a DynamicValue (msgpack, or JSON from older callers); absent means null.
fn decode(value: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        cty::msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        cty::json::decode(&value.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| {
        Diagnostic::error(
            format!("Invalid {what} from Terraform"),
            format!("The provider could not decode it: {e}"),
        )
        .into()
    })
}

/// The identity of the object `state` describes, for resources that have one.
fn identity_of(
    resource: &dyn AnyResource,
    state: &Value,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let identity = resource.identity()?;
    if state.is_null() {
        return None;
    }
    let identity_data = encode(&identity.of(state), &identity.ty(), diags);
    Some(pb::ResourceIdentityData { identity_data })
}

/// The import id: the one given, else the one an `import` block's `identity` stands for.
fn import_id(
    resource: &dyn AnyResource,
    id: &str,
    identity: Option<&pb::ResourceIdentityData>,
) -> Result<String, Diagnostics> {
    let given = identity.and_then(|i| i.identity_data.as_ref());
    let (Some(schema), Some(given), true) = (resource.identity(), given, id.is_empty()) else {
        return Ok(id.to_string());
    };
    let value = decode(Some(given), &schema.ty(), "identity")?;
    (schema.import_id)(&value).ok_or_else(|| {
        let names: Vec<&str> = schema
            .attributes
            .iter()
            .filter(|a| a.required_for_import)
            .map(|a| a.name)
            .collect();
        Diagnostic::error(
            "Invalid identity",
            format!("An import by identity must give {}.", names.join(" and ")),
        )
        .into()
    })
}

/// Terraform's answer for a call that must wait for provider settings known at apply.
fn deferred(yes: bool) -> Option<pb::Deferred> {
    yes.then_some(pb::Deferred {
        reason: pb::deferred::Reason::ProviderConfigUnknown as i32,
    })
}

fn encode(value: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
    match cty::msgpack::encode(value, ty) {
        Ok(msgpack) => Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error(
                "Provider produced an invalid value",
                format!("Encoding failed: {e}. This is a bug in the provider."),
            );
            None
        }
    }
}

macro_rules! try_diags {
    ($expr:expr, $response:expr) => {
        match $expr {
            Ok(v) => v,
            Err(d) => {
                let d: Diagnostics = d;
                let mut response = $response;
                response.diagnostics = d.to_proto();
                return Ok(Response::new(response));
            }
        }
    };
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
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

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        Ok(Response::new(self.schema.clone()))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .resources
                .iter()
                .filter_map(|(n, r)| r.identity().map(|i| (n.clone(), i.to_proto())))
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    /// Identity has one version so far: stored identity is decoded as it is; a newer one is
    /// refused as newer state is.
    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let empty = pb::upgrade_resource_identity::Response::default();
        let Some(identity) = resource.identity() else {
            return Err(Status::not_found(format!(
                "{} has no identity",
                r.type_name
            )));
        };
        let ty = identity.ty();
        let upgraded = try_diags!(
            upgrade::upgrade_state(
                RawState::from_proto(r.raw_identity.as_ref()),
                r.version,
                identity.version,
                &ty,
                &[],
            ),
            empty
        );
        let mut diags = Diagnostics::new();
        let identity_data = encode(&upgraded, &ty, &mut diags);
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity: Some(pb::ResourceIdentityData { identity_data }),
            diagnostics: diags.to_proto(),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let r = request.into_inner();
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
        super::schema::validate_block(
            &self.provider.schema().block,
            &config,
            &super::diag::AttrPath::root(),
            &mut diags,
        );
        self.provider.validate(&config, &mut diags);
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diags.to_proto(),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let r = request.into_inner();
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

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ty = resource.value_type();
        let empty = pb::validate_resource_config::Response::default();
        let config = try_diags!(
            decode(r.config.as_ref(), ty, "resource configuration"),
            empty
        );
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: resource.validate(&config).to_proto(),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let r = request.into_inner();
        let data_source = self.data_source(&r.type_name)?;
        let ty = data_source.value_type();
        let empty = pb::validate_data_resource_config::Response::default();
        let config = try_diags!(
            decode(r.config.as_ref(), ty, "data source configuration"),
            empty
        );
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: data_source.validate(&config).to_proto(),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let (ty, current_version) = (resource.value_type(), resource.schema().version);
        // Upgraders are built only for state that needs them, not on every refresh.
        let upgraders = if r.version < current_version {
            resource.state_upgraders()
        } else {
            Vec::new()
        };
        let empty = pb::upgrade_resource_state::Response::default();
        let state = try_diags!(
            upgrade::upgrade_state(
                RawState::from_proto(r.raw_state.as_ref()),
                r.version,
                current_version,
                ty,
                &upgraders,
            ),
            empty
        );
        let mut diags = Diagnostics::new();
        let upgraded_state = encode(&state, ty, &mut diags);
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diags.to_proto(),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ty = resource.value_type();
        // On a decode error the state goes back as it came (built only then: no copy).
        let current = try_diags!(
            decode(r.current_state.as_ref(), ty, "state"),
            pb::read_resource::Response {
                new_state: r.current_state.clone(),
                private: r.private.clone(),
                ..Default::default()
            }
        );
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let read = resource.read(&ctx, current).await;
        let mut diags = read.diagnostics;
        let new_state = encode(&read.state, ty, &mut diags);
        Ok(Response::new(pb::read_resource::Response {
            new_identity: identity_of(resource, &read.state, &mut diags),
            new_state,
            diagnostics: diags.to_proto(),
            private: r.private,
            deferred: deferred(read.deferred),
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ty = resource.value_type();
        let empty = pb::plan_resource_change::Response::default();
        let prior = try_diags!(decode(r.prior_state.as_ref(), ty, "prior state"), empty);
        let proposed = try_diags!(
            decode(r.proposed_new_state.as_ref(), ty, "proposed state"),
            empty
        );
        let config = try_diags!(decode(r.config.as_ref(), ty, "configuration"), empty);
        let ctx = self.ctx(r.client_capabilities.as_ref());
        // An existing object keeps its identity; a new one has one only after apply.
        let mut diags = Diagnostics::new();
        let planned_identity = identity_of(resource, &prior, &mut diags);
        let plan = resource.plan(&ctx, prior, proposed, config).await;
        diags.extend(plan.diagnostics);
        let planned_state = encode(&plan.planned, ty, &mut diags);
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: plan.requires_replace.iter().map(|p| p.to_proto()).collect(),
            planned_private: r.prior_private,
            diagnostics: diags.to_proto(),
            deferred: deferred(plan.deferred),
            planned_identity: planned_identity.filter(|_| !plan.planned.is_null()),
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ty = resource.value_type();
        let keep_prior = || pb::apply_resource_change::Response {
            new_state: r.prior_state.clone(),
            ..Default::default()
        };
        let prior = try_diags!(
            decode(r.prior_state.as_ref(), ty, "prior state"),
            keep_prior()
        );
        let planned = try_diags!(
            decode(r.planned_state.as_ref(), ty, "planned state"),
            keep_prior()
        );
        let (state, mut diags) = resource.apply(&self.ctx(None), prior, planned).await;
        let new_state = encode(&state, ty, &mut diags);
        Ok(Response::new(pb::apply_resource_change::Response {
            new_identity: identity_of(resource, &state, &mut diags),
            new_state,
            private: r.planned_private,
            diagnostics: diags.to_proto(),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.type_name)?;
        let ty = resource.value_type();
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let empty = pb::import_resource_state::Response::default();
        let id = try_diags!(import_id(resource, &r.id, r.identity.as_ref()), empty);
        let (state, mut diags) = resource.import(&ctx, &id).await;
        let is_deferred = state.is_none() && !diags.has_errors();
        let imported_resources = match state.filter(|_| !diags.has_errors()) {
            Some(state) => vec![pb::import_resource_state::ImportedResource {
                type_name: r.type_name.clone(),
                identity: identity_of(resource, &state, &mut diags),
                state: encode(&state, ty, &mut diags),
                ..Default::default()
            }],
            None => Vec::new(),
        };
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diags.to_proto(),
            deferred: deferred(is_deferred),
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let r = request.into_inner();
        let data_source = self.data_source(&r.type_name)?;
        let ty = data_source.value_type();
        let empty = pb::read_data_source::Response::default();
        let config = try_diags!(
            decode(r.config.as_ref(), ty, "data source configuration"),
            empty
        );
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let read = data_source.read(&ctx, config).await;
        let mut diags = read.diagnostics;
        let state = if diags.has_errors() {
            None
        } else {
            encode(&read.state, ty, &mut diags)
        };
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics: diags.to_proto(),
            deferred: deferred(read.deferred),
        }))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        let r = request.into_inner();
        let list = self.list_resource(&r.type_name)?;
        let empty = pb::validate_list_resource_config::Response::default();
        let config = try_diags!(
            decode(r.config.as_ref(), list.config_type(), "list configuration"),
            empty
        );
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics: list.validate(&config).to_proto(),
        }))
    }

    /// Lists as one batch, then streams the results: each carries the object's identity and,
    /// when asked, its state; errors travel as one event of diagnostics.
    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<ListStream>, Status> {
        let r = request.into_inner();
        let list = self.list_resource(&r.type_name)?;
        let resource = self.resource(&r.type_name)?;
        let failed = |diags: Diagnostics| -> Result<Response<ListStream>, Status> {
            let event = pb::list_resource::Event {
                diagnostic: diags.to_proto(),
                ..Default::default()
            };
            Ok(Response::new(Box::pin(tokio_stream::iter([Ok(event)]))))
        };
        let config = match decode(r.config.as_ref(), list.config_type(), "list configuration") {
            Ok(c) => c,
            Err(d) => return failed(d),
        };
        let limit = usize::try_from(r.limit)
            .ok()
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        let (found, diags) = list.list(&self.ctx(None), config, limit).await;
        if diags.has_errors() {
            return failed(diags);
        }
        let ty = resource.value_type();
        let events: Vec<Result<pb::list_resource::Event, Status>> = found
            .into_iter()
            .map(|(display_name, state)| {
                let state = conform(state, ty);
                let mut diags = Diagnostics::new();
                let identity = identity_of(resource, &state, &mut diags);
                let resource_object = if r.include_resource_object {
                    encode(&state, ty, &mut diags)
                } else {
                    None
                };
                Ok(pb::list_resource::Event {
                    identity,
                    display_name,
                    resource_object,
                    diagnostic: diags.to_proto(),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(events))))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        let r = request.into_inner();
        let action = self.action(&r.type_name)?;
        let empty = pb::validate_action_config::Response::default();
        let config = try_diags!(
            decode(
                r.config.as_ref(),
                action.config_type(),
                "action configuration"
            ),
            empty
        );
        Ok(Response::new(pb::validate_action_config::Response {
            diagnostics: action.validate(&config).to_proto(),
        }))
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> RpcResult<pb::plan_action::Response> {
        let r = request.into_inner();
        let action = self.action(&r.action_type)?;
        let empty = pb::plan_action::Response::default();
        let config = try_diags!(
            decode(
                r.config.as_ref(),
                action.config_type(),
                "action configuration"
            ),
            empty
        );
        let ctx = self.ctx(r.client_capabilities.as_ref());
        Ok(Response::new(pb::plan_action::Response {
            diagnostics: action.plan(&ctx, &config).to_proto(),
            deferred: None,
        }))
    }

    /// Runs the action in its own task and streams its progress, then its outcome.
    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<InvokeStream>, Status> {
        use pb::invoke_action::event::{Completed, Progress as Said, Type};
        let r = request.into_inner();
        let action = self.action(&r.action_type)?;
        let ctx = self.ctx(r.client_capabilities.as_ref());
        let config = decode(
            r.config.as_ref(),
            action.config_type(),
            "action configuration",
        );
        let (events, stream) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            let (said, mut heard) = tokio::sync::mpsc::channel::<String>(16);
            let forward = {
                let events = events.clone();
                async move {
                    while let Some(message) = heard.recv().await {
                        let event = pb::invoke_action::Event {
                            r#type: Some(Type::Progress(Said { message })),
                        };
                        if events.send(Ok(event)).await.is_err() {
                            break;
                        }
                    }
                }
            };
            let run = async move {
                let progress = Progress::new(said);
                match config {
                    Ok(config) => action.invoke(&ctx, config, &progress).await,
                    Err(d) => d,
                }
            };
            let (diags, ()) = tokio::join!(run, forward);
            let done = pb::invoke_action::Event {
                r#type: Some(Type::Completed(Completed {
                    diagnostics: diags.to_proto(),
                })),
            };
            let _ = events.send(Ok(done)).await;
        });
        let stream = tokio_stream::wrappers::ReceiverStream::new(stream);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let r = request.into_inner();
        let resource = self.resource(&r.target_type_name)?;
        let ty = resource.value_type();
        let empty = pb::move_resource_state::Response::default();
        let raw = r.source_state.map(|s| s.json).unwrap_or_default();
        let sources = resource.move_sources();
        let moved = try_diags!(
            moves::move_state(
                &sources,
                &r.source_provider_address,
                &r.source_type_name,
                &raw
            ),
            empty
        );
        let state = conform(moved, ty);
        let mut diags = Diagnostics::new();
        Ok(Response::new(pb::move_resource_state::Response {
            target_identity: identity_of(resource, &state, &mut diags),
            target_state: encode(&state, ty, &mut diags),
            diagnostics: diags.to_proto(),
            target_private: Vec::new(),
        }))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> RpcResult<pb::stop_provider::Response> {
        log::info("StopProvider: cancelling waits in progress", &[]);
        self.stop.trigger();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}
