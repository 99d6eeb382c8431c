//! Request templates (minijinja): `{{ pool.queries | random | tojson }}`, `{{ uuid() }}`,
//! `{{ user_id }}`, `{{ seq }}`. One environment per scenario holds every task's templates.

use std::collections::BTreeMap;

use minijinja::value::Serde;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use rand::RngExt;

/// Variables a template may use besides `pool.NAME` and `setup.NAME`.
pub(crate) const CONTEXT_VARIABLES: &[&str] = &["user_id", "seq"];

/// Whether `text` needs rendering at all (static bodies are sent as they are).
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// A fresh environment with Loadscope's filters and functions, strict about undefined names.
pub(crate) fn new_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("random", random_item);
    env.add_function("uuid", || uuid::Uuid::new_v4().to_string());
    env.add_filter("sample", sample_items);
    env.add_function("embedding", embedding);
    env.add_function("random_int", |low: i64, high: i64| -> Result<i64, Error> {
        if low > high {
            return Err(Error::new(ErrorKind::InvalidOperation, "random_int: low is larger than high"));
        }
        Ok(rand::rng().random_range(low..=high))
    });
    env
}

/// `seq | random`: one item of a list, uniformly.
fn random_item(value: Value) -> Result<Value, Error> {
    let len = value
        .len()
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "random needs a list (e.g. pool.queries | random)"))?;
    if len == 0 {
        return Err(Error::new(ErrorKind::InvalidOperation, "random on an empty list"));
    }
    value.get_item_by_index(rand::rng().random_range(0..len))
}

/// `seq | sample(n)`: n distinct items of a list in random order (all of them when the list is
/// shorter), for batches.
fn sample_items(value: Value, count: usize) -> Result<Value, Error> {
    let len = value
        .len()
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "sample needs a list (e.g. pool.documents | sample(3))"))?;
    let mut indexes: Vec<usize> = (0..len).collect();
    let mut rng = rand::rng();
    let take = count.min(len);
    for index in 0..take {
        let pick = rng.random_range(index..len);
        indexes.swap(index, pick);
    }
    let mut items = Vec::with_capacity(take);
    for index in &indexes[..take] {
        items.push(value.get_item_by_index(*index)?);
    }
    Ok(Value::from(items))
}

/// `embedding(dim, seed)`: a unit-length vector of `dim` floats drawn from an RNG seeded with
/// `seed`, so the same seed gives the same vector (for vector databases without an embedder).
fn embedding(dim: usize, seed: u64) -> Result<Value, Error> {
    use rand::SeedableRng;
    if dim == 0 || dim > 8192 {
        return Err(Error::new(ErrorKind::InvalidOperation, "embedding dimension must be 1 to 8192"));
    }
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let raw: Vec<f64> = (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect();
    let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    Ok(Value::from(
        raw.into_iter().map(|x| ((x / norm) * 1e6).round() / 1e6).collect::<Vec<f64>>(),
    ))
}

/// The `pool` variable templates see.
pub(crate) fn pools_value(pools: &BTreeMap<String, Vec<String>>) -> Value {
    Value::from(Serde(pools))
}

/// The per-request context; `setup` holds the values setup steps saved.
pub(crate) fn request_context(pools: &Value, setup: &Value, user_id: u64, seq: u64) -> Value {
    minijinja::context! { pool => pools.clone(), setup => setup.clone(), user_id => user_id, seq => seq }
}

/// A journey step's context: the request's, and what earlier steps saved as `journey.NAME`.
pub(crate) fn journey_context(pools: &Value, setup: &Value, user_id: u64, seq: u64, journey: &Value) -> Value {
    minijinja::context! { pool => pools.clone(), setup => setup.clone(), user_id => user_id, seq => seq, journey => journey.clone() }
}

/// Names a template uses that nothing provides. `known` lists the dotted names that exist
/// (`pool.queries`, `setup.collection_id`, `journey.context`).
pub(crate) fn unknown_names(env: &Environment<'static>, template: &str, known: &[&str]) -> Vec<String> {
    let Ok(template) = env.get_template(template) else {
        return Vec::new();
    };
    let mut unknown: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|name| {
            let root = name.split('.').next().unwrap_or(name);
            if root == "pool" || root == "setup" || root == "journey" {
                let dotted: String = name.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
                return !known.contains(&dotted.as_str());
            }
            !CONTEXT_VARIABLES.contains(&root) && env.globals().all(|(global, _)| global != root)
        })
        .collect();
    unknown.sort();
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_pools_and_functions() {
        let mut env = new_environment();
        env.add_template_owned(
            "t".to_string(),
            "{\"q\": {{ pool.queries | random | tojson }}, \"u\": {{ user_id }}, \"s\": {{ seq }}, \"id\": \"{{ uuid() }}\"}".to_string(),
        )
        .expect("compiles");
        let pools = BTreeMap::from([("queries".to_string(), vec!["say \"hi\"".to_string()])]);
        let rendered = env
            .get_template("t")
            .expect("exists")
            .render(request_context(&pools_value(&pools), &Value::UNDEFINED, 7, 3))
            .expect("renders");
        let json: serde_json::Value = serde_json::from_str(&rendered).expect("valid JSON");
        assert_eq!(json["q"], "say \"hi\"");
        assert_eq!(json["u"], 7);
        assert_eq!(json["s"], 3);
        assert_eq!(json["id"].as_str().map(str::len), Some(36));
    }

    #[test]
    fn samples_batches_and_seeded_embeddings() {
        let env = new_environment();
        let pools = BTreeMap::from([("docs".to_string(), vec!["a".to_string(), "b".to_string(), "c".to_string()])]);
        let rendered = env
            .render_str(
                "{{ pool.docs | sample(2) | tojson }}|{{ embedding(4, 7) | tojson }}|{{ embedding(4, 7) | tojson }}",
                request_context(&pools_value(&pools), &Value::UNDEFINED, 0, 0),
            )
            .expect("renders");
        let parts: Vec<&str> = rendered.split('|').collect();
        let batch: Vec<String> = serde_json::from_str(parts[0]).expect("list");
        assert_eq!(batch.len(), 2);
        assert_ne!(batch[0], batch[1], "distinct items");
        let vector: Vec<f64> = serde_json::from_str(parts[1]).expect("floats");
        assert_eq!(vector.len(), 4);
        assert!((vector.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-4, "unit length");
        assert_eq!(parts[1], parts[2], "same seed, same vector");
    }

    #[test]
    fn finds_unknown_pools() {
        let mut env = new_environment();
        env.add_template_owned("t".to_string(), "{{ pool.quries | random }} {{ user_id }} {{ usr }}".to_string())
            .expect("compiles");
        assert_eq!(
            unknown_names(&env, "t", &["queries"]),
            vec!["pool.quries".to_string(), "usr".to_string()]
        );
    }
}
