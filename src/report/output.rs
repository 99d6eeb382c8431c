//! Writing a rendered report where the person asked: Markdown to a file or standard output,
//! one HTML file, the Locust CSV files, or JUnit XML; every file written atomically.

use std::path::{Path, PathBuf};

use super::{Format, Report, csv, html, junit, markdown};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportWriteError {
    #[error("cannot write {path}: {source} (check the folder exists and is writable, or pass --out)")]
    File { path: PathBuf, source: std::io::Error },
    #[error("cannot write CSV files at {prefix}: {why}")]
    Csv { prefix: PathBuf, why: String },
}

/// Renders and writes a report; returns the files written (none when Markdown went to
/// standard output).
pub(crate) fn write(report: &Report, format: Format, out: Option<&Path>, run_path: &Path) -> Result<Vec<PathBuf>, ReportWriteError> {
    let stem = run_path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let write_file = |path: &Path, text: &str| {
        crate::run::save::write_atomic(path, text.as_bytes())
            .map(|_| vec![path.to_path_buf()])
            .map_err(|source| ReportWriteError::File {
                path: path.to_path_buf(),
                source,
            })
    };
    match format {
        Format::Md => {
            let text = markdown::render(report);
            match out {
                Some(path) => write_file(path, &text),
                None => {
                    // On a terminal, escapes in user text are shown, not obeyed.
                    print!("{}", crate::format::terminal(&text));
                    Ok(Vec::new())
                }
            }
        }
        Format::Html => {
            let path = out.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(format!("{stem}.html")));
            write_file(&path, &html::render_report(report))
        }
        Format::Junit => {
            let path = out.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(format!("{stem}.xml")));
            write_file(&path, &junit::render(report.run))
        }
        Format::Csv => {
            let prefix = out.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(&stem));
            csv::write_all(report.run, &prefix).map_err(|err| ReportWriteError::Csv {
                prefix: prefix.clone(),
                why: err.to_string(),
            })
        }
    }
}
