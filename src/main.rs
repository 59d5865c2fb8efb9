//! terraform-provider-pools: started by Terraform or OpenTofu as a plugin, or by a developer
//! with `--debug` to attach a Terraform run to it.

use std::process::ExitCode;

use terraform_provider_pools::intents;
use terraform_provider_pools::plugin::server::{serve, Mode};
use terraform_provider_pools::provider::PoolsProvider;

/// What Terraform knows this provider as: the source address configurations declare
/// (docs/guides/installing.md), in both modes. Go providers hard-code theirs the same way;
/// Terraform never tells a plugin the address it was installed under.
const ADDRESS: &str = "terraform.local/pools/pools";

const USAGE: &str = "usage: terraform-provider-pools [--debug] [--version]\n\n\
This is a Terraform/OpenTofu provider plugin: Terraform starts it. Use --debug to run it\n\
yourself and attach Terraform with the TF_REATTACH_PROVIDERS line it prints.";

fn main() -> ExitCode {
    let mode = match std::env::args().nth(1).as_deref() {
        None => Mode::Plugin,
        Some("--debug") => Mode::Debug,
        Some("--version" | "-v") => {
            println!("terraform-provider-pools {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("terraform-provider-pools: unknown argument {other}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // One thread: each RPC is microseconds of CPU between waits on Terraform or an API, so
    // more workers only add wake-ups and hand-offs (docs/performance.md).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("terraform-provider-pools: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(serve(PoolsProvider, ADDRESS, mode));
    // Before the runtime drops what is still in flight: those creates keep their notes.
    intents::close();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("terraform-provider-pools: {message}");
            ExitCode::FAILURE
        }
    }
}
