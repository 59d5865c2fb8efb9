//! `pools-codegen <repo root> <out dir>`: compiles the tfplugin6 protocol and go-plugin's
//! side services with a pure-Rust protobuf compiler (no `protoc`) and writes the Rust code
//! for prost and tonic into `<out dir>`, one file per protobuf package. `cargo xtask
//! codegen` runs it and adds the header that records what the files were made from.

use std::path::PathBuf;

/// The inputs, relative to the repository root (xtask's list must match this one).
const PROTOS: [&str; 3] = [
    "proto/tfplugin6.proto",
    "proto/plugin.proto",
    "proto/health.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [root, out] = args.as_slice() else {
        return Err("usage: pools-codegen <repo root> <out dir>".into());
    };
    // Relative names, so the descriptors (and the code) do not depend on where the
    // repository is.
    std::env::set_current_dir(root)?;
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_transport(false)
        .build_server(true)
        .generate_default_stubs(true)
        .out_dir(out)
        .compile_fds(descriptors)?;
    Ok(())
}
