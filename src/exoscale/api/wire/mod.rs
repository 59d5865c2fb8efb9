//! The API's request and response types (kebab-case JSON), by what they describe: instance
//! pools and the bodies that change them (`pool.rs`), operations (`operation.rs`), and
//! Compute instances and instance types (`instance.rs`).

mod instance;
mod operation;
mod pool;

pub use instance::{
    parse_rfc3339_ms, Instance, InstanceList, InstanceType, InstanceTypeList, TemplateSummary,
};
pub use operation::{Operation, OperationState, Reference};
pub use pool::{
    CreateInstancePool, EvictInstancePoolMembers, IdRef, InstancePool, InstancePoolList, Manager,
    NameRef, PoolState, ResettableField, ScaleInstancePool, UpdateInstancePool,
};
