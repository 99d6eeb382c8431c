//! A thread that must never wait on a disk: the app marks its window thread, and every place
//! that reads or writes a file the person names (presets, datasets, pools, run files, `.env`
//! files, the presets folder) calls [`note`] first. On a marked thread that is counted as a
//! fault: a test drives the app and checks none happened, and files a preset names are read on
//! a thread of their own there instead (`preset::file_reads`). A leaf: it imports nothing.

use std::cell::{Cell, RefCell};

thread_local! {
    static MARKED: Cell<bool> = const { Cell::new(false) };
    /// What this (marked) thread did that it must not do, in order (the first few hundred).
    static FAULTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

const MAX_FAULTS_KEPT: usize = 256;

/// Marks the calling thread as one that must never do file I/O (the app's window thread).
pub fn mark_this_thread() {
    MARKED.with(|marked| marked.set(true));
}

/// Whether the calling thread is marked: files are then read elsewhere.
pub(crate) fn this_thread_is_marked() -> bool {
    MARKED.with(Cell::get)
}

/// Called before a file is opened, read, written or listed: on a marked thread, `what` (e.g.
/// "read dataset data.jsonl") is counted as a fault, and printed in debug builds.
pub(crate) fn note(what: impl FnOnce() -> String) {
    if !this_thread_is_marked() {
        return;
    }
    let what = what();
    if cfg!(debug_assertions) {
        eprintln!("loadscope: file I/O on the window thread: {what}");
    }
    FAULTS.with(|faults| {
        let mut faults = faults.borrow_mut();
        if faults.len() < MAX_FAULTS_KEPT {
            faults.push(what);
        }
    });
}

/// The calling thread's faults so far, oldest first.
pub fn faults() -> Vec<String> {
    FAULTS.with(|faults| faults.borrow().clone())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_marked_threads_count_faults() {
        let unmarked = std::thread::spawn(|| {
            note(|| "unmarked".into());
            faults()
        });
        assert!(unmarked.join().unwrap().is_empty(), "an unmarked thread may read files");
        let marked = std::thread::spawn(|| {
            mark_this_thread();
            note(|| "read test.toml".into());
            faults()
        });
        assert_eq!(marked.join().unwrap(), vec!["read test.toml".to_string()]);
    }
}
