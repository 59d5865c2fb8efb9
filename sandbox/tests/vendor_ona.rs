//! Fidelity: Ona's own generated Connect client (PyPI gitpod-sdk 1.2.0, JSON codec) runs a
//! whole warm pool lifecycle against the sandbox, unchanged. Needs `cargo xtask install-tools`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use pools_sandbox::{Config, Sandbox};

const SETTLE_MS: u64 = 200;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the sandbox crate lives inside the repository")
        .to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitpod_sdk_client_runs_a_whole_lifecycle() {
    let root = repo_root();
    let python_path = root.join(".tools/python");
    let importable = Command::new("python3")
        .args(["-c", "import gitpod.v1.prebuild_connect, connectrpc.compat"])
        .env("PYTHONPATH", &python_path)
        .output()
        .expect("python3 must be installed to run the vendor client test");
    assert!(
        importable.status.success(),
        "the vendor client (gitpod-sdk) is not importable from {}: run `cargo xtask install-tools`\n{}",
        python_path.display(),
        String::from_utf8_lossy(&importable.stderr)
    );

    let config = Config {
        warm_pool_settle: Duration::from_millis(SETTLE_MS),
        ..Config::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let script = root.join("sandbox/tests/vendor/ona_lifecycle.py");
    let mut child = tokio::process::Command::new("python3");
    child
        .arg(&script)
        .arg(sandbox.ona_endpoint())
        .arg(pools_sandbox::DEFAULT_ONA_TOKEN)
        .arg(SETTLE_MS.to_string())
        .env("PYTHONPATH", &python_path)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), child.output())
        .await
        .expect("the lifecycle script finishes within 2 minutes")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "vendor lifecycle failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("lifecycle complete"), "{stdout}");

    // The client's calls went through the sandbox's request log under the procedure names.
    let routes = sandbox.requests().routes();
    for name in [
        "CreateWarmPool",
        "GetWarmPool",
        "UpdateWarmPool",
        "ListWarmPools",
        "DeleteWarmPool",
    ] {
        assert!(routes.contains(&name), "{name} missing from {routes:?}");
    }
    assert_eq!(sandbox.shared.ona.pool_count(), 0);
    sandbox.stop().await;
}
