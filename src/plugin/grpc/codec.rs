//! Values in and out of the RPCs: Terraform's `DynamicValue`s decoded against a type and
//! encoded back, the identity data of a state, the deferral answer, and [`try_diags!`],
//! which answers a request with diagnostics when its values do not decode.

use tonic::{Response, Status};

use crate::plugin::cty::{json, msgpack, Type, Value};
use crate::plugin::diag::{Diagnostic, Diagnostics};
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::resource::AnyResource;

pub(super) type RpcResult<T> = Result<Response<T>, Status>;

/// Decodes a DynamicValue (msgpack, or JSON from older callers); absent means null.
pub(super) fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        json::decode(&value.json, ty)
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

/// Encodes a value as msgpack; a failure (a provider bug) becomes an error in `diags`.
pub(super) fn encode(
    value: &Value,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match msgpack::encode(value, ty) {
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

/// The identity of the object `state` describes, for resources that have one.
pub(super) fn identity_of(
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

/// Terraform's answer for a call that must wait for provider settings known at apply.
pub(super) fn deferred(yes: bool) -> Option<pb::Deferred> {
    yes.then_some(pb::Deferred {
        reason: pb::deferred::Reason::ProviderConfigUnknown as i32,
    })
}

/// The value of a `Result<_, Diagnostics>`, or an early answer: `$response` carrying the
/// diagnostics.
macro_rules! try_diags {
    ($expr:expr, $response:expr) => {
        match $expr {
            Ok(v) => v,
            Err(d) => {
                let d: $crate::plugin::diag::Diagnostics = d;
                let mut response = $response;
                response.diagnostics = d.to_proto();
                return Ok(tonic::Response::new(response));
            }
        }
    };
}
pub(super) use try_diags;
