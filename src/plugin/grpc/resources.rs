//! The managed resource RPCs: validate, upgrade stored state and identity, read, plan,
//! apply, import, and move state from another provider's resource type. Each receives the
//! resource its request names (and the call's context) from the service.

use tonic::{Response, Status};

use super::codec::{decode, deferred, encode, identity_of, try_diags, RpcResult};
use crate::plugin::ctx::Ctx;
use crate::plugin::diag::{Diagnostic, Diagnostics};
use crate::plugin::model::conform;
use crate::plugin::moves;
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::resource::AnyResource;
use crate::plugin::upgrade::{self, RawState};

/// Identity has one version so far: stored identity is decoded as it is; a newer one is
/// refused as newer state is.
pub(super) fn upgrade_identity(
    resource: &dyn AnyResource,
    r: pb::upgrade_resource_identity::Request,
) -> RpcResult<pb::upgrade_resource_identity::Response> {
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

pub(super) fn validate(
    resource: &dyn AnyResource,
    r: pb::validate_resource_config::Request,
) -> RpcResult<pb::validate_resource_config::Response> {
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

pub(super) fn upgrade_state(
    resource: &dyn AnyResource,
    r: pb::upgrade_resource_state::Request,
) -> RpcResult<pb::upgrade_resource_state::Response> {
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

pub(super) async fn read(
    resource: &dyn AnyResource,
    ctx: &Ctx,
    r: pb::read_resource::Request,
) -> RpcResult<pb::read_resource::Response> {
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
    let read = resource.read(ctx, current).await;
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

pub(super) async fn plan(
    resource: &dyn AnyResource,
    ctx: &Ctx,
    r: pb::plan_resource_change::Request,
) -> RpcResult<pb::plan_resource_change::Response> {
    let ty = resource.value_type();
    let empty = pb::plan_resource_change::Response::default();
    let prior = try_diags!(decode(r.prior_state.as_ref(), ty, "prior state"), empty);
    let proposed = try_diags!(
        decode(r.proposed_new_state.as_ref(), ty, "proposed state"),
        empty
    );
    let config = try_diags!(decode(r.config.as_ref(), ty, "configuration"), empty);
    // An existing object keeps its identity; a new one has one only after apply.
    let mut diags = Diagnostics::new();
    let planned_identity = identity_of(resource, &prior, &mut diags);
    let plan = resource.plan(ctx, prior, proposed, config).await;
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

pub(super) async fn apply(
    resource: &dyn AnyResource,
    ctx: &Ctx,
    r: pb::apply_resource_change::Request,
) -> RpcResult<pb::apply_resource_change::Response> {
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
    let (state, mut diags) = resource.apply(ctx, prior, planned).await;
    let new_state = encode(&state, ty, &mut diags);
    Ok(Response::new(pb::apply_resource_change::Response {
        new_identity: identity_of(resource, &state, &mut diags),
        new_state,
        private: r.planned_private,
        diagnostics: diags.to_proto(),
        ..Default::default()
    }))
}

pub(super) async fn import(
    resource: &dyn AnyResource,
    ctx: &Ctx,
    r: pb::import_resource_state::Request,
) -> RpcResult<pb::import_resource_state::Response> {
    let ty = resource.value_type();
    let empty = pb::import_resource_state::Response::default();
    let id = try_diags!(import_id(resource, &r.id, r.identity.as_ref()), empty);
    let (state, mut diags) = resource.import(ctx, &id).await;
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

pub(super) fn move_state(
    resource: &dyn AnyResource,
    r: pb::move_resource_state::Request,
) -> RpcResult<pb::move_resource_state::Response> {
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
