//! Every resource and data source the provider serves.

use crate::plugin::resource::{AnyDataSource, AnyResource};

pub fn all() -> Vec<Box<dyn AnyResource>> {
    vec![]
}

pub fn all_data_sources() -> Vec<Box<dyn AnyDataSource>> {
    vec![]
}
