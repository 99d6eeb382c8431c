//! Where the engine's events go: the front end's channel, an optional observer (the metrics
//! server) called on the sending thread (the controller's, and the saver's for save events),
//! and the front end's waker. The controller, the saver and the run state all send through it;
//! it knows none of them.

use std::sync::mpsc;

use super::{Event, Observer, Waker};

/// Sends events and wakes the front end.
#[derive(Clone)]
pub(crate) struct EventSink {
    events: mpsc::Sender<Event>,
    waker: Option<Waker>,
    observer: Option<Observer>,
}

impl EventSink {
    pub(crate) fn new(events: mpsc::Sender<Event>, waker: Option<Waker>, observer: Option<Observer>) -> EventSink {
        EventSink { events, waker, observer }
    }

    /// Whether something besides the front end reads the events (it wants the snapshots'
    /// bucket counts).
    pub(crate) fn observed(&self) -> bool {
        self.observer.is_some()
    }

    pub(crate) fn send(&self, event: Event) {
        if let Some(observer) = &self.observer {
            observer(&event);
        }
        let snapshot = matches!(event, Event::Snapshot(_));
        let _ = self.events.send(event);
        if let Some(waker) = &self.waker
            && !snapshot
        {
            waker();
        }
    }
}
