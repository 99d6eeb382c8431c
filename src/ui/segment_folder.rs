//! Following a folder of segment files (the shared volume a split run's pods write to): the
//! folder is read and merged on a job thread every 2 s, and the Live tab shows the merged run
//! until every segment has finished.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::command::AppCommand;
use super::jobs::Jobs;
use crate::run::RunStatus;
use crate::segments::FolderError;
use crate::segments::folder::{FolderRun, read_folder};

/// How often the folder is read again (the segments autosave every 2 s).
pub(crate) const REREAD_EVERY: Duration = Duration::from_secs(2);

/// A folder being followed.
#[derive(Debug)]
pub struct SegmentFolder {
    pub dir: PathBuf,
    reading: bool,
    next_read: Instant,
    /// What the last read found, in words.
    pub status: String,
    /// Every segment has finished: the folder is not read again.
    pub done: bool,
}

impl SegmentFolder {
    pub fn new(dir: PathBuf) -> SegmentFolder {
        SegmentFolder {
            status: format!("reading {}…", dir.display()),
            dir,
            reading: false,
            next_read: Instant::now(),
            done: false,
        }
    }

    /// Starts a read when one is due; returns how long until the next is (None when done).
    pub(crate) fn tick(&mut self, jobs: &mut Jobs<Option<AppCommand>>) -> Option<Duration> {
        if self.done {
            return None;
        }
        let now = Instant::now();
        if !self.reading && now >= self.next_read {
            self.reading = true;
            let dir = self.dir.clone();
            jobs.spawn("loadscope-segments", move || {
                let read = read_folder(&dir).map(Box::new);
                Some(AppCommand::SegmentsRead(dir, read))
            });
        }
        Some(self.next_read.saturating_duration_since(now).max(Duration::from_millis(100)))
    }

    /// Takes in a read: the status line, and whether the run is over.
    pub(crate) fn took(&mut self, read: &Result<Box<FolderRun>, FolderError>) {
        self.reading = false;
        self.next_read = Instant::now() + REREAD_EVERY;
        let read_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        self.status = match read {
            Ok(run) => {
                let (read, count) = (run.files.len(), run.segment_count as usize);
                let running = run
                    .record
                    .merged_from
                    .iter()
                    .filter(|segment| segment.status == RunStatus::Running)
                    .count();
                self.done = read >= count && running == 0;
                format!(
                    "{read} of {count} segment file(s), {running} still running; {} requests merged; read {read_at}{}",
                    run.record.total.as_ref().map(|total| total.stats.requests).unwrap_or(0),
                    if self.done { "; every segment has finished" } else { "" }
                )
            }
            Err(why) => format!("{why} (read {read_at}; trying again every 2 s)"),
        };
    }
}
