//! The fixed world the Ona side serves: one organization, one runner, two projects and three
//! environment classes. The ids never change: examples, docs and tests use them.
//! Pattern: the first group names the kind (`0a` org, `0b` runner, `0c` project,
//! `0d` environment class, `0e` snapshot), the last group counts.

pub const ORGANIZATION_ID: &str = "0a000000-0000-4000-8000-000000000001";
pub const RUNNER_ID: &str = "0b000000-0000-4000-8000-000000000001";
/// Prebuilds enabled for [`CLASS_SMALL_ID`] and [`CLASS_LARGE_ID`].
pub const PROJECT_ID: &str = "0c000000-0000-4000-8000-000000000001";
/// Prebuilds disabled.
pub const PROJECT_NO_PREBUILDS_ID: &str = "0c000000-0000-4000-8000-000000000002";
/// In the project's prebuild configuration, with a completed prebuild snapshot.
pub const CLASS_SMALL_ID: &str = "0d000000-0000-4000-8000-000000000001";
/// In the project's prebuild configuration, no completed prebuild yet.
pub const CLASS_LARGE_ID: &str = "0d000000-0000-4000-8000-000000000002";
/// Exists, but not in any prebuild configuration.
pub const CLASS_GPU_ID: &str = "0d000000-0000-4000-8000-000000000003";
/// The completed prebuild of ([`PROJECT_ID`], [`CLASS_SMALL_ID`]).
pub const SNAPSHOT_ID: &str = "0e000000-0000-4000-8000-000000000001";

pub struct Project {
    pub id: &'static str,
    pub name: &'static str,
    pub prebuilds_enabled: bool,
    pub prebuild_classes: &'static [&'static str],
}

pub struct EnvironmentClass {
    pub id: &'static str,
    pub name: &'static str,
    pub runner_id: &'static str,
}

pub const PROJECTS: &[Project] = &[
    Project {
        id: PROJECT_ID,
        name: "sandbox-app",
        prebuilds_enabled: true,
        prebuild_classes: &[CLASS_SMALL_ID, CLASS_LARGE_ID],
    },
    Project {
        id: PROJECT_NO_PREBUILDS_ID,
        name: "sandbox-no-prebuilds",
        prebuilds_enabled: false,
        prebuild_classes: &[],
    },
];

pub const ENVIRONMENT_CLASSES: &[EnvironmentClass] = &[
    EnvironmentClass {
        id: CLASS_SMALL_ID,
        name: "small",
        runner_id: RUNNER_ID,
    },
    EnvironmentClass {
        id: CLASS_LARGE_ID,
        name: "large",
        runner_id: RUNNER_ID,
    },
    EnvironmentClass {
        id: CLASS_GPU_ID,
        name: "gpu",
        runner_id: RUNNER_ID,
    },
];

/// Completed prebuild snapshots: (project, environment class, snapshot).
pub const SNAPSHOTS: &[(&str, &str, &str)] = &[(PROJECT_ID, CLASS_SMALL_ID, SNAPSHOT_ID)];

/// Ids compare case-insensitively (UUIDs); fixtures are lowercase.
pub fn project(id: &str) -> Option<&'static Project> {
    PROJECTS.iter().find(|p| p.id.eq_ignore_ascii_case(id))
}

pub fn environment_class(id: &str) -> Option<&'static EnvironmentClass> {
    ENVIRONMENT_CLASSES
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(id))
}

pub fn snapshot(project_id: &str, class_id: &str) -> Option<&'static str> {
    SNAPSHOTS
        .iter()
        .find(|(p, c, _)| *p == project_id && *c == class_id)
        .map(|(_, _, s)| *s)
}

/// What `pools-sandbox --fixtures` prints for Ona.
pub fn json() -> serde_json::Value {
    serde_json::json!({
        "organizationId": ORGANIZATION_ID,
        "runners": [{ "id": RUNNER_ID, "name": "sandbox-runner" }],
        "projects": PROJECTS.iter().map(|p| serde_json::json!({
            "id": p.id,
            "name": p.name,
            "prebuildsEnabled": p.prebuilds_enabled,
            "prebuildEnvironmentClassIds": p.prebuild_classes,
        })).collect::<Vec<_>>(),
        "environmentClasses": ENVIRONMENT_CLASSES.iter().map(|c| serde_json::json!({
            "id": c.id,
            "name": c.name,
            "runnerId": c.runner_id,
        })).collect::<Vec<_>>(),
        "snapshots": SNAPSHOTS.iter().map(|(p, c, s)| serde_json::json!({
            "id": s,
            "projectId": p,
            "environmentClassId": c,
        })).collect::<Vec<_>>(),
    })
}
