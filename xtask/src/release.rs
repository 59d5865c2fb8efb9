//! `cargo xtask release`: the files the Terraform Registry and provider mirrors expect, in
//! `dist/`, laid out as goreleaser-built providers are:
//!
//! - `terraform-provider-pools_<version>_linux_amd64.zip` holding `terraform-provider-pools_v<version>`
//! - `pools-sandbox_<version>_linux_amd64.zip` holding `pools-sandbox` and its `README.md`
//! - `terraform-provider-pools_<version>_manifest.json` (protocol 6.0)
//! - `terraform-provider-pools_<version>_SHA256SUMS`, and with `GPG_FINGERPRINT` set, its
//!   detached signature `..._SHA256SUMS.sig` made by the `gpg` on PATH with that key.
//!
//! Only linux_amd64: the machines this project builds on have that one Rust target. The
//! archives are stored (not deflated) zips with fixed timestamps, so a release is
//! byte-for-byte reproducible from the same binaries.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run;
use crate::Repo;

pub const TARGET: &str = "linux_amd64";

/// What a release wrote.
pub struct Dist {
    pub dir: PathBuf,
    pub version: String,
}

/// The release build of the two binaries a release ships (`cargo xtask test`, `demo` and
/// `release` share it). Not `--workspace`: xtask's own release build is never used.
pub const BUILD: [&str; 7] = [
    "build",
    "--release",
    "--bins",
    "-p",
    "terraform-provider-pools",
    "-p",
    "pools-sandbox",
];

/// Builds [`BUILD`] as one named step.
pub fn build(repo: &Repo) -> Result<(), String> {
    run::step(&format!("cargo {}", BUILD.join(" ")), || {
        run::status(run::cargo(repo).args(BUILD))
    })
}

pub fn run(repo: &Repo) -> Result<(), String> {
    build(repo)?;
    let key = std::env::var("GPG_FINGERPRINT")
        .ok()
        .filter(|k| !k.is_empty());
    let dist = run::step("package dist/", || package(repo, key.as_deref()))?;
    println!("release {} written to {}", dist.version, dist.dir.display());
    Ok(())
}

/// Packs the release binaries already built into `dist/`, signing SHA256SUMS with the GPG
/// key `signing_key` (a fingerprint or key id the `gpg` on PATH holds) when given.
pub fn package(repo: &Repo, signing_key: Option<&str>) -> Result<Dist, String> {
    let version = package_version(&repo.root.join("Cargo.toml"))?;
    let dir = repo.root.join("dist");
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let release = repo.target_dir.join("release");
    let provider = format!("terraform-provider-pools_{version}_{TARGET}.zip");
    let sandbox = format!("pools-sandbox_{version}_{TARGET}.zip");
    let manifest = format!("terraform-provider-pools_{version}_manifest.json");
    write_zip(
        &dir.join(&provider),
        &[Entry::executable(
            &format!("terraform-provider-pools_v{version}"),
            read(&release.join("terraform-provider-pools"))?,
        )],
    )?;
    // The sandbox zip is used on its own (docs/guides/installing.md): its README says what
    // `--help` does not (routes, fixtures, behaviour).
    write_zip(
        &dir.join(&sandbox),
        &[
            Entry::executable("pools-sandbox", read(&release.join("pools-sandbox"))?),
            Entry::file("README.md", read(&repo.root.join("sandbox/README.md"))?),
        ],
    )?;
    write(
        &dir.join(&manifest),
        b"{\n  \"version\": 1,\n  \"metadata\": {\n    \"protocol_versions\": [\"6.0\"]\n  }\n}\n",
    )?;
    let mut sums = String::new();
    for name in [&provider, &manifest, &sandbox] {
        sums.push_str(&format!(
            "{}  {name}\n",
            hex(&sha256(&read(&dir.join(name))?))
        ));
    }
    let sums_name = format!("terraform-provider-pools_{version}_SHA256SUMS");
    write(&dir.join(&sums_name), sums.as_bytes())?;
    if let Some(key) = signing_key {
        let sums_path = dir.join(&sums_name);
        let signature = dir.join(format!("{sums_name}.sig"));
        let mut gpg = Command::new("gpg");
        gpg.args([
            "--batch",
            "--yes",
            "--local-user",
            key,
            "--detach-sign",
            "--output",
        ])
        .arg(&signature)
        .arg(&sums_path);
        run::status(&mut gpg).map_err(|e| format!("signing with GPG key {key} failed: {e}"))?;
    }
    Ok(Dist { dir, version })
}

/// The `version` of the `[package]` table.
pub fn package_version(manifest: &Path) -> Result<String, String> {
    let text = fs::read_to_string(manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if let (true, Some(value)) = (in_package, line.strip_prefix("version")) {
            let value = value
                .trim_start()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"');
            return Ok(value.to_string());
        }
    }
    Err(format!("no [package] version in {}", manifest.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e} (is it built?)", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// One file in a zip archive.
struct Entry {
    name: String,
    data: Vec<u8>,
    /// Unix permission bits.
    mode: u32,
}

impl Entry {
    fn executable(name: &str, data: Vec<u8>) -> Entry {
        Entry {
            name: name.to_string(),
            data,
            mode: 0o755,
        }
    }

    fn file(name: &str, data: Vec<u8>) -> Entry {
        Entry {
            name: name.to_string(),
            data,
            mode: 0o644,
        }
    }
}

/// A zip archive of `entries`, stored uncompressed.
fn write_zip(path: &Path, entries: &[Entry]) -> Result<(), String> {
    // 1980-01-01 00:00, the zip epoch: fixed, so archives are reproducible.
    let (time, date) = (0u16, 0x21u16);
    let too_large = || format!("{} would be too large for a zip", path.display());
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let size = u32::try_from(entry.data.len()).map_err(|_| too_large())?;
        let name_len = u16::try_from(entry.name.len())
            .map_err(|_| format!("{}: name too long", entry.name))?;
        let crc = crc32(&entry.data);
        let offset = u32::try_from(out.len()).map_err(|_| too_large())?;
        put32(&mut out, 0x0403_4b50);
        put16(&mut out, 20); // version needed: 2.0
        put16(&mut out, 0); // flags
        put16(&mut out, 0); // stored
        put16(&mut out, time);
        put16(&mut out, date);
        put32(&mut out, crc);
        put32(&mut out, size);
        put32(&mut out, size);
        put16(&mut out, name_len);
        put16(&mut out, 0);
        out.extend_from_slice(entry.name.as_bytes());
        out.extend_from_slice(&entry.data);

        put32(&mut central, 0x0201_4b50);
        put16(&mut central, (3 << 8) | 20); // made by Unix, zip 2.0: the mode below is a Unix mode
        put16(&mut central, 20);
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, time);
        put16(&mut central, date);
        put32(&mut central, crc);
        put32(&mut central, size);
        put32(&mut central, size);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra
        put16(&mut central, 0); // comment
        put16(&mut central, 0); // disk
        put16(&mut central, 0); // internal attributes
        put32(&mut central, (0o100_000 | entry.mode) << 16); // a regular file
        put32(&mut central, offset);
        central.extend_from_slice(entry.name.as_bytes());
    }
    let count = u16::try_from(entries.len()).map_err(|_| too_large())?;
    let central_at = u32::try_from(out.len()).map_err(|_| too_large())?;
    let central_len = u32::try_from(central.len()).map_err(|_| too_large())?;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, central_len);
    put32(&mut out, central_at);
    put16(&mut out, 0);
    write(path, &out)
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// CRC-32 (IEEE), as zip uses it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (FIPS 180-4); xtask stays std-only, and Terraform checks the result against
/// its own when it installs the zip.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (slot, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *slot = slot.wrapping_add(v);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, v) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&v.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_published_test_vectors() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hex(&sha256(long)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    /// A release of stand-in binaries, signed with a throwaway key: the archives hold the
    /// binaries, SHA256SUMS lists them, and gpg verifies the detached signature.
    #[test]
    fn package_writes_archives_checksums_and_a_verifiable_signature() {
        let root = std::env::temp_dir().join(format!("xtask-release-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let release = root.join("target/release");
        fs::create_dir_all(&release).unwrap();
        fs::write(
            root.join("Cargo.toml"),
            "[package]\nname = \"p\"\nversion = \"9.8.7\"\n",
        )
        .unwrap();
        fs::write(release.join("terraform-provider-pools"), b"provider bytes").unwrap();
        fs::write(release.join("pools-sandbox"), b"sandbox bytes").unwrap();
        fs::create_dir_all(root.join("sandbox")).unwrap();
        fs::write(root.join("sandbox/README.md"), "# pools-sandbox\n").unwrap();
        let gnupg = root.join("gnupg");
        fs::create_dir_all(&gnupg).unwrap();
        fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let gpg = |args: &[&str]| {
            let out = Command::new("gpg")
                .env("GNUPGHOME", &gnupg)
                .args(["--batch", "--quiet", "--no-tty"])
                .args(args)
                .output()
                .expect("gpg is installed by `cargo xtask install-tools`");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "xtask test <x@example.invalid>",
            "rsa2048",
            "sign",
            "never",
        ]);
        let fingerprint = gpg(&["--list-keys", "--with-colons"])
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|r| r.trim_matches(':').to_string())
            })
            .expect("a fingerprint");
        let repo = Repo {
            root: root.clone(),
            target_dir: root.join("target"),
        };
        // package() runs gpg with the environment's GNUPGHOME.
        std::env::set_var("GNUPGHOME", &gnupg);
        let dist = package(&repo, Some(&fingerprint)).unwrap();
        assert_eq!(dist.version, "9.8.7");
        let sums =
            fs::read_to_string(dist.dir.join("terraform-provider-pools_9.8.7_SHA256SUMS")).unwrap();
        let zip = fs::read(
            dist.dir
                .join("terraform-provider-pools_9.8.7_linux_amd64.zip"),
        )
        .unwrap();
        assert!(
            sums.contains(&format!(
                "{}  terraform-provider-pools_9.8.7_linux_amd64.zip\n",
                hex(&sha256(&zip))
            )),
            "{sums}"
        );
        assert!(
            sums.contains("terraform-provider-pools_9.8.7_manifest.json"),
            "{sums}"
        );
        assert!(zip.windows(14).any(|w| w == b"provider bytes"));
        // The sandbox zip, read by another zip implementation: both files, intact.
        let sandbox_zip = dist.dir.join("pools-sandbox_9.8.7_linux_amd64.zip");
        let unpacked = root.join("unpacked");
        let python = Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(&sandbox_zip)
            .arg(&unpacked)
            .output()
            .expect("python3 is a requirement (README)");
        assert!(python.status.success(), "{python:?}");
        assert_eq!(
            fs::read(unpacked.join("pools-sandbox")).unwrap(),
            b"sandbox bytes"
        );
        assert_eq!(
            fs::read_to_string(unpacked.join("README.md")).unwrap(),
            fs::read_to_string(root.join("sandbox/README.md")).unwrap()
        );
        let modes = Command::new("python3")
            .arg("-c")
            .arg("import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16))")
            .arg(&sandbox_zip)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&modes.stdout),
            "pools-sandbox 0o100755\nREADME.md 0o100644\n"
        );
        assert!(zip
            .windows(31)
            .any(|w| w == b"terraform-provider-pools_v9.8.7"));
        let sig = dist
            .dir
            .join("terraform-provider-pools_9.8.7_SHA256SUMS.sig");
        gpg(&[
            "--verify",
            &sig.display().to_string(),
            &dist
                .dir
                .join("terraform-provider-pools_9.8.7_SHA256SUMS")
                .display()
                .to_string(),
        ]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_version_comes_from_the_package_table() {
        let dir = std::env::temp_dir().join(format!("xtask-version-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        fs::write(&manifest, "[workspace]\nmembers = []\n\n[package]\nname = \"x\"\nversion = \"1.2.3\"\n\n[dependencies]\nversion = \"9\"\n").unwrap();
        assert_eq!(package_version(&manifest).unwrap(), "1.2.3");
        fs::remove_dir_all(&dir).unwrap();
    }
}
