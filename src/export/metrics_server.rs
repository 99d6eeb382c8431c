//! The `/metrics` endpoint: a thread of its own with a current-thread runtime serving HTTP/1.1,
//! so neither the engine nor the window waits on a scraper. It stays up after the run ends until
//! a scraper that was reading it has read the final numbers once.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use super::metrics::RunMetrics;

/// Prometheus's classic text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// When the endpoint was read.
#[derive(Debug, Default)]
struct Scrapes {
    count: u64,
    last: Option<Instant>,
    /// The longest gap between two reads: the scraper's interval, as seen from here.
    longest_gap: Duration,
    /// Reads since the run's final numbers were in.
    since_finished: u64,
}

/// A running `/metrics` endpoint.
pub(crate) struct MetricsServer {
    address: SocketAddr,
    metrics: RunMetrics,
    scrapes: Arc<(Mutex<Scrapes>, Condvar)>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Why `/metrics` cannot be served where the preset or the command line asks.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MetricsServerError {
    #[error("metrics address {address}: cannot listen there ({source}); pick a free port, e.g. --metrics-addr 127.0.0.1:9464")]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error("metrics address {address}: {source}")]
    Socket { address: SocketAddr, source: std::io::Error },
    #[error("metrics address {address}: cannot start its thread: {source}")]
    Thread { address: SocketAddr, source: std::io::Error },
}

impl MetricsServer {
    /// Listens on `address` at once (so a taken port is reported before a run starts) and
    /// serves `metrics` at `/metrics` from a thread of its own.
    pub(crate) fn start(address: SocketAddr, metrics: RunMetrics) -> Result<MetricsServer, MetricsServerError> {
        let listener = std::net::TcpListener::bind(address).map_err(|source| MetricsServerError::Listen { address, source })?;
        let address = listener.local_addr().unwrap_or(address);
        listener
            .set_nonblocking(true)
            .map_err(|source| MetricsServerError::Socket { address, source })?;
        let scrapes = Arc::new((Mutex::new(Scrapes::default()), Condvar::new()));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let thread = {
            let (metrics, scrapes) = (metrics.clone(), scrapes.clone());
            std::thread::Builder::new()
                .name("loadscope-metrics".into())
                .spawn(move || serve(listener, metrics, scrapes, shutdown_rx))
                .map_err(|source| MetricsServerError::Thread { address, source })?
        };
        Ok(MetricsServer {
            address,
            metrics,
            scrapes,
            shutdown,
            thread: Some(thread),
        })
    }

    /// Where it listens (the port chosen when asked for port 0).
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// The metrics it serves (feed them the engine's events).
    pub(crate) fn metrics(&self) -> RunMetrics {
        self.metrics.clone()
    }

    /// How long [`Self::wait_for_final_scrape`] would wait at most, or None when it would not
    /// wait (nothing scraped the run, or the final numbers were already read).
    pub(crate) fn final_scrape_wait_bound(&self, limit: Duration) -> Option<Duration> {
        let (lock, _) = &*self.scrapes;
        let scrapes = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        (scrapes.count > 0 && self.metrics.finished() && scrapes.since_finished == 0)
            .then(|| (scrapes.longest_gap.max(Duration::from_secs(1)) * 2).min(limit))
    }

    /// After the run: when something has been scraping, waits until it has read the final
    /// numbers once, for at most twice its interval (and never longer than `limit`). Returns
    /// whether the final numbers were read.
    pub(crate) fn wait_for_final_scrape(&self, limit: Duration) -> bool {
        let (lock, changed) = &*self.scrapes;
        let mut scrapes = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if scrapes.count == 0 || !self.metrics.finished() {
            return false;
        }
        let deadline = Instant::now() + (scrapes.longest_gap.max(Duration::from_secs(1)) * 2).min(limit);
        while scrapes.since_finished == 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            scrapes = changed
                .wait_timeout(scrapes, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    listener: std::net::TcpListener,
    metrics: RunMetrics,
    scrapes: Arc<(Mutex<Scrapes>, Condvar)>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return;
    };
    runtime.block_on(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.changed() => break,
            };
            let Ok((stream, _)) = accepted else { continue };
            let (metrics, scrapes) = (metrics.clone(), scrapes.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let response = respond(&request, &metrics, &scrapes);
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

fn respond(request: &Request<hyper::body::Incoming>, metrics: &RunMetrics, scrapes: &(Mutex<Scrapes>, Condvar)) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, content_type: &str, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        if let Ok(value) = content_type.parse() {
            response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
        }
        response
    };
    match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, "/metrics") => {
            let finished = metrics.finished();
            let body = metrics.encode();
            let (lock, changed) = scrapes;
            let mut scrapes = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            if let Some(last) = scrapes.last {
                scrapes.longest_gap = scrapes.longest_gap.max(now - last);
            }
            scrapes.last = Some(now);
            scrapes.count += 1;
            if finished {
                scrapes.since_finished += 1;
            }
            changed.notify_all();
            reply(StatusCode::OK, CONTENT_TYPE, body)
        }
        (_, "/metrics") => reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "GET /metrics\n".into()),
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "Loadscope serves its live metrics at /metrics (Prometheus text format).\n".into(),
        ),
    }
}
