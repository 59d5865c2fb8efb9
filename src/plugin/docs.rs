//! Registry-format documentation rendered from a schema: the same descriptions, defaults,
//! constraints and replacement rules the framework enforces, so the docs cannot drift from
//! the behaviour.

use std::fmt::Write;

use super::cty::{Type, Value};
use super::schema::{Attribute, Block, Mode, Nesting, PlanDefault, Replace};

/// What a page documents.
pub enum Kind {
    Provider,
    Resource,
    DataSource,
    ListResource,
    Action,
}

/// One documentation page in the Terraform Registry layout.
pub struct Page<'a> {
    pub kind: Kind,
    /// `pools_instance_pool`, or the provider's name for the index page.
    pub name: &'a str,
    pub block: &'a Block,
    /// Example configuration (HCL), shown under "Example Usage".
    pub example: Option<&'a str>,
    /// Import commands (shell), shown under "Import".
    pub import: Option<&'a str>,
}

pub fn render(page: &Page<'_>) -> String {
    let kind = match page.kind {
        Kind::Provider => "Provider",
        Kind::Resource => "Resource",
        Kind::DataSource => "Data Source",
        Kind::ListResource => "List Resource",
        Kind::Action => "Action",
    };
    let description = page.block.description.trim();
    let mut out = String::new();
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "page_title: \"{} {kind}\"", page.name);
    let _ = writeln!(
        out,
        "description: |-\n  {}",
        description.replace('\n', "\n  ")
    );
    let _ = writeln!(out, "---\n");
    let _ = writeln!(out, "# {} ({kind})\n", page.name);
    let _ = writeln!(out, "{description}\n");
    if let Some(example) = page.example {
        let _ = writeln!(
            out,
            "## Example Usage\n\n```terraform\n{}\n```\n",
            example.trim_end()
        );
    }
    let _ = writeln!(out, "## Schema\n");
    let mut nested = Vec::new();
    render_block(&mut out, page.block, "", &mut nested);
    while !nested.is_empty() {
        let current = std::mem::take(&mut nested);
        for (anchor, title, block) in current {
            let _ = writeln!(
                out,
                "<a id=\"{anchor}\"></a>\n### Nested Schema for `{title}`\n"
            );
            render_block(&mut out, block, &title, &mut nested);
        }
    }
    if let Some(import) = page.import {
        let _ = writeln!(
            out,
            "## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}\n```",
            import.trim_end()
        );
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn render_block<'b>(
    out: &mut String,
    block: &'b Block,
    prefix: &str,
    nested: &mut Vec<(String, String, &'b Block)>,
) {
    type Wanted = fn(&Attribute) -> bool;
    let groups: [(&str, Wanted); 3] = [
        ("Required", |a| a.mode == Mode::Required),
        ("Optional", |a| {
            matches!(a.mode, Mode::Optional | Mode::OptionalComputed)
        }),
        ("Read-Only", |a| a.mode == Mode::Computed),
    ];
    for (title, wanted) in groups {
        let attributes: Vec<&Attribute> = block.attributes.iter().filter(|a| wanted(a)).collect();
        let blocks: Vec<_> = block
            .blocks
            .iter()
            .filter(|_| title == "Optional")
            .collect();
        if attributes.is_empty() && blocks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        for a in attributes {
            let _ = writeln!(
                out,
                "- `{}` ({}{}) {}",
                a.name,
                type_name(&a.ty),
                flags(a),
                describe(a)
            );
        }
        for b in blocks {
            let path = if prefix.is_empty() {
                b.name.clone()
            } else {
                format!("{prefix}.{}", b.name)
            };
            let anchor = format!("nestedblock--{}", path.replace('.', "--"));
            let shape = match b.nesting {
                Nesting::Single => "Block",
                Nesting::List => "Block List",
                Nesting::Set => "Block Set",
            };
            let _ = writeln!(
                out,
                "- `{}` ({shape}) {} (see [below for nested schema](#{anchor}))",
                b.name,
                b.block.description.trim()
            );
            nested.push((anchor, path, &b.block));
        }
        out.push('\n');
    }
}

fn flags(a: &Attribute) -> &'static str {
    match (a.sensitive, a.deprecation.is_some()) {
        (true, true) => ", Sensitive, Deprecated",
        (true, false) => ", Sensitive",
        (false, true) => ", Deprecated",
        (false, false) => "",
    }
}

fn describe(a: &Attribute) -> String {
    let mut text = a.description.trim().to_string();
    let mut add = |sentence: String| {
        if !text.is_empty() && !text.ends_with('.') {
            text.push('.');
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&sentence);
    };
    for v in &a.validators {
        let allowed = v.allowed();
        // "a whole number" restates the type; say only what narrows it.
        if allowed != "a whole number" {
            add(format!("Must be {allowed}."));
        }
    }
    // Descriptions that already state the default or the replacement are not repeated.
    let stated = a.description.to_ascii_lowercase();
    if let Some(default) = a.default.as_ref().filter(|_| !stated.contains("default:")) {
        add(match default {
            PlanDefault::Value(v) => format!("Default: `{}`.", show(v)),
            PlanDefault::Setting(setting) => format!("Default: the provider's `{setting}`."),
            PlanDefault::Derived { shown, .. } => format!("Default: {shown}."),
        });
    }
    let restated = stated.contains("replace") || stated.contains("forces a new");
    match a.replace {
        Replace::Always if !restated => {
            add("Changing this forces a new resource to be created.".to_string())
        }
        Replace::If { reason, .. } if !restated => add(format!(
            "Changing this forces a new resource to be created when {reason}."
        )),
        _ => {}
    }
    if let Some(message) = &a.deprecation {
        add(format!("**Deprecated:** {message}"));
    }
    text
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => format!("{other:?}"),
    }
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(t) => format!("List of {}", type_name(t)),
        Type::Set(t) => format!("Set of {}", type_name(t)),
        Type::Map(t) => format!("Map of {}", type_name(t)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::{Attribute, NestedBlock};
    use crate::plugin::validators;

    #[test]
    fn renders_groups_constraints_defaults_and_nested_blocks() {
        let block = Block::new("A pool.")
            .attribute(Attribute::string("name").required().describe("The name."))
            .attribute(
                Attribute::int("size")
                    .required()
                    .describe("How many")
                    .validate(validators::int_between(0, 20)),
            )
            .attribute(
                Attribute::string("zone")
                    .default(Value::String("z1".into()))
                    .requires_replace()
                    .describe("Where."),
            )
            .attribute(Attribute::string("secret").optional().sensitive())
            .attribute(Attribute::string("id").computed().describe("The id."))
            .block(NestedBlock::single(
                "timeouts",
                Block::new("Timeouts.").attribute(Attribute::string("create").optional()),
            ));
        let page = render(&Page {
            kind: Kind::Resource,
            name: "pools_thing",
            block: &block,
            example: Some("resource {}\n"),
            import: None,
        });
        assert!(
            page.starts_with("---\npage_title: \"pools_thing Resource\""),
            "{page}"
        );
        assert!(page.contains("### Required\n\n- `name` (String) The name.\n- `size` (Number) How many. Must be a whole number from 0 to 20.\n"), "{page}");
        assert!(page.contains("- `zone` (String) Where. Default: `\"z1\"`. Changing this forces a new resource to be created.\n"), "{page}");
        assert!(page.contains("- `secret` (String, Sensitive)"), "{page}");
        assert!(
            page.contains("### Read-Only\n\n- `id` (String) The id.\n"),
            "{page}"
        );
        assert!(page.contains("- `timeouts` (Block) Timeouts. (see [below for nested schema](#nestedblock--timeouts))"), "{page}");
        assert!(
            page.contains(
                "### Nested Schema for `timeouts`\n\n### Optional\n\n- `create` (String)"
            ),
            "{page}"
        );
        assert!(page.contains("```terraform\nresource {}\n```"), "{page}");
    }
}
