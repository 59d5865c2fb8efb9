//! The data source RPCs: validate a configuration, and read.

use tonic::Response;

use super::codec::{decode, deferred, encode, try_diags, RpcResult};
use crate::plugin::ctx::Ctx;
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::resource::AnyDataSource;

pub(super) fn validate(
    data_source: &dyn AnyDataSource,
    r: pb::validate_data_resource_config::Request,
) -> RpcResult<pb::validate_data_resource_config::Response> {
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

pub(super) async fn read(
    data_source: &dyn AnyDataSource,
    ctx: &Ctx,
    r: pb::read_data_source::Request,
) -> RpcResult<pb::read_data_source::Response> {
    let ty = data_source.value_type();
    let empty = pb::read_data_source::Response::default();
    let config = try_diags!(
        decode(r.config.as_ref(), ty, "data source configuration"),
        empty
    );
    let read = data_source.read(ctx, config).await;
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
