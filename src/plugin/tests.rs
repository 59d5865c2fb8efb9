//! The framework exercised on a test-only resource: validation, the declarative plan rules,
//! typed models, and apply outcomes, all through the value-level adapter the RPCs use.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::ctx::{Configured, Ctx, Settings};
use super::cty::{Number, Value};
use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::model::Tri;
use super::plan::Plan;
use super::resource::{resource, AnyResource, Applied, Resource};
use super::schema::{Attribute, Block, Schema};
use super::stop::Stop;
use super::timeouts::{timeouts_block, Timeouts};
use super::validators;

crate::model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    struct Thing {
        id: Tri<String>,
        name: String,
        kind: Option<String>,
        zone: Option<String>,
        size: i64,
        status: Tri<String>,
        timeouts: Option<Timeouts>,
    }
}

#[derive(Default)]
struct ThingResource {
    fail_create_after_start: AtomicBool,
    gone: AtomicBool,
}

#[async_trait]
impl Resource for Arc<ThingResource> {
    type Model = Thing;

    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("A thing.")
                .attribute(Attribute::string("id").computed().use_state_for_unknown())
                .attribute(
                    Attribute::string("name")
                        .required()
                        .validate(validators::string_length(1, 5)),
                )
                .attribute(
                    Attribute::string("kind")
                        .optional()
                        .semantic_eq(|a, b| match (a, b) {
                            (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
                            _ => false,
                        }),
                )
                .attribute(
                    Attribute::string("zone")
                        .default(Value::String("z1".into()))
                        .requires_replace(),
                )
                .attribute(
                    Attribute::int("size")
                        .required()
                        .validate(validators::int_between(0, 20)),
                )
                .attribute(Attribute::string("status").computed())
                .block(timeouts_block(&["create"], &[Duration::from_secs(60)])),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Value::String(name) = config.attr("name") {
            if name == "bad" {
                diags.error_at(AttrPath::attrs(&["name"]), "Bad name", "not allowed");
            }
        }
    }

    fn settings(&self) -> &'static [&'static str] {
        &["test.key"]
    }

    async fn modify_plan(&self, _: &Ctx, plan: &mut Plan) -> Diagnostics {
        if plan.is_create() && plan.planned("name") == &Value::String("warn".into()) {
            return Diagnostic::warning("Planning a warning", "").into();
        }
        Diagnostics::new()
    }

    async fn create(&self, _: &Ctx, mut planned: Thing) -> Applied<Thing> {
        planned.id = Tri::Known("t-1".into());
        planned.status = Tri::Known("ready".into());
        if self.fail_create_after_start.load(Ordering::SeqCst) {
            planned.status = Tri::Known("broken".into());
            return Applied::failed(
                Some(planned),
                Diagnostic::error("Waiting failed", "it broke"),
            );
        }
        Applied::ok(planned)
    }

    async fn read(&self, _: &Ctx, current: Thing) -> Result<Option<Thing>, Diagnostics> {
        Ok((!self.gone.load(Ordering::SeqCst)).then_some(current))
    }

    async fn update(&self, _: &Ctx, _prior: Thing, mut planned: Thing) -> Applied<Thing> {
        planned.status = Tri::Known("updated".into());
        Applied::ok(planned)
    }

    fn plan_destroy(&self, prior: &Thing) -> Diagnostics {
        if prior.name == "stuck" {
            return Diagnostic::error("Cannot delete", "still in use").into();
        }
        Diagnostics::new()
    }

    async fn delete(&self, _: &Ctx, prior: Thing) -> Diagnostics {
        if prior.name == "stuck" {
            return Diagnostic::error("Cannot delete", "still in use").into();
        }
        Diagnostics::new()
    }

    async fn import(&self, _: &Ctx, id: &str) -> Result<Thing, Diagnostics> {
        Ok(Thing {
            id: Tri::Known(id.into()),
            name: "imp".into(),
            size: 1,
            zone: Some("z1".into()),
            ..Thing::default()
        })
    }
}

fn ctx() -> Ctx {
    Ctx::new(None, Stop::new())
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn n(v: i64) -> Value {
    Value::Number(Number::from_i64(v))
}

/// A full configuration object: the given attributes, null for the rest.
fn config(r: &dyn AnyResource, attrs: &[(&str, Value)]) -> Value {
    let partial = Value::Object(
        attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    );
    super::model::conform(partial, &r.schema().block.ty())
}

/// Terraform's proposed new state: config, with prior values for unset computed attributes.
fn proposed(r: &dyn AnyResource, prior: &Value, config: &Value) -> Value {
    let (Value::Object(c), Value::Object(p)) = (config, prior) else {
        return config.clone();
    };
    let mut out = c.clone();
    for a in r
        .schema()
        .block
        .attributes
        .iter()
        .filter(|a| a.is_computed())
    {
        if matches!(c.get(&a.name), Some(Value::Null) | None) {
            out.insert(
                a.name.clone(),
                p.get(&a.name).cloned().unwrap_or(Value::Null),
            );
        }
    }
    Value::Object(out)
}

async fn plan(
    r: &dyn AnyResource,
    prior: &Value,
    cfg: &Value,
) -> (Value, Vec<AttrPath>, Diagnostics) {
    let p = r
        .plan(&ctx(), prior.clone(), proposed(r, prior, cfg), cfg.clone())
        .await;
    (p.planned, p.requires_replace, p.diagnostics)
}

fn get<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.attr(name)
}

fn thing() -> (Arc<ThingResource>, Box<dyn AnyResource>) {
    let inner = Arc::new(ThingResource::default());
    (inner.clone(), resource(inner))
}

#[tokio::test]
async fn validation_names_paths_and_skips_unknowns() {
    let (_, r) = thing();
    let bad = config(&*r, &[("name", s("toolong")), ("size", n(21))]);
    let diags = r.validate(&bad);
    let paths: Vec<String> = diags
        .0
        .iter()
        .map(|d| d.path.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["name", "size"]);
    assert!(
        diags.0[1].detail.contains("from 0 to 20"),
        "{}",
        diags.0[1].detail
    );

    let unknown = config(
        &*r,
        &[("name", Value::Unknown(Default::default())), ("size", n(3))],
    );
    assert!(r.validate(&unknown).is_empty());

    let custom = config(&*r, &[("name", s("bad")), ("size", n(1))]);
    assert_eq!(r.validate(&custom).0[0].summary, "Bad name");

    let timeouts = config(
        &*r,
        &[
            ("name", s("a")),
            ("size", n(1)),
            (
                "timeouts",
                Value::Object([("create".to_string(), s("soon"))].into()),
            ),
        ],
    );
    let diags = r.validate(&timeouts);
    assert_eq!(
        diags.0[0].path.as_ref().unwrap().to_string(),
        "timeouts.create"
    );
}

#[tokio::test]
async fn create_plans_defaults_and_unknown_computed_values() {
    let (_, r) = thing();
    let cfg = config(&*r, &[("name", s("web")), ("size", n(2))]);
    let (planned, replace, diags) = plan(&*r, &Value::Null, &cfg).await;
    assert!(diags.is_empty() && replace.is_empty());
    assert_eq!(get(&planned, "zone"), &s("z1"));
    assert!(matches!(get(&planned, "id"), Value::Unknown(_)));
    assert!(matches!(get(&planned, "status"), Value::Unknown(_)));
    assert_eq!(get(&planned, "kind"), &Value::Null);

    let (state, diags) = r.apply(&ctx(), Value::Null, planned).await;
    assert!(diags.is_empty());
    assert_eq!(get(&state, "id"), &s("t-1"));
    assert_eq!(get(&state, "status"), &s("ready"));
}

#[tokio::test]
async fn unchanged_config_plans_exactly_the_prior_state() {
    let (_, r) = thing();
    let cfg = config(
        &*r,
        &[("name", s("web")), ("size", n(2)), ("kind", s("Big"))],
    );
    let (planned, _, _) = plan(&*r, &Value::Null, &cfg).await;
    let (state, _) = r.apply(&ctx(), Value::Null, planned).await;
    let (again, replace, diags) = plan(&*r, &state, &cfg).await;
    assert_eq!(again, state);
    assert!(replace.is_empty() && diags.is_empty());
}

#[tokio::test]
async fn a_change_marks_computed_values_unknown_except_stable_ones() {
    let (_, r) = thing();
    let cfg = config(&*r, &[("name", s("web")), ("size", n(2))]);
    let (planned, _, _) = plan(&*r, &Value::Null, &cfg).await;
    let (state, _) = r.apply(&ctx(), Value::Null, planned).await;

    let bigger = config(&*r, &[("name", s("web")), ("size", n(3))]);
    let (planned, replace, _) = plan(&*r, &state, &bigger).await;
    assert!(replace.is_empty());
    assert_eq!(
        get(&planned, "id"),
        &s("t-1"),
        "use_state_for_unknown keeps the id"
    );
    assert!(matches!(get(&planned, "status"), Value::Unknown(_)));
    let (updated, diags) = r.apply(&ctx(), state, planned).await;
    assert!(diags.is_empty());
    assert_eq!(get(&updated, "status"), &s("updated"));
    assert_eq!(get(&updated, "size"), &n(3));
}

#[tokio::test]
async fn requires_replace_and_semantic_equality() {
    let (_, r) = thing();
    let cfg = config(
        &*r,
        &[("name", s("web")), ("size", n(2)), ("kind", s("big"))],
    );
    let (planned, _, _) = plan(&*r, &Value::Null, &cfg).await;
    let (state, _) = r.apply(&ctx(), Value::Null, planned).await;

    let moved = config(
        &*r,
        &[
            ("name", s("web")),
            ("size", n(2)),
            ("kind", s("big")),
            ("zone", s("z2")),
        ],
    );
    let (_, replace, _) = plan(&*r, &state, &moved).await;
    assert_eq!(replace, [AttrPath::attrs(&["zone"])]);

    let respelled = config(
        &*r,
        &[("name", s("web")), ("size", n(2)), ("kind", s("BIG"))],
    );
    let (planned, replace, _) = plan(&*r, &state, &respelled).await;
    assert_eq!(planned, state, "a case-only change is no change");
    assert!(replace.is_empty());
}

#[tokio::test]
async fn failed_create_still_records_the_object() {
    let (inner, r) = thing();
    inner.fail_create_after_start.store(true, Ordering::SeqCst);
    let cfg = config(&*r, &[("name", s("web")), ("size", n(2))]);
    let (planned, _, _) = plan(&*r, &Value::Null, &cfg).await;
    let (state, diags) = r.apply(&ctx(), Value::Null, planned).await;
    assert!(diags.has_errors());
    assert_eq!(
        get(&state, "id"),
        &s("t-1"),
        "the created object is kept in state"
    );
}

#[tokio::test]
async fn delete_failure_keeps_state_and_gone_objects_leave_it() {
    let (inner, r) = thing();
    let cfg = config(&*r, &[("name", s("stuck")), ("size", n(2))]);
    let (planned, _, _) = plan(&*r, &Value::Null, &cfg).await;
    let (state, _) = r.apply(&ctx(), Value::Null, planned).await;
    let (after, diags) = r.apply(&ctx(), state.clone(), Value::Null).await;
    assert!(diags.has_errors());
    assert_eq!(after, state);

    // Destroy plans reach the resource, which refuses this one at plan time.
    let destroy = r
        .plan(&ctx(), state.clone(), Value::Null, Value::Null)
        .await;
    assert_eq!(destroy.planned, Value::Null);
    assert!(
        destroy.diagnostics.to_string().contains("still in use"),
        "{}",
        destroy.diagnostics
    );

    inner.gone.store(true, Ordering::SeqCst);
    let read = r.read(&ctx(), state).await;
    assert!(read.diagnostics.is_empty());
    assert_eq!(read.state, Value::Null);
}

#[tokio::test]
async fn import_and_plan_warnings() {
    let (_, r) = thing();
    let (state, diags) = r.import(&ctx(), "t-9").await;
    assert!(diags.is_empty());
    let state = state.expect("imported");
    assert_eq!(get(&state, "id"), &s("t-9"));
    assert_eq!(get(&state, "timeouts"), &Value::Null);

    let cfg = config(&*r, &[("name", s("warn")), ("size", n(1))]);
    let (_, _, diags) = plan(&*r, &Value::Null, &cfg).await;
    assert!(!diags.has_errors() && diags.0.len() == 1);
}

#[test]
fn timeouts_fall_back_to_defaults() {
    let t = Some(Timeouts {
        create: Some("2m".into()),
        ..Timeouts::default()
    });
    assert_eq!(
        Timeouts::of(&t, "create", Duration::from_secs(1)),
        Duration::from_secs(120)
    );
    assert_eq!(
        Timeouts::of(&t, "delete", Duration::from_secs(7)),
        Duration::from_secs(7)
    );
    assert_eq!(
        Timeouts::of(&None, "create", Duration::from_secs(7)),
        Duration::from_secs(7)
    );
}

#[test]
fn nested_attribute_validators_run_with_element_paths() {
    use super::schema::ObjectNesting;
    let block = Block::new("").attribute(
        Attribute::nested(
            "rules",
            ObjectNesting::List,
            vec![Attribute::int("port")
                .optional()
                .validate(validators::int_between(1, 65535))],
        )
        .optional(),
    );
    let rule = |port: i64| Value::Object([("port".to_string(), n(port))].into());
    let config =
        Value::Object([("rules".to_string(), Value::List(vec![rule(80), rule(0)]))].into());
    let mut diags = Diagnostics::new();
    super::schema::validate_block(&block, &config, &AttrPath::root(), &mut diags);
    assert_eq!(diags.0.len(), 1);
    assert_eq!(
        diags.0[0].path.as_ref().unwrap().to_string(),
        "rules[1].port"
    );
}

#[test]
fn read_only_attributes_cannot_be_configured() {
    let block = Block::new("")
        .attribute(Attribute::string("id").computed())
        .attribute(Attribute::string("zone").optional_computed())
        .attribute(Attribute::string("name").optional());
    let config = |id: Value| {
        Value::Object(
            [
                ("id".to_string(), id),
                ("zone".to_string(), Value::String("ch-gva-2".into())),
                ("name".to_string(), Value::Null),
            ]
            .into(),
        )
    };
    let validate = |value: Value| {
        let mut diags = Diagnostics::new();
        super::schema::validate_block(&block, &config(value), &AttrPath::root(), &mut diags);
        diags
    };
    assert!(validate(Value::Null).is_empty());
    for set in [
        Value::String("x".into()),
        Value::Unknown(Default::default()),
    ] {
        let diags = validate(set);
        assert_eq!(diags.0.len(), 1, "{diags}");
        assert_eq!(diags.0[0].path, Some(AttrPath::attrs(&["id"])));
        assert!(diags.0[0].detail.contains("id is read-only"), "{diags}");
    }
}

/// A setting set nowhere is known to be missing at plan time: the plan fails, naming it and
/// how to set it, before the resource is asked anything; so do refresh and import.
#[tokio::test]
async fn a_setting_set_nowhere_fails_the_plan() {
    let (_, r) = thing();
    let mut settings = Settings::default();
    settings.set_missing(
        "test.key",
        "set `key` in the provider's `test` block, or TEST_KEY",
    );
    let configured = Configured {
        data: Vec::new(),
        settings,
    };
    let ctx = Ctx::new(Some(Arc::new(configured)), Stop::new());
    // A name that would make modify_plan warn: it is never called.
    let cfg = config(&*r, &[("name", s("warn")), ("size", n(1))]);
    let planned = r
        .plan(
            &ctx,
            Value::Null,
            proposed(&*r, &Value::Null, &cfg),
            cfg.clone(),
        )
        .await;
    let text = planned.diagnostics.to_string();
    assert!(planned.diagnostics.has_errors(), "{text}");
    assert_eq!(planned.diagnostics.0.len(), 1, "{text}");
    assert!(text.contains("Missing provider setting"), "{text}");
    assert!(
        text.contains("Cannot plan test_thing: `test.key` is not set: set `key` in the provider's `test` block, or TEST_KEY."),
        "{text}"
    );
    let prior = config(&*r, &[("id", s("t1")), ("name", s("a")), ("size", n(1))]);
    let read = r.read(&ctx, prior.clone()).await;
    assert_eq!(read.state, prior, "a failed refresh keeps the state");
    assert!(read
        .diagnostics
        .to_string()
        .contains("Cannot refresh test_thing"));
    let (imported, diags) = r.import(&ctx, "t1").await;
    assert!(imported.is_none() && diags.to_string().contains("Cannot import test_thing"));
    // Set, or unknown until apply, it is no error.
    let planned = r
        .plan(
            &self::ctx(),
            Value::Null,
            proposed(&*r, &Value::Null, &cfg),
            cfg,
        )
        .await;
    assert!(!planned.diagnostics.has_errors(), "{}", planned.diagnostics);
}
