//! Server-sent events, parsed incrementally as bytes arrive: `data:` lines joined with
//! newlines, `event:` names, comments skipped, LF, CRLF or CR line ends, events dispatched at
//! a blank line. (eventsource-stream needs a futures Stream over the body; the engine reads
//! bodies in the user's task and times each event, so a push parser fits it better.)

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, "message" when absent.
    pub event: String,
    pub data: String,
}

/// Incremental parser state.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    event: String,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// Feeds bytes; calls `on_event` for every complete event.
    pub fn feed(&mut self, bytes: &[u8], on_event: &mut dyn FnMut(SseEvent)) {
        for &byte in bytes {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' => self.end_line(on_event),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(on_event);
                }
                _ => self.line.push(byte),
            }
        }
    }

    fn end_line(&mut self, on_event: &mut dyn FnMut(SseEvent)) {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            if self.has_data {
                let event = if self.event.is_empty() {
                    "message".to_string()
                } else {
                    std::mem::take(&mut self.event)
                };
                on_event(SseEvent {
                    event,
                    data: std::mem::take(&mut self.data),
                });
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let text = String::from_utf8_lossy(&line);
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
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = value.to_string(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        for chunk in input.chunks(piece) {
            parser.feed(chunk, &mut |event| events.push(event));
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
