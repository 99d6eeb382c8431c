//! Following a redirect: where a 301, 302, 303, 307 or 308 reply sends the request next, and
//! the request that goes there. As browsers, curl and k6 do, a 303 (and a 301 or 302 answering a
//! POST) is followed with a GET without the body; a 307 or 308 repeats the method and body. A hop
//! to another origin (scheme, host or port) than the scenario's service carries none of the
//! task's credentials or own headers: only `User-Agent`, `Accept*` and the body's
//! `Content-Type` / `Content-Length` go with it, so no key reaches a host it was not meant for.

use super::ProtocolError;
use crate::preset::compiled::Scheme;

/// Redirects followed for one request before it fails as a loop.
pub(crate) const MAX_REDIRECTS: u32 = 10;

/// Headers a hop to another origin keeps; every other header of the task stays behind.
const KEPT_ELSEWHERE: [&str; 6] = [
    "user-agent",
    "accept",
    "accept-encoding",
    "accept-language",
    "content-type",
    "content-length",
];

/// Whether a status is a redirect Loadscope follows.
pub(crate) fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Scheme, host and port: where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
}

impl Origin {
    fn default_port(scheme: Scheme) -> u16 {
        match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// `host[:port]` as the Host header writes it (the port only when not the scheme's own).
    fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == Origin::default_port(self.scheme) {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}", self.authority())
    }
}

/// The next request of a redirect chain.
#[derive(Debug)]
pub(crate) struct Hop {
    pub origin: Origin,
    pub request: Vec<u8>,
    /// The method went on unchanged (false: it became GET).
    pub method_kept: bool,
}

/// The request that follows `status` with `location`, sent from `at` as `request` (serialized
/// HTTP/1.1). `home` is the scenario's service: a hop anywhere else carries no credentials.
pub(crate) fn next_hop(home: &Origin, at: &Origin, request: &[u8], status: u16, location: &str) -> Result<Hop, ProtocolError> {
    let mut headers = vec![httparse::EMPTY_HEADER; super::http::MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let head_len = match parsed.parse(request) {
        Ok(httparse::Status::Complete(len)) => len,
        _ => return Err(ProtocolError::RedirectUnreadable),
    };
    let method = parsed.method.unwrap_or("GET");
    let current_target = parsed.path.unwrap_or("/");
    let (origin, target) = resolve(at, current_target, location)?;
    let to_get = (status == 303 && method != "HEAD") || (matches!(status, 301 | 302) && method == "POST");
    let new_method = if to_get { "GET" } else { method };
    let elsewhere = origin != *home;
    let mut out = Vec::with_capacity(request.len() + 64);
    out.extend_from_slice(format!("{new_method} {target} HTTP/1.1\r\nHost: {}\r\n", origin.authority()).as_bytes());
    for header in parsed.headers.iter() {
        let name = header.name.to_ascii_lowercase();
        let body_header = matches!(name.as_str(), "content-length" | "content-type" | "transfer-encoding");
        if name == "host" || (to_get && body_header) || (elsewhere && !KEPT_ELSEWHERE.contains(&name.as_str())) {
            continue;
        }
        out.extend_from_slice(header.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(header.value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !to_get {
        out.extend_from_slice(&request[head_len..]);
    }
    Ok(Hop {
        origin,
        request: out,
        method_kept: !to_get,
    })
}

/// Where `location` points from `target` at `at`: an absolute URL, `//host/path`, an absolute
/// path or a path relative to the current one (RFC 3986 §5.2, without dot segments removed).
fn resolve(at: &Origin, target: &str, location: &str) -> Result<(Origin, String), ProtocolError> {
    let location = location.split('#').next().unwrap_or("").trim();
    let shown = crate::format::terminal(location);
    if location.is_empty() {
        return Err(ProtocolError::RedirectEmpty);
    }
    let absolute = if let Some(rest) = location.strip_prefix("//") {
        let scheme = match at.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        Some(format!("{scheme}://{rest}"))
    } else if location.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    }) {
        Some(location.to_string())
    } else {
        None
    };
    if let Some(url) = absolute {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|err: hyper::http::uri::InvalidUri| ProtocolError::RedirectNotUrl {
                shown: shown.to_string(),
                why: err.to_string(),
            })?;
        let scheme = match uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(scheme) if scheme.eq_ignore_ascii_case("https") => Scheme::Https,
            _ => return Err(ProtocolError::RedirectScheme(shown.to_string())),
        };
        let host = uri
            .host()
            .ok_or_else(|| ProtocolError::RedirectNoHost(shown.to_string()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let origin = Origin {
            scheme,
            port: uri.port_u16().unwrap_or(Origin::default_port(scheme)),
            host,
        };
        let target = uri.path_and_query().map(|path| path.as_str()).unwrap_or("/");
        let target = if target.is_empty() { "/" } else { target };
        return Ok((origin, target.to_string()));
    }
    if location.starts_with('/') {
        return Ok((at.clone(), without_dot_segments(location)));
    }
    if location.starts_with('?') {
        let path = target.split('?').next().unwrap_or("/");
        return Ok((at.clone(), format!("{path}{location}")));
    }
    let path = target.split('?').next().unwrap_or("/");
    let dir = &path[..path.rfind('/').map(|slash| slash + 1).unwrap_or(0)];
    let dir = if dir.is_empty() { "/" } else { dir };
    Ok((at.clone(), without_dot_segments(&format!("{dir}{location}"))))
}

/// The path of `target` with `.` and `..` segments taken out (RFC 3986 §5.2.4); the query is
/// kept as it is.
fn without_dot_segments(target: &str) -> String {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut kept: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (index, segment) in segments.iter().enumerate() {
        let last = index + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    kept.push("");
                }
            }
            ".." => {
                kept.pop();
                if last {
                    kept.push("");
                }
            }
            other => kept.push(other),
        }
    }
    let mut out = format!("/{}", kept.join("/"));
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn origin(scheme: Scheme, host: &str, port: u16) -> Origin {
        Origin {
            scheme,
            host: host.into(),
            port,
        }
    }

    const POST: &[u8] = b"POST /v1/chat HTTP/1.1\r\nHost: api:8000\r\nAuthorization: Bearer sk-secret\r\nX-Api-Key: k\r\nContent-Type: application/json\r\nContent-Length: 2\r\nUser-Agent: loadscope\r\n\r\n{}";

    #[test]
    fn a_307_repeats_the_method_and_body_on_the_same_origin_with_its_credentials() {
        let home = origin(Scheme::Http, "api", 8000);
        let hop = next_hop(&home, &home, POST, 307, "/v2/chat").unwrap();
        let text = String::from_utf8(hop.request).unwrap();
        assert!(text.starts_with("POST /v2/chat HTTP/1.1\r\nHost: api:8000\r\n"), "{text}");
        assert!(
            text.contains("Authorization: Bearer sk-secret") && text.ends_with("\r\n\r\n{}"),
            "{text}"
        );
        assert!(hop.method_kept);
    }

    #[test]
    fn a_303_or_a_302_after_post_becomes_a_get_without_the_body() {
        let home = origin(Scheme::Http, "api", 8000);
        for status in [302, 303] {
            let hop = next_hop(&home, &home, POST, status, "done?id=1").unwrap();
            let text = String::from_utf8(hop.request).unwrap();
            assert!(text.starts_with("GET /v1/done?id=1 HTTP/1.1\r\n"), "{text}");
            assert!(
                !text.contains("Content-Length") && !text.contains("Content-Type") && text.ends_with("\r\n\r\n"),
                "{text}"
            );
            assert!(!hop.method_kept);
        }
    }

    #[test]
    fn a_hop_to_another_origin_carries_no_credentials_or_own_headers() {
        let home = origin(Scheme::Http, "api", 8000);
        for location in ["http://other:9000/x", "https://api:8000/x", "//api:8001/x", "http://api/x"] {
            let hop = next_hop(&home, &home, POST, 308, location).unwrap();
            assert_ne!(hop.origin, home, "{location}");
            let text = String::from_utf8(hop.request).unwrap();
            assert!(!text.contains("sk-secret") && !text.contains("X-Api-Key"), "{location}: {text}");
            assert!(
                text.contains("Content-Type: application/json") && text.contains("User-Agent: loadscope"),
                "{text}"
            );
        }
        let back = next_hop(&home, &origin(Scheme::Http, "other", 9000), POST, 307, "http://api:8000/y").unwrap();
        assert_eq!(back.origin, home);
        assert!(
            String::from_utf8(back.request).unwrap().contains("sk-secret"),
            "home again: its own credentials"
        );
        let ipv6 = next_hop(&home, &home, POST, 307, "https://[::1]:8443/z").unwrap();
        assert_eq!(ipv6.origin, origin(Scheme::Https, "::1", 8443));
        assert!(String::from_utf8(ipv6.request).unwrap().contains("Host: [::1]:8443\r\n"));
    }

    #[test]
    fn odd_locations_are_refused_with_the_reason() {
        let home = origin(Scheme::Http, "api", 8000);
        assert!(
            next_hop(&home, &home, POST, 301, "")
                .unwrap_err()
                .to_string()
                .contains("empty Location")
        );
        assert!(
            next_hop(&home, &home, POST, 301, "ftp://x/y")
                .unwrap_err()
                .to_string()
                .contains("only http and https")
        );
        let up = next_hop(&home, &home, POST, 307, "../v2/./chat?x=../y").unwrap();
        assert!(String::from_utf8(up.request).unwrap().starts_with("POST /v2/chat?x=../y HTTP/1.1"));
        let query = next_hop(&home, &home, POST, 307, "/login?next=http://api/x").unwrap();
        assert_eq!(query.origin, home, "a URL in the query is not where it goes");
    }
}
