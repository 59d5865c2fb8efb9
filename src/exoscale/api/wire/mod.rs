//! The API's request and response types (kebab-case JSON), by what they describe: instance
//! pools and the bodies that change them (`pool.rs`), operations (`operation.rs`), Compute
//! instances and instance types (`instance.rs`), and the Network Load Balancers whose
//! services use a pool (`load_balancer.rs`).

mod instance;
mod load_balancer;
mod operation;
mod pool;

pub use instance::{
    parse_rfc3339_ms, Instance, InstanceList, InstanceType, InstanceTypeList, TemplateSummary,
};
pub use load_balancer::{LoadBalancer, LoadBalancerService};
pub use operation::{Operation, OperationState, Reference};
pub use pool::{
    CreateInstancePool, ErrorReason, EvictInstancePoolMembers, IdRef, InstancePool,
    InstancePoolList, Manager, NameRef, PoolState, ResettableField, ScaleInstancePool,
    UpdateInstancePool,
};
