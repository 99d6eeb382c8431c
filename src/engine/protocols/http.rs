//! The engine's HTTP/1.1 request path: one keep-alive connection per virtual user, requests
//! written from pre-serialized bytes, responses parsed with `httparse` (hyper's parser) in the
//! user's own task.
//!
//! Why not hyper's `client::conn` (DESIGN.md's choice): measured here, each hyper connection
//! holds about 17 KiB it never gives back (a 32-slot dispatch channel block and an 8 KiB write
//! buffer) plus a second task, so 10,000 users cost 250 MB and the 50-user loop reached only
//! 0.78x wrk. This path keeps no per-connection buffer between requests when a user thinks,
//! needs no second task, and writes a static request with one syscall.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::engine::outcome::{Failure, FailureKind};
use crate::format;
use crate::preset::compiled::{BaseUrl, Scheme};

/// Response headers parsed on the stack; a head with more is parsed again with room for
/// [`MAX_HEADERS`].
const USUAL_HEADERS: usize = 48;
/// Most response headers accepted (nginx's default large header buffers hold about as many).
pub(crate) const MAX_HEADERS: usize = 256;
/// Largest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Bytes asked of the socket per read.
const READ_CHUNK_BYTES: usize = 8 * 1024;
/// A kept-alive connection idle longer than this is checked before a request goes on it (a
/// server closes idle connections on its own timer). One busy with back-to-back requests is
/// not: the check would cost a poll per request, and a server that closes a connection it has
/// just answered on says so with `Connection: close`.
const CHECK_IDLE_AFTER: Duration = Duration::from_millis(5);

/// Where a scenario's connections go.
#[derive(Clone)]
pub struct Endpoint {
    host: String,
    port: u16,
    tls: Option<(tokio_rustls::TlsConnector, rustls::pki_types::ServerName<'static>)>,
    /// The trust a redirect to another origin is opened with: the same roots and verification.
    extra_roots: Arc<[rustls::pki_types::CertificateDer<'static>]>,
    tls_verify: bool,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint({}:{}, tls: {})", self.host, self.port, self.tls.is_some())
    }
}

impl Endpoint {
    /// The endpoint of a base URL; https gets a rustls client with the web PKI roots plus the
    /// service's ca_file certificates (see [`super::tls`]), verifying or not.
    pub fn new(
        base: &BaseUrl,
        extra_roots: &[rustls::pki_types::CertificateDer<'static>],
        tls_verify: bool,
    ) -> Result<Endpoint, super::ProtocolError> {
        let tls = match base.scheme {
            Scheme::Http => None,
            Scheme::Https => {
                let config = super::tls::client_config(extra_roots, tls_verify)?;
                let name = rustls::pki_types::ServerName::try_from(base.host.clone()).map_err(|err| super::ProtocolError::TlsName {
                    host: base.host.clone(),
                    why: err.to_string(),
                })?;
                Some((tokio_rustls::TlsConnector::from(Arc::new(config)), name))
            }
        };
        Ok(Endpoint {
            host: base.host.clone(),
            port: base.port,
            tls,
            extra_roots: extra_roots.to_vec().into(),
            tls_verify,
        })
    }

    /// Where this endpoint's requests go.
    pub(crate) fn origin(&self) -> super::redirect::Origin {
        super::redirect::Origin {
            scheme: if self.tls.is_some() { Scheme::Https } else { Scheme::Http },
            host: self.host.clone(),
            port: self.port,
        }
    }

    /// An endpoint for another origin (a redirect's), trusting what this one trusts.
    pub(crate) fn for_origin(&self, origin: &super::redirect::Origin) -> Result<Endpoint, super::ProtocolError> {
        let base = BaseUrl {
            scheme: origin.scheme,
            host: origin.host.clone(),
            port: origin.port,
            path_prefix: String::new(),
            text: origin.to_string(),
            credentials: None,
        };
        Endpoint::new(&base, &self.extra_roots, self.tls_verify)
    }
}

enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// One keep-alive connection and the bytes read from it but not yet used.
pub(crate) struct Connection {
    io: Io,
    buffer: Vec<u8>,
    /// When its last exchange ended.
    idle_since: Instant,
}

impl Connection {
    /// Whether an idle connection can still carry a request, checked without waiting, as
    /// urllib3 does: a readable socket with nothing asked of it has either been closed by the
    /// server (end of file, reset) or holds bytes no request asked for; both mean it is dead.
    /// tokio remembers the socket's readiness, so a quiet socket costs no system call here.
    fn is_alive(&mut self) -> bool {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let mut probe = [0u8; 1];
        let mut probe = tokio::io::ReadBuf::new(&mut probe);
        let polled = match &mut self.io {
            Io::Plain(stream) => stream.poll_peek(&mut context, &mut probe).map_ok(|_| ()),
            // Through TLS, so that records the server may send unasked (session tickets) are
            // taken in and only application data or a close counts.
            Io::Tls(stream) => std::pin::Pin::new(&mut **stream).poll_read(&mut context, &mut probe),
        };
        polled.is_pending()
    }

    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.io {
            Io::Plain(stream) => stream.write_all(bytes).await,
            Io::Tls(stream) => {
                stream.write_all(bytes).await?;
                stream.flush().await
            }
        }
    }

    /// Reads more bytes into the buffer; 0 means the peer closed.
    async fn read_more(&mut self) -> std::io::Result<usize> {
        self.buffer.reserve(READ_CHUNK_BYTES);
        match &mut self.io {
            Io::Plain(stream) => stream.read_buf(&mut self.buffer).await,
            Io::Tls(stream) => stream.read_buf(&mut self.buffer).await,
        }
    }

    /// Gives back the read buffer (a user about to think holds no memory for it).
    pub(crate) fn release_buffer(&mut self) {
        if self.buffer.is_empty() {
            self.buffer = Vec::new();
        }
    }
}

/// A failure while reading an exchange's bytes.
fn io_failure(context: &str, err: &std::io::Error) -> Failure {
    Failure::new(FailureKind::Other, format!("{context}: {}", describe_io(err)))
}

fn describe_io(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::ConnectionReset => "connection reset by the server".into(),
        std::io::ErrorKind::BrokenPipe => "the server closed the connection".into(),
        std::io::ErrorKind::UnexpectedEof => "the server closed the connection mid-response".into(),
        _ => err.to_string(),
    }
}

/// What came back from one request.
pub(crate) struct Response {
    pub status: u16,
    pub bytes_received: u64,
    /// The body, when the caller asked for it (up to the limit it gave).
    pub body: Option<Vec<u8>>,
    /// The body was longer than the limit: `body` holds only its start.
    pub body_cut: bool,
    /// Headers protocols read, kept along with the body.
    pub headers: Option<Box<KeptHeaders>>,
    /// The response carried Retry-After (a 503 with it signals a concurrency limit).
    pub retry_after: bool,
    /// A redirect the caller asked to follow: its Location (the body was read, not kept).
    pub redirect_to: Option<String>,
    /// The body's Content-Encoding (gzip, br...), when it has one.
    pub content_encoding: Option<String>,
}

/// The few response headers the protocols above HTTP need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeptHeaders {
    pub content_type: Option<String>,
    pub mcp_session_id: Option<String>,
    pub retry_after: Option<String>,
}

/// What an exchange did beyond sending its request once on the connection it found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Resend {
    /// The kept-alive connection was found closed (checked before sending, or the write
    /// failed), so the request went on a new one. Nothing had reached the server.
    pub reconnected: bool,
    /// The request was written, nothing came back before the server closed the connection,
    /// and it was sent again on a new connection. Only idempotent methods are (RFC 9110
    /// §9.2.2), once.
    pub retried: bool,
    /// Redirects followed to the final response (see [`exchange_following`]).
    pub redirects: u32,
}

/// Timing and result of one exchange.
pub(crate) struct Exchange {
    /// Time to open a new connection; None when a kept-alive one was reused.
    pub connect_micros: Option<u64>,
    /// When the request was first handed to a connection (after any connect); a retry is timed
    /// from here too.
    pub sent_at: Instant,
    pub resend: Resend,
    /// When the last byte of the body arrived (or the failure happened).
    pub done_at: Instant,
    pub result: Result<Response, Failure>,
}

/// Opens a connection (TCP, then TLS for https).
pub(crate) async fn connect(endpoint: &Endpoint) -> Result<Connection, Failure> {
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await.map_err(|err| {
        // Out of descriptors or local ports: the load generator's limit, not the service's.
        let generator = matches!(err.raw_os_error(), Some(code) if is_generator_limit(code));
        let kind = if generator { FailureKind::Generator } else { FailureKind::Connect };
        let advice = if generator {
            " (the load generator ran out of file descriptors or local ports: raise `ulimit -n`, use fewer users per machine, or spread them over machines)"
        } else {
            ""
        };
        Failure::new(kind, format!("connect to {}:{}: {err}{advice}", endpoint.host, endpoint.port))
    })?;
    let _ = stream.set_nodelay(true);
    let io = match &endpoint.tls {
        None => Io::Plain(stream),
        Some((connector, name)) => Io::Tls(Box::new(connector.connect(name.clone(), stream).await.map_err(|err| {
            let fixes = if err.to_string().contains("certificate") {
                super::tls::TLS_FIXES
            } else {
                ""
            };
            Failure::new(FailureKind::Connect, format!("TLS handshake with {}: {err}{fixes}", endpoint.host))
        })?)),
    };
    Ok(Connection {
        io,
        buffer: Vec::new(),
        idle_since: Instant::now(),
    })
}

/// EMFILE, ENFILE (no file descriptors) and EADDRNOTAVAIL (no local port) on this platform.
fn is_generator_limit(code: i32) -> bool {
    #[cfg(unix)]
    {
        code == libc::EMFILE || code == libc::ENFILE || code == libc::EADDRNOTAVAIL
    }
    #[cfg(windows)]
    {
        // WSAEMFILE, WSAENOBUFS, WSAEADDRNOTAVAIL.
        code == 10024 || code == 10055 || code == 10049
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = code;
        false
    }
}

/// Sends one serialized request on `slot`'s connection (opening one when there is none),
/// reads the whole response, and leaves the connection in `slot` when it can be reused. The
/// whole exchange is bounded by `timeout`.
///
/// A request is sent once (DESIGN.md, measurement rules). A kept-alive connection idle for a
/// while is checked before the request goes on it, and one found closed is replaced. A request
/// that was written and drew no reply byte before the server closed the connection fails as
/// `closed`: the server may have read it and acted on it. Only an idempotent method (GET, HEAD,
/// OPTIONS, TRACE, PUT, DELETE) on a reused connection is sent once more on a new connection,
/// as Go's net/http does, and timed from the first send.
pub(crate) async fn exchange(
    endpoint: &Endpoint,
    slot: &mut Option<Connection>,
    request: &[u8],
    head_request: bool,
    keep_body: Option<usize>,
    timeout: Duration,
    on_data: &mut dyn FnMut(&[u8], Instant),
) -> Exchange {
    exchange_hop(endpoint, slot, request, head_request, keep_body, timeout, on_data, false).await
}

/// Like [`exchange`], following redirects (301, 302, 303, 307, 308) up to
/// [`super::redirect::MAX_REDIRECTS`] when `follow` is set: every hop is in the request's time,
/// the response is the last hop's, and `redirects` counts the hops. Hops to the endpoint's own
/// origin go on the user's connection; a hop elsewhere opens a connection of its own and
/// carries none of the task's credentials or own headers (see [`super::redirect`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn exchange_following(
    endpoint: &Endpoint,
    slot: &mut Option<Connection>,
    request: &[u8],
    head_request: bool,
    keep_body: Option<usize>,
    timeout: Duration,
    on_data: &mut dyn FnMut(&[u8], Instant),
    follow: bool,
) -> Exchange {
    let started = Instant::now();
    let mut first = exchange_hop(endpoint, slot, request, head_request, keep_body, timeout, on_data, follow).await;
    if first.result.as_ref().is_ok_and(|response| response.redirect_to.is_none()) || first.result.is_err() {
        // The usual case: no redirect, nothing copied.
        return first;
    }
    let home = endpoint.origin();
    let mut at = home.clone();
    let mut request = request.to_vec();
    let mut head_request = head_request;
    loop {
        let location = match &first.result {
            Ok(response) => match &response.redirect_to {
                Some(location) => location.clone(),
                None => return first,
            },
            Err(_) => return first,
        };
        let status = first.result.as_ref().map(|response| response.status).unwrap_or(0);
        let fail = |mut exchange: Exchange, message: String| {
            exchange.result = Err(Failure::new(FailureKind::Other, message));
            exchange
        };
        if first.resend.redirects >= super::redirect::MAX_REDIRECTS {
            let message = format!(
                "more than {} redirects (the last, HTTP {status}, to {}); a loop? set follow_redirects = false on the task to see the first",
                super::redirect::MAX_REDIRECTS,
                format::terminal(&location)
            );
            return fail(first, message);
        }
        let hop = match super::redirect::next_hop(&home, &at, &request, status, &location) {
            Ok(hop) => hop,
            Err(message) => return fail(first, message.to_string()),
        };
        let left = timeout.saturating_sub(started.elapsed());
        head_request = head_request && hop.method_kept;
        let mut next = if hop.origin == home {
            exchange_hop(endpoint, slot, &hop.request, head_request, keep_body, left, on_data, true).await
        } else {
            match endpoint.for_origin(&hop.origin) {
                Ok(elsewhere) => {
                    let mut own = None;
                    exchange_hop(&elsewhere, &mut own, &hop.request, head_request, keep_body, left, on_data, true).await
                }
                Err(message) => return fail(first, format!("redirect to {}: {message}", format::terminal(&location))),
            }
        };
        next.connect_micros = first.connect_micros.or(next.connect_micros);
        next.sent_at = first.sent_at;
        next.resend.reconnected |= first.resend.reconnected;
        next.resend.retried |= first.resend.retried;
        next.resend.redirects = first.resend.redirects + 1;
        if let Err(failure) = &mut next.result
            && failure.kind == FailureKind::Timeout
        {
            failure.message = format!(
                "no complete response within {} (after {} redirects)",
                format::duration(timeout),
                next.resend.redirects
            );
        }
        at = hop.origin;
        request = hop.request;
        first = next;
    }
}

#[allow(clippy::too_many_arguments)]
async fn exchange_hop(
    endpoint: &Endpoint,
    slot: &mut Option<Connection>,
    request: &[u8],
    head_request: bool,
    keep_body: Option<usize>,
    timeout: Duration,
    on_data: &mut dyn FnMut(&[u8], Instant),
    follow: bool,
) -> Exchange {
    let mut connect_micros = None;
    let mut first_sent: Option<Instant> = None;
    let mut resend = Resend::default();
    let started = Instant::now();
    let work = async {
        if let Some(connection) = slot.as_mut()
            && started.saturating_duration_since(connection.idle_since) > CHECK_IDLE_AFTER
            && !connection.is_alive()
        {
            *slot = None;
            resend.reconnected = true;
        }
        loop {
            let reused = slot.is_some();
            if slot.is_none() {
                let connect_started = Instant::now();
                *slot = Some(connect(endpoint).await?);
                connect_micros = Some(connect_started.elapsed().as_micros() as u64);
            }
            let Some(connection) = slot.as_mut() else {
                return Err(Failure::new(FailureKind::Other, "no connection"));
            };
            if first_sent.is_none() {
                // On a kept-alive connection the clock read at the start serves (one read per
                // request fewer on the hot path); after a connect, the send starts now.
                first_sent = Some(if reused && connect_micros.is_none() {
                    started
                } else {
                    Instant::now()
                });
            }
            match send_and_read(connection, request, head_request, keep_body, &mut *on_data, follow).await {
                Ok((response, keep_alive)) => {
                    if !keep_alive {
                        *slot = None;
                    }
                    return Ok(response);
                }
                Err(Attempt::NotWritten(_)) if reused => {
                    // The server had closed the idle connection: it never had this request.
                    *slot = None;
                    resend.reconnected = true;
                }
                Err(Attempt::NoReply(_)) if reused && !resend.retried && is_idempotent(request) => {
                    *slot = None;
                    resend.retried = true;
                }
                Err(Attempt::NoReply(why)) => {
                    let resent = if resend.retried {
                        " (sent twice: the retry on a new connection got no reply either)"
                    } else {
                        ""
                    };
                    return Err(Failure::new(
                        FailureKind::Closed,
                        format!("the server closed the connection without replying ({why}){resent}"),
                    ));
                }
                Err(Attempt::NotWritten(failure) | Attempt::Failed(failure)) => return Err(failure),
            }
        }
    };
    let result = match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Failure::new(
            FailureKind::Timeout,
            format!("no complete response within {}", format::duration(timeout)),
        )),
    };
    let done_at = Instant::now();
    match slot.as_mut() {
        // A failed or timed-out exchange leaves the connection in an unknown state.
        Some(_) if result.is_err() => *slot = None,
        Some(connection) => connection.idle_since = done_at,
        None => {}
    }
    Exchange {
        connect_micros,
        sent_at: first_sent.unwrap_or(started),
        resend,
        done_at,
        result,
    }
}

/// Whether a serialized request's method is idempotent (RFC 9110 §9.2.2), read from its first
/// bytes.
fn is_idempotent(request: &[u8]) -> bool {
    const IDEMPOTENT: [&[u8]; 6] = [b"GET ", b"HEAD ", b"OPTIONS ", b"TRACE ", b"PUT ", b"DELETE "];
    IDEMPOTENT.iter().any(|method| request.starts_with(method))
}

enum Attempt {
    /// Writing the request failed: the connection was closed before the server read it.
    NotWritten(Failure),
    /// The request was written and the connection closed (or was reset) before any byte of a
    /// reply: the server may have read the request. Says how it ended.
    NoReply(&'static str),
    Failed(Failure),
}

/// How the body of a response is delimited.
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// Called with each piece of the body as it arrives (and with an empty piece when the head
/// arrives), for protocols that time events inside a body.
type DataObserver<'a> = &'a mut dyn FnMut(&[u8], Instant);

async fn send_and_read(
    connection: &mut Connection,
    request: &[u8],
    head_request: bool,
    keep_body: Option<usize>,
    on_data: DataObserver<'_>,
    follow: bool,
) -> Result<(Response, bool), Attempt> {
    connection.buffer.clear();
    if let Err(err) = connection.write_all(request).await {
        return Err(Attempt::NotWritten(io_failure("sending the request", &err)));
    }
    // Whether any byte of a reply came (an interim 1xx counts: the server answered).
    let mut replied = false;
    // The head, skipping interim 1xx responses.
    let (head, headers) = loop {
        let parsed = {
            let mut headers = [httparse::EMPTY_HEADER; USUAL_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&connection.buffer) {
                Ok(httparse::Status::Complete(head_len)) => Some(read_head(&response, head_len, head_request, keep_body, follow)),
                Ok(httparse::Status::Partial) => None,
                Err(httparse::Error::TooManyHeaders) => {
                    // Rare: parsed again with room for the most accepted.
                    let mut headers = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
                    let mut response = httparse::Response::new(&mut headers);
                    match response.parse(&connection.buffer) {
                        Ok(httparse::Status::Complete(head_len)) => Some(read_head(&response, head_len, head_request, keep_body, follow)),
                        Ok(httparse::Status::Partial) => None,
                        Err(err) => return Err(Attempt::Failed(malformed_head(err))),
                    }
                }
                Err(err) => return Err(Attempt::Failed(malformed_head(err))),
            }
        };
        match parsed {
            Some(Ok((head, headers))) => {
                connection.buffer.drain(..head.len);
                if (100..200).contains(&head.status) && head.status != 101 {
                    continue;
                }
                break (head, headers);
            }
            Some(Err(message)) => return Err(Attempt::Failed(Failure::new(FailureKind::Other, message.to_string()))),
            None => {
                if connection.buffer.len() > MAX_HEAD_BYTES {
                    return Err(Attempt::Failed(Failure::new(
                        FailureKind::Other,
                        "response head larger than 64 KiB",
                    )));
                }
                let nothing_yet = !replied && connection.buffer.is_empty();
                match connection.read_more().await {
                    Ok(0) if nothing_yet => return Err(Attempt::NoReply("end of stream")),
                    Ok(_) if nothing_yet => replied = true,
                    Ok(0) => {
                        return Err(Attempt::Failed(Failure::new(
                            FailureKind::Other,
                            "the server closed the connection mid-response",
                        )));
                    }
                    Ok(_) => {}
                    Err(err)
                        if nothing_yet
                            && matches!(
                                err.kind(),
                                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                            ) =>
                    {
                        return Err(Attempt::NoReply("connection reset"));
                    }
                    Err(err) => return Err(Attempt::Failed(io_failure("reading the response", &err))),
                }
            }
        }
    };
    let HeadFacts {
        status,
        framing,
        mut keep_alive,
        retry_after,
        location,
        content_encoding,
        ..
    } = head;
    // A redirect that will be followed: its body is read through, not kept or observed.
    let redirect_to = location.filter(|_| follow && super::redirect::is_redirect(status));
    let mut ignore = |_: &[u8], _: Instant| {};
    let on_data: DataObserver<'_> = if redirect_to.is_some() { &mut ignore } else { on_data };
    // Error replies are kept (their first bytes) even when the caller did not ask for the body:
    // the failure message quotes them.
    let keep_limit = keep_body.unwrap_or(ERROR_BODY_KEPT_BYTES);
    let mut body = BodySink {
        bytes_received: 0,
        kept: (redirect_to.is_none() && (keep_body.is_some() || status >= 400)).then(Vec::new),
        keep_limit,
        cut: false,
        on_data,
    };
    body.take(&[]);
    let fail = |err: std::io::Error| Attempt::Failed(io_failure("reading the body", &err));
    match framing {
        Framing::Length(length) => read_length(connection, length, &mut body).await.map_err(fail)?,
        Framing::Chunked => read_chunked(connection, &mut body).await.map_err(fail)?,
        Framing::UntilClose => {
            keep_alive = false;
            loop {
                body.take(&connection.buffer);
                connection.buffer.clear();
                if connection.read_more().await.map_err(fail)? == 0 {
                    break;
                }
            }
        }
    }
    if !connection.buffer.is_empty() {
        // Bytes after the response: the server is not speaking plain request/response.
        keep_alive = false;
    }
    Ok((
        Response {
            status,
            bytes_received: body.bytes_received,
            body_cut: body.cut && keep_body.is_some(),
            content_encoding,
            body: body.kept,
            headers,
            retry_after,
            redirect_to,
        },
        keep_alive,
    ))
}

fn malformed_head(err: httparse::Error) -> Failure {
    let message = match err {
        httparse::Error::TooManyHeaders => {
            format!("malformed response head: more than {MAX_HEADERS} headers (the most Loadscope reads)")
        }
        other => format!("malformed response head: {other}"),
    };
    Failure::new(FailureKind::Other, message)
}

/// What a response head says about the body and the connection.
struct HeadFacts {
    len: usize,
    status: u16,
    framing: Framing,
    keep_alive: bool,
    retry_after: bool,
    /// Location, on a 3xx reply.
    location: Option<String>,
    content_encoding: Option<String>,
}

/// The head's facts, and the headers kept for the caller when it keeps the body.
fn read_head(
    response: &httparse::Response<'_, '_>,
    head_len: usize,
    head_request: bool,
    keep_body: Option<usize>,
    follow: bool,
) -> Result<(HeadFacts, Option<Box<KeptHeaders>>), super::ProtocolError> {
    let mut facts = head_facts(response, head_len, head_request)?;
    let encoded = std::mem::take(&mut facts.content_encoding).is_some();
    let wanted = |name: &str| {
        response
            .headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| String::from_utf8_lossy(header.value).trim().to_string())
    };
    if follow && super::redirect::is_redirect(facts.status) {
        facts.location = wanted("location");
    }
    if encoded {
        facts.content_encoding = wanted("content-encoding").filter(|coding| !coding.eq_ignore_ascii_case("identity"));
    }
    Ok((facts, keep_body.is_some().then(|| Box::new(kept_headers(response)))))
}

fn kept_headers(response: &httparse::Response<'_, '_>) -> KeptHeaders {
    let mut kept = KeptHeaders::default();
    for header in response.headers.iter() {
        let value = || Some(String::from_utf8_lossy(header.value).trim().to_string());
        if header.name.eq_ignore_ascii_case("content-type") {
            kept.content_type = value();
        } else if header.name.eq_ignore_ascii_case("mcp-session-id") {
            kept.mcp_session_id = value();
        } else if header.name.eq_ignore_ascii_case("retry-after") {
            kept.retry_after = value();
        }
    }
    kept
}

fn head_facts(response: &httparse::Response<'_, '_>, head_len: usize, head_request: bool) -> Result<HeadFacts, super::ProtocolError> {
    let status = response.code.unwrap_or(0);
    let http10 = response.version == Some(0);
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut close = http10;
    let mut retry_after = false;
    let mut encoded = false;
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("retry-after") {
            retry_after = true;
        } else if name.eq_ignore_ascii_case("content-encoding") {
            encoded = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            // RFC 9112 §6.3: a list of the same value may be read as one; differing values make
            // the framing unknowable, so the reply is malformed.
            let text = std::str::from_utf8(header.value).unwrap_or("").trim();
            for item in text.split(',').map(str::trim) {
                let length: u64 = item.parse().map_err(|_| super::ProtocolError::BadContentLength(text.to_string()))?;
                match content_length {
                    Some(known) if known != length => {
                        return Err(super::ProtocolError::ConflictingContentLength {
                            first: known,
                            second: length,
                        });
                    }
                    _ => content_length = Some(length),
                }
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = header.value.to_ascii_lowercase().windows(7).any(|window| window == b"chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let value = header.value.to_ascii_lowercase();
            if value.windows(5).any(|window| window == b"close") {
                close = true;
            } else if http10 && value.windows(10).any(|window| window == b"keep-alive") {
                close = false;
            }
        }
    }
    let framing = if head_request || status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked
    } else if let Some(length) = content_length {
        Framing::Length(length)
    } else {
        Framing::UntilClose
    };
    Ok(HeadFacts {
        len: head_len,
        status,
        framing,
        keep_alive: !close,
        retry_after,
        location: None,
        // Read in full by `read_head` when there is one; here only whether there is.
        content_encoding: encoded.then(String::new),
    })
}

struct BodySink<'a> {
    bytes_received: u64,
    kept: Option<Vec<u8>>,
    keep_limit: usize,
    /// More arrived than `keep_limit`.
    cut: bool,
    on_data: DataObserver<'a>,
}

/// How much of an error reply is kept when the body was not asked for.
const ERROR_BODY_KEPT_BYTES: usize = 1024;

impl BodySink<'_> {
    fn take(&mut self, data: &[u8]) {
        self.bytes_received += data.len() as u64;
        if let Some(kept) = self.kept.as_mut() {
            let room = self.keep_limit.saturating_sub(kept.len());
            self.cut |= data.len() > room;
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
        (self.on_data)(data, Instant::now());
    }
}

fn eof() -> std::io::Error {
    std::io::Error::from(std::io::ErrorKind::UnexpectedEof)
}

async fn read_length(connection: &mut Connection, length: u64, body: &mut BodySink<'_>) -> std::io::Result<()> {
    let mut remaining = length;
    loop {
        let available = (connection.buffer.len() as u64).min(remaining) as usize;
        body.take(&connection.buffer[..available]);
        connection.buffer.drain(..available);
        remaining -= available as u64;
        if remaining == 0 {
            return Ok(());
        }
        if connection.read_more().await? == 0 {
            return Err(eof());
        }
    }
}

async fn read_chunked(connection: &mut Connection, body: &mut BodySink<'_>) -> std::io::Result<()> {
    loop {
        let line = read_line(connection).await?;
        let size_text = std::str::from_utf8(&line)
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let size = u64::from_str_radix(&size_text, 16)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("invalid chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, up to an empty line.
            while !read_line(connection).await?.is_empty() {}
            return Ok(());
        }
        read_length(connection, size, body).await?;
        if !read_line(connection).await?.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "chunk not followed by CRLF"));
        }
    }
}

/// One CRLF-terminated line (without the CRLF), taken from the buffer.
async fn read_line(connection: &mut Connection) -> std::io::Result<Vec<u8>> {
    loop {
        if let Some(end) = connection.buffer.windows(2).position(|window| window == b"\r\n") {
            let line = connection.buffer[..end].to_vec();
            connection.buffer.drain(..end + 2);
            return Ok(line);
        }
        if connection.buffer.len() > MAX_HEAD_BYTES {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "chunk line too long"));
        }
        if connection.read_more().await? == 0 {
            return Err(eof());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// A server that answers each request with the next canned reply, then closes.
    async fn serve(replies: Vec<&'static [u8]>) -> (Endpoint, tokio::task::JoinHandle<Vec<Vec<u8>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let handle = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut requests = Vec::new();
            for reply in replies {
                let mut buffer = vec![0u8; 4096];
                let read = stream.read(&mut buffer).await.expect("read");
                requests.push(buffer[..read].to_vec());
                for piece in reply.chunks(7) {
                    stream.write_all(piece).await.expect("write");
                    stream.flush().await.expect("flush");
                }
            }
            requests
        });
        let base = BaseUrl::parse(&format!("http://127.0.0.1:{port}")).expect("url");
        (Endpoint::new(&base, &[], true).expect("endpoint"), handle)
    }

    #[tokio::test]
    async fn reads_length_chunked_and_interim_responses_on_one_connection() {
        let (endpoint, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n6\r\npedia!\r\n0\r\nX-Trailer: y\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom",
        ])
        .await;
        let mut slot = None;
        let timeout = Duration::from_secs(5);
        let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let first = exchange(&endpoint, &mut slot, request, false, Some(usize::MAX), timeout, &mut |_, _| {}).await;
        assert!(first.connect_micros.is_some());
        let response = first.result.expect("first");
        assert_eq!((response.status, response.body.as_deref()), (200, Some(&b"hello"[..])));
        let second = exchange(&endpoint, &mut slot, request, false, Some(usize::MAX), timeout, &mut |_, _| {}).await;
        assert!(second.connect_micros.is_none(), "the connection was kept alive");
        let response = second.result.expect("chunked");
        assert_eq!((response.status, response.body.as_deref()), (201, Some(&b"wikipedia!"[..])));
        assert_eq!(response.bytes_received, 10);
        let third = exchange(&endpoint, &mut slot, request, false, None, timeout, &mut |_, _| {})
            .await
            .result
            .expect("204");
        assert_eq!((third.status, third.bytes_received), (204, 0));
        let fourth = exchange(&endpoint, &mut slot, request, false, None, timeout, &mut |_, _| {})
            .await
            .result
            .expect("500");
        assert_eq!(fourth.status, 500);
        assert!(slot.is_none(), "Connection: close is honoured");
        assert_eq!(server.await.expect("server").len(), 4);
    }

    #[tokio::test]
    async fn reads_until_close_and_reports_cut_bodies() {
        let (endpoint, _server) = serve(vec![b"HTTP/1.0 200 OK\r\n\r\nall of it"]).await;
        let mut slot = None;
        let response = exchange(
            &endpoint,
            &mut slot,
            b"GET / HTTP/1.1\r\n\r\n",
            false,
            Some(usize::MAX),
            Duration::from_secs(5),
            &mut |_, _| {},
        )
        .await
        .result
        .expect("until close");
        assert_eq!(response.body.as_deref(), Some(&b"all of it"[..]));
        assert!(slot.is_none());

        let (endpoint, _server) = serve(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"]).await;
        let failure = exchange(
            &endpoint,
            &mut None,
            b"GET / HTTP/1.1\r\n\r\n",
            false,
            None,
            Duration::from_secs(5),
            &mut |_, _| {},
        )
        .await
        .result
        .err()
        .expect("cut");
        assert_eq!(failure.kind, FailureKind::Other);
        assert!(
            failure.message.contains("closed the connection mid-response"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn only_idempotent_methods_are_resent() {
        for method in ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] {
            assert!(is_idempotent(format!("{method} / HTTP/1.1\r\n").as_bytes()), "{method}");
        }
        for method in ["POST", "PATCH", "CONNECT", "GETX"] {
            assert!(!is_idempotent(format!("{method} / HTTP/1.1\r\n").as_bytes()), "{method}");
        }
    }

    #[tokio::test]
    async fn an_interim_reply_then_a_close_is_an_answer_cut_short_not_a_silent_drop() {
        let (endpoint, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.1 100 Continue\r\n\r\n",
        ])
        .await;
        let mut slot = None;
        let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let timeout = Duration::from_secs(5);
        let first = exchange(&endpoint, &mut slot, request, false, None, timeout, &mut |_, _| {}).await;
        assert_eq!(first.result.expect("first").status, 200);
        let second = exchange(&endpoint, &mut slot, request, false, None, timeout, &mut |_, _| {}).await;
        assert!(!second.resend.retried, "the server answered (100 Continue): nothing to resend");
        let failure = second.result.err().expect("cut short");
        assert_eq!(failure.kind, FailureKind::Other);
        assert!(failure.message.contains("mid-response"), "{}", failure.message);
        assert_eq!(server.await.expect("server").len(), 2);
    }
}
