//! How Terraform is run against our provider, everywhere in this repository: the provider
//! loaded through `dev_overrides` (no `init`, no registry) and an environment that inherits
//! nothing but PATH and TMPDIR. Std-only, because `cargo xtask demo` includes this file by
//! path as well as the e2e harness: the demo runs Terraform exactly as the tests do.

use std::path::Path;
use std::process::Command;

/// The provider's source address in test configurations and the examples.
pub const PROVIDER_SOURCE: &str = "terraform.local/pools/pools";

/// The CLI configuration that makes Terraform load the provider binary at `provider`.
pub fn cli_config(provider: &Path) -> Result<String, String> {
    // dev_overrides names a directory and finds the binary in it by its file name.
    if provider.file_name().and_then(|n| n.to_str()) != Some("terraform-provider-pools") {
        return Err(format!(
            "{} is not named terraform-provider-pools, so dev_overrides would not find it",
            provider.display()
        ));
    }
    let dir = provider.parent().unwrap_or(Path::new("/"));
    Ok(format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = {:?}\n  }}\n  direct {{}}\n}}\n",
        dir.display().to_string()
    ))
}

/// `terraform` run in `workdir` with the CLI config at `cli_config` and a clean
/// environment, so no stray TF_* variable or ~/.terraformrc changes what runs. HOME is the
/// working directory; callers add what the provider needs (endpoints, credentials).
pub fn terraform_command(terraform: &Path, workdir: &Path, cli_config: &Path) -> Command {
    let mut cmd = Command::new(terraform);
    cmd.current_dir(workdir)
        .env_clear()
        .env("HOME", workdir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1");
    for key in ["PATH", "TMPDIR"] {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd
}
