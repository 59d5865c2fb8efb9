//! Schemas as a resource declares them: attributes with their types, modes, validators and
//! plan rules, nested blocks, descriptions. Terraform receives the protocol view; the
//! framework keeps the rest (validators, defaults, plan rules) to enforce them itself;
//! [`validate_block`] runs the validators over a configuration.

use std::fmt;
use std::sync::Arc;

use super::cty::{Type, Value};
use super::diag::{AttrPath, Diagnostics};
use super::proto::tfplugin6 as pb;
use super::validators::Validator;

#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
    /// Docs only, never sent to Terraform: (title, markdown) sections that follow the
    /// schema on the registry page, for internals such as how changes are waited for.
    pub doc_sections: Vec<(String, String)>,
}

impl Schema {
    pub fn new(block: Block) -> Self {
        Schema {
            block,
            ..Schema::default()
        }
    }

    pub fn with_doc_section(mut self, title: &str, markdown: &str) -> Self {
        self.doc_sections
            .push((title.to_string(), markdown.to_string()));
        self
    }

    /// Sets the schema version: bump it when stored state of the old schema would no longer
    /// read, and give the resource an upgrader from the old version.
    pub fn with_version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto()),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub description: String,
    pub deprecation: Option<String>,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    Computed,
    /// Optional, and the provider fills it in when the configuration leaves it out.
    OptionalComputed,
}

/// How a value compares with the prior state for planning purposes (e.g. case-insensitive
/// names): when the configuration is semantically equal to the state, the plan keeps the
/// state's spelling and shows no change.
pub type SemanticEq = fn(&Value, &Value) -> bool;

#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub mode: Mode,
    pub description: String,
    pub sensitive: bool,
    pub deprecation: Option<String>,
    pub validators: Vec<Arc<dyn Validator>>,
    /// When a change of this attribute destroys and re-creates the resource.
    pub replace: Replace,
    /// What a computed value the configuration leaves out plans to on an update.
    pub unset: Unset,
    /// The value planned when the configuration leaves the attribute out.
    pub default: Option<PlanDefault>,
    pub semantic_eq: Option<SemanticEq>,
    /// Only Terraform uses it (like `timeouts`): changing it alone changes nothing remote,
    /// so the resource's computed values keep their state.
    pub local: bool,
    /// For a nested attribute (protocol 6): how its objects nest, and their attributes.
    pub nested: Option<(ObjectNesting, Vec<Attribute>)>,
}

/// When a change replaces the resource (Terraform's "forces replacement").
#[derive(Clone, Copy, Debug)]
pub enum Replace {
    Never,
    /// Whenever the planned value differs from the prior state's (unknown counts as a change).
    Always,
    /// When `when(prior, planned)` says so; `reason` completes "Changing this forces a new
    /// resource to be created when ..." in the docs.
    If {
        reason: &'static str,
        when: fn(&Value, &Value) -> bool,
    },
}

impl Replace {
    pub fn applies(&self, prior: &Value, planned: &Value) -> bool {
        match self {
            Replace::Never => false,
            Replace::Always => !planned.same_as(prior),
            Replace::If { when, .. } => !planned.same_as(prior) && when(prior, planned),
        }
    }
}

/// The plan of a computed attribute the configuration leaves out, when the resource changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unset {
    /// Known after apply whenever anything about the resource changes.
    UnknownOnChange,
    /// Keeps the prior state's value: it never changes once known.
    KeepState,
    /// Keeps the prior state's value unless one of these attributes changes.
    KeepStateUnless(Vec<&'static str>),
}

/// A value planned for an attribute the configuration leaves out.
#[derive(Clone, Debug)]
pub enum PlanDefault {
    Value(Value),
    /// A provider setting such as `exoscale.zone`: unknown while the setting is unknown.
    Setting(&'static str),
    /// Derived from the rest of the configuration (which may hold unknowns); `shown` says
    /// how, for the docs.
    Derived {
        shown: &'static str,
        value: fn(&Value) -> Value,
    },
}

/// How a nested attribute's objects are arranged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectNesting {
    Single,
    List,
    Set,
    Map,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; its value is an object, or null when absent.
    Single,
    List,
    Set,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
    /// Only Terraform uses it (see [`Attribute::local`]).
    pub local: bool,
}

impl Attribute {
    pub fn new(name: &str, ty: Type) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            mode: Mode::Optional,
            description: String::new(),
            sensitive: false,
            deprecation: None,
            validators: Vec::new(),
            replace: Replace::Never,
            unset: Unset::UnknownOnChange,
            default: None,
            semantic_eq: None,
            local: false,
            nested: None,
        }
    }

    pub fn string(name: &str) -> Self {
        Attribute::new(name, Type::String)
    }

    /// A whole number (cty has only `number`; the validator keeps it whole).
    pub fn int(name: &str) -> Self {
        Attribute::new(name, Type::Number).validate(super::validators::integer())
    }

    pub fn bool(name: &str) -> Self {
        Attribute::new(name, Type::Bool)
    }

    pub fn list(name: &str, element: Type) -> Self {
        Attribute::new(name, Type::List(Box::new(element)))
    }

    pub fn set(name: &str, element: Type) -> Self {
        Attribute::new(name, Type::Set(Box::new(element)))
    }

    /// A nested attribute: an object (or list, set or map of objects) whose attributes are
    /// declared like the block's own, e.g. `endpoint = { url = "..", ca = ".." }`.
    pub fn nested(name: &str, nesting: ObjectNesting, attributes: Vec<Attribute>) -> Self {
        let object = Type::Object(
            attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        );
        let ty = match nesting {
            ObjectNesting::Single => object,
            ObjectNesting::List => Type::List(Box::new(object)),
            ObjectNesting::Set => Type::Set(Box::new(object)),
            ObjectNesting::Map => Type::Map(Box::new(object)),
        };
        Attribute {
            nested: Some((nesting, attributes)),
            ..Attribute::new(name, ty)
        }
    }

    pub fn map(name: &str, element: Type) -> Self {
        Attribute::new(name, Type::Map(Box::new(element)))
    }

    pub fn required(mut self) -> Self {
        self.mode = Mode::Required;
        self
    }

    pub fn optional(mut self) -> Self {
        self.mode = Mode::Optional;
        self
    }

    pub fn computed(mut self) -> Self {
        self.mode = Mode::Computed;
        self
    }

    pub fn optional_computed(mut self) -> Self {
        self.mode = Mode::OptionalComputed;
        self
    }

    pub fn describe(mut self, markdown: &str) -> Self {
        self.description = markdown.to_string();
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn deprecated(mut self, message: &str) -> Self {
        self.deprecation = Some(message.to_string());
        self
    }

    pub fn validate(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    pub fn requires_replace(mut self) -> Self {
        self.replace = Replace::Always;
        self
    }

    /// Replaces the resource when `when(prior, planned)` holds for a change.
    pub fn requires_replace_if(
        mut self,
        reason: &'static str,
        when: fn(&Value, &Value) -> bool,
    ) -> Self {
        self.replace = Replace::If { reason, when };
        self
    }

    pub fn use_state_for_unknown(mut self) -> Self {
        self.unset = Unset::KeepState;
        self
    }

    /// Keeps the prior value unless one of `others` changes (the API derives this one
    /// from them).
    pub fn use_state_for_unknown_unless(mut self, others: &[&'static str]) -> Self {
        self.unset = Unset::KeepStateUnless(others.to_vec());
        self
    }

    /// Sets the default; the attribute becomes optional and computed.
    pub fn default(mut self, value: Value) -> Self {
        self.default = Some(PlanDefault::Value(value));
        self.mode = Mode::OptionalComputed;
        self
    }

    /// Defaults to a provider setting (unknown while the setting is unknown).
    pub fn default_from_setting(mut self, setting: &'static str) -> Self {
        self.default = Some(PlanDefault::Setting(setting));
        self.mode = Mode::OptionalComputed;
        self
    }

    /// Defaults to a value derived from the configuration.
    pub fn default_derived(mut self, shown: &'static str, value: fn(&Value) -> Value) -> Self {
        self.default = Some(PlanDefault::Derived { shown, value });
        self.mode = Mode::OptionalComputed;
        self
    }

    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    pub fn semantic_eq(mut self, eq: SemanticEq) -> Self {
        self.semantic_eq = Some(eq);
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.clone(),
            // A nested attribute describes its type through `nested_type` alone.
            r#type: if self.nested.is_some() {
                Vec::new()
            } else {
                self.ty.to_json_bytes()
            },
            nested_type: self.nested.as_ref().map(|(nesting, attributes)| {
                use pb::schema::object::NestingMode;
                pb::schema::Object {
                    attributes: attributes.iter().map(Attribute::to_proto).collect(),
                    nesting: match nesting {
                        ObjectNesting::Single => NestingMode::Single,
                        ObjectNesting::List => NestingMode::List,
                        ObjectNesting::Set => NestingMode::Set,
                        ObjectNesting::Map => NestingMode::Map,
                    } as i32,
                    ..Default::default()
                }
            }),
            description: self.description.clone(),
            required: self.mode == Mode::Required,
            optional: matches!(self.mode, Mode::Optional | Mode::OptionalComputed),
            computed: self.is_computed(),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecation.is_some(),
            write_only: false,
            deprecation_message: self.deprecation.clone().unwrap_or_default(),
        }
    }
}

impl Block {
    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            ..Block::default()
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn nested(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// The cty type of this block's value.
    pub fn ty(&self) -> Type {
        let mut attrs: std::collections::BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let object = b.block.ty();
            let ty = match b.nesting {
                Nesting::Single => object,
                Nesting::List => Type::List(Box::new(object)),
                Nesting::Set => Type::Set(Box::new(object)),
            };
            attrs.insert(b.name.clone(), ty);
        }
        Type::Object(attrs)
    }

    pub fn to_proto(&self) -> pb::schema::Block {
        pb::schema::Block {
            version: 0,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self.blocks.iter().map(NestedBlock::to_proto).collect(),
            description: self.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecation.is_some(),
            deprecation_message: self.deprecation.clone().unwrap_or_default(),
            computed: false,
        }
    }
}

impl NestedBlock {
    /// A block that appears at most once, like `exoscale { ... }` or `timeouts { ... }`.
    pub fn single(name: &str, block: Block) -> Self {
        NestedBlock {
            name: name.to_string(),
            block,
            nesting: Nesting::Single,
            min_items: 0,
            max_items: 0,
            local: false,
        }
    }

    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    fn to_proto(&self) -> pb::schema::NestedBlock {
        use pb::schema::nested_block::NestingMode;
        pb::schema::NestedBlock {
            type_name: self.name.clone(),
            block: Some(self.block.to_proto()),
            nesting: match self.nesting {
                Nesting::Single => NestingMode::Single,
                Nesting::List => NestingMode::List,
                Nesting::Set => NestingMode::Set,
            } as i32,
            min_items: self.min_items,
            max_items: self.max_items,
        }
    }
}

/// Runs every attribute's validators over a (possibly partly unknown) configuration.
pub fn validate_block(block: &Block, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    if !matches!(value, Value::Object(_)) {
        return;
    }
    for a in &block.attributes {
        let v = value.attr(&a.name);
        let at = path.attr(&a.name);
        // Terraform leaves this to providers: a value it would silently plan over.
        if a.mode == Mode::Computed && !v.is_null() {
            diags.error_at(
                at.clone(),
                format!("Read-only attribute {at}"),
                format!("{at} is read-only: its value comes from the API, so it cannot be set. Remove it from the configuration."),
            );
            continue;
        }
        for validator in &a.validators {
            validator.validate(v, &at, a.sensitive, diags);
        }
        if let Some((_, inner)) = &a.nested {
            let inner = Block {
                attributes: inner.clone(),
                ..Block::default()
            };
            match v {
                Value::List(items) | Value::Set(items) => {
                    for (i, item) in items.iter().enumerate() {
                        validate_block(&inner, item, &at.index(i), diags);
                    }
                }
                Value::Map(items) => {
                    for (k, item) in items {
                        validate_block(&inner, item, &at.key(k), diags);
                    }
                }
                object => validate_block(&inner, object, &at, diags),
            }
        }
    }
    for b in &block.blocks {
        match value.attr(&b.name) {
            Value::List(items) | Value::Set(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate_block(&b.block, item, &path.attr(&b.name).index(i), diags);
                }
            }
            v => validate_block(&b.block, v, &path.attr(&b.name), diags),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn nested_attributes_carry_their_type_in_nested_type() {
        let a = Attribute::nested(
            "rules",
            ObjectNesting::List,
            vec![
                Attribute::string("name").required(),
                Attribute::int("port").optional(),
            ],
        )
        .optional();
        let object = Type::Object(BTreeMap::from([
            ("name".into(), Type::String),
            ("port".into(), Type::Number),
        ]));
        assert_eq!(a.ty, Type::List(Box::new(object)));
        let proto = a.to_proto();
        assert!(proto.r#type.is_empty());
        let nested = proto.nested_type.unwrap();
        assert_eq!(nested.nesting, pb::schema::object::NestingMode::List as i32);
        assert_eq!(nested.attributes.len(), 2);
        assert!(nested.attributes[0].required && !nested.attributes[1].required);
    }

    #[test]
    fn plain_attributes_send_type_json() {
        let proto = Attribute::map("labels", Type::String)
            .optional()
            .sensitive()
            .to_proto();
        assert_eq!(proto.r#type, br#"["map","string"]"#);
        assert!(proto.optional && proto.sensitive && !proto.computed);
        assert_eq!(proto.description_kind, pb::StringKind::Markdown as i32);
    }
}
