//! The action RPCs: validate and plan an action's configuration, and invoke it, streaming
//! its progress messages and then its outcome.

use std::sync::Arc;

use tonic::{Response, Status};

use super::codec::{decode, try_diags, RpcResult};
use crate::plugin::action::{AnyAction, Progress};
use crate::plugin::ctx::Ctx;
use crate::plugin::log;
use crate::plugin::proto::tfplugin6 as pb;

pub(super) type InvokeStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::invoke_action::Event, Status>> + Send>,
>;

pub(super) fn validate(
    action: &dyn AnyAction,
    r: pb::validate_action_config::Request,
) -> RpcResult<pb::validate_action_config::Response> {
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

pub(super) fn plan(
    action: &dyn AnyAction,
    ctx: &Ctx,
    r: pb::plan_action::Request,
) -> RpcResult<pb::plan_action::Response> {
    let empty = pb::plan_action::Response::default();
    let config = try_diags!(
        decode(
            r.config.as_ref(),
            action.config_type(),
            "action configuration"
        ),
        empty
    );
    Ok(Response::new(pb::plan_action::Response {
        diagnostics: action.plan(ctx, &config).to_proto(),
        deferred: None,
    }))
}

/// Runs the action in its own task (logging as part of this RPC) and streams its
/// progress, then its outcome.
pub(super) fn invoke(
    action: Arc<dyn AnyAction>,
    ctx: Ctx,
    r: pb::invoke_action::Request,
) -> Result<Response<InvokeStream>, Status> {
    use pb::invoke_action::event::{Completed, Progress as Said, Type};
    let config = decode(
        r.config.as_ref(),
        action.config_type(),
        "action configuration",
    );
    let (events, stream) = tokio::sync::mpsc::channel(16);
    tokio::spawn(log::in_this_rpc(async move {
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
    }));
    let stream = tokio_stream::wrappers::ReceiverStream::new(stream);
    Ok(Response::new(Box::pin(stream)))
}
