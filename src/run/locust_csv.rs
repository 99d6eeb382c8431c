//! Locust's CSV files as `locust --csv PREFIX` writes them (2.x): their column names and
//! percentiles. `report::csv` writes them and `locust_import` reads them.

/// Locust's reported percentiles, and their column names.
pub(crate) const PERCENTILES: [f64; 11] = [0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0];
pub(crate) const PERCENTILE_NAMES: [&str; 11] = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"];

/// `*_stats.csv` columns.
pub(crate) fn stats_header() -> Vec<&'static str> {
    let mut header = vec![
        "Type",
        "Name",
        "Request Count",
        "Failure Count",
        "Median Response Time",
        "Average Response Time",
        "Min Response Time",
        "Max Response Time",
        "Average Content Size",
        "Requests/s",
        "Failures/s",
    ];
    header.extend(PERCENTILE_NAMES);
    header
}

/// `*_stats_history.csv` columns.
pub(crate) fn history_header() -> Vec<&'static str> {
    let mut header = vec!["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"];
    header.extend(PERCENTILE_NAMES);
    header.extend([
        "Total Request Count",
        "Total Failure Count",
        "Total Median Response Time",
        "Total Average Response Time",
        "Total Min Response Time",
        "Total Max Response Time",
        "Total Average Content Size",
    ]);
    header
}

/// `*_failures.csv` columns, as Locust 2.47 writes them.
pub(crate) const FAILURES_HEADER: [&str; 6] = ["Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"];
