//! Saving a run while it runs: the autosave thread (latest record first, atomic writes) and
//! the fallback places a final record goes when its planned file cannot be written.

use super::event_sink::EventSink;
use super::{Event, SaveOutcome};
use crate::run::{RunRecord, save_atomic};

/// The next record to write (and whether it is the final one), with its wake-up.
pub(super) type PendingSave = std::sync::Arc<(std::sync::Mutex<Option<(RunRecord, bool)>>, std::sync::Condvar)>;

/// Writes run files on its own thread, latest record first: autosaves that pile up behind a
/// slow disk are skipped in favour of the newest. A failed autosave keeps the last good file
/// (saves are atomic) and the next one tries again; a failed final save goes to a fallback.
pub(super) struct RunSaver {
    pending: PendingSave,
    thread: Option<std::thread::JoinHandle<SaveOutcome>>,
}

impl RunSaver {
    pub(super) fn start(path: std::path::PathBuf, sink: EventSink) -> std::io::Result<RunSaver> {
        let pending: PendingSave = Default::default();
        let shared = pending.clone();
        let thread = std::thread::Builder::new().name("loadscope-saver".into()).spawn(move || {
            let (slot, ready) = &*shared;
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
                let Some((record, final_save)) = next else { continue };
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
                        sink.send(Event::SaveFailed {
                            path: path.clone(),
                            error: err.to_string(),
                        });
                        if final_save {
                            return save_fallback(&record, &path, err.to_string());
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

    pub(super) fn save(&self, record: RunRecord, final_save: bool) {
        let (slot, ready) = &*self.pending;
        let mut guard = match slot.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // A final save is never replaced by a later autosave (there is none after it).
        if guard.as_ref().is_none_or(|(_, pending_final)| !pending_final) {
            *guard = Some((record, final_save));
        }
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
