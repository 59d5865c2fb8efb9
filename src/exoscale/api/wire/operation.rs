//! Operations: what every change answers, polled until it leaves `pending`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationState {
    Pending,
    Success,
    Failure,
    Timeout,
    #[serde(other)]
    Unknown,
}

impl OperationState {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationState::Pending => "pending",
            OperationState::Success => "success",
            OperationState::Failure => "failure",
            OperationState::Timeout => "timeout",
            OperationState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// The answer to every mutation; poll `GET /operation/{id}` until it leaves `pending`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub state: OperationState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
}

impl Operation {
    /// The id of the resource the operation acts on (the new pool's id for a create).
    pub fn reference_id(&self) -> Option<&str> {
        self.reference.as_ref()?.id.as_deref()
    }

    pub fn is_pending(&self) -> bool {
        self.state == OperationState::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operation_and_reference() {
        let op: Operation = serde_json::from_value(json!({
            "id": "o1", "state": "failure", "reason": "busy", "message": "try later",
            "reference": {"id": "p1", "link": "/v2/instance-pool/p1", "command": "create-instance-pool"}
        }))
        .unwrap();
        assert_eq!(op.state, OperationState::Failure);
        assert_eq!(op.reference_id(), Some("p1"));
        assert!(!op.is_pending());
    }
}
