//! Planning a resource change from the rules its attributes declare: defaults (fixed, from
//! a provider setting, or derived from the configuration) and semantic equality with the
//! prior state ([`plan_values`]); then, once a resource's own
//! `modify_plan` has done what needs the API, what unset computed values plan to and what
//! forces replacement ([`plan_effects`]).

use std::collections::BTreeSet;

use super::ctx::Ctx;
use super::cty::Value;
use super::diag::AttrPath;
use super::log;
use super::schema::{Block, PlanDefault, Unset};

/// A plan being made, as a resource's `modify_plan` sees it: defaults and semantic equality
/// have run; which computed values go unknown and what forces replacement follow from the
/// values it leaves.
pub struct Plan {
    /// Null when creating.
    pub prior: Value,
    pub config: Value,
    pub planned: Value,
    /// Provider settings this resource needs that are unknown until apply: the plan must
    /// not call the API, and what depends on the API plans as unknown.
    pub unknown_settings: Vec<&'static str>,
}

impl Plan {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }

    pub fn prior(&self, name: &str) -> &Value {
        self.prior.attr(name)
    }

    pub fn config(&self, name: &str) -> &Value {
        self.config.attr(name)
    }

    pub fn planned(&self, name: &str) -> &Value {
        self.planned.attr(name)
    }

    pub fn set_planned(&mut self, name: &str, value: Value) {
        if let Value::Object(attrs) = &mut self.planned {
            attrs.insert(name.to_string(), value);
        }
    }

    /// Whether the API can be called while planning.
    pub fn api_reachable(&self) -> bool {
        self.unknown_settings.is_empty()
    }
}

fn unknown() -> Value {
    Value::Unknown(Default::default())
}

/// The first half of the declared rules, before the resource's own `modify_plan`: defaults
/// for what the configuration leaves out, the prior spelling where it is semantically the
/// configured value.
pub fn plan_values(
    block: &Block,
    ctx: &Ctx,
    prior: &Value,
    proposed: Value,
    config: &Value,
) -> Value {
    let Value::Object(mut planned) = proposed else {
        return proposed;
    };
    let creating = prior.is_null();
    for a in &block.attributes {
        let configured = config.attr(&a.name);
        if configured.is_null() {
            let value = match &a.default {
                Some(PlanDefault::Value(v)) => Some(v.clone()),
                Some(PlanDefault::Setting(setting)) => Some(ctx.setting(setting)),
                Some(PlanDefault::Derived { value, .. }) => Some(value(config)),
                None if a.is_computed() && creating => Some(unknown()),
                None => None,
            };
            if let Some(value) = value {
                trace_decision(
                    &a.name,
                    "left out of the configuration: planned from its default",
                );
                planned.insert(a.name.clone(), value);
            }
        } else if let (Some(eq), false) = (a.semantic_eq, creating) {
            let before = prior.attr(&a.name);
            if configured.is_known() && !before.is_null() && eq(before, configured) {
                trace_decision(
                    &a.name,
                    "means what the state holds: the state's spelling is kept",
                );
                planned.insert(a.name.clone(), before.clone());
            }
        }
    }
    Value::Object(planned)
}

/// The second half, once the planned values are final: computed values the change makes
/// stale become unknown (unless the resource already planned them), and the attributes
/// whose change replaces the resource.
pub fn plan_effects(
    block: &Block,
    prior: &Value,
    config: &Value,
    planned: Value,
) -> (Value, Vec<AttrPath>) {
    let Value::Object(mut planned) = planned else {
        return (planned, Vec::new());
    };
    if prior.is_null() {
        return (Value::Object(planned), Vec::new());
    }
    // What the change touches, apart from settings only Terraform uses.
    let changed: BTreeSet<&str> = block
        .attributes
        .iter()
        .filter(|a| !a.local)
        .map(|a| a.name.as_str())
        .chain(
            block
                .blocks
                .iter()
                .filter(|b| !b.local)
                .map(|b| b.name.as_str()),
        )
        .filter(|name| !attr_of(&planned, name).same_as(prior.attr(name)))
        .collect();
    for a in &block.attributes {
        let own_value = !config.attr(&a.name).is_null() || a.default.is_some();
        let still_prior = attr_of(&planned, &a.name).same_as(prior.attr(&a.name));
        if !a.is_computed() || own_value || !still_prior || changed.is_empty() {
            continue;
        }
        let stale = match &a.unset {
            Unset::UnknownOnChange => true,
            Unset::KeepState => false,
            Unset::KeepStateUnless(others) => others.iter().any(|o| changed.contains(o)),
        };
        if stale {
            if log::enabled(log::Level::Trace) {
                let why = changed.iter().copied().collect::<Vec<_>>().join(", ");
                let decision = format!("known after apply: the change to {why} may change it");
                trace_decision(&a.name, &decision);
            }
            planned.insert(a.name.clone(), unknown());
        }
    }
    let requires_replace: Vec<AttrPath> = block
        .attributes
        .iter()
        .filter(|a| {
            a.replace
                .applies(prior.attr(&a.name), attr_of(&planned, &a.name))
        })
        .map(|a| AttrPath::attrs(&[&a.name]))
        .collect();
    for path in &requires_replace {
        trace_decision(&path.to_string(), "changed: forces replacement");
    }
    (Value::Object(planned), requires_replace)
}

/// One plan decision at TRACE, for a user asking why a plan looks as it does. It names
/// attributes, never their values (some may be sensitive).
fn trace_decision(attribute: &str, decision: &str) {
    log::trace(
        "plan",
        &[("attribute", &attribute), ("decision", &decision)],
    );
}

fn attr_of<'a>(attrs: &'a std::collections::BTreeMap<String, Value>, name: &str) -> &'a Value {
    attrs.get(name).unwrap_or(&Value::Null)
}
