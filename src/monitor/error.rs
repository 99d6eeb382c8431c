//! Why a monitor cannot start or read: each sampler's failures, and what is wrong in a page
//! of Prometheus text.

/// Why a monitor could not start or take a reading (the run goes on without it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MonitorError {
    #[error("container name pattern {pattern:?}: {why}")]
    BadPattern { pattern: String, why: String },
    #[error("cannot reach the Docker engine: {0}")]
    DockerUnreachable(String),
    #[error("cannot reach the Docker engine ({0}); is dockerd running and DOCKER_HOST (or /var/run/docker.sock) right?")]
    DockerNoAnswer(String),
    #[error("cannot list containers: {0}")]
    DockerList(String),
    /// NVML cannot start; the reason says why in the person's terms (no driver, no permission).
    #[error("{0}")]
    GpuUnavailable(String),
    #[error("cannot read this machine's CPU and memory counters: {0}")]
    HostCounters(String),
    #[error("{url}: {problem}")]
    Scrape { url: String, problem: ScrapeProblem },
}

/// What went wrong reading a Prometheus endpoint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScrapeProblem {
    #[error("{0}")]
    Request(String),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("not Prometheus text: {0}")]
    NotExposition(#[from] ExpositionError),
}

/// A line of Prometheus text that is not the format, by its number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ExpositionError {
    pub line: usize,
    pub problem: LineProblem,
}

/// What is wrong with one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LineProblem {
    #[error("# TYPE without a metric name")]
    TypeWithoutName,
    #[error("# TYPE {0} without a type")]
    TypeWithoutKind(String),
    #[error("{0:?} is not a metric name")]
    BadMetricName(String),
    #[error("{0} has no value")]
    NoValue(String),
    #[error("{name}: {text:?} is not a number")]
    NotANumber { name: String, text: String },
    #[error("{name}: timestamp {text:?} is not a number")]
    BadTimestamp { name: String, text: String },
    #[error("a label without =")]
    LabelWithoutEquals,
    #[error("{0:?} is not a label name")]
    BadLabelName(String),
    #[error("label {0}'s value is not quoted")]
    Unquoted(String),
    #[error("label {0}'s value has no closing quote")]
    Unclosed(String),
    #[error("label {0}'s value ends in a backslash")]
    TrailingBackslash(String),
}
