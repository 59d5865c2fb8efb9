//! Resource identity (protocol 6.9, Terraform 1.12+): the few attributes that name a remote
//! object for good, such as an instance pool's id and zone. Terraform stores them beside
//! the state and accepts them in `import` blocks (`identity = { ... }`) instead of an import
//! id. Here an identity is a view of the state: its attributes are the state attributes of
//! the same names, so it can never disagree with the state.

use super::cty::{Type, Value};
use super::proto::tfplugin6 as pb;

#[derive(Clone, Debug)]
pub struct IdentityAttribute {
    pub name: &'static str,
    pub ty: Type,
    /// An import by identity must give it; otherwise it may.
    pub required_for_import: bool,
    pub description: &'static str,
}

#[derive(Clone, Debug)]
pub struct Identity {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
    /// The import id an identity stands for, as `terraform import` takes it (None: the
    /// identity does not name an object).
    pub import_id: fn(&Value) -> Option<String>,
}

impl Identity {
    /// An identity of string attributes: (name, required for import, description).
    pub fn strings(
        attributes: &[(&'static str, bool, &'static str)],
        import_id: fn(&Value) -> Option<String>,
    ) -> Identity {
        Identity {
            version: 0,
            attributes: attributes
                .iter()
                .map(
                    |&(name, required_for_import, description)| IdentityAttribute {
                        name,
                        ty: Type::String,
                        required_for_import,
                        description,
                    },
                )
                .collect(),
            import_id,
        }
    }

    pub fn ty(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.to_string(), a.ty.clone()))
                .collect(),
        )
    }

    /// The identity of an object whose state is `state` (null for no object).
    pub fn of(&self, state: &Value) -> Value {
        if state.is_null() {
            return Value::Null;
        }
        Value::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.to_string(), state.attr(a.name).clone()))
                .collect(),
        )
    }

    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.to_string(),
                    r#type: a.ty.to_json_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: !a.required_for_import,
                    description: a.description.to_string(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity::strings(&[("id", true, ""), ("zone", false, "")], |v| {
            v.attr("id").as_str().map(str::to_string)
        })
    }

    #[test]
    fn an_identity_is_a_view_of_the_state() {
        let state = Value::Object(
            [("id", "p1"), ("zone", "z"), ("name", "web")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect(),
        );
        let id = identity().of(&state);
        assert_eq!(id.attr("id"), &Value::String("p1".into()));
        assert_eq!(id.attr("zone"), &Value::String("z".into()));
        assert_eq!(id.attr("name"), &Value::Null);
        assert_eq!(identity().of(&Value::Null), Value::Null);
        let proto = identity().to_proto();
        assert!(proto.identity_attributes[0].required_for_import);
        assert!(proto.identity_attributes[1].optional_for_import);
        assert_eq!(proto.identity_attributes[1].r#type, br#""string""#);
    }
}
