//! Reading an encoded reply body: `Content-Encoding` gzip, deflate, br and zstd (and a list of
//! them, undone last first), for the checks and the chat parser that need the body's text.
//! Loadscope asks for an encoding only when a task sets `Accept-Encoding`; a reply encoded
//! anyway is read too. The decoded body is held to the task's `max_body_bytes`.

use std::io::Read;

use super::ProtocolError;

/// The body `bytes` sent with `Content-Encoding: encoding`, decoded, at most `max_bytes` of it.
/// An encoding Loadscope does not read, a body that does not decode, and one that decodes to
/// more than `max_bytes` are errors that say so.
pub(crate) fn decode_body(encoding: &str, bytes: &[u8], max_bytes: usize) -> Result<Vec<u8>, ProtocolError> {
    let mut body = bytes.to_vec();
    let codings: Vec<String> = encoding
        .split(',')
        .map(|coding| coding.trim().to_ascii_lowercase())
        .filter(|coding| !coding.is_empty() && coding != "identity")
        .collect();
    for coding in codings.iter().rev() {
        body = decode_one(coding, &body, max_bytes)?;
    }
    Ok(body)
}

fn decode_one(coding: &str, bytes: &[u8], max_bytes: usize) -> Result<Vec<u8>, ProtocolError> {
    let failed = |err: &dyn std::fmt::Display| ProtocolError::Undecodable {
        coding: coding.to_string(),
        why: err.to_string(),
    };
    match coding {
        "gzip" | "x-gzip" => read_capped(flate2::read::MultiGzDecoder::new(bytes), coding, max_bytes),
        // "deflate" is zlib-wrapped (RFC 9110 §8.4.1.2); some servers send it raw.
        "deflate" => read_capped(flate2::read::ZlibDecoder::new(bytes), coding, max_bytes)
            .or_else(|_| read_capped(flate2::read::DeflateDecoder::new(bytes), coding, max_bytes)),
        "br" => read_capped(brotli_decompressor::Decompressor::new(bytes, 4096), coding, max_bytes),
        "zstd" => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(bytes).map_err(|err| failed(&err))?;
            read_capped(decoder, coding, max_bytes)
        }
        other => Err(ProtocolError::UnknownEncoding(other.to_string())),
    }
}

/// Reads `reader` to its end, failing past `max_bytes` (a small reply may decode to a huge one).
fn read_capped(reader: impl Read, coding: &str, max_bytes: usize) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::new();
    reader
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|err| ProtocolError::Undecodable {
            coding: coding.to_string(),
            why: err.to_string(),
        })?;
    if out.len() > max_bytes {
        return Err(ProtocolError::DecodesTooLarge {
            coding: coding.to_string(),
            max_bytes,
        });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_deflate_bodies_decode_and_a_bomb_is_stopped_at_the_cap() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(br#"{"ok": true}"#).unwrap();
        let gzip = gzip.finish().unwrap();
        assert_eq!(decode_body("gzip", &gzip, 1024).unwrap(), br#"{"ok": true}"#);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(b"hello").unwrap();
        assert_eq!(decode_body("deflate", &zlib.finish().unwrap(), 1024).unwrap(), b"hello");
        let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        bomb.write_all(&vec![b'a'; 1 << 20]).unwrap();
        let bomb = bomb.finish().unwrap();
        assert!(bomb.len() < 10_000);
        assert!(
            decode_body("gzip", &bomb, 64 * 1024)
                .unwrap_err()
                .to_string()
                .contains("decodes to more than the 65536 bytes")
        );
        assert!(
            decode_body("gzip", b"not gzip", 1024)
                .unwrap_err()
                .to_string()
                .contains("does not decode")
        );
        assert!(
            decode_body("compress", b"x", 1024)
                .unwrap_err()
                .to_string()
                .contains("does not read")
        );
    }
}
