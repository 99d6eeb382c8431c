//! The engine's HTTP/1.1 request path: hyper's `client::conn`, one keep-alive connection per
//! virtual user (oha's design). Connect time is measured apart from request time, and a
//! response body is buffered only when a check needs it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::engine::recorder::FailureKind;
use crate::preset::compile::{BaseUrl, Scheme};

/// Where a scenario's connections go.
#[derive(Clone)]
pub struct Endpoint {
    host: String,
    port: u16,
    tls: Option<(tokio_rustls::TlsConnector, rustls::pki_types::ServerName<'static>)>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint({}:{}, tls: {})", self.host, self.port, self.tls.is_some())
    }
}

impl Endpoint {
    /// The endpoint of a base URL; https gets a rustls client with the web PKI roots.
    pub fn new(base: &BaseUrl) -> Result<Endpoint, String> {
        let tls = match base.scheme {
            Scheme::Http => None,
            Scheme::Https => {
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                let mut config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|err| format!("TLS setup failed: {err}"))?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                let name = rustls::pki_types::ServerName::try_from(base.host.clone())
                    .map_err(|err| format!("{:?} is not a valid TLS server name: {err}", base.host))?;
                Some((tokio_rustls::TlsConnector::from(Arc::new(config)), name))
            }
        };
        Ok(Endpoint {
            host: base.host.clone(),
            port: base.port,
            tls,
        })
    }
}

/// One keep-alive connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
}

/// A failed exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl ExchangeFailure {
    fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        ExchangeFailure {
            kind,
            message: message.into(),
        }
    }
}

/// What came back from one request.
pub struct Response {
    pub status: u16,
    pub bytes_received: u64,
    /// The body, when the caller asked for it.
    pub body: Option<Vec<u8>>,
}

/// Timing and result of one exchange.
pub struct Exchange {
    /// Time to open a new connection; None when a kept-alive one was reused.
    pub connect_micros: Option<u64>,
    /// When the request was handed to the connection (after any connect).
    pub sent_at: Instant,
    /// When the last byte of the body arrived (or the failure happened).
    pub done_at: Instant,
    pub result: Result<Response, ExchangeFailure>,
}

/// Opens a connection (TCP, then TLS for https) and starts its driver task.
pub async fn connect(endpoint: &Endpoint) -> Result<Connection, ExchangeFailure> {
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await.map_err(|err| {
        ExchangeFailure::new(
            FailureKind::Connect,
            format!("connect to {}:{}: {err}", endpoint.host, endpoint.port),
        )
    })?;
    let _ = stream.set_nodelay(true);
    let sender = match &endpoint.tls {
        None => {
            let (sender, connection) = http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|err| ExchangeFailure::new(FailureKind::Connect, format!("HTTP handshake: {err}")))?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            sender
        }
        Some((connector, name)) => {
            let tls = connector
                .connect(name.clone(), stream)
                .await
                .map_err(|err| ExchangeFailure::new(FailureKind::Connect, format!("TLS handshake with {}: {err}", endpoint.host)))?;
            let (sender, connection) = http1::handshake(TokioIo::new(tls))
                .await
                .map_err(|err| ExchangeFailure::new(FailureKind::Connect, format!("HTTP handshake: {err}")))?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            sender
        }
    };
    Ok(Connection { sender })
}

/// Sends one request on `slot`'s connection (opening one when there is none or it closed),
/// reads the whole response, and leaves the connection in `slot` for the next request when it
/// can be reused. The whole exchange is bounded by `timeout`.
pub async fn exchange(
    endpoint: &Endpoint,
    slot: &mut Option<Connection>,
    request: Request<Full<Bytes>>,
    keep_body: bool,
    timeout: Duration,
) -> Exchange {
    let started = Instant::now();
    let mut connect_micros = None;
    let mut sent_at = started;
    let work = async {
        if slot.as_ref().is_none_or(|connection| connection.sender.is_closed()) {
            *slot = None;
            let connect_started = Instant::now();
            let connection = connect(endpoint).await?;
            connect_micros = Some(connect_started.elapsed().as_micros() as u64);
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(ExchangeFailure::new(FailureKind::Other, "no connection"));
        };
        sent_at = Instant::now();
        let response = connection
            .sender
            .send_request(request)
            .await
            .map_err(|err| ExchangeFailure::new(FailureKind::Other, describe_hyper_error(&err)))?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut bytes_received = 0u64;
        let mut kept = keep_body.then(Vec::new);
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|err| ExchangeFailure::new(FailureKind::Other, format!("reading body: {}", describe_hyper_error(&err))))?;
            if let Some(data) = frame.data_ref() {
                bytes_received += data.len() as u64;
                if let Some(kept) = kept.as_mut() {
                    kept.extend_from_slice(data);
                }
            }
        }
        Ok(Response {
            status,
            bytes_received,
            body: kept,
        })
    };
    let result = match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(ExchangeFailure::new(
            FailureKind::Timeout,
            format!("no complete response within {}", crate::preset::duration::format_duration(timeout)),
        )),
    };
    if result.is_err() {
        // A failed or timed-out exchange leaves the connection in an unknown state.
        *slot = None;
    }
    Exchange {
        connect_micros,
        sent_at,
        done_at: Instant::now(),
        result,
    }
}

fn describe_hyper_error(err: &hyper::Error) -> String {
    use std::error::Error as _;
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
