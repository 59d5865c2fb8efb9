//! Diagnostics with attribute paths: how every error reaches the user.

use std::fmt;

use super::proto::tfplugin6 as pb;

/// A path into a resource's value, e.g. `exoscale.zone` or `labels["env"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AttrPath(Vec<Step>);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Attr(String),
    Key(String),
    Index(i64),
}

impl AttrPath {
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }

    /// A path of attribute names: `AttrPath::attrs(&["exoscale", "zone"])`.
    pub fn attrs(names: &[&str]) -> Self {
        AttrPath(names.iter().map(|n| Step::Attr((*n).to_string())).collect())
    }

    pub fn attr(&self, name: &str) -> Self {
        self.with(Step::Attr(name.to_string()))
    }

    pub fn key(&self, key: &str) -> Self {
        self.with(Step::Key(key.to_string()))
    }

    pub fn index(&self, index: usize) -> Self {
        self.with(Step::Index(i64::try_from(index).unwrap_or(i64::MAX)))
    }

    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    fn with(&self, step: Step) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        AttrPath(steps)
    }

    pub fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::step::Selector;
        let steps = self
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(n) => Selector::AttributeName(n.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect();
        pb::AttributePath { steps }
    }

    pub fn from_proto(path: &pb::AttributePath) -> Self {
        use pb::attribute_path::step::Selector;
        AttrPath(
            path.steps
                .iter()
                .filter_map(|s| {
                    Some(match s.selector.as_ref()? {
                        Selector::AttributeName(n) => Step::Attr(n.clone()),
                        Selector::ElementKeyString(k) => Step::Key(k.clone()),
                        Selector::ElementKeyInt(i) => Step::Index(*i),
                    })
                })
                .collect(),
        )
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Attr(n) if i == 0 => write!(f, "{n}")?,
                Step::Attr(n) => write!(f, ".{n}")?,
                Step::Key(k) => write!(f, "[{k:?}]")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    pub fn at(mut self, path: AttrPath) -> Self {
        self.path = Some(path);
        self
    }

    fn to_proto(&self) -> pb::Diagnostic {
        // A path naming the root would make Terraform point at nothing: leave it out.
        let attribute = self
            .path
            .as_ref()
            .filter(|p| !p.is_root())
            .map(AttrPath::to_proto);
        pb::Diagnostic {
            severity: match self.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = self.path.as_ref().filter(|p| !p.is_root()) {
            write!(f, "{path}: ")?;
        }
        write!(f, "{}", self.summary)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// An ordered collection of diagnostics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    pub fn error_at(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Diagnostic::error(summary, detail).at(path));
    }

    pub fn warning_at(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Diagnostic::warning(summary, detail).at(path));
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_terraform() {
        let p = AttrPath::attrs(&["exoscale", "zone"]);
        assert_eq!(p.to_string(), "exoscale.zone");
        assert_eq!(
            AttrPath::root().attr("labels").key("env").to_string(),
            "labels[\"env\"]"
        );
        assert_eq!(AttrPath::root().attr("ids").index(2).to_string(), "ids[2]");
        assert_eq!(AttrPath::from_proto(&p.to_proto()), p);
    }

    #[test]
    fn root_path_is_not_sent() {
        let d = Diagnostic::error("bad", "").at(AttrPath::root());
        assert!(d.to_proto().attribute.is_none());
        let d = Diagnostic::error("bad", "why").at(AttrPath::attrs(&["size"]));
        assert_eq!(d.to_proto().attribute.unwrap().steps.len(), 1);
        assert_eq!(d.to_string(), "size: bad: why");
    }
}
