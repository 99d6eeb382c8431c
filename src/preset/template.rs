//! Request templates (minijinja): `{{ pool.queries | random | tojson }}`, `{{ uuid() }}`,
//! `{{ user_id }}`, `{{ seq }}`. One environment per scenario holds every task's templates.

use std::collections::BTreeMap;

use minijinja::value::Serde;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use rand::RngExt;

/// Variables a template may use besides `pool.NAME`.
pub const CONTEXT_VARIABLES: &[&str] = &["user_id", "seq", "pool"];

/// Whether `text` needs rendering at all (static bodies are sent as they are).
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// A fresh environment with Loadscope's filters and functions, strict about undefined names.
pub fn new_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("random", random_item);
    env.add_function("uuid", || uuid::Uuid::new_v4().to_string());
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

/// The `pool` variable templates see.
pub fn pools_value(pools: &BTreeMap<String, Vec<String>>) -> Value {
    Value::from(Serde(pools))
}

/// The per-request context.
pub fn request_context(pools: &Value, user_id: u64, seq: u64) -> Value {
    minijinja::context! { pool => pools.clone(), user_id => user_id, seq => seq }
}

/// Names a template uses that nothing provides: unknown pools and unknown variables.
pub fn unknown_names(env: &Environment<'static>, template: &str, pool_names: &[&str]) -> Vec<String> {
    let Ok(template) = env.get_template(template) else {
        return Vec::new();
    };
    let mut unknown: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|name| {
            if let Some(pool) = name.strip_prefix("pool.") {
                return !pool_names.contains(&pool);
            }
            let root = name.split('.').next().unwrap_or(name);
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
            .render(request_context(&pools_value(&pools), 7, 3))
            .expect("renders");
        let json: serde_json::Value = serde_json::from_str(&rendered).expect("valid JSON");
        assert_eq!(json["q"], "say \"hi\"");
        assert_eq!(json["u"], 7);
        assert_eq!(json["s"], 3);
        assert_eq!(json["id"].as_str().map(str::len), Some(36));
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
