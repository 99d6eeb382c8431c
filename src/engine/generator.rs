//! The load generator's own limits, kept apart from the service's: the open-file limit
//! (raised to its hard limit at start, and checked against what the levels need), the worker
//! threads' own CPU time (not the process's: in the app the same process draws the window),
//! and the warnings a run starts with.

use super::plan::RunPlan;
use crate::measure::LoadModel;

/// Descriptors a run uses besides its connections: standard streams, the runtimes' own,
/// monitors, the run file.
pub(crate) const DESCRIPTOR_OVERHEAD: u64 = 64;

/// Raises the soft open-file limit to the hard limit (unix); returns the limit now in force.
pub(crate) fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit.rlim_cur = limit.rlim_max;
                }
            }
        }
        // rlim_t is u64 here but not on every unix.
        #[allow(clippy::unnecessary_cast)]
        Some(limit.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connections the busiest level of the plan can hold at once: one per user (closed
/// model) or per request in flight (open model).
pub(crate) fn connections_needed(plan: &RunPlan) -> u64 {
    plan.scenarios
        .iter()
        .flat_map(|scenario| scenario.compiled.levels.iter())
        .map(|level| match level.load {
            LoadModel::Closed { users, .. } => u64::from(users),
            LoadModel::Open { max_in_flight, .. } => u64::from(max_in_flight),
        })
        .max()
        .unwrap_or(0)
}

/// What the person should know before load starts: more connections than the open-file
/// limit allows, https certificates not verified.
pub(crate) fn start_warnings(plan: &RunPlan) -> Vec<super::RunWarning> {
    let mut warnings = Vec::new();
    if let Some(limit) = raise_open_file_limit() {
        let needed = connections_needed(plan) + DESCRIPTOR_OVERHEAD;
        if needed > limit {
            warnings.push(super::RunWarning::DescriptorsLow { needed, limit });
        }
    }
    for scenario in &plan.scenarios {
        warnings.extend(super::RunWarning::datasets_skipped(&scenario.compiled));
        for service in &scenario.compiled.services {
            if !service.tls_verify && service.base.scheme == crate::preset::compiled::Scheme::Https {
                warnings.push(super::RunWarning::InsecureTls {
                    scenario: scenario.compiled.name.clone(),
                    base_url: service.base.text.clone(),
                });
            }
        }
    }
    warnings
}

/// CPU time the calling thread has used so far, in microseconds (None where the platform
/// does not say).
pub(crate) fn thread_cpu_micros() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes into the struct it is given.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) } != 0 {
            return None;
        }
        Some(time.tv_sec as u64 * 1_000_000 + time.tv_nsec as u64 / 1_000)
    }
    #[cfg(not(unix))]
    {
        None
    }
}
