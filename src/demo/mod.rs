//! The embedded demo stack: a simulated AI suite on loopback (an OpenAI-compatible gateway, a
//! RAG service and an MCP server) whose latency grows with load, so a newcomer sees a real run,
//! knee included, with nothing else installed. A demo and test target, not a real service.

pub(crate) mod gateway;
pub(crate) mod mcp;
pub(crate) mod model;
mod precise_timer;
pub(crate) mod rag;
pub(crate) mod server;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use model::{GpuQueue, Jitter};

/// Where and how the demo services run.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    pub host: IpAddr,
    /// Gateway port; the RAG service listens on +2 and MCP on +20 (the reference stack's
    /// 8000 / 8002 / 8020). 0 picks free ports for all three.
    pub base_port: u16,
    /// Seed for service times and injected errors; the same seed gives the same draws.
    pub seed: Option<u64>,
    /// Multiplies every simulated delay (0.1 makes the stack ten times faster).
    pub time_scale: f64,
    /// Share of requests that fail with an injected server error.
    pub error_rate: f64,
    /// Concurrent generations the gateway's "GPU" runs, and how many may wait.
    pub gateway_slots: usize,
    pub gateway_queue: usize,
    /// Known delays, for benchmarks: every service time exactly its base (no spread, no slow
    /// tail, no injected errors), no queue for a slot, a reply of exactly `max_tokens`, two tool
    /// calls when two tools are offered, and a stream's tokens at fixed times from its start.
    pub exact: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 8000,
            seed: None,
            time_scale: 1.0,
            error_rate: 0.002,
            gateway_slots: 4,
            gateway_queue: 32,
            exact: false,
        }
    }
}

impl DemoConfig {
    fn addresses(&self) -> [SocketAddr; 3] {
        let port = |offset: u16| {
            if self.base_port == 0 {
                0
            } else {
                self.base_port.saturating_add(offset)
            }
        };
        [
            SocketAddr::new(self.host, port(0)),
            SocketAddr::new(self.host, port(2)),
            SocketAddr::new(self.host, port(20)),
        ]
    }
}

/// The running demo stack; dropping it stops the services.
pub struct DemoStack {
    pub gateway: SocketAddr,
    pub rag: SocketAddr,
    pub mcp: SocketAddr,
    shutdown: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
    mcp_state: Arc<mcp::Mcp>,
}

impl DemoStack {
    /// Starts the three services on their own two-thread runtime.
    pub fn start(config: DemoConfig) -> std::io::Result<DemoStack> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("loadscope-demo")
            .enable_all()
            .build()?;
        let [gateway_addr, rag_addr, mcp_addr] = config.addresses();
        let (gateway_listener, rag_listener, mcp_listener) = runtime.block_on(async {
            Ok::<_, std::io::Error>((
                server::bind(gateway_addr).await?,
                server::bind(rag_addr).await?,
                server::bind(mcp_addr).await?,
            ))
        })?;
        let addresses = (
            gateway_listener.local_addr()?,
            rag_listener.local_addr()?,
            mcp_listener.local_addr()?,
        );
        // The gateway counts prompt tokens with a tokenizer whose tables are read once (a
        // fraction of a second): read them now, off the caller's thread, not on a first request.
        let _ = std::thread::Builder::new()
            .name("loadscope-demo-tokenizer".into())
            .spawn(|| crate::tokens::Tokenizer::O200kBase.count(""));
        let timer = if config.exact {
            Some(precise_timer::PreciseTimer::start()?)
        } else {
            None
        };
        let jitter = Arc::new(Jitter::new(config.seed, config.time_scale, config.error_rate, timer));
        // Known delays: nothing waits for a slot.
        let slots = |slots: usize, queue: usize| if config.exact { (1 << 20, 1 << 20) } else { (slots, queue) };
        let (gateway_slots, gateway_queue) = slots(config.gateway_slots, config.gateway_queue);
        let (store_slots, store_queue) = slots(3, 24);
        let (mcp_slots, mcp_queue) = slots(4, 32);
        let (shutdown, watcher) = watch::channel(false);
        let gateway = Arc::new(gateway::Gateway {
            gpu: GpuQueue::new(gateway_slots, gateway_queue),
            gpu_slots: gateway_slots,
            jitter: jitter.clone(),
        });
        let rag = Arc::new(rag::Rag {
            store: GpuQueue::new(store_slots, store_queue),
            jitter: jitter.clone(),
            documents: AtomicU64::new(0),
        });
        let mcp = Arc::new(mcp::Mcp {
            workers: GpuQueue::new(mcp_slots, mcp_queue),
            jitter,
            sessions: Mutex::new(HashMap::new()),
        });
        let mcp_state = mcp.clone();
        runtime.spawn(server::serve(
            gateway_listener,
            Arc::new(move |request| gateway.clone().handle(request)),
            watcher.clone(),
        ));
        runtime.spawn(server::serve(
            rag_listener,
            Arc::new(move |request| rag.clone().handle(request)),
            watcher.clone(),
        ));
        runtime.spawn(server::serve(
            mcp_listener,
            Arc::new(move |request| mcp.clone().handle(request)),
            watcher,
        ));
        Ok(DemoStack {
            gateway: addresses.0,
            rag: addresses.1,
            mcp: addresses.2,
            shutdown,
            runtime: Some(runtime),
            mcp_state,
        })
    }

    /// MCP sessions opened and not yet deleted.
    pub fn open_mcp_sessions(&self) -> usize {
        self.mcp_state.open_sessions()
    }

    /// `http://ADDR` of each service: gateway, RAG, MCP.
    pub fn urls(&self) -> [String; 3] {
        [self.gateway, self.rag, self.mcp].map(|addr| format!("http://{addr}"))
    }

    /// Points the compiled preset's services that name the demo stack's reference ports (8000,
    /// 8002, 8020 on localhost) at wherever this stack listens (`--base-port`, or the app's
    /// fallback ports). An override for the run only: the preset's text keeps its ports.
    pub(crate) fn point_preset_here(&self, compiled: &mut crate::preset::CompiledPreset) {
        let listening = [(8000, self.gateway), (8002, self.rag), (8020, self.mcp)];
        for service in compiled.scenarios.iter_mut().flat_map(|scenario| scenario.services.iter_mut()) {
            let base = &service.base;
            let local = matches!(base.host.as_str(), "localhost" | "127.0.0.1");
            if base.scheme != crate::preset::compiled::Scheme::Http || !local {
                continue;
            }
            let Some((_, address)) = listening
                .iter()
                .find(|(port, address)| *port == base.port && address.port() != *port)
            else {
                continue;
            };
            service.redirect(&address.ip().to_string(), address.port());
        }
    }
}

impl Drop for DemoStack {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
