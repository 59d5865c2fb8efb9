//! go-plugin's AutoMTLS: a fresh self-signed server certificate per process, and a client
//! verifier that accepts exactly the certificate Terraform passed in `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's certificate is self-signed with CA:TRUE and an ECDSA P-521 key. Path-building
//! verifiers reject a CA certificate used as an end entity, and ring has no P-521, so the
//! verifier pins the exact certificate and checks the handshake signature itself, adding
//! P-521 (pure Rust) to ring's algorithms.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    alg_id, AlgorithmIdentifier, CertificateDer, InvalidSignature, PrivateKeyDer,
    SignatureVerificationAlgorithm, UnixTime,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// The server's certificate (DER) and TLS configuration.
pub struct ServerIdentity {
    pub certificate: CertificateDer<'static>,
    pub config: Arc<rustls::ServerConfig>,
}

/// Builds the server identity for a client certificate given in PEM.
pub fn server_identity(client_cert_pem: &str) -> Result<ServerIdentity, String> {
    let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| format!("PLUGIN_CLIENT_CERT is not a PEM certificate: {e}"))?;
    let (certificate, key) = self_signed_certificate()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedClientCert::new(client_cert.into_owned(), &provider));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![certificate.clone()], key)
        .map_err(|e| format!("server certificate: {e}"))?;
    // grpc-go refuses servers that do not negotiate h2 through ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerIdentity {
        certificate,
        config: Arc::new(config),
    })
}

/// A certificate shaped like the Go providers' (CN and SAN localhost, CA, server and client
/// auth), with a P-256 key: much cheaper to generate than P-521 and accepted by Go.
pub fn self_signed_certificate() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), String>
{
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    };
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let mut params =
        CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "terraform-provider-pools");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(30)).into();
    params.not_after = (now + std::time::Duration::from_secs(30 * 365 * 24 * 3600)).into();
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| e.to_string())?;
    Ok((cert.der().clone(), key_der))
}

/// Accepts one exact client certificate, and only with a valid handshake signature by its key.
#[derive(Debug)]
struct PinnedClientCert {
    certificate: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

static ECDSA_P521_SHA512: &dyn SignatureVerificationAlgorithm = &EcdsaP521Sha512;

impl PinnedClientCert {
    fn new(
        certificate: CertificateDer<'static>,
        provider: &rustls::crypto::CryptoProvider,
    ) -> Self {
        let base = provider.signature_verification_algorithms;
        // 'static slices: built once per process, so leaking them is bounded and simplest.
        let all: Vec<&'static dyn SignatureVerificationAlgorithm> = base
            .all
            .iter()
            .copied()
            .chain([ECDSA_P521_SHA512])
            .collect();
        let mapping: Vec<(
            SignatureScheme,
            &'static [&'static dyn SignatureVerificationAlgorithm],
        )> = base
            .mapping
            .iter()
            .copied()
            .chain([(
                SignatureScheme::ECDSA_NISTP521_SHA512,
                std::slice::from_ref(&ECDSA_P521_SHA512),
            )])
            .collect();
        let algorithms = WebPkiSupportedAlgorithms {
            all: Box::leak(all.into_boxed_slice()),
            mapping: Box::leak(mapping.into_boxed_slice()),
        };
        PinnedClientCert {
            certificate,
            algorithms,
        }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// ECDSA over P-521 with SHA-512, the signature Terraform's client key makes.
#[derive(Debug)]
struct EcdsaP521Sha512;

impl SignatureVerificationAlgorithm for EcdsaP521Sha512 {
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P521
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA512
    }

    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use p521::ecdsa::signature::Verifier;
        let key =
            p521::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let signature =
            p521::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        key.verify(message, &signature)
            .map_err(|_| InvalidSignature)
    }
}
