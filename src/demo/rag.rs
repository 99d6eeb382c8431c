//! The demo RAG service: `/health`, `POST /query` (`{"query", "top_k"}` → ranked passages) and
//! `POST /index` (`{"text"}` or `{"documents": [...]}` → ids). Indexing costs about twice a
//! query, and both share one vector-store queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::model::{GpuQueue, Jitter};
use super::server::{DemoBody, json as json_response, read_json};

/// The RAG service's state.
pub(crate) struct Rag {
    pub store: GpuQueue,
    pub jitter: Arc<Jitter>,
    pub documents: AtomicU64,
}

impl Rag {
    pub(crate) async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<DemoBody> {
        match (request.method(), request.uri().path()) {
            (&Method::GET, "/health") => json_response(
                StatusCode::OK,
                &json!({"status": "ok", "service": "demo-rag", "documents": self.documents.load(Ordering::Relaxed)}),
            ),
            (&Method::POST, "/query") => self.query(request).await,
            (&Method::POST, "/index") => self.index(request).await,
            _ => json_response(StatusCode::NOT_FOUND, &json!({"detail": "no such route on the demo RAG service"})),
        }
    }

    async fn query(&self, request: Request<Incoming>) -> Response<DemoBody> {
        let arrived = std::time::Instant::now();
        let (_, body) = match read_json(request).await {
            Ok(parsed) => parsed,
            Err(response) => return response,
        };
        let Some(query) = body.get("query").and_then(Value::as_str) else {
            return json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({"detail": "field 'query' (string) is required"}),
            );
        };
        let top_k = body.get("top_k").and_then(Value::as_u64).unwrap_or(5).clamp(1, 50);
        let Ok(permit) = self.store.acquire().await else {
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"detail": "vector store busy: qdrant search timeout"}),
            );
        };
        if self.jitter.inject_error() {
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"detail": "database error: connection reset"}),
            );
        }
        self.jitter.wait(self.jitter.service(25.0, 0.4), arrived).await;
        drop(permit);
        let results: Vec<Value> = (0..top_k)
            .map(|rank| {
                json!({
                    "id": format!("doc-{}", (query.len() as u64 * 31 + rank) % 997),
                    "score": 0.92 - rank as f64 * 0.07,
                    "text": format!("Passage {} about {query}", rank + 1),
                })
            })
            .collect();
        json_response(StatusCode::OK, &json!({"query": query, "results": results}))
    }

    async fn index(&self, request: Request<Incoming>) -> Response<DemoBody> {
        let arrived = std::time::Instant::now();
        let (_, body) = match read_json(request).await {
            Ok(parsed) => parsed,
            Err(response) => return response,
        };
        let count = match (
            body.get("text").and_then(Value::as_str),
            body.get("documents").and_then(Value::as_array),
        ) {
            (Some(_), _) => 1,
            (None, Some(documents)) if !documents.is_empty() => documents.len() as u64,
            _ => {
                return json_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &json!({"detail": "give 'text' (string) or 'documents' (non-empty array)"}),
                );
            }
        };
        let Ok(permit) = self.store.acquire().await else {
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"detail": "vector store busy: qdrant upsert timeout"}),
            );
        };
        if self.jitter.inject_error() {
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"detail": "database error: write conflict"}),
            );
        }
        self.jitter
            .wait(self.jitter.service(50.0 + 10.0 * count as f64, 0.4), arrived)
            .await;
        drop(permit);
        let first = self.documents.fetch_add(count, Ordering::Relaxed);
        let ids: Vec<String> = (first..first + count).map(|n| format!("doc-{n}")).collect();
        json_response(StatusCode::OK, &json!({"indexed": count, "ids": ids}))
    }
}
