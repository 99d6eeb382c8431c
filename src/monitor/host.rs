//! The host Loadscope runs on: CPU and memory (sysinfo), so a saturated load generator shows
//! up next to the numbers it produced.

use sysinfo::System;

use super::HostSample;

/// Samples the host; CPU % is measured between consecutive calls.
pub(crate) struct HostSampler {
    system: System,
}

impl HostSampler {
    /// Opens the host's counters, or says why they cannot be read.
    pub(crate) fn new() -> Result<HostSampler, super::MonitorError> {
        let mut system = System::new().map_err(|err| super::MonitorError::HostCounters(err.to_string()))?;
        system.refresh_cpu_usage();
        system.refresh_memory();
        Ok(HostSampler { system })
    }

    /// CPU use since the previous call (or since `new`), and memory now.
    pub(crate) fn sample(&mut self) -> HostSample {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        HostSample {
            cpu_percent: f64::from(self.system.global_cpu_usage()),
            mem_used_bytes: self.system.used_memory(),
            mem_total_bytes: self.system.total_memory(),
        }
    }
}
