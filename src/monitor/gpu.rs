//! NVIDIA GPUs through NVML: utilisation, memory, temperature and power per GPU. Without a
//! driver (no libnvidia-ml), with the driver not loaded or without permission, the sampler
//! reports why as an unavailable state: a normal condition on machines without a GPU.

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use nvml_wrapper::error::NvmlError;

use super::GpuSample;

/// An open NVML handle.
pub(crate) struct GpuSampler {
    nvml: Nvml,
}

impl GpuSampler {
    /// Loads NVML, or says why it cannot be used.
    pub(crate) fn open() -> Result<GpuSampler, super::MonitorError> {
        Nvml::init()
            .map(|nvml| GpuSampler { nvml })
            .map_err(|err| super::MonitorError::GpuUnavailable(unavailable_reason(&err)))
    }

    /// What the sampler sees, for the status line ("2 GPUs: NVIDIA H100 80GB HBM3").
    pub(crate) fn describe(&self) -> String {
        let samples = self.sample();
        match samples.first() {
            None => "NVML loaded, no GPU found".to_string(),
            Some(first) if samples.len() == 1 => format!("1 GPU: {}", first.name),
            Some(first) => format!("{} GPUs: {}", samples.len(), first.name),
        }
    }

    /// One reading per GPU (a GPU whose readings fail is left out of this round).
    pub(crate) fn sample(&self) -> Vec<GpuSample> {
        let count = self.nvml.device_count().unwrap_or(0);
        (0..count)
            .filter_map(|index| {
                let device = self.nvml.device_by_index(index).ok()?;
                let utilization = device.utilization_rates().ok()?;
                let memory = device.memory_info().ok()?;
                Some(GpuSample {
                    index,
                    name: device.name().unwrap_or_else(|_| format!("GPU {index}")),
                    util_percent: f64::from(utilization.gpu),
                    mem_util_percent: f64::from(utilization.memory),
                    mem_used_bytes: memory.used,
                    mem_total_bytes: memory.total,
                    temperature_celsius: device.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
                    power_watts: device.power_usage().ok().map(|milliwatts| f64::from(milliwatts) / 1000.0),
                })
            })
            .collect()
    }
}

/// Why NVML cannot be used, in words a person can act on.
pub(crate) fn unavailable_reason(err: &NvmlError) -> String {
    match err {
        NvmlError::LibloadingError(_) => "NVML library not found (libnvidia-ml.so): no NVIDIA driver on this machine".to_string(),
        NvmlError::DriverNotLoaded => "the NVIDIA driver is not loaded (check `nvidia-smi`)".to_string(),
        NvmlError::NoPermission => "no permission to query the GPUs (run as a user with access to /dev/nvidia*)".to_string(),
        other => format!("NVML failed to start: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_states_say_why() {
        assert!(unavailable_reason(&NvmlError::DriverNotLoaded).contains("driver is not loaded"));
        assert!(unavailable_reason(&NvmlError::NoPermission).contains("permission"));
    }

    #[test]
    fn without_a_driver_nvml_is_unavailable_not_an_error() {
        // On machines with a working driver this opens; elsewhere it must explain itself.
        match GpuSampler::open() {
            Ok(sampler) => assert!(!sampler.describe().is_empty()),
            Err(super::super::MonitorError::GpuUnavailable(reason)) => assert!(
                reason.contains("NVML") || reason.contains("driver") || reason.contains("permission"),
                "{reason}"
            ),
            Err(other) => panic!("not a GPU failure: {other}"),
        }
    }
}
