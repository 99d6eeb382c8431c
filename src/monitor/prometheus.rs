//! Target metrics from Prometheus text endpoints (vLLM's `/metrics`, an exporter): the chosen
//! gauges and counters, read with our own exposition parser (`exposition.rs`), which takes
//! vLLM's `vllm:` names.

use super::error::{MonitorError, ScrapeProblem};
use super::exposition::{self, FamilyType};
use super::{MetricSample, PrometheusEndpoint};

/// How many series one endpoint may add per sample when no names are chosen.
pub(crate) const MAX_SERIES_PER_ENDPOINT: usize = 40;

/// The values of the wanted series in a Prometheus text page. A series is named with its
/// labels (`vllm:num_requests_waiting{model="x"}`), sorted by label, and histograms and
/// summaries are left out (their buckets are not one value).
pub fn parse(text: &str, wanted: &[String]) -> Result<Vec<MetricSample>, ScrapeProblem> {
    let exposition = exposition::parse(text)?;
    let mut samples = Vec::new();
    for sample in exposition {
        let one_value = match sample.family_type {
            FamilyType::Gauge | FamilyType::Untyped => sample.suffix.is_empty(),
            // `_created` is when the counter started, not a count.
            FamilyType::Counter => sample.suffix != "_created",
            _ => false,
        };
        if !one_value || !(wanted.is_empty() || wanted.contains(&sample.family)) {
            continue;
        }
        let mut labels = sample.labels;
        labels.sort();
        let name = if labels.is_empty() {
            sample.family
        } else {
            let labels: Vec<String> = labels.iter().map(|(key, value)| format!("{key}=\"{value}\"")).collect();
            format!("{}{{{}}}", sample.family, labels.join(","))
        };
        samples.push(MetricSample { name, value: sample.value });
    }
    samples.sort_by(|a, b| a.name.cmp(&b.name));
    if wanted.is_empty() {
        samples.truncate(MAX_SERIES_PER_ENDPOINT);
    }
    Ok(samples)
}

/// Scrapes one endpoint.
pub(crate) async fn scrape(client: &reqwest::Client, endpoint: &PrometheusEndpoint) -> Result<Vec<MetricSample>, MonitorError> {
    let failed = |problem: ScrapeProblem| MonitorError::Scrape {
        url: endpoint.url.clone(),
        problem,
    };
    let response = client
        .get(&endpoint.url)
        .send()
        .await
        .map_err(|err| failed(ScrapeProblem::Request(err.to_string())))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(ScrapeProblem::Status(status.as_u16())));
    }
    let text = response
        .text()
        .await
        .map_err(|err| failed(ScrapeProblem::Request(err.to_string())))?;
    parse(&text, &endpoint.metrics).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VLLM: &str = r#"# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="llama"} 3.0
# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{model_name="llama"} 0.42
# TYPE vllm:request_success_total counter
vllm:request_success_total{finished_reason="stop",model_name="llama"} 120
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{le="1.0",model_name="llama"} 4
vllm:e2e_request_latency_seconds_bucket{le="+Inf",model_name="llama"} 4
vllm:e2e_request_latency_seconds_sum{model_name="llama"} 2.5
vllm:e2e_request_latency_seconds_count{model_name="llama"} 4
"#;

    #[test]
    fn keeps_the_chosen_series_with_their_labels() {
        let wanted = vec!["vllm:num_requests_waiting".to_string(), "vllm:gpu_cache_usage_perc".to_string()];
        let samples = parse(VLLM, &wanted).expect("vLLM text parses");
        assert_eq!(
            samples,
            vec![
                MetricSample {
                    name: "vllm:gpu_cache_usage_perc{model_name=\"llama\"}".into(),
                    value: 0.42
                },
                MetricSample {
                    name: "vllm:num_requests_waiting{model_name=\"llama\"}".into(),
                    value: 3.0
                },
            ]
        );
        let counter = parse(VLLM, &["vllm:request_success_total".to_string()]).expect("vLLM text parses");
        assert_eq!(
            counter[0].name,
            "vllm:request_success_total{finished_reason=\"stop\",model_name=\"llama\"}"
        );
        assert_eq!(counter[0].value, 120.0);
    }
}
