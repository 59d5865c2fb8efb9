//! The emulated API's state: credentials, operation timing, injected faults and the store
//! of pools and operations, with the helpers every request shares.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::model::{ApiError, Store};
use super::validate::is_uuid;
use crate::{Config, Faults};

pub struct ExoscaleApi {
    pub(super) key: String,
    pub(super) secret: String,
    pub(super) operation_duration: Duration,
    pub(super) faults: Faults,
    store: Mutex<Store>,
}

impl ExoscaleApi {
    pub fn new(config: &Config, faults: Faults) -> Arc<Self> {
        Arc::new(ExoscaleApi {
            key: config.exoscale_key.clone(),
            secret: config.exoscale_secret.clone(),
            operation_duration: config.operation_duration,
            faults,
            store: Mutex::new(Store::with_fixtures()),
        })
    }

    /// Serialisable snapshot of the live state, for `--state FILE`.
    pub fn save(&self) -> Value {
        serde_json::to_value(&*self.lock()).unwrap_or(Value::Null)
    }

    /// Restores a snapshot from [`ExoscaleApi::save`]; `null` (nothing saved) keeps the fixtures.
    pub fn load(&self, state: &Value) -> Result<(), String> {
        if state.is_null() {
            return Ok(());
        }
        let store: Store =
            serde_json::from_value(state.clone()).map_err(|e| format!("exoscale state: {e}"))?;
        *self.lock() = store;
        Ok(())
    }

    /// How many pools exist (in any state), across zones.
    pub fn pool_count(&self) -> usize {
        self.settled().pools.len()
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store, with every operation that is due finished.
    pub(super) fn settled(&self) -> MutexGuard<'_, Store> {
        let mut store = self.lock();
        store.settle(now_ms());
        store
    }
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

pub(super) fn uuid_param<'a>(what: &str, id: &'a str) -> Result<&'a str, ApiError> {
    if is_uuid(id) {
        Ok(id)
    } else {
        Err(ApiError::bad_request(format!(
            "invalid {what} id `{id}`: expected a UUID"
        )))
    }
}

pub(super) fn pool_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Instance Pool {id} not found"))
}
