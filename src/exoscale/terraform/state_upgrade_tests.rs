//! The tests of state_upgrade.rs: a state stored by each earlier schema version reads as the
//! current one, directly and over gRPC. (Kept beside it, as they need the current schema from
//! resource.rs, which needs the upgraders.)

use tonic::Request;

use super::model::InstancePoolModel;
use super::resource::resource_schema;
use super::state_upgrade::{upgraders, v0_type};
use crate::plugin::cty::{json, msgpack};
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::proto::tfplugin6::provider_server::Provider as _;
use crate::plugin::upgrade::{upgrade_state, RawState};
use crate::plugin::{AttrPath, Cty, Diagnostics, ProviderService, Stop, Type, Value};
use crate::provider::PoolsProvider;

/// A pool's state as Terraform stored it with schema version 0.
const V0_STATE: &str = r##"{
    "anti_affinity_group_ids": null,
    "application_consistent_snapshot_enabled": false,
    "deploy_target_id": null,
    "description": "web servers",
    "disk_size": 50,
    "elastic_ip_ids": [],
    "id": "4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41",
    "instance_ids": ["9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"],
    "instance_prefix": "web",
    "instance_type": "Standard.Small",
    "instance_type_id": "b6cd1ff5-3a2f-4e9b-889e-8ea63f9cc0d3",
    "ipv6_enabled": false,
    "labels": {"env": "prod", "team": "platform"},
    "manager_id": null,
    "manager_type": null,
    "min_available": 1,
    "name": "web",
    "private_network_ids": null,
    "public_ip_assignment": "inet4",
    "security_group_ids": ["5e0fd5ab-1f2c-4a9d-8b7e-6c5d4e3f2a1b"],
    "size": 2,
    "ssh_keys": ["sandbox"],
    "state": "running",
    "template_id": "8f2a9b6e-5d4c-4b3a-a291-0e1f2d3c4b5a",
    "timeouts": {"create": "30m", "delete": null, "update": null},
    "user_data": "#cloud-config\npackages: [nginx]\n",
    "wait_for_instances": false,
    "zone": "ch-gva-2"
}"##;

/// The same pool as version 1 holds it.
const V1_STATE: &str = r##"{
    "anti_affinity_group_ids": null,
    "application_consistent_snapshot_enabled": false,
    "deploy_target_id": null,
    "description": "web servers",
    "disk_size": 50,
    "elastic_ip_ids": [],
    "id": "4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41",
    "instance_ids": ["9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"],
    "instance_prefix": "web",
    "instance_type": "Standard.Small",
    "instance_type_id": "b6cd1ff5-3a2f-4e9b-889e-8ea63f9cc0d3",
    "ipv6_enabled": false,
    "labels": {"env": "prod", "team": "platform"},
    "manager_id": null,
    "manager_type": null,
    "min_available": 1,
    "name": "web",
    "private_network_ids": null,
    "public_ip_assignment": "inet4",
    "security_group_ids": ["5e0fd5ab-1f2c-4a9d-8b7e-6c5d4e3f2a1b"],
    "size": 2,
    "ssh_keys": ["sandbox"],
    "state": "running",
    "template_id": "8f2a9b6e-5d4c-4b3a-a291-0e1f2d3c4b5a",
    "timeouts": {"create": "30m", "delete": null, "read": null, "update": null},
    "user_data": "#cloud-config\npackages: [nginx]\n",
    "wait_for_instances": false,
    "zone": "ch-gva-2"
}"##;

fn current_type() -> Type {
    resource_schema().block.ty()
}

fn upgrade(json: &str, version: i64) -> Result<Value, Diagnostics> {
    let schema = resource_schema();
    upgrade_state(
        RawState::Json(json.as_bytes()),
        version,
        schema.version,
        &schema.block.ty(),
        &upgraders(),
    )
}

#[test]
fn version_1_keeps_every_version_0_attribute_and_adds_timeouts_read() {
    // Guards the recorded version 0 type: every version 0 attribute is still there with
    // its type (`timeouts` gained `read`). Attributes added since (computed `instances` and
    // `labels_all`) need no new version: state without them reads them as null.
    let schema = resource_schema();
    assert_eq!(schema.version, 1);
    let Type::Object(mut old) = v0_type() else {
        panic!("version 0 is an object type")
    };
    if let Some(Type::Object(timeouts)) = old.get_mut("timeouts") {
        timeouts.insert("read".to_string(), Type::String);
    }
    let Type::Object(now) = schema.block.ty() else {
        panic!("the schema is an object type")
    };
    for (name, ty) in &old {
        assert_eq!(
            now.get(name),
            Some(ty),
            "{name} changed without a new schema version"
        );
    }
    let added: Vec<&String> = now.keys().filter(|k| !old.contains_key(*k)).collect();
    assert_eq!(
        added,
        ["instances", "labels_all"],
        "attributes added without a new schema version"
    );
}

#[test]
fn the_version_0_sample_holds_every_version_0_attribute() {
    let Type::Object(attrs) = v0_type() else {
        panic!("version 0 is an object type")
    };
    let sample: serde_json::Value = serde_json::from_str(V0_STATE).unwrap();
    let keys: Vec<&String> = sample.as_object().unwrap().keys().collect();
    assert_eq!(keys, attrs.keys().collect::<Vec<_>>());
}

#[test]
fn a_version_0_state_upgrades_to_version_1() {
    let upgraded = upgrade(V0_STATE, 0).unwrap();
    let expected = json::decode(V1_STATE.as_bytes(), &current_type()).unwrap();
    assert_eq!(upgraded, expected);
    let timeouts = upgraded.attr("timeouts");
    assert_eq!(timeouts.attr("create"), &Value::String("30m".into()));
    assert!(timeouts.attr("read").is_null());
    // The typed model reads it, and a state without timeouts stays without.
    let model = InstancePoolModel::from_cty(&upgraded, &AttrPath::root()).unwrap();
    assert_eq!(model.size, 2);
    assert_eq!(model.timeouts.and_then(|t| t.read), None);
    let untimed = V0_STATE.replace(
        r#""timeouts": {"create": "30m", "delete": null, "update": null}"#,
        r#""timeouts": null"#,
    );
    let upgraded = upgrade(&untimed, 0).unwrap();
    assert!(upgraded.attr("timeouts").is_null());
}

#[test]
fn a_version_0_state_with_an_attribute_it_never_had_is_refused() {
    let odd = V0_STATE.replace(r#""size": 2,"#, r#""size": 2, "read": "5m","#);
    let err = upgrade(&odd, 0).unwrap_err();
    assert_eq!(err.0[0].summary, "Invalid stored state");
}

#[test]
fn current_state_reads_with_extra_attributes_and_precision() {
    let extra = V1_STATE.replace(r#""size": 2,"#, r#""size": 2, "retired_field": [1, 2],"#);
    let state = upgrade(&extra, 1).unwrap();
    assert_eq!(
        state,
        json::decode(V1_STATE.as_bytes(), &current_type()).unwrap()
    );
    let precise = V1_STATE.replace(
        r#""disk_size": 50"#,
        r#""disk_size": 123456789012345678901234567890.5"#,
    );
    let state = upgrade(&precise, 1).unwrap();
    let out = json::encode(&state, &current_type()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(r#""disk_size":123456789012345678901234567890.5"#),
        "{text}"
    );
}

#[test]
fn state_from_a_newer_provider_is_refused() {
    let err = upgrade(V1_STATE, 2).unwrap_err();
    let d = &err.0[0];
    assert_eq!(d.summary, "State written by a newer provider");
    assert!(
        d.detail.contains("schema version 2") && d.detail.contains("up to 1"),
        "{}",
        d.detail
    );
}

fn upgrade_request(json: &str, version: i64) -> Request<pb::upgrade_resource_state::Request> {
    Request::new(pb::upgrade_resource_state::Request {
        type_name: "pools_instance_pool".into(),
        version,
        raw_state: Some(pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    })
}

#[tokio::test]
async fn upgrade_resource_state_over_grpc() {
    let service = ProviderService::new(PoolsProvider, Stop::new());
    let schema = &service.schema().resource_schemas["pools_instance_pool"];
    assert_eq!(schema.version, 1);

    let answer = service
        .upgrade_resource_state(upgrade_request(V0_STATE, 0))
        .await
        .unwrap()
        .into_inner();
    assert!(answer.diagnostics.is_empty(), "{:?}", answer.diagnostics);
    let wire = answer.upgraded_state.unwrap();
    assert!(wire.json.is_empty());
    let state = msgpack::decode(&wire.msgpack, &current_type()).unwrap();
    assert_eq!(
        state,
        json::decode(V1_STATE.as_bytes(), &current_type()).unwrap()
    );

    let refused = service
        .upgrade_resource_state(upgrade_request(V1_STATE, 2))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.upgraded_state, None);
    assert_eq!(refused.diagnostics.len(), 1);
    assert_eq!(
        refused.diagnostics[0].summary,
        "State written by a newer provider"
    );

    let broken = service
        .upgrade_resource_state(upgrade_request("{\"name\": ", 1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(broken.upgraded_state, None);
    assert_eq!(broken.diagnostics[0].summary, "Invalid stored state");
}
