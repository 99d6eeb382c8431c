//! `[[scenario.setup]]`: requests run once before the first level, whose replies may save
//! values (`setup.NAME`) for the tasks' templates.

use hyper::http::Method;

use super::Context;
use crate::preset::compiled::{CompiledSetup, TextSource};
use crate::preset::model::Scenario;

pub(super) fn compile_all(ctx: &mut Context<'_>, scenario: &Scenario) -> Vec<CompiledSetup> {
    let mut setup = Vec::new();
    for (index, step) in scenario.setup.iter().enumerate() {
        let span = step.span();
        let step = step.get_ref();
        let label = format!("setup step {:?}", step.name);
        let method_text = step
            .method
            .clone()
            .unwrap_or_else(|| if step.body.is_some() { "POST".into() } else { "GET".into() });
        let method = Method::from_bytes(method_text.to_ascii_uppercase().as_bytes()).unwrap_or_else(|_| {
            ctx.push(Some(span.clone()), format!("{label}: method {method_text:?} is not an HTTP method"));
            Method::GET
        });
        let path = ctx.text(format!("setup{index}.path"), &step.path, &label, "path");
        if let TextSource::Literal(text) = &path
            && !text.starts_with('/')
        {
            ctx.push_at(&step.path, format!("{label}: path {text:?} must start with '/'"));
        }
        let body = step
            .body
            .as_ref()
            .map(|body| ctx.text(format!("setup{index}.body"), body, &label, "body"));
        ctx.check_headers(&step.headers, Some(span.clone()), &label);
        for (name, pointer) in &step.save {
            if !pointer.starts_with('/') {
                ctx.push(
                    Some(span.clone()),
                    format!("{label}: save {name} = {pointer:?} must be a JSON pointer starting with '/'"),
                );
            }
        }
        let names = ctx.service_names().to_vec();
        let service = match (&step.service, names.len()) {
            (None, 0 | 1) => 0,
            (Some(name), _) if names.len() > 1 && names.contains(name) => names.iter().position(|known| known == name).unwrap_or(0),
            (None, _) => {
                ctx.push(
                    Some(span.clone()),
                    format!(
                        "{label}: the scenario has several services; say which this goes to with service = \"NAME\" (services: {})",
                        names.join(", ")
                    ),
                );
                0
            }
            (Some(name), _) => {
                ctx.push(
                    Some(span.clone()),
                    format!(
                        "{label}: service = {name:?} names no service of [scenario.services] (services: {})",
                        names.join(", ")
                    ),
                );
                0
            }
        };
        setup.push(CompiledSetup {
            name: step.name.clone(),
            service,
            method,
            path,
            headers: step.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            body,
            expect_status: step.expect_status.clone(),
            save: step.save.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
    }
    setup
}
