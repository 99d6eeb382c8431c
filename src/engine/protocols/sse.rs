//! Server-sent events, parsed incrementally as bytes arrive: `data:` lines joined with
//! newlines, `event:` names, comments skipped, LF, CRLF or CR line ends, events dispatched at
//! a blank line. (eventsource-stream needs a futures Stream over the body; the engine reads
//! bodies in the user's task and times each event, so a push parser fits it better.)

/// One event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, "message" when absent.
    pub event: String,
    pub data: String,
}

/// Incremental parser state. Its buffers are reused from event to event: a stream of
/// thousands of chunks parses without allocating once they have grown.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    current: SseEvent,
    has_data: bool,
}

impl SseParser {
    /// Feeds bytes; calls `on_event` for every complete event (borrowed: copy what you keep).
    pub(crate) fn feed(&mut self, mut bytes: &[u8], on_event: &mut dyn FnMut(&SseEvent)) {
        while !bytes.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if bytes[0] == b'\n' {
                    bytes = &bytes[1..];
                    continue;
                }
            }
            match bytes.iter().position(|&byte| byte == b'\n' || byte == b'\r') {
                None => {
                    self.line.extend_from_slice(bytes);
                    return;
                }
                Some(end) => {
                    self.line.extend_from_slice(&bytes[..end]);
                    self.after_cr = bytes[end] == b'\r';
                    bytes = &bytes[end + 1..];
                    self.end_line(on_event);
                }
            }
        }
    }

    fn end_line(&mut self, on_event: &mut dyn FnMut(&SseEvent)) {
        if self.line.is_empty() {
            if self.has_data {
                if self.current.event.is_empty() {
                    self.current.event.push_str("message");
                }
                on_event(&self.current);
            }
            self.current.event.clear();
            self.current.data.clear();
            self.has_data = false;
            return;
        }
        if self.line[0] != b':' {
            let text = String::from_utf8_lossy(&self.line);
            let (field, value) = match text.find(':') {
                Some(colon) => {
                    let value = &text[colon + 1..];
                    (&text[..colon], value.strip_prefix(' ').unwrap_or(value))
                }
                None => (&text[..], ""),
            };
            match field {
                "data" => {
                    if self.has_data {
                        self.current.data.push('\n');
                    }
                    self.current.data.push_str(value);
                    self.has_data = true;
                }
                "event" => {
                    self.current.event.clear();
                    self.current.event.push_str(value);
                }
                _ => {}
            }
        }
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        for chunk in input.chunks(piece) {
            parser.feed(chunk, &mut |event| events.push(event.clone()));
        }
        events
    }

    #[test]
    fn parses_events_whatever_the_chunking() {
        let input = b": keep-alive\n\ndata: {\"a\":1}\n\nevent: message\r\ndata: line one\r\ndata: line two\r\n\r\ndata:[DONE]\r\r";
        for piece in [1, 2, 3, 7, 100] {
            let events = parse_in_pieces(input, piece);
            assert_eq!(events.len(), 3, "piece {piece}: {events:?}");
            assert_eq!(events[0].data, "{\"a\":1}");
            assert_eq!(events[1].data, "line one\nline two");
            assert_eq!(events[2].data, "[DONE]");
        }
    }

    #[test]
    fn an_event_without_a_blank_line_is_not_dispatched() {
        let events = parse_in_pieces(b"data: partial", 4);
        assert!(events.is_empty());
    }
}
