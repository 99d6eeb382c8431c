//! The presets that ship inside the binary, so `loadscope run api-gateway` works from any folder.

/// (name, TOML text) of every shipped preset.
pub const SHIPPED: &[(&str, &str)] = &[
    ("api-gateway", include_str!("../../presets/api-gateway.toml")),
    ("rag-service", include_str!("../../presets/rag-service.toml")),
    ("mcp-server", include_str!("../../presets/mcp-server.toml")),
    ("baseline", include_str!("../../presets/baseline.toml")),
    ("full-suite", include_str!("../../presets/full-suite.toml")),
    ("demo", include_str!("../../presets/demo.toml")),
    ("chroma", include_str!("../../presets/chroma.toml")),
    ("llm-dataset", include_str!("../../presets/llm-dataset.toml")),
    ("llm-capacity", include_str!("../../presets/llm-capacity.toml")),
    ("agent-journey", include_str!("../../presets/agent-journey.toml")),
    ("trace-replay", include_str!("../../presets/trace-replay.toml")),
];

/// The text of a shipped preset, by name (with or without `.toml`).
pub fn find(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    SHIPPED.iter().find(|(known, _)| *known == name).map(|(_, text)| *text)
}

/// Names of the shipped presets.
pub fn names() -> Vec<&'static str> {
    SHIPPED.iter().map(|(name, _)| *name).collect()
}
