//! Registry-format documentation rendered from a schema: the same descriptions, defaults,
//! constraints and replacement rules the framework enforces, so the docs cannot drift from
//! the behaviour.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::cty::{Type, Value};
use super::schema::{
    Attribute, Block, Mode, NestedBlock, Nesting, ObjectNesting, PlanDefault, Replace,
};

/// What a page documents.
pub enum Kind {
    Provider,
    Resource,
    DataSource,
    ListResource,
    Action,
}

/// One documentation page in the Terraform Registry layout: what it is (the block's
/// description), an example, the schema with a nested schema for every nested block,
/// nested attribute and object, the import syntax, then sections of details.
pub struct Page<'a> {
    pub kind: Kind,
    /// `pools_instance_pool`, or the provider's name for the index page.
    pub name: &'a str,
    pub block: &'a Block,
    /// Example configuration (HCL), shown under "Example Usage".
    pub example: Option<&'a str>,
    /// Import commands (shell), shown under "Import".
    pub import: Option<&'a str>,
    /// (title, markdown) sections at the end, for internals (`Schema::doc_sections`).
    pub sections: &'a [(String, String)],
}

/// What a "Nested Schema" section lists.
enum Nested<'b> {
    Block(&'b Block),
    /// The attributes of a nested attribute (`Attribute::nested`).
    Attributes(&'b [Attribute]),
    /// The fields of an object-typed attribute, which carry no descriptions; all of them
    /// are read-only when the attribute is, else all are required.
    Object {
        fields: &'b BTreeMap<String, Type>,
        read_only: bool,
    },
}

/// Nested schemas still to render: (anchor, path, contents).
type Pending<'b> = Vec<(String, String, Nested<'b>)>;

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
        for (anchor, path, contents) in std::mem::take(&mut nested) {
            let _ = writeln!(
                out,
                "<a id=\"{anchor}\"></a>\n### Nested Schema for `{path}`\n"
            );
            match contents {
                Nested::Block(block) => render_block(&mut out, block, &path, &mut nested),
                Nested::Attributes(attributes) => {
                    render_attributes(&mut out, attributes, &[], &path, &mut nested)
                }
                Nested::Object { fields, read_only } => {
                    render_object(&mut out, fields, read_only, &path, &mut nested)
                }
            }
        }
    }
    if let Some(import) = page.import {
        let _ = writeln!(
            out,
            "## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}\n```\n",
            import.trim_end()
        );
    }
    for (title, text) in page.sections {
        let _ = writeln!(out, "## {title}\n\n{}\n", text.trim());
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn render_block<'b>(out: &mut String, block: &'b Block, path: &str, nested: &mut Pending<'b>) {
    render_attributes(out, &block.attributes, &block.blocks, path, nested);
}

/// `prefix.name`, the path of a nested schema.
fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn anchor(kind: &str, path: &str) -> String {
    format!("nested{kind}--{}", path.replace('.', "--"))
}

fn see_below(anchor: &str) -> String {
    format!("(see [below for nested schema](#{anchor}))")
}

fn render_attributes<'b>(
    out: &mut String,
    attributes: &'b [Attribute],
    blocks: &'b [NestedBlock],
    path: &str,
    nested: &mut Pending<'b>,
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
        let attributes: Vec<&Attribute> = attributes.iter().filter(|a| wanted(a)).collect();
        let blocks: Vec<_> = blocks.iter().filter(|_| title == "Optional").collect();
        if attributes.is_empty() && blocks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        for a in attributes {
            let path = child(path, &a.name);
            let (shape, link) = if let Some((nesting, inner)) = &a.nested {
                let shape = match nesting {
                    ObjectNesting::Single => "Attributes".to_string(),
                    ObjectNesting::List => "Attributes List".to_string(),
                    ObjectNesting::Set => "Attributes Set".to_string(),
                    ObjectNesting::Map => "Attributes Map".to_string(),
                };
                let anchor = anchor("att", &path);
                let link = Some(see_below(&anchor));
                nested.push((anchor, path, Nested::Attributes(inner)));
                (shape, link)
            } else if let Some(fields) = object_fields(&a.ty) {
                let anchor = anchor("att", &path);
                let link = Some(see_below(&anchor));
                let read_only = a.mode == Mode::Computed;
                nested.push((anchor, path, Nested::Object { fields, read_only }));
                (type_name(&a.ty), link)
            } else {
                (type_name(&a.ty), None)
            };
            let mut line = format!("- `{}` ({shape}{}) {}", a.name, flags(a), describe(a));
            if let Some(link) = link {
                line = format!("{} {link}", line.trim_end());
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        for b in blocks {
            let path = child(path, &b.name);
            let anchor = anchor("block", &path);
            let shape = match b.nesting {
                Nesting::Single => "Block",
                Nesting::List => "Block List",
                Nesting::Set => "Block Set",
            };
            let _ = writeln!(
                out,
                "- `{}` ({shape}) {} {}",
                b.name,
                b.block.description.trim(),
                see_below(&anchor)
            );
            nested.push((anchor, path, Nested::Block(&b.block)));
        }
        out.push('\n');
    }
}

fn render_object<'b>(
    out: &mut String,
    fields: &'b BTreeMap<String, Type>,
    read_only: bool,
    path: &str,
    nested: &mut Pending<'b>,
) {
    let _ = writeln!(
        out,
        "### {}\n",
        if read_only { "Read-Only" } else { "Required" }
    );
    for (name, ty) in fields {
        let path = child(path, name);
        match object_fields(ty) {
            Some(inner) => {
                let anchor = anchor("att", &path);
                let _ = writeln!(out, "- `{name}` ({}) {}", type_name(ty), see_below(&anchor));
                nested.push((
                    anchor,
                    path,
                    Nested::Object {
                        fields: inner,
                        read_only,
                    },
                ));
            }
            None => {
                let _ = writeln!(out, "- `{name}` ({})", type_name(ty));
            }
        }
    }
    out.push('\n');
}

/// The fields of an object type, or of the objects a collection holds.
fn object_fields(ty: &Type) -> Option<&BTreeMap<String, Type>> {
    match ty {
        Type::Object(fields) => Some(fields),
        Type::List(element) | Type::Set(element) | Type::Map(element) => match &**element {
            Type::Object(fields) => Some(fields),
            _ => None,
        },
        _ => None,
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
    use crate::plugin::schema::{Attribute, NestedBlock, ObjectNesting};
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
            sections: &[],
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

    #[test]
    fn nested_attributes_and_objects_get_nested_schemas_and_sections_come_last() {
        let member = |name: &str| Attribute::string(name).computed().describe("A field.");
        let object = |fields: &[(&str, Type)]| {
            Type::Object(
                fields
                    .iter()
                    .map(|(name, ty)| (name.to_string(), ty.clone()))
                    .collect(),
            )
        };
        let block = Block::new("Pools.")
            .attribute(
                Attribute::nested(
                    "instances",
                    ObjectNesting::List,
                    vec![member("id"), member("name")],
                )
                .computed()
                .describe("The members."),
            )
            .attribute(
                Attribute::list(
                    "pools",
                    object(&[
                        ("id", Type::String),
                        (
                            "members",
                            Type::List(Box::new(object(&[("ip", Type::String)]))),
                        ),
                    ]),
                )
                .computed()
                .describe("The pools."),
            );
        let sections = [("Waiting".to_string(), "It waits.\n".to_string())];
        let page = render(&Page {
            kind: Kind::DataSource,
            name: "pools_things",
            block: &block,
            example: None,
            import: Some("terraform import x y"),
            sections: &sections,
        });
        for expected in [
            "- `instances` (Attributes List) The members. (see [below for nested schema](#nestedatt--instances))\n",
            "- `pools` (List of Object) The pools. (see [below for nested schema](#nestedatt--pools))\n",
            "<a id=\"nestedatt--instances\"></a>\n### Nested Schema for `instances`\n\n### Read-Only\n\n- `id` (String) A field.\n- `name` (String) A field.\n",
            "<a id=\"nestedatt--pools\"></a>\n### Nested Schema for `pools`\n\n### Read-Only\n\n- `id` (String)\n- `members` (List of Object) (see [below for nested schema](#nestedatt--pools--members))\n",
            "<a id=\"nestedatt--pools--members\"></a>\n### Nested Schema for `pools.members`\n\n### Read-Only\n\n- `ip` (String)\n",
        ] {
            assert!(page.contains(expected), "{expected:?} missing:\n{page}");
        }
        let import = page.find("## Import").unwrap();
        let waiting = page.find("## Waiting\n\nIt waits.").unwrap();
        assert!(
            page.find("## Schema").unwrap() < import && import < waiting,
            "{page}"
        );
        assert!(page.ends_with("It waits.\n"), "{page:?}");
    }
}
