//! Default labels: the provider's `exoscale.default_labels`, merged into the labels of
//! every pool this provider creates or changes (on a key clash the pool's own label wins),
//! and the API's labels split back into the pool's own (`labels`) and the rest, so that a
//! default label never shows as drift in `labels`. `labels_all` is what the API holds.
//!
//! The split: a label the API holds is the pool's own unless it equals (key and value) a
//! default label, either one of the provider's defaults or one the pool got as a default
//! when last applied; a label whose key the pool's own labels held stays its own, even when
//! a default says the same. So changing the defaults plans an update of exactly the pools
//! whose labels change, and an import shows the labels that are not defaults.

use std::collections::BTreeMap;

use crate::plugin::{Ctx, Diagnostic, Diagnostics, Plan, Tri, Value};

pub type Labels = BTreeMap<String, String>;

/// The provider setting that holds the default labels (a map, null, or unknown).
pub const DEFAULT_LABELS_SETTING: &str = "exoscale.default_labels";

/// The provider's default labels: known (empty when none are set), or unknown while any
/// part of them is known only after apply.
pub fn defaults(ctx: &Ctx) -> Tri<Labels> {
    labels_of(&ctx.setting(DEFAULT_LABELS_SETTING))
}

/// A map of strings as labels: null is none, a null element is no label, and anything not
/// wholly known is unknown.
fn labels_of(value: &Value) -> Tri<Labels> {
    match value {
        Value::Null => Tri::Known(Labels::new()),
        Value::Map(items) | Value::Object(items) => items
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect::<Option<Labels>>()
            .map_or(Tri::Unknown, Tri::Known),
        _ => Tri::Unknown,
    }
}

/// The labels the API is to hold: the defaults, overridden by the pool's own.
pub fn merged(own: Option<&Labels>, defaults: &Labels) -> Labels {
    let mut all = defaults.clone();
    all.extend(
        own.into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    all
}

/// The pool's own labels among those the API holds (`held`): every one but those equal to
/// one of `defaults`, unless `own_before` (the pool's own labels as last known) has its key.
pub fn own(held: &Labels, own_before: Option<&Labels>, defaults: &[&Labels]) -> Labels {
    let was_own = |key: &str| own_before.is_some_and(|o| o.contains_key(key));
    let is_default = |key: &str, value: &String| defaults.iter().any(|d| d.get(key) == Some(value));
    held.iter()
        .filter(|(k, v)| was_own(k) || !is_default(k, v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The labels a pool got as defaults when last applied: those of its `labels_all` (`all`)
/// that are not its own.
pub fn applied_defaults(own: Option<&Labels>, all: Option<&Labels>) -> Labels {
    all.into_iter()
        .flatten()
        .filter(|(k, _)| own.is_none_or(|o| !o.contains_key(*k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Own labels read back: empty stays as the user had it (`{}` or unset).
pub fn keep_labels(prior: &Option<Labels>, own: Labels) -> Option<Labels> {
    if own.is_empty() {
        prior.as_ref().filter(|p| p.is_empty()).cloned()
    } else {
        Some(own)
    }
}

/// Plans `labels_all`: the planned `labels` merged with the provider's defaults, unknown
/// while either is not wholly known. A pool another service manages keeps what it holds:
/// defaults are not applied to it (it cannot be changed here).
pub fn plan(ctx: &Ctx, plan: &mut Plan) {
    let managed = plan.prior("manager_id").as_str().is_some();
    let labels_all = if managed {
        plan.prior("labels_all").clone()
    } else {
        let own = match plan.planned("labels") {
            Value::Null => Tri::Known(Labels::new()),
            value => labels_of(value),
        };
        match (own, defaults(ctx)) {
            (Tri::Known(own), Tri::Known(defaults)) => labels_value(&merged(Some(&own), &defaults)),
            _ => Value::Unknown(Default::default()),
        }
    };
    plan.set_planned("labels_all", labels_all);
}

fn labels_value(labels: &Labels) -> Value {
    Value::Map(
        labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// At apply, a planned `labels_all` (`all`, over the planned own labels) made known: a plan
/// made while the defaults were unknown left it unknown, and the provider, configured for
/// apply, now knows them.
pub fn resolve(ctx: &Ctx, own: Option<&Labels>, all: &mut Tri<Labels>) -> Result<(), Diagnostics> {
    if !all.is_unknown() {
        return Ok(());
    }
    match defaults(ctx) {
        Tri::Known(defaults) => {
            *all = Tri::Known(merged(own, &defaults));
            Ok(())
        }
        _ => Err(Diagnostic::error(
            "Default labels not known",
            "The provider's `exoscale.default_labels` are still unknown at apply, so the pool's labels cannot be sent. This is a bug in the provider or Terraform.",
        )
        .into()),
    }
}

/// After a refresh or an import: the own labels read (`read`, over the own labels the
/// state held before, `before`) without those equal to one of the provider's current
/// defaults either.
pub fn split_read(ctx: &Ctx, before: &Option<Labels>, read: &mut Option<Labels>) {
    let (Tri::Known(defaults), Some(shown)) = (defaults(ctx), read.as_ref()) else {
        return;
    };
    let own_labels = own(shown, before.as_ref(), &[&defaults]);
    *read = keep_labels(before, own_labels);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_pools_own_label_wins_a_clash() {
        let defaults = labels(&[("team", "platform"), ("env", "test")]);
        let own = labels(&[("env", "prod"), ("app", "web")]);
        assert_eq!(
            merged(Some(&own), &defaults),
            labels(&[("team", "platform"), ("env", "prod"), ("app", "web")])
        );
        assert_eq!(merged(None, &defaults), defaults);
        assert_eq!(merged(Some(&own), &Labels::new()), own);
    }

    #[test]
    fn the_split_leaves_out_defaults_but_keeps_the_pools_own() {
        let defaults = labels(&[("team", "platform"), ("env", "test")]);
        let held = labels(&[("team", "platform"), ("env", "test"), ("app", "web")]);
        // An import: nothing was the pool's own before.
        assert_eq!(own(&held, None, &[&defaults]), labels(&[("app", "web")]));
        // The pool sets `env` itself, to the default's value: it stays its own.
        let before = labels(&[("env", "test"), ("app", "web")]);
        assert_eq!(
            own(&held, Some(&before), &[&defaults]),
            labels(&[("env", "test"), ("app", "web")])
        );
        // A default's key with another value (changed outside) is not a default.
        let changed = labels(&[("team", "other")]);
        assert_eq!(own(&changed, None, &[&defaults]), changed);
        // Either set of defaults counts: the provider's, or those applied last.
        let old = labels(&[("team", "legacy")]);
        let held = labels(&[("team", "legacy"), ("env", "test")]);
        assert_eq!(own(&held, None, &[&old, &defaults]), Labels::new());
    }

    #[test]
    fn only_wholly_known_maps_are_labels() {
        let unknown = Value::Unknown(Default::default());
        assert_eq!(labels_of(&Value::Null), Tri::Known(Labels::new()));
        assert_eq!(labels_of(&unknown), Tri::Unknown);
        let partly = Value::Map(BTreeMap::from([
            ("a".to_string(), Value::String("1".into())),
            ("b".to_string(), unknown),
        ]));
        assert_eq!(labels_of(&partly), Tri::Unknown);
        let known = labels_value(&labels(&[("a", "1")]));
        assert_eq!(labels_of(&known), Tri::Known(labels(&[("a", "1")])));
        // `{ a = "1", b = null }` (a variable left null, say): no label `b`.
        let with_null = Value::Map(BTreeMap::from([
            ("a".to_string(), Value::String("1".into())),
            ("b".to_string(), Value::Null),
        ]));
        assert_eq!(labels_of(&with_null), Tri::Known(labels(&[("a", "1")])));
    }

    #[test]
    fn applied_defaults_are_labels_all_less_the_pools_own() {
        let own = labels(&[("env", "prod")]);
        let all = labels(&[("env", "prod"), ("team", "platform")]);
        assert_eq!(
            applied_defaults(Some(&own), Some(&all)),
            labels(&[("team", "platform")])
        );
        assert_eq!(applied_defaults(None, Some(&all)), all);
        assert_eq!(applied_defaults(Some(&own), None), Labels::new());
        assert_eq!(
            keep_labels(&Some(Labels::new()), Labels::new()),
            Some(Labels::new())
        );
        assert_eq!(keep_labels(&None, Labels::new()), None);
        assert_eq!(keep_labels(&None, own.clone()), Some(own));
    }
}
