//! Saving a run while it runs: the autosave thread (latest record first, atomic writes) and
//! the fallback places a final record goes when its planned file cannot be written.

use super::event_sink::EventSink;
use super::{Event, SaveOutcome};
use crate::run::{PresetRecord, RunRecord, SeriesPoint, save_atomic};

/// What the saver is asked to write.
pub(super) enum SaveRequest {
    /// A whole record (the final one).
    Whole { record: RunRecord, final_save: bool },
    /// An autosave: the record without its series and preset, and the series points since
    /// the last autosave (the saver holds the rest).
    Delta { record: RunRecord, new_series: Vec<SeriesPoint> },
}

impl SaveRequest {
    fn is_final(&self) -> bool {
        matches!(self, SaveRequest::Whole { final_save: true, .. })
    }
}

/// The next request to write, with its wake-up.
pub(super) type PendingSave = std::sync::Arc<(std::sync::Mutex<Option<SaveRequest>>, std::sync::Condvar)>;

/// Writes run files on its own thread, latest record first: autosaves that pile up behind a
/// slow disk are skipped in favour of the newest. A failed autosave keeps the last good file
/// (saves are atomic) and the next one tries again; a failed final save goes to a fallback.
pub(super) struct RunSaver {
    pending: PendingSave,
    thread: Option<std::thread::JoinHandle<SaveOutcome>>,
}

impl RunSaver {
    /// Starts the saver for `path`; it holds the run's `preset` for autosaves.
    pub(super) fn start(path: std::path::PathBuf, sink: EventSink, mut preset: PresetRecord) -> std::io::Result<RunSaver> {
        let pending: PendingSave = Default::default();
        let shared = pending.clone();
        let thread = std::thread::Builder::new().name("loadscope-saver".into()).spawn(move || {
            let (slot, ready) = &*shared;
            // The series as autosaves sent it, point by point.
            let mut series: Vec<SeriesPoint> = Vec::new();
            loop {
                let next = {
                    let mut guard = match slot.lock() {
                        Ok(guard) => guard,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    while guard.is_none() {
                        guard = match ready.wait(guard) {
                            Ok(guard) => guard,
                            Err(poisoned) => poisoned.into_inner(),
                        };
                    }
                    guard.take()
                };
                let (record, final_save) = match next {
                    None => continue,
                    Some(SaveRequest::Whole { record, final_save }) => (record, final_save),
                    Some(SaveRequest::Delta { mut record, new_series }) => {
                        // The held series and preset go into the record for the write, and
                        // come back after it.
                        series.extend(new_series);
                        record.series = std::mem::take(&mut series);
                        std::mem::swap(&mut record.preset, &mut preset);
                        let result = save_atomic(&record, &path);
                        series = std::mem::take(&mut record.series);
                        std::mem::swap(&mut record.preset, &mut preset);
                        match result {
                            Ok(()) => sink.send(Event::Saved {
                                path: path.clone(),
                                final_save: false,
                            }),
                            Err(err) => sink.send(Event::SaveFailed {
                                path: path.clone(),
                                error: std::sync::Arc::new(err),
                            }),
                        }
                        continue;
                    }
                };
                match save_atomic(&record, &path) {
                    Ok(()) => {
                        sink.send(Event::Saved {
                            path: path.clone(),
                            final_save,
                        });
                        if final_save {
                            return SaveOutcome::Saved(path);
                        }
                    }
                    Err(err) => {
                        let reason = err.to_string();
                        sink.send(Event::SaveFailed {
                            path: path.clone(),
                            error: std::sync::Arc::new(err),
                        });
                        if final_save {
                            return save_fallback(&record, &path, reason);
                        }
                    }
                }
            }
        })?;
        Ok(RunSaver {
            pending,
            thread: Some(thread),
        })
    }

    /// Asks for a whole record to be written (the final one, or a save outside autosaves).
    pub(super) fn save_whole(&self, record: RunRecord, final_save: bool) {
        self.request(SaveRequest::Whole { record, final_save });
    }

    /// Asks for an autosave: the record without series and preset, and the new series points.
    pub(super) fn save_delta(&self, record: RunRecord, new_series: Vec<SeriesPoint>) {
        self.request(SaveRequest::Delta { record, new_series });
    }

    /// Puts a request in the slot, over an unwritten one: a final save is never replaced (no
    /// request follows it), and an unwritten autosave's series points carry over to the next,
    /// so none is lost when a slow disk skips a save.
    fn request(&self, request: SaveRequest) {
        let (slot, ready) = &*self.pending;
        let mut guard = match slot.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let request = match (guard.take(), request) {
            (Some(pending), _) if pending.is_final() => pending,
            (
                Some(SaveRequest::Delta {
                    new_series: mut earlier, ..
                }),
                SaveRequest::Delta { record, new_series },
            ) => {
                earlier.extend(new_series);
                SaveRequest::Delta {
                    record,
                    new_series: earlier,
                }
            }
            (_, request) => request,
        };
        *guard = Some(request);
        ready.notify_one();
    }

    /// Waits until the final save is on disk (or could not be), and says where it went.
    pub(super) fn finish(mut self) -> SaveOutcome {
        match self.thread.take().map(|thread| thread.join()) {
            Some(Ok(outcome)) => outcome,
            _ => SaveOutcome::NotSaved {
                error: "the run-file writer stopped unexpectedly".into(),
            },
        }
    }
}

/// The final save failed at `planned`: write the run into the data dir's `runs/`, else the
/// temp dir, under a new name; NotSaved only when neither takes it.
pub(super) fn save_fallback(record: &RunRecord, planned: &std::path::Path, planned_error: String) -> SaveOutcome {
    let file_name = crate::run::library::library_file_name(&record.id, &record.preset.name);
    let mut tried = vec![format!("{}: {planned_error}", planned.display())];
    for dir in [crate::run::library::default_runs_dir(), std::env::temp_dir()] {
        let path = dir.join(&file_name);
        if path == planned {
            continue;
        }
        match crate::run::save::save_new(record, &path) {
            Ok(()) => {
                return SaveOutcome::Fallback {
                    path,
                    planned: planned.to_path_buf(),
                    error: planned_error,
                };
            }
            Err(err) => tried.push(err.to_string()),
        }
    }
    SaveOutcome::NotSaved { error: tried.join("; ") }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn point(second: u32) -> SeriesPoint {
        SeriesPoint {
            second,
            scenario: 0,
            level: 0,
            users: 1,
            requests: Default::default(),
            resources: None,
            tasks: Vec::new(),
            journeys: None,
        }
    }

    fn record(id: &str) -> RunRecord {
        let mut record: RunRecord = serde_json::from_str(include_str!("../../tests/fixtures/ui-run.json")).unwrap();
        record.id = id.into();
        record.series.clear();
        record
    }

    /// The slot's request, as the saver thread would take it.
    fn pending(saver: &RunSaver) -> Option<SaveRequest> {
        saver.pending.0.lock().unwrap().take()
    }

    #[test]
    fn autosaves_a_slow_disk_skips_carry_their_series_points_to_the_next() {
        let saver = RunSaver {
            pending: Default::default(),
            thread: None,
        };
        saver.save_delta(record("first"), vec![point(0), point(1)]);
        saver.save_delta(record("second"), vec![point(2)]);
        match pending(&saver) {
            Some(SaveRequest::Delta { record, new_series }) => {
                assert_eq!(record.id, "second", "the newest record is written");
                let seconds: Vec<u32> = new_series.iter().map(|point| point.second).collect();
                assert_eq!(seconds, [0, 1, 2], "no point of the skipped autosave is lost");
            }
            _ => panic!("an autosave is pending"),
        }
        saver.save_whole(record("final"), true);
        saver.save_delta(record("late"), vec![point(3)]);
        assert!(
            matches!(pending(&saver), Some(SaveRequest::Whole { record, final_save: true }) if record.id == "final"),
            "a final save is never replaced"
        );
    }

    #[test]
    fn the_saver_writes_whole_files_from_autosave_deltas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        let (events, _received) = std::sync::mpsc::channel();
        let mut preset = record("x").preset;
        preset.name = "held by the saver".into();
        let saver = RunSaver::start(path.clone(), EventSink::new(events, None, None), preset).unwrap();
        for second in 0..3 {
            saver.save_delta(record("run"), vec![point(second)]);
            // Let the saver write this one, so each is a save of its own.
            for _ in 0..200 {
                if saver.pending.0.lock().unwrap().is_none() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        let saved = crate::run::load(&path).unwrap();
        assert_eq!(saved.series.len(), 3, "every point of every autosave");
        assert_eq!(saved.preset.name, "held by the saver");
        let mut whole = record("run");
        whole.series = vec![point(3), point(4)];
        saver.save_whole(whole, true);
        assert!(matches!(saver.finish(), SaveOutcome::Saved(_)));
        assert_eq!(
            crate::run::load(&path).unwrap().series.len(),
            2,
            "a whole record is written as it is"
        );
    }
}
