//! Fidelity: Exoscale's own Python client (PyPI exoscale 0.16.4, installed by
//! `cargo xtask install-tools` into `.tools/python`) runs a whole instance pool lifecycle
//! against the sandbox, unchanged.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use pools_sandbox::{Config, Sandbox, DEFAULT_EXOSCALE_KEY, DEFAULT_EXOSCALE_SECRET};

fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn python(pythonpath: &PathBuf) -> Command {
    let mut cmd = Command::new("python3");
    cmd.env("PYTHONPATH", pythonpath)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_client_runs_a_whole_lifecycle() {
    let pythonpath = repo_root().join(".tools/python");
    let importable = python(&pythonpath)
        .args(["-c", "import exoscale.api.v2"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        importable,
        "python3 cannot import exoscale.api.v2 from {}: run `cargo xtask install-tools`",
        pythonpath.display()
    );

    let operation = Duration::from_millis(200);
    let config = Config {
        operation_duration: operation,
        ..Config::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let endpoint = format!("{}/ch-gva-2/v2", sandbox.url());
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vendor/exoscale_lifecycle.py");
    let output = tokio::task::spawn_blocking(move || {
        python(&pythonpath)
            .arg(script)
            .args([&endpoint, DEFAULT_EXOSCALE_KEY, DEFAULT_EXOSCALE_SECRET])
            .arg(operation.as_millis().to_string())
            .output()
    })
    .await
    .unwrap()
    .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "vendor lifecycle failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("OK: vendor client lifecycle passed"),
        "{stdout}"
    );

    // The client really went through the operation endpoint and every pool route.
    let routes = sandbox.requests().routes();
    for route in [
        "create-instance-pool",
        "get-operation",
        "scale-instance-pool",
        "update-instance-pool",
        "reset-instance-pool-field",
        "list-instance-pools",
        "evict-instance-pool-members",
        "delete-instance-pool",
    ] {
        assert!(routes.contains(&route), "{route} not in {routes:?}");
    }
    assert_eq!(
        sandbox.shared.exoscale.pool_count(),
        1,
        "only the managed pool is left"
    );
    sandbox.stop().await;
}
