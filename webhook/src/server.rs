//! HTTPS serving: the router, the TLS listener and certificate reloading.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::task::JoinHandle;

/// Body of `/readyz` until an image-scan cache exists and has synced.
pub const NOT_SYNCED: &str = "not ready: the image-scan cache has not synced\n";

/// Errors from loading TLS material or running the HTTPS server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The certificate file could not be read.
    #[error("cannot read TLS certificate file {}", path.display())]
    ReadCert {
        /// The certificate file.
        path: PathBuf,
        /// Why reading failed.
        source: io::Error,
    },
    /// The private key file could not be read.
    #[error("cannot read TLS private key file {}", path.display())]
    ReadKey {
        /// The key file.
        path: PathBuf,
        /// Why reading failed.
        source: io::Error,
    },
    /// The files were read but do not hold a usable certificate chain and key.
    #[error("cannot use TLS certificate {} with key {}", cert.display(), key.display())]
    InvalidTls {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls or the PEM parser rejected.
        source: io::Error,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// Why binding failed.
        source: io::Error,
    },
    /// The server stopped with an I/O error after it was listening.
    #[error("HTTPS server failed")]
    Serve(#[source] io::Error),
    /// The server task panicked or was cancelled.
    #[error("HTTPS server task ended abnormally")]
    Task(#[from] tokio::task::JoinError),
}

impl ServerError {
    /// True when the error comes from the certificate or key the operator supplied.
    pub fn is_tls_input(&self) -> bool {
        matches!(
            self,
            Self::ReadCert { .. } | Self::ReadKey { .. } | Self::InvalidTls { .. }
        )
    }
}

/// The routes the webhook serves.
pub fn router() -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz() -> (StatusCode, &'static str) {
    // A webhook that reports ready with an empty cache denies (or admits) every
    // image it has never heard of; no cache exists yet, so it can never be synced.
    (StatusCode::SERVICE_UNAVAILABLE, NOT_SYNCED)
}

/// The PEM certificate chain and private key the server presents.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// What identifies one version of the files on disk, to notice rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    cert: (SystemTime, u64),
    key: (SystemTime, u64),
}

impl TlsFiles {
    async fn stamp(&self) -> io::Result<Stamp> {
        async fn one(path: &Path) -> io::Result<(SystemTime, u64)> {
            // metadata follows symlinks, so the atomic `..data` swap of a
            // Kubernetes secret volume shows up as a new mtime here.
            let meta = tokio::fs::metadata(path).await?;
            Ok((meta.modified()?, meta.len()))
        }
        Ok(Stamp {
            cert: one(&self.cert).await?,
            key: one(&self.key).await?,
        })
    }

    async fn read(&self) -> Result<(Vec<u8>, Vec<u8>), ServerError> {
        let cert = tokio::fs::read(&self.cert)
            .await
            .map_err(|source| ServerError::ReadCert {
                path: self.cert.clone(),
                source,
            })?;
        let key = tokio::fs::read(&self.key)
            .await
            .map_err(|source| ServerError::ReadKey {
                path: self.key.clone(),
                source,
            })?;
        Ok((cert, key))
    }

    fn invalid(&self, source: io::Error) -> ServerError {
        ServerError::InvalidTls {
            cert: self.cert.clone(),
            key: self.key.clone(),
            source,
        }
    }
}

/// TLS configuration loaded from files, able to follow their rotation.
#[derive(Debug)]
pub struct Tls {
    files: TlsFiles,
    config: RustlsConfig,
    loaded: Option<Stamp>,
}

impl Tls {
    /// Reads and validates the certificate and key.
    ///
    /// The files are read here rather than by `RustlsConfig::from_pem_file` so
    /// that an error says which of the two files is missing or unreadable.
    /// Protocol versions are rustls' safe defaults, TLS 1.3 and 1.2; rustls has
    /// no older versions at all.
    pub async fn load(files: TlsFiles) -> Result<Self, ServerError> {
        // Stamped before reading: a rotation racing with this read then looks
        // like a change and is picked up by the next poll instead of being lost.
        let loaded = files.stamp().await.ok();
        let (cert, key) = files.read().await?;
        let config = RustlsConfig::from_pem(cert, key)
            .await
            .map_err(|e| files.invalid(e))?;
        Ok(Self {
            files,
            config,
            loaded,
        })
    }

    /// The live configuration; reloads are visible through every clone.
    pub fn config(&self) -> RustlsConfig {
        self.config.clone()
    }

    /// Polls the files every `every` and swaps in the new certificate when they change.
    ///
    /// A failed reload is logged and the previous certificate stays in use, so a
    /// half-written rotation never takes the webhook down; it is retried on the
    /// next poll because the stamp is only advanced on success.
    pub fn spawn_reload(self, every: Duration) -> JoinHandle<()> {
        let Self {
            files,
            config,
            mut loaded,
        } = self;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first tick completes at once; the files were just loaded.
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let now = match files.stamp().await {
                    Ok(now) => now,
                    Err(e) => {
                        tracing::warn!(
                            cert = %files.cert.display(),
                            key = %files.key.display(),
                            error = %e,
                            "cannot stat TLS files; keeping the current certificate"
                        );
                        continue;
                    }
                };
                if loaded == Some(now) {
                    continue;
                }
                match reload(&files, &config).await {
                    Ok(()) => {
                        loaded = Some(now);
                        tracing::info!(cert = %files.cert.display(), "reloaded TLS certificate");
                    }
                    Err(e) => tracing::error!(
                        error = %Chain(&e),
                        "TLS certificate reload failed; keeping the current certificate"
                    ),
                }
            }
        })
    }
}

async fn reload(files: &TlsFiles, config: &RustlsConfig) -> Result<(), ServerError> {
    let (cert, key) = files.read().await?;
    config
        .reload_from_pem(cert, key)
        .await
        .map_err(|e| files.invalid(e))
}

/// Renders an error with its sources, `outer: inner: …`, for one log field.
struct Chain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

/// A server that is listening; dropping it does not stop it.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    handle: Handle<SocketAddr>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Running {
    /// The bound address (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and lets open connections finish for up to `grace`.
    pub fn shutdown(&self, grace: Duration) {
        self.handle.graceful_shutdown(Some(grace));
    }

    /// Waits until the server has stopped; cancel-safe, and `Ok` once the outcome was reported.
    pub async fn wait(&mut self) -> Result<(), ServerError> {
        let Some(task) = self.task.as_mut() else {
            return Ok(());
        };
        let outcome = task.await;
        // A finished JoinHandle panics if polled again.
        self.task = None;
        outcome?.map_err(ServerError::Serve)
    }
}

/// Binds `listen`, starts serving [`router`] over TLS, and returns once listening.
pub async fn start(listen: SocketAddr, tls: RustlsConfig) -> Result<Running, ServerError> {
    let handle = Handle::<SocketAddr>::new();
    let server = axum_server::bind_rustls(listen, tls).handle(handle.clone());
    let task = tokio::spawn(server.serve(router().into_make_service()));
    match handle.listening().await {
        Some(addr) => Ok(Running {
            addr,
            handle,
            task: Some(task),
        }),
        // `listening` yields nothing only when binding failed; the task holds why.
        None => {
            let source = match task.await? {
                Err(e) => e,
                Ok(()) => io::Error::other("server stopped before listening"),
            };
            Err(ServerError::Bind {
                addr: listen,
                source,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::pki_types::{CertificateDer, ServerName};
    use rustls::{ProtocolVersion, RootCertStore, SupportedProtocolVersion};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    struct Ca(CertifiedIssuer<'static, KeyPair>);

    impl Ca {
        fn new() -> Self {
            let mut params = CertificateParams::new(Vec::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            Self(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
        }

        fn roots(&self) -> RootCertStore {
            let mut roots = RootCertStore::empty();
            roots.add(self.0.der().clone()).unwrap();
            roots
        }

        /// A `localhost` leaf as (certificate PEM, key PEM, certificate DER).
        fn leaf(&self) -> (String, String, CertificateDer<'static>) {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(vec!["localhost".to_owned()])
                .unwrap()
                .signed_by(&key, &self.0)
                .unwrap();
            (cert.pem(), key.serialize_pem(), cert.der().clone())
        }
    }

    struct Reply {
        status: u16,
        body: String,
        version: ProtocolVersion,
        peer: CertificateDer<'static>,
    }

    fn install_provider() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }

    async fn get(
        addr: SocketAddr,
        roots: RootCertStore,
        versions: &[&'static SupportedProtocolVersion],
        path: &str,
    ) -> Reply {
        let config = rustls::ClientConfig::builder_with_protocol_versions(versions)
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        let (_, conn) = tls.get_ref();
        let version = conn.protocol_version().unwrap();
        let peer = conn.peer_certificates().unwrap()[0].clone();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        tls.read_to_end(&mut raw).await.unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        Reply {
            status,
            body: body.to_owned(),
            version,
            peer,
        }
    }

    fn write_pair(dir: &Path, cert: &str, key: &str) -> TlsFiles {
        let files = TlsFiles {
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
        };
        std::fs::write(&files.cert, cert).unwrap();
        std::fs::write(&files.key, key).unwrap();
        files
    }

    fn localhost() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    #[tokio::test]
    async fn health_and_readiness_over_tls() {
        install_provider();
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::new();
        let (cert, key, _) = ca.leaf();
        let tls = Tls::load(write_pair(dir.path(), &cert, &key))
            .await
            .unwrap();
        let mut running = start(localhost(), tls.config()).await.unwrap();
        let addr = running.local_addr();
        assert_ne!(addr.port(), 0);

        let health = get(addr, ca.roots(), rustls::DEFAULT_VERSIONS, "/healthz").await;
        assert_eq!((health.status, health.body.as_str()), (200, "ok"));
        let ready = get(addr, ca.roots(), rustls::DEFAULT_VERSIONS, "/readyz").await;
        assert_eq!((ready.status, ready.body.as_str()), (503, NOT_SYNCED));
        let unknown = get(addr, ca.roots(), rustls::DEFAULT_VERSIONS, "/validate").await;
        assert_eq!(unknown.status, 404);

        running.shutdown(Duration::from_secs(1));
        running.wait().await.unwrap();
    }

    #[tokio::test]
    async fn accepts_tls12_and_tls13() {
        install_provider();
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::new();
        let (cert, key, _) = ca.leaf();
        let tls = Tls::load(write_pair(dir.path(), &cert, &key))
            .await
            .unwrap();
        let running = start(localhost(), tls.config()).await.unwrap();
        let addr = running.local_addr();

        let v12 = get(addr, ca.roots(), &[&rustls::version::TLS12], "/healthz").await;
        assert_eq!((v12.version, v12.status), (ProtocolVersion::TLSv1_2, 200));
        let v13 = get(addr, ca.roots(), &[&rustls::version::TLS13], "/healthz").await;
        assert_eq!((v13.version, v13.status), (ProtocolVersion::TLSv1_3, 200));
        running.shutdown(Duration::ZERO);
    }

    #[tokio::test]
    async fn missing_cert_file_is_named() {
        install_provider();
        let dir = tempfile::tempdir().unwrap();
        let (_, key, _) = Ca::new().leaf();
        let files = write_pair(dir.path(), "", &key);
        std::fs::remove_file(&files.cert).unwrap();

        let err = Tls::load(files.clone()).await.unwrap_err();
        assert!(matches!(err, ServerError::ReadCert { .. }), "{err:?}");
        assert!(err.is_tls_input());
        assert!(
            err.to_string().contains(&files.cert.display().to_string()),
            "{err}"
        );
    }

    #[tokio::test]
    async fn missing_key_file_is_named() {
        install_provider();
        let dir = tempfile::tempdir().unwrap();
        let (cert, _, _) = Ca::new().leaf();
        let files = write_pair(dir.path(), &cert, "");
        std::fs::remove_file(&files.key).unwrap();

        let err = Tls::load(files.clone()).await.unwrap_err();
        assert!(matches!(err, ServerError::ReadKey { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&files.key.display().to_string()),
            "{err}"
        );
    }

    #[tokio::test]
    async fn unparsable_cert_names_both_files() {
        install_provider();
        let dir = tempfile::tempdir().unwrap();
        let (_, key, _) = Ca::new().leaf();
        let files = write_pair(dir.path(), "not a certificate\n", &key);

        let err = Tls::load(files.clone()).await.unwrap_err();
        assert!(matches!(err, ServerError::InvalidTls { .. }), "{err:?}");
        assert!(err.is_tls_input());
        let msg = err.to_string();
        assert!(msg.contains(&files.cert.display().to_string()), "{msg}");
        assert!(msg.contains(&files.key.display().to_string()), "{msg}");
    }

    #[tokio::test]
    async fn bind_failure_names_the_address() {
        install_provider();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, _) = Ca::new().leaf();
        let tls = Tls::load(write_pair(dir.path(), &cert, &key))
            .await
            .unwrap();
        let taken = std::net::TcpListener::bind(localhost()).unwrap();
        let addr = taken.local_addr().unwrap();

        let err = start(addr, tls.config()).await.unwrap_err();
        assert!(matches!(err, ServerError::Bind { .. }), "{err:?}");
        assert!(!err.is_tls_input());
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }

    /// Polls until the server presents `want`, or gives up after a few seconds.
    async fn wait_for_peer(addr: SocketAddr, roots: &RootCertStore, want: &CertificateDer<'_>) {
        for _ in 0..100 {
            if get(addr, roots.clone(), rustls::DEFAULT_VERSIONS, "/healthz")
                .await
                .peer
                == *want
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server never presented the rotated certificate");
    }

    #[tokio::test]
    async fn reload_follows_rotation_and_survives_bad_files() {
        install_provider();
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::new();
        let roots = ca.roots();
        let (cert_a, key_a, der_a) = ca.leaf();
        let files = write_pair(dir.path(), &cert_a, &key_a);
        let tls = Tls::load(files.clone()).await.unwrap();
        let running = start(localhost(), tls.config()).await.unwrap();
        let addr = running.local_addr();
        let reload = tls.spawn_reload(Duration::from_millis(20));

        // A broken rotation (garbage certificate, then a missing key) must not
        // replace the working certificate.
        std::fs::write(&files.cert, "garbage\n").unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        std::fs::remove_file(&files.key).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let still = get(addr, roots.clone(), rustls::DEFAULT_VERSIONS, "/healthz").await;
        assert_eq!((still.status, &still.peer), (200, &der_a));

        let (cert_b, key_b, der_b) = ca.leaf();
        write_pair(dir.path(), &cert_b, &key_b);
        wait_for_peer(addr, &roots, &der_b).await;

        reload.abort();
        running.shutdown(Duration::ZERO);
    }
}
