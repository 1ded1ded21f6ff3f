//! One module per subcommand. Each exposes `Args` (or a `Command` enum) and `run`, returning the process
//! exit code.

pub mod audit;
pub mod case;
pub mod demo;
pub mod demo_data;
pub mod demo_files;
pub mod explain;
pub mod ingest;
pub mod programmes;
pub mod project;
pub mod reconcile;
pub mod replay;
pub mod serve;
pub mod source;

/// Logs to stderr; `RUST_LOG` filters (default: warnings). A log line that cannot be written (stderr closed:
/// the pipe to a log collector gone) is dropped: by default tracing-subscriber reports that on stderr with
/// `eprintln!`, which panics, and a projector would die of losing its logs.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .try_init();
}

/// A line for the person at the terminal, on stderr, that a closed stderr does not turn into a panic (as
/// `eprintln!` does): for the messages of long-running commands.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use say;

pub use repasse_proto::money::thousands;
