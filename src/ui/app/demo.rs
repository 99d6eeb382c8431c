//! The app and the built-in demo stack: a preset whose services name the demo stack's
//! reference ports is pointed at wherever the running stack listens.

use crate::demo::DemoStack;
use crate::preset::CompiledPreset;
use crate::ui::document::PresetDocument;

/// Whether any scenario's base URL is one of the demo stack's reference addresses.
pub(super) fn uses_demo_ports(document: &PresetDocument) -> bool {
    [
        "localhost:8000",
        "localhost:8002",
        "localhost:8020",
        "127.0.0.1:8000",
        "127.0.0.1:8002",
        "127.0.0.1:8020",
    ]
    .iter()
    .any(|address| document.text().contains(address))
}

/// Points the compiled preset's services that name the demo stack's reference ports at
/// wherever the running stack listens (where it fell back to other ports, the demo panel says
/// which).
pub(super) fn point_at_demo_stack(compiled: &mut CompiledPreset, stack: &DemoStack) {
    stack.point_preset_here(compiled);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fallback_port_changes_the_run_not_the_preset() {
        let mut document = PresetDocument::shipped("demo").expect("the demo preset ships");
        let mut compiled = document.compile().expect("the demo preset compiles");
        let stack = DemoStack::start(crate::demo::DemoConfig {
            base_port: 0,
            ..crate::demo::DemoConfig::default()
        })
        .expect("a demo stack on free ports");
        point_at_demo_stack(&mut compiled, &stack);
        let urls: Vec<String> = compiled
            .scenarios
            .iter()
            .flat_map(|scenario| scenario.services.iter().map(|service| service.base.text.clone()))
            .collect();
        for url in &urls {
            assert!(
                stack.urls().iter().any(|listening| url.starts_with(listening.as_str())),
                "{url} is not the stack's"
            );
        }
        for service in compiled.scenarios.iter().flat_map(|scenario| &scenario.services) {
            let health = service.health.as_ref().map(|health| health.url.as_str()).unwrap_or_default();
            assert!(
                health.is_empty() || health.starts_with(&service.base.text),
                "{health} checks elsewhere"
            );
        }
        assert!(!document.is_dirty(), "the preset's text is untouched");
        assert!(document.text().contains("127.0.0.1:8000") || document.text().contains("localhost:8000"));
    }
}
