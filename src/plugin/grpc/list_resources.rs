//! The list resource RPCs of `terraform query`: validate a `list` block's configuration,
//! and list, streaming each object found with its identity (and, when asked, its state).

use tonic::{Response, Status};

use super::codec::{decode, encode, identity_of, try_diags, RpcResult};
use crate::plugin::ctx::Ctx;
use crate::plugin::diag::Diagnostics;
use crate::plugin::list::AnyListResource;
use crate::plugin::model::conform;
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::resource::AnyResource;

pub(super) type ListStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::list_resource::Event, Status>> + Send>,
>;

pub(super) fn validate(
    list: &dyn AnyListResource,
    r: pb::validate_list_resource_config::Request,
) -> RpcResult<pb::validate_list_resource_config::Response> {
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
pub(super) async fn list(
    list: &dyn AnyListResource,
    resource: &dyn AnyResource,
    ctx: &Ctx,
    r: pb::list_resource::Request,
) -> Result<Response<ListStream>, Status> {
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
    let (found, diags) = list.list(ctx, config, limit).await;
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
