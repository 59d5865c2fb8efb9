//! Instance types: resolving a user's `family.size` (any case) or id to the API's type.
//! Each zone's catalogue is fetched once per provider process and shared by the resource,
//! its list resource and the data sources ([`Catalogue`]): planning many pools costs one
//! call per zone, even when they all plan at once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::client::ExoscaleClient;
use super::wire::{find_instance_type, normalize_instance_type_name, InstanceType};
use crate::http::ApiError;
use crate::plugin::cty::Value;
use crate::plugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::validators::{self, is_uuid};

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

/// The instance type `text` (a name in any case, or an id) names in `zone`, or an error
/// listing the zone's types.
pub async fn resolve(
    client: &ExoscaleClient,
    zone: &str,
    text: &str,
) -> Result<InstanceType, Diagnostics> {
    let types = client.instance_types(zone).await.map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Could not list instance types",
            e.to_string(),
        ))
    })?;
    find(&types, zone, text)
}

fn find(types: &[InstanceType], zone: &str, text: &str) -> Result<InstanceType, Diagnostics> {
    let found = types
        .iter()
        .find(|t| t.id == text)
        .or_else(|| find_instance_type(types, text));
    if let Some(found) = found {
        return Ok(found.clone());
    }
    let mut names: Vec<String> = types.iter().map(InstanceType::name).collect();
    names.sort();
    Err(Diagnostic::error(
        "Unknown instance type",
        format!(
            "instance_type must be an instance type of zone {zone}, as `family.size` or its id; got {text:?}. Known types: {}.",
            names.join(", ")
        ),
    )
    .at(AttrPath::attrs(&["instance_type"]))
    .into())
}

/// Two spellings of one instance type name (`Standard.Small` and `standard.small`).
pub fn same_name(a: &Value, b: &Value) -> bool {
    matches!((a.as_str(), b.as_str()), (Some(a), Some(b)) if a.trim().eq_ignore_ascii_case(b.trim()))
}

pub fn validator() -> impl validators::Validator {
    validators::custom(
        "an instance type as `family.size` (like \"standard.medium\") or an instance type id",
        |v| {
            v.as_str()
                .is_some_and(|s| is_uuid(s) || normalize_instance_type_name(s).is_some())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::http_server::{reply, TestServer};

    const TYPES: &str = r#"{"instance-types":[{"id":"t1","family":"standard","size":"medium"},{"id":"t2","family":"standard","size":"small"}]}"#;

    async fn client(
        script: Vec<crate::testing::http_server::Reply>,
    ) -> (TestServer, ExoscaleClient) {
        let server = TestServer::start(script).await;
        let template = format!("{}/{{zone}}/v2", server.base);
        let client = ExoscaleClient::new("EXOkey", "secret", &template).unwrap();
        (server, client)
    }

    fn catalogue_calls(server: &TestServer) -> usize {
        server
            .requests()
            .iter()
            .filter(|r| r.target.ends_with("/instance-type"))
            .count()
    }

    /// Twenty resources planning at once, then the data sources and the list resource
    /// resolving names: one catalogue call per zone for all of them.
    #[tokio::test]
    async fn parallel_lookups_share_one_fetch() {
        let (server, client) = client(vec![reply(200, TYPES), reply(200, TYPES)]).await;
        let mut set = tokio::task::JoinSet::new();
        let client = Arc::new(client);
        for n in 0..20 {
            let client = client.clone();
            set.spawn(async move {
                let name = if n % 2 == 0 {
                    "standard.small"
                } else {
                    "STANDARD.Medium"
                };
                resolve(&client, "ch-gva-2", name).await.map(|t| t.id)
            });
        }
        let mut ids = Vec::new();
        while let Some(found) = set.join_next().await {
            ids.push(found.unwrap().unwrap());
        }
        assert_eq!(ids.iter().filter(|id| *id == "t2").count(), 10);
        assert_eq!(catalogue_calls(&server), 1);
        // What the data sources and the read back use.
        assert_eq!(client.instance_types("ch-gva-2").await.unwrap().len(), 2);
        let by_id = client.instance_type_by_id("ch-gva-2", "t1").await.unwrap();
        assert_eq!(by_id.map(|t| t.name()).as_deref(), Some("standard.medium"));
        assert_eq!(
            client
                .find_instance_type_by_name("ch-gva-2", "standard.small")
                .await
                .unwrap()
                .map(|t| t.id)
                .as_deref(),
            Some("t2")
        );
        assert_eq!(catalogue_calls(&server), 1);
        // Another zone has its own catalogue.
        client.instance_types("de-fra-1").await.unwrap();
        assert_eq!(server.requests().len(), 2);
    }

    /// A failed fetch is the outcome of every caller that waited for it, and is not kept:
    /// the next caller asks again. (The fetch's first attempt is answered 503, so the ten
    /// callers are all waiting during its retry pause; the retry is refused for good.)
    #[tokio::test]
    async fn a_failure_is_shared_by_its_waiters_then_forgotten() {
        let refused = r#"{"message":"forbidden"}"#;
        let script = vec![
            reply(503, r#"{"message":"try later"}"#),
            reply(403, refused),
            reply(200, TYPES),
        ];
        let (server, client) = client(script).await;
        let client = Arc::new(client);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let client = client.clone();
            set.spawn(async move { client.instance_types("ch-gva-2").await.map(|t| t.len()) });
        }
        while let Some(outcome) = set.join_next().await {
            let err = outcome.unwrap().unwrap_err();
            assert_eq!(err.status, Some(403));
        }
        // One fetch, of two attempts.
        assert_eq!(catalogue_calls(&server), 2);
        // Later: fetched again, then kept.
        assert_eq!(client.instance_types("ch-gva-2").await.unwrap().len(), 2);
        assert_eq!(client.instance_types("ch-gva-2").await.unwrap().len(), 2);
        assert_eq!(catalogue_calls(&server), 3);
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
