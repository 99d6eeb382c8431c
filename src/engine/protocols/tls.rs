//! TLS client settings for a scenario, shared by the request path and the off-path client
//! (preflight, setup, MCP tool lists): the web PKI roots plus the service's `ca_file`, a
//! certificate named in `ca_file` trusted as itself (the usual self-signed development
//! certificate is its own CA, which plain verification refuses as `CaUsedAsEndEntity`), and
//! no verification at all when the service says `tls_verify = false`.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// What a certificate failure message adds: both ways out.
pub(crate) const TLS_FIXES: &str = "; if the service uses a self-signed or private-CA certificate, name it in the service's ca_file = \"cert.pem\", or skip verification with tls_verify = false (or --insecure) for a development server";

/// A rustls client configuration for HTTP/1.1 to a service.
pub(crate) fn client_config(extra_roots: &[CertificateDer<'static>], verify: bool) -> Result<rustls::ClientConfig, super::ProtocolError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in extra_roots {
        // A certificate that cannot be a root (no CA flag) is still trusted as itself below.
        let _ = roots.add(cert.clone());
    }
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|err| super::ProtocolError::TlsSetup(err.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = Arc::new(Verifier {
        webpki,
        named: extra_roots.to_vec(),
        verify,
        provider: provider.clone(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| super::ProtocolError::TlsSetup(err.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug)]
struct Verifier {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    /// The certificates of the service's ca_file: one of them presented as the server's own
    /// certificate is trusted (pinned), CA flag or not.
    named: Vec<CertificateDer<'static>>,
    /// false: `tls_verify = false`, every certificate is accepted.
    verify: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self.verify {
            return Ok(ServerCertVerified::assertion());
        }
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(verified) => Ok(verified),
            Err(_) if self.named.iter().any(|named| named.as_ref() == end_entity.as_ref()) => Ok(ServerCertVerified::assertion()),
            Err(err) => Err(err),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
