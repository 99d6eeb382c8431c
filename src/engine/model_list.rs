//! The models an OpenAI-compatible server lists at `/v1/models`: how `loadscope run --chat URL`
//! finds the model to ask for when `--model` does not name one.

use std::time::Duration;

/// How long the model list may take.
const MODEL_LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why no single model could be taken from the server's list.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ModelListError {
    #[error("cannot ask {url} for its models: {why}; start the server, or give --model NAME")]
    Unreachable { url: String, why: String },
    #[error("{url} answered HTTP {status} instead of a model list; give --model NAME")]
    Status { url: String, status: u16 },
    #[error("{url} did not answer an OpenAI model list ({{\"data\": [{{\"id\": ...}}]}}): {why}; give --model NAME")]
    NotAList { url: String, why: String },
    #[error("{url} lists no models (the server has none loaded); load one, or give --model NAME")]
    Empty { url: String },
    #[error("{url} lists {} models ({}); pick one with --model NAME", .models.len(), .models.join(", "))]
    Several { url: String, models: Vec<String> },
}

/// The one model `base` + `path` lists, asking with `headers` (already resolved).
pub(crate) fn only_model(base: &str, path: &str, headers: &[(String, String)], insecure: bool) -> Result<String, ModelListError> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    // Errors name the URL as it may be shown: a password in it masked.
    let shown = crate::preset::compiled::mask_password(&url);
    let unreachable = |why: String| ModelListError::Unreachable { url: shown.clone(), why };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| unreachable(err.to_string()))?;
    let client = super::preflight::tls_client(MODEL_LIST_TIMEOUT, &[], !insecure).map_err(|err| unreachable(err.to_string()))?;
    let body = runtime.block_on(async {
        let mut request = client.get(&url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|err| unreachable(super::preflight::describe_reqwest_error(&err)))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(ModelListError::Status {
                url: shown.clone(),
                status,
            });
        }
        response
            .bytes()
            .await
            .map_err(|err| unreachable(super::preflight::describe_reqwest_error(&err)))
    })?;
    let models = model_ids(&body).map_err(|why| ModelListError::NotAList { url: shown.clone(), why })?;
    match models.as_slice() {
        [] => Err(ModelListError::Empty { url: shown }),
        [only] => Ok(only.clone()),
        _ => Err(ModelListError::Several { url: shown, models }),
    }
}

/// The `id`s of an OpenAI model list.
fn model_ids(body: &[u8]) -> Result<Vec<String>, String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|err| format!("not JSON ({err})"))?;
    let data = value
        .get("data")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| "no \"data\" list".to_string())?;
    data.iter()
        .map(|model| {
            model
                .get("id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| "a model without an \"id\"".to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_an_openai_list() {
        assert_eq!(
            model_ids(br#"{"object":"list","data":[{"id":"a","object":"model"},{"id":"b"}]}"#).expect("list"),
            vec!["a", "b"]
        );
        assert!(model_ids(b"[]").expect_err("no data").contains("no \"data\""));
        assert!(
            model_ids(br#"{"data":[{"name":"x"}]}"#)
                .expect_err("no id")
                .contains("without an \"id\"")
        );
        assert!(model_ids(b"<html>").expect_err("html").contains("not JSON"));
        let several = ModelListError::Several {
            url: "http://h/v1/models".into(),
            models: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            several.to_string(),
            "http://h/v1/models lists 2 models (a, b); pick one with --model NAME"
        );
    }
}
