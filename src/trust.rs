//! Which certificate authorities the API clients trust.
//!
//! Roots, in order of precedence:
//! 1. the system's store, as `rustls-native-certs` reads it: the files `SSL_CERT_FILE` and
//!    `SSL_CERT_DIR` name when either is set (they replace the system store, as they do for
//!    OpenSSL), else the distribution's bundle;
//! 2. only when that gives no usable certificate at all (a minimal container image without
//!    a CA bundle), the Mozilla roots built into the binary (`webpki-roots`), so the public
//!    APIs still work there. A store an administrator trimmed is never widened behind
//!    their back;
//! 3. always, on top of either, the CA certificates of the backend's `ca_file` setting.

use std::sync::OnceLock;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::plugin::cty::Value;
use crate::plugin::schema::Attribute;
use crate::plugin::{log, validators, AttrPath, Diagnostics, Tri};

/// The `ca_file` attribute of a backend's provider block; `api` names the API in its text.
pub fn ca_file_attribute(api: &str) -> Attribute {
    Attribute::string("ca_file")
        .optional()
        .describe(&format!(
            "Path of a PEM file with CA certificates to trust for the {api}, on top of the system's: for an endpoint with a certificate from a private CA, or a proxy that intercepts TLS. A relative path is taken from the directory Terraform runs in."
        ))
        .validate(validators::not_empty())
}

/// Reads `ca_file` of the provider block `block` (named `backend`): the trust its client
/// gets, or unknown while the path is. An unusable file is an error on the attribute now,
/// at configure time, rather than a TLS failure at the first call.
pub fn ca_file_setting(block: &Value, backend: &str, diags: &mut Diagnostics) -> Tri<Trust> {
    match block.attr("ca_file") {
        Value::String(path) => match Trust::with_ca_file(path) {
            Ok(trust) => Tri::Known(trust),
            Err(problem) => {
                diags.error_at(
                    AttrPath::attrs(&[backend, "ca_file"]),
                    "Unusable CA file",
                    format!(
                        "`{backend}.ca_file`: {problem}. It must name a readable PEM file holding the certificate of the CA that signed the API's certificate (or of the proxy that intercepts TLS)."
                    ),
                );
                Tri::Known(Trust::system())
            }
        },
        Value::Unknown(_) => Tri::Unknown,
        _ => Tri::Known(Trust::system()),
    }
}

/// What one backend's client trusts beyond the roots every client shares.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// CA certificates from the backend's `ca_file`, already checked to be usable roots.
    extra: Vec<CertificateDer<'static>>,
}

impl Trust {
    /// The shared roots only.
    pub fn system() -> Trust {
        Trust::default()
    }

    /// The shared roots plus the CA certificates in the PEM file at `path`. The error says
    /// what is wrong with the file, for a diagnostic on the setting that named it.
    pub fn with_ca_file(path: &str) -> Result<Trust, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path:?}: {e}"))?;
        Ok(Trust {
            extra: ca_certificates(&bytes).map_err(|e| format!("{path:?} {e}"))?,
        })
    }

    /// Sets the client's roots: the system's (or the built-in fallback) and this trust's own.
    pub fn configure(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, reqwest::Error> {
        let system = system_roots();
        let builder = builder.tls_built_in_webpki_certs(system.is_empty());
        system
            .iter()
            .chain(&self.extra)
            .try_fold(builder, |builder, der| {
                Ok(builder.add_root_certificate(reqwest::Certificate::from_der(der)?))
            })
    }
}

/// The certificates of a PEM text, each checked to be usable as a root. The error completes
/// a sentence that starts with the file's name.
fn ca_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    for (n, cert) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let cert = cert.map_err(|e| format!("is not valid PEM (certificate {}: {e})", n + 1))?;
        rustls::RootCertStore::empty()
            .add(cert.clone())
            .map_err(|e| {
                format!(
                    "holds a certificate (number {}) that cannot be a CA: {e}",
                    n + 1
                )
            })?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(
            "holds no PEM certificate (a block starting with `-----BEGIN CERTIFICATE-----`)"
                .to_string(),
        );
    }
    Ok(certs)
}

/// The system's usable roots, read once per process: both backends' clients share them.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for error in &loaded.errors {
            log::warn(
                "cannot read part of the system's CA certificates",
                &[("error", error)],
            );
        }
        let roots = usable_roots(loaded.certs);
        let source = if std::env::var_os("SSL_CERT_FILE").is_some()
            || std::env::var_os("SSL_CERT_DIR").is_some()
        {
            "SSL_CERT_FILE/SSL_CERT_DIR"
        } else {
            "system store"
        };
        log::debug(
            "TLS roots",
            &[
                ("source", &source),
                ("certificates", &roots.len()),
                ("built_in_fallback", &roots.is_empty()),
            ],
        );
        roots
    })
}

/// Drops what rustls cannot use as a root: system stores often carry ancient or malformed
/// certificates, and one of them must not make every client fail.
fn usable_roots(certs: Vec<CertificateDer<'static>>) -> Vec<CertificateDer<'static>> {
    certs
        .into_iter()
        .filter(|cert| rustls::RootCertStore::empty().add(cert.clone()).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        pem("CERTIFICATE", &der)
    }

    fn pem(label: &str, der: &[u8]) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn a_ca_file_holds_pem_certificates() {
        let two = format!("# a comment\n{}{}", ca_pem(), ca_pem());
        assert_eq!(ca_certificates(two.as_bytes()).unwrap().len(), 2);

        let empty = ca_certificates(b"").unwrap_err();
        assert!(empty.starts_with("holds no PEM certificate"), "{empty}");
        let der = ca_certificates(&[0x30, 0x82, 0x01, 0x00]).unwrap_err();
        assert!(der.starts_with("holds no PEM certificate"), "{der}");
        let key_only = ca_certificates(pem("PRIVATE KEY", b"key").as_bytes()).unwrap_err();
        assert!(
            key_only.starts_with("holds no PEM certificate"),
            "{key_only}"
        );

        let garbage = pem("CERTIFICATE", b"not a certificate");
        let err = ca_certificates(garbage.as_bytes()).unwrap_err();
        assert!(
            err.starts_with("holds a certificate (number 1) that cannot be a CA"),
            "{err}"
        );
        let broken = "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n";
        let err = ca_certificates(broken.as_bytes()).unwrap_err();
        assert!(err.starts_with("is not valid PEM (certificate 1"), "{err}");
    }

    #[test]
    fn an_unreadable_ca_file_is_named() {
        let err = Trust::with_ca_file("/nonexistent/ca.pem").unwrap_err();
        assert!(
            err.starts_with("cannot read \"/nonexistent/ca.pem\": "),
            "{err}"
        );
    }

    #[test]
    fn unusable_system_certificates_are_dropped() {
        let good = CertificateDer::from_pem_slice(ca_pem().as_bytes()).unwrap();
        let bad = CertificateDer::from(vec![1, 2, 3]);
        assert_eq!(usable_roots(vec![bad, good.clone()]), vec![good]);
    }
}
