//! Why a reply cannot be read or a request cannot go where it must: the protocols' failures,
//! recorded on the request (as its failure's message) or refused before a run.

/// One protocol failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the {coding}-encoded reply does not decode: {why}")]
    Undecodable { coding: String, why: String },
    #[error("the reply is {0}-encoded, which Loadscope does not read (gzip, deflate, br and zstd are); drop Accept-Encoding from the task")]
    UnknownEncoding(String),
    #[error("the {coding}-encoded reply decodes to more than the {max_bytes} bytes read for checks (raise max_body_bytes on the task)")]
    DecodesTooLarge { coding: String, max_bytes: usize },
    #[error("redirect: the request could not be read again to follow it")]
    RedirectUnreadable,
    #[error("redirect with an empty Location")]
    RedirectEmpty,
    #[error("redirect to {shown}: not a URL ({why})")]
    RedirectNotUrl { shown: String, why: String },
    #[error("redirect to {0}: only http and https are followed")]
    RedirectScheme(String),
    #[error("redirect to {0}: no host")]
    RedirectNoHost(String),
    #[error("cannot build an HTTP client: {0}")]
    Client(String),
    #[error("TLS setup failed: {0}")]
    TlsSetup(String),
    #[error("{host:?} is not a valid TLS server name: {why}")]
    TlsName { host: String, why: String },
    #[error("malformed response head: invalid Content-Length {0:?}")]
    BadContentLength(String),
    #[error(
        "malformed response head: conflicting Content-Length values ({first} and {second}); the reply's length cannot be known (RFC 9112 §6.3)"
    )]
    ConflictingContentLength { first: u64, second: u64 },
    #[error("reply is not JSON: {0}")]
    ReplyNotJson(String),
    #[error("event is not JSON: {0}")]
    EventNotJson(String),
    #[error("no reply with id {0} in the event stream")]
    NoReply(u64),
}
