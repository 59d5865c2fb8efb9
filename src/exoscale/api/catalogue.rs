//! The instance type catalogue: each zone's instance types, fetched once per provider
//! process and shared by the resource, its list resource and the data sources
//! ([`Catalogue`]), so that planning many pools costs one call per zone, even when they all
//! plan at once; and finding a type in such a list by its `family.size` name (any case) or
//! id. The catalogue is handed the fetch: it knows no client.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::wire::InstanceType;
use crate::http::ApiError;

/// How long a fetched catalogue is used. A provider process usually lives for one Terraform
/// command, much shorter; a long-lived one (`--debug`) sees new types after this.
pub const CATALOGUE_TTL: Duration = Duration::from_secs(15 * 60);

/// Each zone's instance types, fetched by one call at a time: callers that ask while a fetch
/// is in flight wait for it and share its outcome, a failure included (its retries were
/// made already); a caller that asks after a failure fetches again.
#[derive(Default)]
pub struct Catalogue {
    zones: Mutex<HashMap<String, Arc<Zone>>>,
}

#[derive(Default)]
struct Zone {
    /// Fetches that have ended, counted while holding `held`.
    ended: AtomicU64,
    held: tokio::sync::Mutex<Held>,
}

#[derive(Default)]
struct Held {
    types: Option<(Arc<Vec<InstanceType>>, Instant)>,
    failed: Option<ApiError>,
}

impl Catalogue {
    /// `zone`'s instance types, from `fetch` unless a fresh copy is held or a fetch is in
    /// flight.
    pub async fn get<F, Fut>(
        &self,
        zone: &str,
        fetch: F,
    ) -> Result<Arc<Vec<InstanceType>>, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<InstanceType>, ApiError>>,
    {
        let entry = self
            .zones
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(zone.to_string())
            .or_default()
            .clone();
        let ended_before = entry.ended.load(Ordering::Acquire);
        let mut held = entry.held.lock().await;
        if let Some((types, at)) = &held.types {
            if at.elapsed() < CATALOGUE_TTL {
                return Ok(types.clone());
            }
        }
        // A fetch ended while this caller waited for it, and failed: its outcome is ours.
        if let Some(e) = &held.failed {
            if entry.ended.load(Ordering::Acquire) != ended_before {
                return Err(e.clone());
            }
        }
        let fetched = fetch().await;
        entry.ended.fetch_add(1, Ordering::Release);
        match fetched {
            Ok(types) => {
                let types = Arc::new(types);
                *held = Held {
                    types: Some((types.clone(), Instant::now())),
                    failed: None,
                };
                Ok(types)
            }
            Err(e) => {
                held.failed = Some(e.clone());
                Err(e)
            }
        }
    }
}

/// Normalises a user-written instance type name (`Standard.Medium` -> `standard.medium`);
/// None when it is not `family.size`.
pub fn normalize_instance_type_name(name: &str) -> Option<String> {
    let (family, size) = name.trim().split_once('.')?;
    if family.is_empty() || size.is_empty() || size.contains('.') {
        return None;
    }
    Some(format!("{family}.{size}").to_ascii_lowercase())
}

/// Finds an instance type by `family.size` name, ignoring case.
pub fn find_instance_type<'a>(types: &'a [InstanceType], name: &str) -> Option<&'a InstanceType> {
    let wanted = normalize_instance_type_name(name)?;
    types.iter().find(|t| t.name() == wanted)
}

/// The type `text` names: its id, or its `family.size` name in any case.
pub fn find_by_id_or_name<'a>(types: &'a [InstanceType], text: &str) -> Option<&'a InstanceType> {
    types
        .iter()
        .find(|t| t.id == text)
        .or_else(|| find_instance_type(types, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_type_names_ignore_case() {
        let types = vec![
            InstanceType {
                id: "1".into(),
                family: "standard".into(),
                size: "medium".into(),
                ..Default::default()
            },
            InstanceType {
                id: "2".into(),
                family: "gpu3080ti".into(),
                size: "small".into(),
                ..Default::default()
            },
        ];
        assert_eq!(
            find_instance_type(&types, "Standard.MEDIUM").map(|t| t.id.as_str()),
            Some("1")
        );
        assert_eq!(
            find_instance_type(&types, " gpu3080ti.small ").map(|t| t.id.as_str()),
            Some("2")
        );
        assert_eq!(find_instance_type(&types, "standard"), None);
        assert_eq!(find_instance_type(&types, "standard.medium.x"), None);
        assert_eq!(types[0].name(), "standard.medium");
        // By id first, then by name.
        let by = |text| find_by_id_or_name(&types, text).map(|t| t.id.as_str());
        assert_eq!(
            (by("2"), by("STANDARD.medium"), by("3")),
            (Some("2"), Some("1"), None)
        );
    }

    /// Kept for [`CATALOGUE_TTL`], then fetched again (tokio's paused clock).
    #[tokio::test(start_paused = true)]
    async fn the_catalogue_is_fetched_again_after_its_ttl() {
        let catalogue = Catalogue::default();
        let calls = AtomicU64::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::Relaxed);
            Ok(Vec::new())
        };
        catalogue.get("ch-gva-2", fetch).await.unwrap();
        tokio::time::sleep(CATALOGUE_TTL - Duration::from_secs(1)).await;
        catalogue.get("ch-gva-2", fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        tokio::time::sleep(Duration::from_secs(2)).await;
        catalogue.get("ch-gva-2", fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 2);
    }
}
