//! One `[[scenario]]`: its service (base URL, TLS, headers, health check) and pools here, then
//! each part by its own file, in the order a later part may refer to an earlier one: tasks,
//! levels, setup, failure classes, targets.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::{Context, capacity, level, objectives, setup, targets, task};
use crate::preset::compiled::{BaseUrl, CompiledScenario, HealthCheck};
use crate::preset::model::Scenario;
use crate::preset::pools::load_pools;
use crate::preset::template;

pub(super) fn compile(ctx: &mut Context<'_>, scenario: &Scenario) -> Option<CompiledScenario> {
    let before = ctx.mistakes();
    let name = scenario.name.get_ref().clone();
    let label = format!("scenario {name:?}");
    let (base, extra_roots) = compile_service(ctx, scenario, &label);

    let pools = match load_pools(scenario, ctx.loaded.source.base_dir.as_deref()) {
        Ok(pools) => pools,
        Err((pool, why)) => {
            let span = scenario.pools.get(&pool).map(|spec| spec.span());
            ctx.push(span, why);
            BTreeMap::new()
        }
    };
    // Dotted names templates may use: pool.NAME and setup.NAME.
    let template_names: Vec<String> = scenario
        .pools
        .keys()
        .map(|pool| format!("pool.{pool}"))
        .chain(
            scenario
                .setup
                .iter()
                .flat_map(|step| step.get_ref().save.keys().map(|name| format!("setup.{name}"))),
        )
        .collect();
    ctx.begin_scenario(template_names);

    let tasks = task::compile_all(ctx, scenario, &label);
    let mut levels = Vec::new();
    if scenario.levels.is_empty() && scenario.capacity.is_none() {
        ctx.push_at(
            &scenario.name,
            format!("{label} has no levels: add a [[scenario.level]] table (or a [scenario.capacity] search)"),
        );
    }
    let capacity = capacity::compile(ctx, scenario, &label);
    for (index, spec) in scenario.levels.iter().enumerate() {
        match level::compile(index, spec.get_ref()) {
            Ok(compiled) => levels.push(compiled),
            Err(why) => ctx.push_at(spec, format!("{label} level {}: {why}", index + 1)),
        }
    }
    let setup = setup::compile_all(ctx, scenario);
    let failure_classes = targets::compile_failure_classes(ctx, scenario);
    let objectives = objectives::compile(ctx, scenario, &tasks, &label);
    let named = targets::Named {
        label: &label,
        levels: &levels,
        tasks: &tasks,
        failure_classes: &failure_classes,
        objectives: objectives.as_ref(),
    };
    let targets = targets::compile_all(ctx, scenario, &named);
    let templates = ctx.take_templates();

    if ctx.mistakes() > before {
        return None;
    }
    let base = base?;
    let health = scenario.service.health_path.as_ref().map(|path| HealthCheck {
        url: base.url(path),
        expect_status: scenario.service.health_status,
        start_hint: scenario.service.start_hint.clone(),
    });
    Some(CompiledScenario {
        name,
        base,
        extra_roots,
        tls_verify: scenario.service.tls_verify.unwrap_or(true),
        headers: scenario.service.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        health,
        think_time: scenario.think_time,
        timeout: scenario.timeout.0,
        pools: template::pools_value(&pools),
        templates: Arc::new(templates),
        tasks,
        levels,
        targets,
        mcp: scenario.mcp.clone().unwrap_or_default(),
        failure_classes,
        setup,
        baseline: None,
        objectives,
        capacity,
    })
}

/// The base URL, extra root certificates, service headers and health path.
fn compile_service(ctx: &mut Context<'_>, scenario: &Scenario, label: &str) -> (Option<BaseUrl>, Vec<CertificateDer<'static>>) {
    // `${VAR}` is resolved in what requests send, not in where they go: a reference here
    // would be sent (and shown) literally. The base URL's user info is sent (as Basic
    // credentials), so a reference may stand for the user or password there.
    let (_, address) = crate::preset::compiled::split_credentials(scenario.service.base_url.get_ref());
    for (field, text) in [("base_url", Some(&address)), ("health_path", scenario.service.health_path.as_ref())] {
        if let Some(text) = text
            && text.contains("${")
        {
            let shown = crate::preset::compiled::mask_password(text);
            ctx.push_at(
                &scenario.service.base_url,
                format!(
                    "{label}: {field} {shown:?} holds a ${{VAR}} reference, which is resolved only in headers, paths, bodies, arguments and a base URL's password (http://user:${{PASS}}@host); write the address itself, or pass --host URL"
                ),
            );
        }
    }
    let base = match BaseUrl::parse(scenario.service.base_url.get_ref()) {
        Ok(base) => Some(base),
        Err(why) => {
            ctx.push_at(&scenario.service.base_url, why.to_string());
            None
        }
    };
    let extra_roots = read_ca_file(ctx, scenario);
    let headers_span = Some(scenario.service.base_url.span());
    ctx.check_headers(&scenario.service.headers, headers_span.clone(), label);
    if let Some(path) = &scenario.service.health_path
        && !path.starts_with('/')
    {
        ctx.push(headers_span, format!("{label}: health_path {path:?} must start with '/'"));
    }
    (base, extra_roots)
}

/// The service's `ca_file`: extra root certificates (DER) for https.
fn read_ca_file(ctx: &mut Context<'_>, scenario: &Scenario) -> Vec<CertificateDer<'static>> {
    let Some(file) = &scenario.service.ca_file else {
        return Vec::new();
    };
    let path = ctx.preset_relative(file.get_ref());
    match CertificateDer::pem_file_iter(&path).and_then(|certs| certs.collect::<Result<Vec<_>, _>>()) {
        Ok(certs) if !certs.is_empty() => certs,
        Ok(_) => {
            ctx.push_at(file, format!("ca_file {}: no PEM certificates in it", path.display()));
            Vec::new()
        }
        Err(err) => {
            ctx.push_at(
                file,
                format!(
                    "ca_file {}: cannot read PEM certificates: {err} (paths are relative to the preset file)",
                    path.display()
                ),
            );
            Vec::new()
        }
    }
}
