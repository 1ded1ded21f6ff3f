//! One module per subcommand. Each exposes `Args` (or a `Command` enum) and `run`, returning the process
//! exit code.

pub mod bench;
pub mod case;

/// Logs to stderr; `RUST_LOG` filters (default: warnings).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
