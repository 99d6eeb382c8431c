//! `loadscope demo-stack`: the built-in simulated services, until Ctrl-C.

use super::{DemoStackArgs, EXIT_BAD_INPUT, EXIT_PASSED};
use crate::demo::{DemoConfig, DemoStack};

/// Starts the demo stack and waits for Ctrl-C.
pub(crate) fn demo_stack(args: DemoStackArgs) -> u8 {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        eprintln!("--time-scale {}: must be a positive number (1.0 = normal speed)", args.time_scale);
        return EXIT_BAD_INPUT;
    }
    let config = DemoConfig {
        host: args.host,
        base_port: args.base_port,
        seed: args.seed,
        time_scale: args.time_scale,
        exact: args.exact,
        ..DemoConfig::default()
    };
    let stack = match DemoStack::start(config) {
        Ok(stack) => stack,
        Err(err) => {
            eprintln!("cannot start the demo stack: {err}. Pick other ports with --base-port.");
            return EXIT_BAD_INPUT;
        }
    };
    let [gateway, rag, mcp] = stack.urls();
    println!("Loadscope demo stack (simulated services, for trying Loadscope out):");
    println!("  OpenAI-compatible gateway  {gateway}   (/health, /v1/models, /v1/chat/completions)");
    println!("  RAG service                {rag}   (/health, POST /query, POST /index)");
    println!("  MCP server                 {mcp}   (/health, /mcp streamable HTTP)");
    println!("Run a preset against it in another terminal: loadscope run demo");
    println!("Ctrl-C stops it.");
    let waited = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|runtime| runtime.block_on(tokio::signal::ctrl_c()));
    drop(stack);
    match waited {
        Ok(Ok(())) => EXIT_PASSED,
        _ => EXIT_BAD_INPUT,
    }
}
