//! The byte stream to the IRC server: plain TCP, or TLS checked against
//! the bundled web PKI roots.

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

pub async fn connect(address: &str, tls: bool) -> Result<Box<dyn Stream>, String> {
    let tcp = tokio::time::timeout(Duration::from_secs(15), TcpStream::connect(address))
        .await
        .map_err(|_| format!("{address}: no answer within 15 s"))?
        .map_err(|e| format!("{address}: {e}"))?;
    tcp.set_nodelay(true).ok();
    if !tls {
        return Ok(Box::new(tcp));
    }
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| format!("{host}: {e}"))?;
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("{address}: TLS: {e}"))?;
    Ok(Box::new(stream))
}
