//! A small HTTP/1.1 server for the demo services: an accept loop over hyper's server conn,
//! keep-alive on, stopped through a watch channel.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The body type every demo handler returns.
pub(crate) type DemoBody = BoxBody<Bytes, Infallible>;

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response<DemoBody> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An empty response.
pub(crate) fn empty(status: StatusCode) -> Response<DemoBody> {
    let mut response = Response::new(Full::new(Bytes::new()).boxed());
    *response.status_mut() = status;
    response
}

/// Reads a request body as JSON; the error is a ready 400 response.
pub(crate) async fn read_json(request: Request<Incoming>) -> Result<(hyper::http::request::Parts, serde_json::Value), Response<DemoBody>> {
    let (parts, body) = request.into_parts();
    let bytes = body
        .collect()
        .await
        .map_err(|err| {
            json(
                StatusCode::BAD_REQUEST,
                &serde_json::json!({"error": {"message": format!("cannot read body: {err}")}}),
            )
        })?
        .to_bytes();
    let value = serde_json::from_slice(&bytes).map_err(|err| {
        json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"error": {"message": format!("body is not valid JSON: {err}"), "type": "invalid_request_error"}}),
        )
    })?;
    Ok((parts, value))
}

/// Serves `handler` on `listener` until `shutdown` turns true.
pub(crate) async fn serve<H, F>(listener: TcpListener, handler: Arc<H>, mut shutdown: watch::Receiver<bool>)
where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<DemoBody>> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handler(request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = conn_shutdown.changed() => connection.as_mut().graceful_shutdown(),
            }
        });
    }
}

/// Binds a listener, naming the address in the error.
pub(crate) async fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .map_err(|err| std::io::Error::new(err.kind(), format!("cannot listen on {address}: {err}")))
}
