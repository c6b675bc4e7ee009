//! The accept loop of the network server: at most [`Limits::max_connections`] connections at
//! once (further ones wait in the kernel's accept queue), each closed when it does not send a
//! complete request head within [`Limits::header_read_timeout`] (slowloris), optionally over
//! TLS, and all drained on shutdown.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::{Limits, ServeError};

#[cfg(feature = "tls")]
pub(crate) use tokio_rustls::TlsAcceptor;

/// Without the `tls` feature no acceptor can exist.
#[cfg(not(feature = "tls"))]
#[derive(Debug, Clone)]
pub(crate) enum TlsAcceptor {}

/// How long shutdown waits for open connections to finish their requests.
const DRAIN: Duration = Duration::from_secs(5);

/// Without the `tls` feature, asking for TLS is an error.
#[cfg(not(feature = "tls"))]
pub(crate) fn tls_acceptor(
    _cert: &std::path::Path,
    _key: &std::path::Path,
) -> Result<TlsAcceptor, ServeError> {
    Err(ServeError::Tls(
        "this build of Sift has no TLS support (feature `tls`)".into(),
    ))
}

/// A TLS acceptor for a PEM certificate chain and private key.
#[cfg(feature = "tls")]
pub(crate) fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> Result<TlsAcceptor, ServeError> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &std::path::Path, why: String| ServeError::Tls(format!("{}: {why}", path.display()));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(bad(cert, "no PEM certificate in the file".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| ServeError::Tls(format!("the certificate and key do not make a TLS identity: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves `router` on `listener` until `shutdown` completes.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    let (closing_tx, closing_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _peer)) => stream,
                // Out of file descriptors, a connection reset before accept: wait, go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small answers go out at once (no Nagle delay); failure to set it is harmless.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let closing = closing_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => connection(stream, router, limits, closing).await,
                #[cfg(feature = "tls")]
                Some(acceptor) => {
                    let handshake = tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        connection(stream, router, limits, closing).await;
                    }
                }
                #[cfg(not(feature = "tls"))]
                Some(never) => match never {},
            }
        });
    }
    drop(listener);
    // Nobody may be listening any more; that is fine.
    let _ = closing_tx.send(true);
    let _ = tokio::time::timeout(DRAIN, slots.acquire_many(max as u32)).await;
    Ok(())
}

/// One HTTP/1.1 connection, closed when its request head is late or the server is closing.
async fn connection<S>(stream: S, router: Router, limits: Limits, mut closing: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
    tokio::pin!(conn);
    tokio::select! {
        // A connection error (a reset, a malformed or late request) ends that connection only.
        _ = conn.as_mut() => {}
        _ = closing.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
