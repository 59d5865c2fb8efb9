//! The committed docs/ must be exactly what the provider's schema renders today.
//! `cargo xtask docs` (POOLS_UPDATE_DOCS=1) rewrites them.

use std::path::{Path, PathBuf};

use terraform_provider_pools::plugin::docs::{render, Kind, Page};
use terraform_provider_pools::plugin::Provider;
use terraform_provider_pools::provider::PoolsProvider;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> Option<String> {
    std::fs::read_to_string(root().join(relative)).ok()
}

/// Every page, as (path under the repo, content).
fn pages() -> Vec<(String, String)> {
    let provider = PoolsProvider;
    let schema = provider.schema();
    let example = read("examples/provider/provider.tf");
    let mut pages = vec![(
        "docs/index.md".to_string(),
        render(&Page {
            kind: Kind::Provider,
            name: provider.type_name(),
            block: &schema.block,
            example: example.as_deref(),
            import: None,
            sections: &schema.doc_sections,
        }),
    )];
    for r in provider.resources() {
        let name = r.type_name();
        let example = read(&format!("examples/resources/{name}/resource.tf"));
        let import = read(&format!("examples/resources/{name}/import.sh"));
        let page = Page {
            kind: Kind::Resource,
            name,
            block: &r.schema().block,
            example: example.as_deref(),
            import: import.as_deref(),
            sections: &r.schema().doc_sections,
        };
        pages.push((format!("docs/resources/{}.md", short(name)), render(&page)));
    }
    for d in provider.data_sources() {
        let name = d.type_name();
        let example = read(&format!("examples/data-sources/{name}/data-source.tf"));
        let page = Page {
            kind: Kind::DataSource,
            name,
            block: &d.schema().block,
            example: example.as_deref(),
            import: None,
            sections: &d.schema().doc_sections,
        };
        pages.push((
            format!("docs/data-sources/{}.md", short(name)),
            render(&page),
        ));
    }
    for l in provider.list_resources() {
        let name = l.type_name();
        let example = read(&format!("examples/list-resources/{name}/query.tfquery.hcl"));
        let page = Page {
            kind: Kind::ListResource,
            name,
            block: &l.schema().block,
            example: example.as_deref(),
            import: None,
            sections: &l.schema().doc_sections,
        };
        pages.push((
            format!("docs/list-resources/{}.md", short(name)),
            render(&page),
        ));
    }
    for a in provider.actions() {
        let name = a.type_name();
        let example = read(&format!("examples/actions/{name}/action.tf"));
        let page = Page {
            kind: Kind::Action,
            name,
            block: &a.schema().block,
            example: example.as_deref(),
            import: None,
            sections: &a.schema().doc_sections,
        };
        pages.push((format!("docs/actions/{}.md", short(name)), render(&page)));
    }
    pages
}

/// Folders whose every page the provider's schema generates.
const GENERATED: [&str; 4] = [
    "docs/resources/",
    "docs/data-sources/",
    "docs/list-resources/",
    "docs/actions/",
];

fn short(type_name: &str) -> &str {
    type_name.strip_prefix("pools_").unwrap_or(type_name)
}

fn markdown_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(markdown_files(&path));
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(
                path.strip_prefix(root())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    found
}

#[test]
fn committed_docs_are_current() {
    let pages = pages();
    if std::env::var_os("POOLS_UPDATE_DOCS").is_some() {
        for (path, content) in &pages {
            let path = root().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
        }
        for stale in markdown_files(&root().join("docs")) {
            let generated = GENERATED.iter().any(|g| stale.starts_with(g));
            if generated && !pages.iter().any(|(p, _)| *p == stale) {
                std::fs::remove_file(root().join(stale)).unwrap();
            }
        }
        return;
    }
    let mut problems = Vec::new();
    for (path, content) in &pages {
        match read(path) {
            Some(committed) if committed == *content => {}
            Some(_) => problems.push(format!("{path} is stale")),
            None => problems.push(format!("{path} is missing")),
        }
    }
    for file in markdown_files(&root().join("docs")) {
        let generated = GENERATED.iter().any(|g| file.starts_with(g));
        if generated && !pages.iter().any(|(p, _)| *p == file) {
            problems.push(format!("{file} documents nothing the provider serves"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/ does not match the provider's schema; run `cargo xtask docs`:\n{}",
        problems.join("\n")
    );
}

#[test]
fn everything_the_provider_serves_has_a_page_and_an_example() {
    let provider = PoolsProvider;
    for r in provider.resources() {
        assert!(
            read(&format!("examples/resources/{}/resource.tf", r.type_name())).is_some(),
            "no example for {}",
            r.type_name()
        );
    }
    for d in provider.data_sources() {
        assert!(
            read(&format!(
                "examples/data-sources/{}/data-source.tf",
                d.type_name()
            ))
            .is_some(),
            "no example for {}",
            d.type_name()
        );
    }
    for l in provider.list_resources() {
        let example = format!(
            "examples/list-resources/{}/query.tfquery.hcl",
            l.type_name()
        );
        assert!(
            read(&example).is_some(),
            "no example for list {}",
            l.type_name()
        );
    }
    for a in provider.actions() {
        let example = format!("examples/actions/{}/action.tf", a.type_name());
        assert!(
            read(&example).is_some(),
            "no example for action {}",
            a.type_name()
        );
    }
    let served = 1
        + provider.resources().len()
        + provider.data_sources().len()
        + provider.list_resources().len()
        + provider.actions().len();
    assert_eq!(pages().len(), served);
}

#[path = "e2e/guide_script.rs"]
mod guide_script;

/// The testing guide writes `examples/testing` verbatim (its test in tests/e2e/guides.rs
/// runs the guide, so both are run).
#[test]
fn the_testing_guide_writes_the_files_of_examples_testing() {
    let guide = read("docs/guides/testing-with-the-sandbox.md").expect("the testing guide");
    let script = guide_script::sh_blocks(&guide).concat();
    let written = guide_script::verbatim_files(&script);
    let mut examples: Vec<String> = std::fs::read_dir(root().join("examples/testing"))
        .expect("examples/testing")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    examples.sort();
    assert_eq!(examples, ["main.tf", "pools.tftest.hcl"]);
    for name in &examples {
        let example = read(&format!("examples/testing/{name}")).unwrap();
        let in_guide = written
            .iter()
            .find(|(file, _)| file == name)
            .unwrap_or_else(|| panic!("the testing guide does not write {name}"));
        assert_eq!(
            in_guide.1, example,
            "the guide's {name} differs from examples/testing"
        );
    }
}

/// The code of a Terraform file: its lines without whole-line comments.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|line| {
        let line = line.trim_start();
        !(line.starts_with('#') || line.starts_with("//"))
    })
}

/// Every folder under examples/ with Terraform files, and the files' texts.
fn example_folders() -> Vec<(PathBuf, Vec<String>)> {
    fn walk(dir: &Path, found: &mut Vec<(PathBuf, Vec<String>)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        let texts: Vec<String> = entries
            .iter()
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.ends_with(".tf") || name.ends_with(".hcl")
            })
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        if !texts.is_empty() {
            found.push((dir.to_path_buf(), texts));
        }
        for sub in entries.iter().filter(|p| p.is_dir()) {
            walk(sub, found);
        }
    }
    let mut found = Vec::new();
    walk(&root().join("examples"), &mut found);
    found
}

/// Each example folder stands alone beside the provider example: everything it refers to
/// (`var.x`, `data.t.n`, `action.t.n`, a resource `t.n`) it declares itself. (The e2e
/// examples test validates and plans each folder with Terraform.)
#[test]
fn example_folders_declare_what_they_refer_to() {
    const NOT_RESOURCES: [&str; 10] = [
        "var", "data", "action", "local", "module", "each", "count", "self", "path", "output",
    ];
    let folders = example_folders();
    assert!(folders.len() >= 12, "{folders:?}");
    for (dir, texts) in folders {
        let mut declared = Vec::new();
        let mut referred = Vec::new();
        for text in &texts {
            for line in code_lines(text) {
                let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
                match (line.split_whitespace().next(), quoted.as_slice()) {
                    (Some("resource"), [kind, name, ..]) => declared.push(format!("{kind}.{name}")),
                    (Some("data"), [kind, name, ..]) => {
                        declared.push(format!("data.{kind}.{name}"))
                    }
                    (Some("action"), [kind, name, ..]) => {
                        declared.push(format!("action.{kind}.{name}"))
                    }
                    (Some("variable"), [name, ..]) => declared.push(format!("var.{name}")),
                    _ => {}
                }
                let tokens = line.split(|c: char| !(c.is_ascii_alphanumeric() || "_.".contains(c)));
                for token in tokens {
                    let parts: Vec<&str> = token.split('.').collect();
                    let wanted = match parts.as_slice() {
                        ["var", name, ..] => format!("var.{name}"),
                        [prefix @ ("data" | "action"), kind, name, ..] => {
                            format!("{prefix}.{kind}.{name}")
                        }
                        [kind, name, ..]
                            if kind.contains('_')
                                && !NOT_RESOURCES.contains(kind)
                                && !name.is_empty() =>
                        {
                            format!("{kind}.{name}")
                        }
                        _ => continue,
                    };
                    referred.push(wanted);
                }
            }
        }
        for wanted in referred {
            assert!(
                declared.contains(&wanted),
                "{} refers to {wanted} without declaring it",
                dir.display()
            );
        }
    }
}

/// Endpoints are set only where an example is about them, with a comment saying so; no
/// example or doc page sends a copy-paste user's calls to production behind their back.
#[test]
fn endpoints_are_set_only_with_a_comment() {
    let mut snippets: Vec<(String, String)> = Vec::new();
    for (dir, texts) in example_folders() {
        for text in texts {
            snippets.push((dir.display().to_string(), text));
        }
    }
    for file in markdown_files(&root().join("docs")) {
        let text = read(&file).unwrap();
        let mut block: Option<String> = None;
        for line in text.lines() {
            match block.as_mut() {
                None if matches!(line.trim(), "```terraform" | "```hcl") => {
                    block = Some(String::new())
                }
                None => {}
                Some(_) if line.trim() == "```" => {
                    snippets.push((file.clone(), block.take().unwrap()));
                }
                Some(body) => {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    let mut settings = 0;
    for (origin, text) in &snippets {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split('#').next().unwrap_or("");
            if code.split('=').next().map(str::trim) != Some("endpoint") || !code.contains('=') {
                continue;
            }
            settings += 1;
            let commented = line.contains('#')
                || i.checked_sub(1)
                    .is_some_and(|above| lines[above].trim_start().starts_with('#'));
            assert!(
                commented,
                "{origin}: an endpoint set without a comment: {line}"
            );
            assert!(
                !origin.contains("examples") && !origin.ends_with("docs/index.md"),
                "{origin}: the provider and resource examples leave endpoints to the environment: {line}"
            );
        }
    }
    assert!(
        settings >= 1,
        "the endpoint guides show no endpoint setting"
    );
}

/// Each resource page opens with what the resource is and an example; internals (such as
/// how changes are waited for) follow the schema, in sections of their own.
#[test]
fn resource_pages_open_with_what_the_resource_is() {
    for r in PoolsProvider.resources() {
        let schema = r.schema();
        let name = r.type_name();
        assert!(
            !schema.doc_sections.is_empty(),
            "{name}: the polling pace belongs in a section of its own (Schema::with_doc_section)"
        );
        for (title, text) in &schema.doc_sections {
            let first = text.split(". ").next().unwrap_or(text).trim();
            assert!(
                !schema.block.description.contains(first),
                "{name}: the description repeats the \"{title}\" section: {first}"
            );
        }
        let (_, page) = pages()
            .into_iter()
            .find(|(path, _)| *path == format!("docs/resources/{}.md", short(name)))
            .unwrap();
        let description = schema.block.description.trim();
        assert!(
            page.contains(&format!("{description}\n\n## Example Usage\n")),
            "{name}: the example follows the description"
        );
    }
}

/// What `instance_type`'s description claims is what tests/e2e/guides.rs shows Terraform
/// doing: the create's spelling is kept, respelling the same type is no change, an import
/// records the API's name.
#[test]
fn the_instance_type_description_says_what_terraform_does() {
    let provider = PoolsProvider;
    let pool = provider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == "pools_instance_pool")
        .unwrap();
    let schema = pool.schema();
    let description = &schema.block.get("instance_type").unwrap().description;
    for claim in [
        "State keeps the spelling of the create, or of the last change of type: another spelling of the same type (another case, or its id) is no change.",
        "An import records the API's name (like `standard.medium`).",
    ] {
        assert!(description.contains(claim), "{claim:?} missing from {description:?}");
    }
    assert!(
        !description.contains("The spelling you use is kept"),
        "{description}"
    );
}
