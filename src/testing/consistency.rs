//! Terraform core's consistency rules, checked on our side so that tests catch a broken
//! plan or apply before Terraform reports "Provider produced inconsistent result" (test
//! support: the [`super::Harness`] checks every plan and apply with them):
//!
//! - a planned value is valid for its configuration: every configured value is kept (or
//!   the prior value, when the provider judges them equal), and only computed attributes
//!   get a value the configuration did not give;
//! - an applied value (or a later plan of the same change) is compatible with the plan:
//!   every value the plan knew is unchanged, unknowns may become anything of their type
//!   (but not null when refined as not null), and an applied value is wholly known.

use crate::plugin::schema::{Mode, Nesting};
use crate::plugin::{Block, Value};

/// Every way `planned` breaks Terraform's rules for a plan of `config` from `prior`.
pub fn plan_violations(
    block: &Block,
    prior: &Value,
    config: &Value,
    planned: &Value,
) -> Vec<String> {
    let mut errors = Vec::new();
    if planned.is_null() {
        return errors;
    }
    check_planned_object(block, prior, config, planned, "", &mut errors);
    errors
}

/// Every way `applied` breaks the plan it carried out (or a final plan breaks the first).
pub fn apply_violations(block: &Block, planned: &Value, applied: &Value) -> Vec<String> {
    let mut errors = later_plan_violations(block, planned, applied);
    if !applied.is_known() {
        errors.push("the applied value holds unknown values".to_string());
    }
    errors
}

/// Every known value of `earlier` that `later` (a final plan, or a result) does not keep.
pub fn later_plan_violations(block: &Block, earlier: &Value, later: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    compatible(block, earlier, later, "", &mut errors);
    errors
}

fn path_of(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else {
        format!("{base}.{name}")
    }
}

fn shown(value: &Value, sensitive: bool) -> String {
    if sensitive {
        "(sensitive value)".to_string()
    } else {
        format!("{value:?}")
    }
}

fn check_planned_object(
    block: &Block,
    prior: &Value,
    config: &Value,
    planned: &Value,
    base: &str,
    errors: &mut Vec<String>,
) {
    for a in &block.attributes {
        let (p, c, v) = (
            prior.attr(&a.name),
            config.attr(&a.name),
            planned.attr(&a.name),
        );
        let path = path_of(base, &a.name);
        if v == c || (v == p && !p.is_null() && !c.is_null()) {
            continue;
        }
        match (a.mode, c.is_null()) {
            (Mode::Computed, _) | (Mode::OptionalComputed, true) => {}
            (_, true) => errors.push(format!(
                "{path}: planned value {} for a non-computed attribute the configuration leaves out",
                shown(v, a.sensitive)
            )),
            _ => errors.push(format!(
                "{path}: planned value {} does not match the configuration's {}{}",
                shown(v, a.sensitive),
                shown(c, a.sensitive),
                if p.is_null() {
                    String::new()
                } else {
                    format!(" nor the prior state's {}", shown(p, a.sensitive))
                }
            )),
        }
    }
    for b in &block.blocks {
        let (p, c, v) = (
            prior.attr(&b.name),
            config.attr(&b.name),
            planned.attr(&b.name),
        );
        let path = path_of(base, &b.name);
        match b.nesting {
            Nesting::Single => {
                if v.is_null() != c.is_null() {
                    errors.push(format!(
                        "{path}: the block is planned {} but configured {}",
                        presence(v),
                        presence(c)
                    ));
                } else if !v.is_null() {
                    check_planned_object(&b.block, p, c, v, &path, errors);
                }
            }
            Nesting::List | Nesting::Set => {
                let (Value::List(vs) | Value::Set(vs)) = v else {
                    continue;
                };
                let (Value::List(cs) | Value::Set(cs)) = c else {
                    errors.push(format!(
                        "{path}: {} blocks planned, none configured",
                        vs.len()
                    ));
                    continue;
                };
                if vs.len() != cs.len() {
                    errors.push(format!(
                        "{path}: {} blocks planned, {} configured",
                        vs.len(),
                        cs.len()
                    ));
                } else if b.nesting == Nesting::List {
                    for (i, (ve, ce)) in vs.iter().zip(cs).enumerate() {
                        let prior_e = match p {
                            Value::List(ps) => ps.get(i).unwrap_or(&Value::Null),
                            _ => &Value::Null,
                        };
                        check_planned_object(
                            &b.block,
                            prior_e,
                            ce,
                            ve,
                            &format!("{path}[{i}]"),
                            errors,
                        );
                    }
                }
            }
        }
    }
}

fn presence(v: &Value) -> &'static str {
    if v.is_null() {
        "absent"
    } else {
        "present"
    }
}

/// `later` keeps every known value of `earlier`, attribute by attribute.
fn compatible(block: &Block, earlier: &Value, later: &Value, base: &str, errors: &mut Vec<String>) {
    if earlier.is_unknown() || (earlier.is_null() && later.is_null()) {
        return;
    }
    if earlier.is_null() != later.is_null() {
        errors.push(format!(
            "{}: was {}, now {}",
            if base.is_empty() { "the object" } else { base },
            presence(earlier),
            presence(later)
        ));
        return;
    }
    for a in &block.attributes {
        let path = path_of(base, &a.name);
        value_compatible(
            earlier.attr(&a.name),
            later.attr(&a.name),
            &path,
            a.sensitive,
            errors,
        );
    }
    for b in &block.blocks {
        let path = path_of(base, &b.name);
        let (e, l) = (earlier.attr(&b.name), later.attr(&b.name));
        match (b.nesting, e, l) {
            (Nesting::Single, _, _) => compatible(&b.block, e, l, &path, errors),
            (_, Value::List(es) | Value::Set(es), Value::List(ls) | Value::Set(ls))
                if es.len() == ls.len() =>
            {
                if b.nesting == Nesting::List {
                    for (i, (ee, le)) in es.iter().zip(ls).enumerate() {
                        compatible(&b.block, ee, le, &format!("{path}[{i}]"), errors);
                    }
                } else {
                    value_compatible(e, l, &path, false, errors);
                }
            }
            _ => value_compatible(e, l, &path, false, errors),
        }
    }
}

fn value_compatible(
    earlier: &Value,
    later: &Value,
    path: &str,
    sensitive: bool,
    errors: &mut Vec<String>,
) {
    match (earlier, later) {
        (Value::Unknown(refinements), _) => {
            if refinements.not_null && later.is_null() {
                errors.push(format!("{path}: planned as not null, but is null"));
            }
        }
        (Value::List(es), Value::List(ls)) | (Value::Tuple(es), Value::Tuple(ls))
            if es.len() == ls.len() =>
        {
            for (i, (e, l)) in es.iter().zip(ls).enumerate() {
                value_compatible(e, l, &format!("{path}[{i}]"), sensitive, errors);
            }
        }
        (Value::Map(es), Value::Map(ls)) | (Value::Object(es), Value::Object(ls))
            if es.keys().eq(ls.keys()) =>
        {
            for (k, e) in es {
                let l = ls.get(k).unwrap_or(&Value::Null);
                value_compatible(e, l, &format!("{path}[{k:?}]"), sensitive, errors);
            }
        }
        // A set with unknown elements cannot be matched element by element.
        (Value::Set(es), Value::Set(ls)) if !earlier.is_known() => {
            if ls.len() < es.iter().filter(|e| e.is_known()).count() {
                errors.push(format!("{path}: set lost known elements"));
            }
        }
        _ if earlier.same_as(later) => {}
        _ => errors.push(format!(
            "{path}: was {}, but now {}",
            shown(earlier, sensitive),
            shown(later, sensitive)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::cty::Refinements;
    use crate::plugin::{Attribute, NestedBlock, Number, Type};

    fn block() -> Block {
        Block::new("")
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("note").optional())
            .attribute(Attribute::string("zone").optional_computed())
            .attribute(Attribute::set("tags", Type::String).optional())
            .block(NestedBlock::single(
                "timeouts",
                Block::new("").attribute(Attribute::string("create").optional()),
            ))
    }

    fn obj(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn s(t: &str) -> Value {
        Value::String(t.into())
    }

    fn unknown() -> Value {
        Value::Unknown(Box::default())
    }

    #[test]
    fn a_plan_keeps_configured_values_and_fills_only_computed_ones() {
        let b = block();
        let config = obj(&[("name", s("web"))]);
        let good = obj(&[("id", unknown()), ("name", s("web")), ("zone", s("z1"))]);
        assert_eq!(
            plan_violations(&b, &Value::Null, &config, &good),
            Vec::<String>::new()
        );

        let renamed = obj(&[("name", s("WEB"))]);
        let errors = plan_violations(&b, &Value::Null, &config, &renamed);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("name: planned value"), "{errors:?}");

        let invented = obj(&[("name", s("web")), ("note", s("x"))]);
        let errors = plan_violations(&b, &Value::Null, &config, &invented);
        assert!(errors[0].contains("non-computed"), "{errors:?}");

        // Keeping the prior spelling of a configured value is allowed.
        let prior = obj(&[("id", s("1")), ("name", s("Web"))]);
        let kept = obj(&[("id", s("1")), ("name", s("Web"))]);
        assert!(plan_violations(&b, &prior, &config, &kept).is_empty());

        // An unknown configured value must stay unknown: never defaulted.
        let config = obj(&[("name", s("web")), ("zone", unknown())]);
        let defaulted = obj(&[("name", s("web")), ("zone", s("z1"))]);
        let errors = plan_violations(&b, &Value::Null, &config, &defaulted);
        assert!(errors[0].starts_with("zone:"), "{errors:?}");

        let config = obj(&[
            ("name", s("web")),
            ("timeouts", obj(&[("create", s("1m"))])),
        ]);
        let dropped = obj(&[("name", s("web"))]);
        let errors = plan_violations(&b, &Value::Null, &config, &dropped);
        assert!(errors[0].starts_with("timeouts:"), "{errors:?}");
    }

    #[test]
    fn an_apply_keeps_every_known_planned_value() {
        let b = block();
        let tags = |items: &[&str]| Value::Set(items.iter().map(|t| s(t)).collect());
        let planned = obj(&[
            ("id", unknown()),
            ("name", s("web")),
            ("tags", tags(&["a", "b"])),
        ]);
        let applied = obj(&[
            ("id", s("1")),
            ("name", s("web")),
            ("tags", tags(&["b", "a"])),
        ]);
        assert_eq!(
            apply_violations(&b, &planned, &applied),
            Vec::<String>::new()
        );

        let changed = obj(&[
            ("id", s("1")),
            ("name", s("other")),
            ("tags", tags(&["a", "b"])),
        ]);
        let errors = apply_violations(&b, &planned, &changed);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("name: was"), "{errors:?}");

        let still_unknown = obj(&[
            ("id", unknown()),
            ("name", s("web")),
            ("tags", tags(&["a", "b"])),
        ]);
        let errors = apply_violations(&b, &planned, &still_unknown);
        assert!(errors.iter().any(|e| e.contains("unknown")), "{errors:?}");

        let not_null = Value::Unknown(Box::new(Refinements {
            not_null: true,
            ..Default::default()
        }));
        let planned = obj(&[("id", not_null), ("name", s("web"))]);
        let errors = apply_violations(&b, &planned, &obj(&[("name", s("web"))]));
        assert!(errors[0].contains("not null"), "{errors:?}");
    }

    #[test]
    fn a_final_plan_may_resolve_unknowns_but_not_change_known_values() {
        let b = block();
        let first = obj(&[("name", s("web")), ("zone", unknown())]);
        let last = obj(&[("name", s("web")), ("zone", s("de-fra-1"))]);
        assert!(later_plan_violations(&b, &first, &last).is_empty());
        let first = obj(&[("name", s("web")), ("zone", s("ch-gva-2"))]);
        let errors = later_plan_violations(&b, &first, &last);
        assert!(errors[0].starts_with("zone: was"), "{errors:?}");
        // Numbers compare by value.
        let b = Block::new("").attribute(Attribute::int("n").required());
        let one = obj(&[("n", Value::Number(Number::from_i64(1)))]);
        assert!(later_plan_violations(&b, &one, &one.clone()).is_empty());
    }
}
