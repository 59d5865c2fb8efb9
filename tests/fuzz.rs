//! Fuzzing what the provider reads from outside (issue 10 item 5): the Exoscale and Ona API
//! answers, decoded as the clients decode them (`http::decode_json` into the models of
//! `exoscale::api::wire` and `ona::api::wire`, error bodies through each backend's error dialect),
//! then carried on as the resources and data sources carry them (into their Terraform
//! models and state values); and raw state as Terraform hands it back
//! (`plugin::upgrade::upgrade_state`, which decodes it with `cty::json::decode_with`).
//!
//! Inputs are mutations of real bodies and states, so that most of them get deep into the
//! decoders: values replaced by ones of the wrong type, huge or tiny numbers, long strings,
//! deep nesting; members dropped, added or duplicated; then, for about half the cases, the
//! bytes truncated, flipped, cut or spliced. Every case checks that nothing panics, that a
//! failure is an error value with a readable, bounded message, and that whatever decodes
//! goes on to a state value Terraform can be given.
//!
//! `cargo test` runs 100,000 cases in all (about 7 s of CPU in a debug build). A longer run:
//! `POOLS_FUZZ_CASES=10000000 cargo test --release --test fuzz` (cases per test; see
//! docs/reliability.md, "Fuzzing").

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Value as Json};

use terraform_provider_pools::exoscale::api::catalogue::find_instance_type;
use terraform_provider_pools::exoscale::api::wire::{
    IdRef, Instance, InstanceList, InstancePool, InstancePoolList, InstanceTypeList, Operation,
    ResettableField, UpdateInstancePool,
};
use terraform_provider_pools::exoscale::terraform::model::{
    decode_user_data, refreshed, ssh_key_names, InstancePoolModel,
};
use terraform_provider_pools::exoscale::InstancePoolResource;
use terraform_provider_pools::http::{decode_json, ErrorBody, ErrorKind};
use terraform_provider_pools::ona::api::wire::{ListWarmPoolsResponse, WarmPool, WarmPoolResponse};
use terraform_provider_pools::ona::terraform::data_source::{WarmPoolDataSource, WarmPoolView};
use terraform_provider_pools::ona::terraform::model::{phase_name, pool_sizes, WarmPoolModel};
use terraform_provider_pools::ona::WarmPoolResource;
use terraform_provider_pools::plugin::cty::{json as cty_json, msgpack, Type};
use terraform_provider_pools::plugin::upgrade::{upgrade_state, RawState, StateUpgrader};
use terraform_provider_pools::plugin::{conform, AttrPath, Cty, DataSource, Resource, Severity};
use terraform_provider_pools::{exoscale, ona};

// ---- how many cases ----------------------------------------------------------------------

/// Cases per test: `POOLS_FUZZ_CASES` when set, else what CI runs.
fn cases(ci: u32) -> u32 {
    match std::env::var("POOLS_FUZZ_CASES") {
        Ok(text) => text
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("POOLS_FUZZ_CASES must be a whole number, not {text:?}")),
        Err(_) => ci,
    }
}

fn config(ci: u32) -> Config {
    Config {
        cases: cases(ci),
        failure_persistence: None,
        ..Config::default()
    }
}

/// What CI runs per test: 100,000 in all.
const EXOSCALE_BODIES: u32 = 25_000;
const ONA_BODIES: u32 = 20_000;
const ERROR_BODIES: u32 = 30_000;
const STATES: u32 = 25_000;

/// The longest message an answer's error may carry: it ends up in a diagnostic, clipped to
/// 500 characters and an ellipsis.
const MAX_MESSAGE_CHARS: usize = 501;
/// The longest detail of a diagnostic about stored state.
const MAX_STATE_DETAIL_CHARS: usize = 2_000;

// ---- real bodies -------------------------------------------------------------------------

fn exoscale_pool() -> Json {
    json!({
        "id": "4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41",
        "name": "web",
        "description": "web servers",
        "size": 3,
        "state": "scaling-up",
        "instance-type": {"id": "11111111-0000-4000-8000-000000000002"},
        "template": {"id": "22222222-0000-4000-8000-000000000001"},
        "disk-size": 50,
        "instance-prefix": "web",
        "user-data": "I2Nsb3VkLWNvbmZpZwpwYWNrYWdlczogW25naW54XQo=",
        "ssh-key": {"name": "sandbox"},
        "ssh-keys": [{"name": "sandbox"}, {"name": "ops"}],
        "security-groups": [{"id": "33333333-0000-4000-8000-000000000001"}],
        "private-networks": [{"id": "44444444-0000-4000-8000-000000000001"}],
        "elastic-ips": [{"id": "66666666-0000-4000-8000-000000000001"}],
        "anti-affinity-groups": [{"id": "55555555-0000-4000-8000-000000000001"}],
        "deploy-target": {"id": "77777777-0000-4000-8000-000000000001"},
        "ipv6-enabled": false,
        "public-ip-assignment": "inet4",
        "application-consistent-snapshot-enabled": true,
        "min-available": 1,
        "labels": {"env": "prod", "team": "platform"},
        "manager": {"id": "99999999-0000-4000-8000-000000000001", "type": "sks-nodepool"},
        "instances": [{"id": "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"}, {"id": "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"}]
    })
}

/// What an answer is, so as which model the clients decode it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// `GET /instance-pool/{id}`
    Pool,
    /// `GET /instance-pool`
    Pools,
    /// Every change, and `GET /operation/{id}`
    Operation,
    /// `GET /instance-type`
    InstanceTypes,
    /// `GET /instance?manager-id=...`
    Instances,
    /// Ona's Create/Get/UpdateWarmPool
    WarmPool,
    /// Ona's ListWarmPools
    WarmPools,
}

const EXOSCALE_ANSWERS: [Answer; 5] = [
    Answer::Pool,
    Answer::Pools,
    Answer::Operation,
    Answer::InstanceTypes,
    Answer::Instances,
];
const ONA_ANSWERS: [Answer; 2] = [Answer::WarmPool, Answer::WarmPools];

fn exoscale_bodies() -> Vec<(Answer, Json)> {
    let instance_type = |id: &str, size: &str, cpus: u64, memory: u64| {
        json!({"id": id, "family": "standard", "size": size, "cpus": cpus, "gpus": 0,
               "memory": memory, "authorized": true, "zones": ["ch-gva-2", "de-fra-1"]})
    };
    vec![
        (Answer::Pool, exoscale_pool()),
        (
            Answer::Pool,
            json!({"id": "4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41", "state": "running", "size": 0}),
        ),
        (
            Answer::Pools,
            json!({"instance-pools": [exoscale_pool(), {"id": "p2", "name": "batch", "state": "hibernating"}]}),
        ),
        (
            Answer::Operation,
            json!({"id": "op-1", "state": "pending", "reference": {"id": "4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41",
                   "link": "/v2/instance-pool/4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41", "command": "create-instance-pool"}}),
        ),
        (
            Answer::Operation,
            json!({"id": "op-2", "state": "failure", "reason": "busy", "message": "the pool is being scaled"}),
        ),
        (
            Answer::InstanceTypes,
            json!({"instance-types": [
                instance_type("11111111-0000-4000-8000-000000000001", "micro", 1, 536_870_912),
                instance_type("11111111-0000-4000-8000-000000000002", "small", 2, 2_147_483_648),
            ]}),
        ),
        (
            Answer::Instances,
            json!({"instances": [{
                "id": "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", "name": "web-1a2b3", "state": "running",
                "created-at": "2025-01-01T00:00:01.250Z", "public-ip": "198.51.100.7",
                "ipv6-address": "2001:db8::1", "public-ip-assignment": "dual",
                "instance-type": instance_type("11111111-0000-4000-8000-000000000002", "small", 2, 2_147_483_648),
                "template": {"id": "22222222-0000-4000-8000-000000000001", "name": "Linux Ubuntu 24.04 LTS 64-bit"},
                "manager": {"id": "4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41", "type": "instance-pool"}
            }]}),
        ),
    ]
}

fn warm_pool() -> Json {
    json!({
        "id": "0f000000-0000-4000-8000-000000000001",
        "metadata": {
            "organizationId": "0a000000-0000-4000-8000-000000000001",
            "projectId": "0c000000-0000-4000-8000-000000000001",
            "environmentClassId": "0d000000-0000-4000-8000-000000000001",
            "runnerId": "0b000000-0000-4000-8000-000000000001",
            "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-01-01T00:05:00.123456789Z"
        },
        "spec": {"specVersion": "3", "desiredSize": 2, "snapshotId": "0e000000-0000-4000-8000-000000000001",
                 "desiredPhase": "WARM_POOL_PHASE_READY", "minSize": 1, "maxSize": 3},
        "status": {"phase": "WARM_POOL_PHASE_DEGRADED", "failureMessage": "no capacity", "statusVersion": "7",
                   "runningInstances": 1, "stoppedInstances": 2, "desiredSize": 2}
    })
}

fn ona_bodies() -> Vec<(Answer, Json)> {
    vec![
        (Answer::WarmPool, json!({"warmPool": warm_pool()})),
        (
            Answer::WarmPool,
            json!({"warmPool": {"id": "0f000000-0000-4000-8000-000000000002", "metadata": {},
                                "spec": {"desiredSize": 4}, "status": {"phase": 2}}}),
        ),
        (
            Answer::WarmPools,
            json!({"warmPools": [warm_pool(), {"id": "0f000000-0000-4000-8000-000000000003",
                                 "status": {"phase": "WARM_POOL_PHASE_DELETED"}}],
                   "pagination": {"nextToken": "page-2"}}),
        ),
        (
            Answer::WarmPools,
            json!({"warmPools": [], "pagination": {}}),
        ),
        (Answer::WarmPool, json!({})),
    ]
}

fn error_bodies() -> Vec<Json> {
    vec![
        json!({"message": "Instance pool not found"}),
        json!({"type": "about:blank", "title": "Conflict", "status": 409, "detail": "pool is being destroyed"}),
        json!({"error": "rate limit exceeded", "retry_after": 2.5}),
        json!({"code": "not_found", "message": "warm pool not found"}),
        json!({"code": "resource_exhausted", "message": "slow down", "details": [{"type": "x", "value": "AA=="}]}),
        json!({"code": "failed_precondition"}),
    ]
}

// ---- mutations ---------------------------------------------------------------------------

/// A string strategy, its regex compiled once (a `&str` strategy compiles it per case).
fn regex(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(pattern).unwrap_or_else(|e| panic!("regex {pattern}: {e}"))
}

/// A value to put where another was: raw JSON text, so numbers beyond what `f64` or `u64`
/// hold, and nesting deeper than a parser allows, survive as written.
fn hostile() -> impl Strategy<Value = String> {
    let fixed = [
        "null",
        "true",
        "false",
        "0",
        "-0",
        "-1",
        "1.5",
        "1e400",
        "-1e400",
        "1e-400",
        "18446744073709551615",
        "18446744073709551616",
        "9223372036854775807",
        "-9223372036854775809",
        "2147483648",
        "-2147483649",
        "4294967296",
        "123456789012345678901234567890.5",
        "0.000000000000000000000000001",
        "\"\"",
        "\"0\"",
        "\"-1\"",
        "\"1e3\"",
        "\"NaN\"",
        "\"Infinity\"",
        "\"99999999999999999999\"",
        "{}",
        "[]",
        "[null]",
        "[[]]",
        "{\"id\":null}",
        "{\"id\":5}",
        "[{\"id\":\"x\"}]",
        "[{}]",
        "\"\\ud800\"",
        "\"\\u0000\"",
        "\"WARM_POOL_PHASE_READY\"",
        "\"running\"",
        "\"pending\"",
        "\"success\"",
        "\"2025-13-01T25:61:61Z\"",
        "\"#cloud-config\"",
        "\"\\u00e9t\\u00e9\"",
    ];
    prop_oneof![
        6 => prop::sample::select(fixed.to_vec()).prop_map(str::to_string),
        2 => regex("-?[0-9]{1,40}(\\.[0-9]{1,40})?([eE][-+]?[0-9]{1,5})?"),
        2 => any::<String>().prop_map(|s| Json::String(s).to_string()),
        1 => (0usize..3_000).prop_map(|n| format!("\"{}\"", "x".repeat(n))),
        1 => (1usize..400).prop_map(|d| format!("{}1{}", "[".repeat(d), "]".repeat(d))),
        1 => (1usize..400).prop_map(|d| format!("{}null{}", "{\"a\":".repeat(d), "}".repeat(d))),
        1 => prop::collection::vec(any::<i64>(), 0..64).prop_map(|v| json!(v).to_string()),
    ]
}

/// Member names: those of both APIs (in the wrong places too), and others.
fn key() -> impl Strategy<Value = Key> {
    let known = [
        "id",
        "name",
        "size",
        "state",
        "instance-type",
        "template",
        "disk-size",
        "labels",
        "manager",
        "type",
        "instances",
        "ssh-key",
        "ssh-keys",
        "security-groups",
        "reference",
        "instance-pools",
        "instance-types",
        "created-at",
        "user-data",
        "min-available",
        "warmPool",
        "warmPools",
        "pagination",
        "nextToken",
        "metadata",
        "spec",
        "status",
        "phase",
        "minSize",
        "maxSize",
        "desiredSize",
        "specVersion",
        "statusVersion",
        "snapshotId",
        "createdAt",
        "code",
        "message",
        "detail",
        "title",
        "error",
        "retry_after",
        "details",
        "__proto__",
        "",
    ];
    prop_oneof![
        3 => prop::sample::select(known.to_vec()).prop_map(|k| Key::Name(k.to_string())),
        1 => regex("[a-zA-Z_-]{1,12}").prop_map(Key::Name),
        2 => any::<At>().prop_map(Key::Duplicate),
    ]
}

/// A position in something of a length only known later: a fraction of it.
#[derive(Clone, Copy, Debug)]
struct At(u64);

impl At {
    /// A position in `0..len` (0 when `len` is 0).
    fn index(self, len: usize) -> usize {
        let len = u128::try_from(len).unwrap_or(u128::MAX);
        usize::try_from((u128::from(self.0) * len) >> 64).unwrap_or(0)
    }

    fn from_fraction(f: f64) -> At {
        // Test inputs only: 0.0 <= f < 1.0.
        At((f * 2f64.powi(64)) as u64)
    }
}

impl Arbitrary for At {
    type Parameters = ();
    type Strategy = prop::strategy::Map<proptest::num::u64::Any, fn(u64) -> At>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        any::<u64>().prop_map(At)
    }
}

#[derive(Clone, Debug)]
enum Key {
    Name(String),
    /// The name of a member the object already has: a duplicate member.
    Duplicate(At),
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replaces a value (any node, the whole body included).
    Replace(At, String),
    /// Drops a member of an object.
    Remove(At, At),
    /// Adds a member to an object.
    Add(At, Key, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<At>(), hostile()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        2 => (any::<At>(), any::<At>()).prop_map(|(o, m)| Mutation::Remove(o, m)),
        2 => (any::<At>(), key(), hostile()).prop_map(|(o, k, v)| Mutation::Add(o, k, v)),
    ]
}

#[derive(Clone, Debug)]
enum ByteMutation {
    Truncate(At),
    Flip(At, u8),
    Insert(At, Vec<u8>),
    Delete(At, u8),
    /// Repeats a slice of the text in place.
    Splice(At, At),
}

fn byte_mutation() -> impl Strategy<Value = ByteMutation> {
    let jsonish = prop::collection::vec(
        prop::sample::select(b"{}[]\":,0123456789.eE-+ \\ntrufalsu\x00\x7f\xc3\xff".to_vec()),
        1..8,
    );
    prop_oneof![
        any::<At>().prop_map(ByteMutation::Truncate),
        (any::<At>(), 1u8..=255).prop_map(|(at, x)| ByteMutation::Flip(at, x)),
        (any::<At>(), jsonish).prop_map(|(at, b)| ByteMutation::Insert(at, b)),
        (any::<At>(), 1u8..32).prop_map(|(at, n)| ByteMutation::Delete(at, n)),
        (any::<At>(), any::<At>()).prop_map(|(a, b)| ByteMutation::Splice(a, b)),
    ]
}

fn count(v: &Json) -> usize {
    1 + match v {
        Json::Array(items) => items.iter().map(count).sum(),
        Json::Object(members) => members.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`th node in pre-order.
fn nth(v: &mut Json, n: usize) -> Option<&mut Json> {
    if n == 0 {
        return Some(v);
    }
    let mut n = n - 1;
    let children: Vec<&mut Json> = match v {
        Json::Array(items) => items.iter_mut().collect(),
        Json::Object(members) => members.values_mut().collect(),
        _ => return None,
    };
    for child in children {
        let size = count(child);
        if n < size {
            return nth(child, n);
        }
        n -= size;
    }
    None
}

/// The pre-order numbers of the objects in `v`.
fn objects(v: &Json, next: &mut usize, found: &mut Vec<usize>) {
    if v.is_object() {
        found.push(*next);
    }
    *next += 1;
    match v {
        Json::Array(items) => items.iter().for_each(|i| objects(i, next, found)),
        Json::Object(members) => members.values().for_each(|m| objects(m, next, found)),
        _ => {}
    }
}

/// The body after `mutations` and `bytes`. Replaced values and duplicate names go in as
/// placeholders that the serialized text then swaps for the raw text.
fn mutate(seed: &Json, mutations: &[Mutation], bytes: &[ByteMutation]) -> Vec<u8> {
    let mut body = seed.clone();
    let mut raw: Vec<String> = Vec::new();
    let placeholder = |text: String, raw: &mut Vec<String>| {
        raw.push(text);
        format!("\u{1}{}\u{1}", raw.len() - 1)
    };
    for m in mutations {
        match m {
            Mutation::Replace(at, text) => {
                let n = at.index(count(&body));
                if let Some(node) = nth(&mut body, n) {
                    *node = Json::String(placeholder(text.clone(), &mut raw));
                }
            }
            Mutation::Remove(which, member) => {
                let mut found = Vec::new();
                objects(&body, &mut 0, &mut found);
                if found.is_empty() {
                    continue;
                }
                let n = found[which.index(found.len())];
                if let Some(Json::Object(members)) = nth(&mut body, n) {
                    let name = members.keys().nth(member.index(members.len())).cloned();
                    if let Some(name) = name {
                        members.remove(&name);
                    }
                }
            }
            Mutation::Add(which, key, text) => {
                let mut found = Vec::new();
                objects(&body, &mut 0, &mut found);
                if found.is_empty() {
                    continue;
                }
                let n = found[which.index(found.len())];
                let value = Json::String(placeholder(text.clone(), &mut raw));
                if let Some(Json::Object(members)) = nth(&mut body, n) {
                    let name = match key {
                        Key::Name(name) => name.clone(),
                        Key::Duplicate(i) if !members.is_empty() => {
                            let existing = members.keys().nth(i.index(members.len())).cloned();
                            let existing = existing.unwrap_or_default();
                            placeholder(Json::String(existing).to_string(), &mut raw)
                        }
                        Key::Duplicate(_) => "extra".to_string(),
                    };
                    members.insert(name, value);
                }
            }
        }
    }
    let mut text = body.to_string();
    // Placeholders serialize as "\u0001<n>\u0001"; the raw text replaces them, quotes and
    // all (a duplicate name's raw text is itself a quoted string).
    for (i, raw) in raw.iter().enumerate().rev() {
        text = text.replace(&format!("\"\\u0001{i}\\u0001\""), raw);
    }
    let mut out = text.into_bytes();
    for b in bytes {
        let len = out.len();
        match b {
            ByteMutation::Truncate(at) => out.truncate(at.index(len + 1)),
            ByteMutation::Flip(at, x) if len > 0 => out[at.index(len)] ^= x,
            ByteMutation::Insert(at, inserted) => {
                let at = at.index(len + 1);
                out.splice(at..at, inserted.iter().copied());
            }
            ByteMutation::Delete(at, n) if len > 0 => {
                let at = at.index(len);
                out.drain(at..(at + usize::from(*n)).min(len));
            }
            ByteMutation::Splice(a, b) if len > 0 => {
                let (a, b) = (a.index(len), b.index(len));
                let (from, to) = (a.min(b), a.max(b));
                let copy = out[from..=to].to_vec();
                out.splice(to..to, copy);
            }
            _ => {}
        }
    }
    out
}

/// Bodies no mutation of a real one makes.
fn extreme() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(b" \n\t ".to_vec()),
        Just(b"null".to_vec()),
        Just(b"<!DOCTYPE html><html><title>502</title></html>".to_vec()),
        Just(b"Bad Gateway".to_vec()),
        (1usize..20_000).prop_map(|d| "[".repeat(d).into_bytes()),
        (1usize..5_000).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d)).into_bytes()),
        (1usize..5_000).prop_map(|d| "{\"a\":".repeat(d).into_bytes()),
        prop::collection::vec(any::<u8>(), 0..256),
    ]
}

/// A mutated real body with what its seed is, or now and then an extreme body passed off
/// as one of the seeds' kinds.
fn mutated<T: Clone + std::fmt::Debug + 'static>(
    seeds: Vec<(T, Json)>,
) -> impl Strategy<Value = (T, Vec<u8>)> {
    let kinds: Vec<T> = seeds.iter().map(|(kind, _)| kind.clone()).collect();
    let mutated = (
        prop::sample::select(seeds),
        prop::collection::vec(mutation(), 0..4),
        prop_oneof![
            1 => Just(Vec::new()),
            1 => prop::collection::vec(byte_mutation(), 1..3),
        ],
    )
        .prop_map(|((kind, seed), mutations, bytes)| (kind, mutate(&seed, &mutations, &bytes)));
    prop_oneof![
        9 => mutated,
        1 => (prop::sample::select(kinds), extreme()),
    ]
}

/// An answer: a mutated real one, decoded as what it is and as one other answer of the
/// same API (a server answering with the wrong shape).
fn answer(
    seeds: Vec<(Answer, Json)>,
    answers: &'static [Answer],
) -> impl Strategy<Value = (Vec<u8>, Answer, Answer)> {
    (mutated(seeds), prop::sample::select(answers))
        .prop_map(|((kind, bytes), other)| (bytes, kind, other))
}

// ---- checks ------------------------------------------------------------------------------

/// Decodes as the clients do; a failure must be a short, non-empty message.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, TestCaseError> {
    match decode_json::<T>(bytes) {
        Ok(value) => Ok(Some(value)),
        Err(message) => {
            prop_assert!(!message.trim().is_empty(), "an empty error message");
            prop_assert!(
                message.chars().count() <= MAX_MESSAGE_CHARS,
                "a decode error of {} characters: {}…",
                message.chars().count(),
                message.chars().take(200).collect::<String>()
            );
            Ok(None)
        }
    }
}

/// A model must become a state value of the schema's type that Terraform can be sent
/// (msgpack) and that reads back as the same model.
fn check_state<M: Cty + PartialEq + std::fmt::Debug>(
    model: &M,
    ty: &Type,
) -> Result<(), TestCaseError> {
    let value = conform(model.to_cty(), ty);
    let bytes = msgpack::encode(&value, ty)
        .map_err(|e| TestCaseError::fail(format!("state msgpack of {model:?}: {e}")))?;
    let sent = msgpack::decode(&bytes, ty)
        .map_err(|e| TestCaseError::fail(format!("state msgpack read back: {e}")))?;
    let again = M::from_cty(&sent, &AttrPath::root())
        .map_err(|e| TestCaseError::fail(format!("model read back: {}", e.detail)))?;
    prop_assert_eq!(&again, model);
    Ok(())
}

struct Types {
    instance_pool: Type,
    warm_pool: Type,
    warm_pool_view: Type,
}

/// The schemas' types, built once.
fn types() -> &'static Types {
    static TYPES: std::sync::OnceLock<Types> = std::sync::OnceLock::new();
    TYPES.get_or_init(|| Types {
        instance_pool: InstancePoolResource::default().schema().block.ty(),
        warm_pool: WarmPoolResource.schema().block.ty(),
        warm_pool_view: WarmPoolDataSource.schema().block.ty(),
    })
}

/// A pool as a refresh sees it, with a prior model in the user's spellings.
fn check_instance_pool(pool: &InstancePool, ty: &Type) -> Result<(), TestCaseError> {
    let current = InstancePoolModel {
        id: Some("4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41".to_string()).into(),
        zone: Some("ch-gva-2".to_string()).into(),
        name: "web".into(),
        size: 2,
        instance_type: "Standard.Small".into(),
        template_id: "22222222-0000-4000-8000-000000000001".into(),
        disk_size: 10,
        user_data: Some("#cloud-config\n".into()),
        ssh_keys: Some(vec!["ops".into(), "sandbox".into()]),
        ..Default::default()
    };
    let model = refreshed(&current, pool, "standard.small".into());
    check_state(&model, ty)?;
    let _ = ssh_key_names(pool);
    if let Some(user_data) = &pool.user_data {
        let _ = decode_user_data(user_data);
    }
    for field in ResettableField::ALL {
        let _ = field.is_reset_in(pool);
    }
    let update = UpdateInstancePool {
        description: Some("web servers".into()),
        security_groups: Some(vec![IdRef::new("33333333-0000-4000-8000-000000000001")]),
        labels: Some(BTreeMap::from([("env".into(), "prod".into())])),
        ..Default::default()
    };
    let _ = update.is_reflected_in(pool);
    if let Some(state) = &pool.state {
        let _ = (state.is_transitional(), state.to_string());
    }
    Ok(())
}

/// Decodes `bytes` as `answer` (as the client would) and carries on with what it gets.
fn check_answer(bytes: &[u8], answer: Answer, types: &Types) -> Result<(), TestCaseError> {
    match answer {
        Answer::Pool => {
            if let Some(pool) = decode::<InstancePool>(bytes)? {
                check_instance_pool(&pool, &types.instance_pool)?;
            }
        }
        Answer::Pools => {
            if let Some(list) = decode::<InstancePoolList>(bytes)? {
                for pool in &list.instance_pools {
                    check_instance_pool(pool, &types.instance_pool)?;
                }
            }
        }
        Answer::Operation => {
            if let Some(op) = decode::<Operation>(bytes)? {
                let _ = (op.reference_id(), op.is_pending(), op.state.as_str());
            }
        }
        Answer::InstanceTypes => {
            if let Some(list) = decode::<InstanceTypeList>(bytes)? {
                let _: Vec<String> = list.instance_types.iter().map(|t| t.name()).collect();
                let _ = find_instance_type(&list.instance_types, "Standard.Small");
            }
        }
        Answer::Instances => {
            if let Some(list) = decode::<InstanceList>(bytes)? {
                let _: Vec<Option<i64>> = list
                    .instances
                    .iter()
                    .map(Instance::created_at_unix_ms)
                    .collect();
            }
        }
        Answer::WarmPool => {
            if let Some(response) = decode::<WarmPoolResponse>(bytes)? {
                if let Some(pool) = &response.warm_pool {
                    check_warm_pool(pool, types)?;
                }
            }
        }
        Answer::WarmPools => {
            if let Some(page) = decode::<ListWarmPoolsResponse>(bytes)? {
                for pool in &page.warm_pools {
                    check_warm_pool(pool, types)?;
                }
            }
        }
    }
    Ok(())
}

fn check_warm_pool(pool: &WarmPool, types: &Types) -> Result<(), TestCaseError> {
    let mut model = WarmPoolModel {
        project_id: "0C000000-0000-4000-8000-000000000001".into(),
        environment_class_id: "0d000000-0000-4000-8000-000000000001".into(),
        min_size: Some(1),
        max_size: Some(2),
        wait_for_ready: Some(true),
        ..Default::default()
    };
    model.observe(pool);
    let _ = model.sizes();
    check_state(&model, &types.warm_pool)?;
    check_state(&WarmPoolView::from(pool), &types.warm_pool_view)?;
    let _ = (pool_sizes(pool), phase_name(&pool.status.phase));
    let _ = pool.status.phase.number();
    Ok(())
}

/// An error body as a diagnostic quotes it: never empty, never longer than the clip.
fn check_error_body(parsed: &ErrorBody) -> Result<(), TestCaseError> {
    prop_assert!(!parsed.message.trim().is_empty(), "{parsed:?}");
    prop_assert!(
        parsed.message.chars().count() <= MAX_MESSAGE_CHARS,
        "an error message of {} characters",
        parsed.message.chars().count()
    );
    if let Some(pause) = parsed.retry_after {
        prop_assert!(pause.as_secs() <= 3600, "{pause:?}");
    }
    Ok(())
}

const STATUSES: [u16; 10] = [200, 400, 401, 403, 404, 409, 429, 500, 503, 504];

// ---- state -------------------------------------------------------------------------------

/// A pool's state as Terraform stores it at schema version 1 (the current one).
const INSTANCE_POOL_V1: &str = r##"{
    "anti_affinity_group_ids": null, "application_consistent_snapshot_enabled": false,
    "deploy_target_id": null, "description": "web servers", "disk_size": 50,
    "elastic_ip_ids": [], "id": "4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41",
    "instance_ids": ["9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"],
    "instance_prefix": "web", "instance_type": "Standard.Small",
    "instance_type_id": "11111111-0000-4000-8000-000000000002", "ipv6_enabled": false,
    "labels": {"env": "prod", "team": "platform"}, "manager_id": null, "manager_type": null,
    "min_available": 1, "name": "web", "private_network_ids": null,
    "public_ip_assignment": "inet4", "security_group_ids": ["33333333-0000-4000-8000-000000000001"],
    "size": 2, "ssh_keys": ["sandbox"], "state": "running",
    "template_id": "22222222-0000-4000-8000-000000000001",
    "timeouts": {"create": "30m", "delete": null, "read": "5m", "update": null},
    "user_data": "#cloud-config\npackages: [nginx]\n", "wait_for_instances": false,
    "zone": "ch-gva-2"
}"##;

/// A warm pool's state as Terraform stores it (schema version 0, the current one).
const WARM_POOL_V0: &str = r#"{
    "created_at": "2025-01-01T00:00:00Z", "desired_size": 2,
    "environment_class_id": "0d000000-0000-4000-8000-000000000001",
    "id": "0f000000-0000-4000-8000-000000000001", "max_size": 3, "min_size": 1,
    "phase": "READY", "project_id": "0c000000-0000-4000-8000-000000000001",
    "running_instances": 2, "snapshot_id": "0e000000-0000-4000-8000-000000000001",
    "stopped_instances": 0, "timeouts": {"create": "10m", "delete": null, "update": null},
    "updated_at": "2025-01-01T00:05:00Z", "wait_for_ready": true
}"#;

/// Each stored state: (resource, the schema version it was written at, the text).
fn states() -> Vec<(usize, i64, Json)> {
    let parse = |text: &str| -> Json {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("a seed state: {e}"))
    };
    let v1 = parse(INSTANCE_POOL_V1);
    let mut v0 = v1.clone();
    if let Some(timeouts) = v0["timeouts"].as_object_mut() {
        timeouts.remove("read");
    }
    vec![
        (0, 1, v1),
        (0, 0, v0),
        (
            0,
            1,
            json!({"id": "4f1c6a8e-2b7d-4e3a-9c5f-0d8e7b6a5c41", "timeouts": null}),
        ),
        (1, 0, parse(WARM_POOL_V0)),
        (
            1,
            0,
            json!({"id": "0f000000-0000-4000-8000-000000000001", "min_size": 0}),
        ),
    ]
}

struct StateResources {
    types: [Type; 2],
    versions: [i64; 2],
    upgraders: [Vec<StateUpgrader>; 2],
}

/// The resources' schema types, versions and upgraders, built once.
fn state_resources() -> &'static StateResources {
    static RESOURCES: std::sync::OnceLock<StateResources> = std::sync::OnceLock::new();
    RESOURCES.get_or_init(|| {
        let instance_pool = InstancePoolResource::default();
        let (ip, wp) = (instance_pool.schema(), WarmPoolResource.schema());
        StateResources {
            types: [ip.block.ty(), wp.block.ty()],
            versions: [ip.version, wp.version],
            upgraders: [
                instance_pool.state_upgraders(),
                WarmPoolResource.state_upgraders(),
            ],
        }
    })
}

/// A stored state: a seed's resource, mutated text, and the version it claims (mostly the
/// seed's; sometimes another, older or newer).
fn stored_state() -> impl Strategy<Value = (usize, i64, Vec<u8>)> {
    let seeds = states()
        .into_iter()
        .map(|(resource, version, state)| ((resource, version), state))
        .collect();
    (mutated(seeds), prop_oneof![6 => Just(0i64), 1 => -2i64..3])
        .prop_map(|(((resource, version), bytes), shift)| (resource, version + shift, bytes))
}

fn check_upgrade(
    resources: &StateResources,
    resource: usize,
    version: i64,
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    let ty = &resources.types[resource];
    let result = upgrade_state(
        RawState::Json(bytes),
        version,
        resources.versions[resource],
        ty,
        &resources.upgraders[resource],
    );
    match result {
        Err(diags) => {
            prop_assert!(!diags.0.is_empty(), "an error without diagnostics");
            for d in &diags.0 {
                prop_assert!(d.severity == Severity::Error);
                prop_assert!(!d.summary.is_empty() && !d.detail.is_empty(), "{d:?}");
                prop_assert!(
                    d.detail.chars().count() <= MAX_STATE_DETAIL_CHARS,
                    "a diagnostic of {} characters: {}…",
                    d.detail.chars().count(),
                    d.detail.chars().take(200).collect::<String>()
                );
            }
        }
        Ok(value) => {
            prop_assert!(version <= resources.versions[resource]);
            prop_assert!(value.is_known(), "{value:?}");
            let encoded = cty_json::encode(&value, ty)
                .map_err(|e| TestCaseError::fail(format!("upgraded state as JSON: {e}")))?;
            let again = cty_json::decode(&encoded, ty)
                .map_err(|e| TestCaseError::fail(format!("upgraded state read back: {e}")))?;
            prop_assert!(again.same_as(&value));
            msgpack::encode(&value, ty)
                .map_err(|e| TestCaseError::fail(format!("upgraded state as msgpack: {e}")))?;
            // What a read does next: an error is fine, a panic is not.
            if !value.is_null() {
                let _ = match resource {
                    0 => InstancePoolModel::from_cty(&value, &AttrPath::root()).map(|_| ()),
                    _ => WarmPoolModel::from_cty(&value, &AttrPath::root()).map(|_| ()),
                };
            }
        }
    }
    Ok(())
}

// ---- the fuzz tests ----------------------------------------------------------------------

proptest! {
    #![proptest_config(config(EXOSCALE_BODIES))]

    #[test]
    fn exoscale_answers_decode_or_fail_cleanly(
        (bytes, kind, other) in answer(exoscale_bodies(), &EXOSCALE_ANSWERS),
    ) {
        check_answer(&bytes, kind, types())?;
        check_answer(&bytes, other, types())?;
    }
}

proptest! {
    #![proptest_config(config(ONA_BODIES))]

    #[test]
    fn ona_answers_decode_or_fail_cleanly(
        (bytes, kind, other) in answer(ona_bodies(), &ONA_ANSWERS),
    ) {
        check_answer(&bytes, kind, types())?;
        check_answer(&bytes, other, types())?;
    }
}

proptest! {
    #![proptest_config(config(ERROR_BODIES))]

    #[test]
    fn error_answers_read_cleanly(
        (_, bytes) in mutated(error_bodies().into_iter().map(|b| ((), b)).collect()),
        status in prop::sample::select(STATUSES.to_vec()),
    ) {
        let parsed = exoscale::api::errors::parse(status, &bytes);
        check_error_body(&parsed)?;
        prop_assert_eq!(parsed.kind, ErrorKind::from_status(status));
        let parsed = ona::api::errors::parse(status, &bytes);
        check_error_body(&parsed)?;
        prop_assert_eq!(parsed.kind, ona::api::errors::classify(status, parsed.code.as_deref()));
        if let Some(parsed) = ona::api::errors::error_in_success(&bytes) {
            check_error_body(&parsed)?;
            prop_assert!(parsed.code.is_some());
        }
    }
}

proptest! {
    #![proptest_config(config(STATES))]

    #[test]
    fn stored_state_upgrades_or_fails_cleanly((resource, version, bytes) in stored_state()) {
        check_upgrade(state_resources(), resource, version, &bytes)?;
    }
}

/// The seeds themselves decode: the fuzz starts from bodies the provider reads.
#[test]
fn the_seeds_are_real_answers_and_states() {
    let types = types();
    for (kind, body) in exoscale_bodies().into_iter().chain(ona_bodies()) {
        let bytes = body.to_string().into_bytes();
        let decodes = match kind {
            Answer::Pool => decode_json::<InstancePool>(&bytes).is_ok(),
            Answer::Pools => decode_json::<InstancePoolList>(&bytes).is_ok(),
            Answer::Operation => decode_json::<Operation>(&bytes).is_ok(),
            Answer::InstanceTypes => decode_json::<InstanceTypeList>(&bytes).is_ok(),
            Answer::Instances => decode_json::<InstanceList>(&bytes).is_ok(),
            Answer::WarmPool => decode_json::<WarmPoolResponse>(&bytes).is_ok(),
            Answer::WarmPools => decode_json::<ListWarmPoolsResponse>(&bytes).is_ok(),
        };
        assert!(decodes, "{kind:?}: {body}");
        check_answer(&bytes, kind, types).expect("a seed");
    }
    let pool: InstancePool = decode_json(exoscale_pool().to_string().as_bytes()).expect("pool");
    assert_eq!(pool.labels.map(|l| l.len()), Some(2));
    let response: WarmPoolResponse =
        decode_json(json!({"warmPool": warm_pool()}).to_string().as_bytes()).expect("warm pool");
    let pool = response.warm_pool.expect("a pool");
    assert_eq!(pool_sizes(&pool), Some((1, 3)));
    let resources = state_resources();
    for (resource, version, state) in states() {
        let bytes = state.to_string().into_bytes();
        let upgraded = upgrade_state(
            RawState::Json(&bytes),
            version,
            resources.versions[resource],
            &resources.types[resource],
            &resources.upgraders[resource],
        )
        .unwrap_or_else(|d| panic!("{state}: {d}"));
        assert!(!upgraded.is_null());
        check_upgrade(resources, resource, version, &bytes).expect("a seed");
    }
    // A mutation does what it says: a duplicate member, a huge number, a cut.
    let seed = json!({"a": 1, "b": [true]});
    let dup = mutate(
        &seed,
        &[Mutation::Add(
            At::from_fraction(0.0),
            Key::Duplicate(At::from_fraction(0.0)),
            "2".into(),
        )],
        &[],
    );
    assert_eq!(String::from_utf8_lossy(&dup), r#"{"a":2,"a":1,"b":[true]}"#);
    let huge = mutate(
        &seed,
        &[Mutation::Replace(At::from_fraction(0.99), "1e400".into())],
        &[],
    );
    assert_eq!(String::from_utf8_lossy(&huge), r#"{"a":1,"b":[1e400]}"#);
    let cut = mutate(
        &seed,
        &[],
        &[ByteMutation::Truncate(At::from_fraction(0.5))],
    );
    assert!(cut.len() < 16, "{cut:?}");
}
