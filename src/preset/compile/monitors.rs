//! `[monitors]`: the container pattern, the Prometheus endpoints' URLs and the interval.

use super::Context;
use crate::monitor::MonitorSettings;
use crate::preset::compiled::BaseUrl;
use crate::preset::model::MonitorsSpec;

pub(super) fn compile(ctx: &mut Context<'_>, spec: Option<&MonitorsSpec>) -> MonitorSettings {
    let mut settings = MonitorSettings::default();
    let Some(spec) = spec else { return settings };
    settings.gpu = spec.gpu.unwrap_or(true);
    settings.host = spec.host.unwrap_or(true);
    if let Some(interval) = &spec.interval {
        let secs = interval.get_ref().0.as_secs_f64();
        if !(0.1..=60.0).contains(&secs) {
            ctx.push_at(
                interval,
                format!("monitors interval {} is out of range: use 100ms to 60s", interval.get_ref()),
            );
        }
        settings.interval_secs = secs.clamp(0.1, 60.0);
    }
    if let Some(filter) = &spec.containers {
        if let Some(pattern) = &filter.get_ref().name
            && let Err(err) = regex::Regex::new(pattern)
        {
            ctx.push_at(
                filter,
                format!("containers name {pattern:?} is not a valid regular expression: {err}"),
            );
        }
        settings.containers = Some(filter.get_ref().clone());
    }
    for endpoint in &spec.prometheus {
        let url = &endpoint.get_ref().url;
        if let Err(why) = BaseUrl::parse(url) {
            ctx.push_at(endpoint, format!("prometheus url {url:?}: {why}"));
        }
        settings.prometheus.push(endpoint.get_ref().clone());
    }
    settings
}
