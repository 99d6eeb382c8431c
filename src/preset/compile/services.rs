//! A scenario's services: the one `[scenario.service]`, or several by name in
//! `[scenario.services.NAME]`, each with its base URL, TLS, headers and health check; and which
//! of them a task or step names with `service = "NAME"`.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use toml::Spanned;

use super::Context;
use super::task_input::TaskInput;
use crate::preset::compiled::{BaseUrl, CompiledService, HealthCheck, SOLE_SERVICE};
use crate::preset::model::{Scenario, Service};

/// The services' names in index order: `service` for a lone `[scenario.service]`, else the
/// names of `[scenario.services]` (sorted, as the table is).
pub(super) fn names(scenario: &Scenario) -> Vec<String> {
    match (&scenario.service, scenario.services.is_empty()) {
        (Some(_), _) | (None, true) => vec![SOLE_SERVICE.to_string()],
        (None, false) => scenario.services.keys().cloned().collect(),
    }
}

/// Every service of the scenario, compiled; None for one with a mistake (reported).
pub(super) fn compile_all(ctx: &mut Context<'_>, scenario: &Scenario, label: &str) -> Vec<Option<CompiledService>> {
    match (&scenario.service, scenario.services.is_empty()) {
        (Some(service), true) => vec![compile(ctx, SOLE_SERVICE, service, label)],
        (Some(service), false) => {
            ctx.push_at(
                &service.base_url,
                format!(
                    "{label} has both [scenario.service] and [scenario.services]; keep one (several services go in [scenario.services.NAME])"
                ),
            );
            Vec::new()
        }
        (None, true) => {
            ctx.push_at(
                &scenario.name,
                format!(
                    "{label} has no service: add [scenario.service] with base_url = \"http://...\", or name several in [scenario.services.NAME]"
                ),
            );
            Vec::new()
        }
        (None, false) => scenario
            .services
            .iter()
            .map(|(name, service)| compile(ctx, name, service, &format!("{label} service {name:?}")))
            .collect(),
    }
}

fn compile(ctx: &mut Context<'_>, name: &str, service: &Service, label: &str) -> Option<CompiledService> {
    // `${VAR}` is resolved in what requests send, not in where they go: a reference here
    // would be sent (and shown) literally. The base URL's user info is sent (as Basic
    // credentials), so a reference may stand for the user or password there.
    let (_, address) = crate::preset::compiled::split_credentials(service.base_url.get_ref());
    for (field, text) in [("base_url", Some(&address)), ("health_path", service.health_path.as_ref())] {
        if let Some(text) = text
            && text.contains("${")
        {
            let shown = crate::preset::compiled::mask_password(text);
            ctx.push_at(
                &service.base_url,
                format!(
                    "{label}: {field} {shown:?} holds a ${{VAR}} reference, which is resolved only in headers, paths, bodies, arguments and a base URL's password (http://user:${{PASS}}@host); write the address itself, or pass --host URL"
                ),
            );
        }
    }
    let base = match BaseUrl::parse(service.base_url.get_ref()) {
        Ok(base) => Some(base),
        Err(why) => {
            ctx.push_at(&service.base_url, format!("{label}: {why}"));
            None
        }
    };
    let extra_roots = read_ca_file(ctx, service.ca_file.as_ref());
    let headers_span = Some(service.base_url.span());
    ctx.check_headers(&service.headers, headers_span.clone(), label);
    if let Some(path) = &service.health_path
        && !path.starts_with('/')
    {
        ctx.push(headers_span, format!("{label}: health_path {path:?} must start with '/'"));
    }
    let base = base?;
    let health = service.health_path.as_ref().map(|path| HealthCheck {
        url: base.url(path),
        expect_status: service.health_status,
        start_hint: service.start_hint.clone(),
    });
    Some(CompiledService {
        name: name.to_string(),
        base,
        extra_roots,
        tls_verify: service.tls_verify.unwrap_or(true),
        headers: service.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        health,
    })
}

/// A `ca_file`: extra root certificates (DER) for https.
fn read_ca_file(ctx: &mut Context<'_>, file: Option<&Spanned<String>>) -> Vec<CertificateDer<'static>> {
    let Some(file) = file else {
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

/// The index of the service a task or step sends to: the one it names, or the scenario's only
/// one.
pub(super) fn of_task(ctx: &mut Context<'_>, input: &TaskInput<'_>) -> usize {
    resolve(ctx, input, input.task.service.as_ref(), "service").unwrap_or(0)
}

/// The index of the service `written` names (`field` says which key wrote it); None, reported,
/// when it names none. With `written` absent: the only service, or a mistake when there are
/// several.
pub(super) fn resolve(ctx: &mut Context<'_>, input: &TaskInput<'_>, written: Option<&Spanned<String>>, field: &str) -> Option<usize> {
    let names = ctx.service_names().to_vec();
    let sole = names.len() == 1 && names[0] == SOLE_SERVICE;
    match written {
        None if names.len() <= 1 => Some(0),
        None => {
            input.refuse(
                ctx,
                format!(
                    "the scenario has several services; say which this sends to with {field} = \"NAME\" (services: {})",
                    names.join(", ")
                ),
            );
            None
        }
        Some(name) => match names.iter().position(|known| known == name.get_ref()) {
            Some(index) if !sole || field != "service" => Some(index),
            _ if sole => {
                ctx.push_at(
                    name,
                    format!(
                        "{}: {field} = {:?} names a service, but the scenario has one [scenario.service]; name its services in [scenario.services.NAME] (then {field} = \"NAME\"), or remove {field}",
                        input.label,
                        name.get_ref()
                    ),
                );
                None
            }
            _ => {
                ctx.push_at(
                    name,
                    format!(
                        "{}: {field} = {:?} names no service of the scenario (services: {})",
                        input.label,
                        name.get_ref(),
                        names.join(", ")
                    ),
                );
                None
            }
        },
    }
}
