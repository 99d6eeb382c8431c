//! The app and the built-in demo stack: a preset whose services name the demo stack's
//! reference ports is pointed at wherever the running stack listens.

use crate::demo::DemoStack;
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

/// Rewrites base URLs that name the demo stack's reference ports (8000, 8002, 8020 on
/// localhost) to where the running stack listens.
pub(super) fn point_at_demo_stack(document: &mut PresetDocument, stack: &DemoStack) {
    let [gateway, rag, mcp] = stack.urls();
    let mapping: Vec<(u16, String)> = [(8000, stack.gateway, gateway), (8002, stack.rag, rag), (8020, stack.mcp, mcp)]
        .into_iter()
        .filter(|(port, address, _)| address.port() != *port)
        .map(|(port, _, url)| (port, url))
        .collect();
    if mapping.is_empty() {
        return;
    }
    document.edit(|doc| {
        let Some(scenarios) = crate::ui::fields::array_mut(doc.as_table_mut(), "scenario") else {
            return;
        };
        for scenario in scenarios.iter_mut() {
            let Some(service) = scenario.get_mut("service").and_then(|item| item.as_table_like_mut()) else {
                continue;
            };
            let Some(url) = service.get("base_url").and_then(|item| item.as_str()).map(str::to_string) else {
                continue;
            };
            for (port, target) in &mapping {
                let matches = ["http://localhost", "http://127.0.0.1"]
                    .iter()
                    .any(|host| url.trim_end_matches('/') == format!("{host}:{port}"));
                if matches && url != *target {
                    service.insert("base_url", toml_edit::value(target.as_str()));
                }
            }
        }
    });
}
