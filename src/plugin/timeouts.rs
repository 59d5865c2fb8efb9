//! The `timeouts` block: how long a resource waits for each operation. Only Terraform uses
//! it, so changing it alone changes nothing remote.

use std::time::Duration;

use super::schema::{Attribute, Block, NestedBlock};
use super::validators;

/// The `timeouts { create, update, delete }` block, with the operations a resource supports.
pub fn timeouts_block(operations: &[&str], defaults: &[Duration]) -> NestedBlock {
    let mut block =
        Block::new("How long to wait for each operation, as a duration like `30s`, `10m` or `1h`.");
    for (op, default) in operations.iter().zip(defaults) {
        let what = match *op {
            "read" => "a read (refresh)".to_string(),
            op => op.to_string(),
        };
        block = block.attribute(
            Attribute::string(op)
                .optional()
                .describe(&format!(
                    "How long to wait for {what} to finish. Default: `{}`.",
                    show_duration(*default)
                ))
                .validate(validators::duration()),
        );
    }
    NestedBlock::single("timeouts", block).local()
}

fn show_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (h, 0, 0) if h > 0 => format!("{h}h"),
        (0, m, 0) => format!("{m}m"),
        (0, 0, sec) => format!("{sec}s"),
        (h, m, sec) => format!("{h}h{m}m{sec}s"),
    }
}

crate::model! {
    /// The user's `timeouts` block.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Timeouts {
        pub create: Option<String>,
        pub read: Option<String>,
        pub update: Option<String>,
        pub delete: Option<String>,
    }
}

impl Timeouts {
    /// The configured timeout for `op` (create, read, update, delete), or `default`.
    pub fn of(timeouts: &Option<Timeouts>, op: &str, default: Duration) -> Duration {
        let configured = timeouts.as_ref().and_then(|t| match op {
            "create" => t.create.as_deref(),
            "read" => t.read.as_deref(),
            "update" => t.update.as_deref(),
            "delete" => t.delete.as_deref(),
            _ => None,
        });
        configured
            .and_then(validators::parse_duration)
            .unwrap_or(default)
    }
}
