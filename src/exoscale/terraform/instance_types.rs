//! Instance types at plan time: resolving the user's `instance_type` (a `family.size` name in
//! any case, or an id) in the zone's catalogue, with a diagnostic listing the zone's types
//! when it names none; its validator; and the semantic equality of two spellings.

use super::diagnostics::api_error;
use super::model::InstancePoolModel;
use crate::exoscale::api::catalogue::{find_by_id_or_name, normalize_instance_type_name};
use crate::exoscale::api::wire::InstanceType;
use crate::exoscale::api::ExoscaleClient;
use crate::plugin::validators::{self, is_uuid};
use crate::plugin::{AttrPath, Diagnostic, Diagnostics, Plan, Tri, Value};

/// The instance type `text` (a name in any case, or an id) names in `zone`, or an error
/// listing the zone's types.
pub async fn resolve(
    client: &ExoscaleClient,
    zone: &str,
    text: &str,
) -> Result<InstanceType, Diagnostics> {
    let types = client
        .instance_types(zone)
        .await
        .map_err(|e| api_error("Could not list instance types", e))?;
    find(&types, zone, text)
}

/// Plans `instance_type_id` when `instance_type` is new or changed: resolved now, so that
/// a typo fails at plan and a name spelled as the id of the prior type is no change (the
/// prior spelling is kept); unknown while the name, the zone or the API (`client`, and
/// the provider's settings) is. An unchanged name keeps the planned id.
pub async fn plan_id(client: Option<&ExoscaleClient>, plan: &mut Plan) -> Diagnostics {
    let wanted = plan.planned("instance_type").as_str().map(str::to_string);
    let zone = plan.planned("zone").as_str().map(str::to_string);
    let unchanged = !plan.is_create() && plan.prior("instance_type").as_str() == wanted.as_deref();
    match (wanted, zone, client) {
        _ if unchanged => {}
        (Some(wanted), Some(zone), Some(client)) if plan.api_reachable() => {
            match resolve(client, &zone, &wanted).await {
                Ok(found) => {
                    if plan.prior("instance_type_id").as_str() == Some(found.id.as_str()) {
                        let prior = plan.prior("instance_type").clone();
                        plan.set_planned("instance_type", prior);
                    }
                    plan.set_planned("instance_type_id", Value::String(found.id));
                }
                Err(d) => return d,
            }
        }
        // The name or the zone is known only at apply: so is the id.
        _ => plan.set_planned("instance_type_id", Value::Unknown(Default::default())),
    }
    Diagnostics::new()
}

/// The instance type id `planned` asks for: the `instance_type_id` the plan resolved, or,
/// when the plan could not (the name, the zone or the provider's settings were known only
/// at apply), its `instance_type` resolved now.
pub async fn planned_id(
    client: &ExoscaleClient,
    zone: &str,
    planned: &InstancePoolModel,
) -> Result<String, Diagnostics> {
    match &planned.instance_type_id {
        Tri::Known(id) => Ok(id.clone()),
        _ => Ok(resolve(client, zone, &planned.instance_type).await?.id),
    }
}

fn find(types: &[InstanceType], zone: &str, text: &str) -> Result<InstanceType, Diagnostics> {
    if let Some(found) = find_by_id_or_name(types, text) {
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
    use std::sync::Arc;

    use super::*;
    use crate::testing::http_server::{reply, Reply, TestServer};

    const TYPES: &str = r#"{"instance-types":[{"id":"t1","family":"standard","size":"medium"},{"id":"t2","family":"standard","size":"small"}]}"#;

    async fn client(script: Vec<Reply>) -> (TestServer, ExoscaleClient) {
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
}
