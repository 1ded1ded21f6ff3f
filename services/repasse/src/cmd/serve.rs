//! `repasse serve`: the projector of `repasse project` and, in the same process, an HTTP API over its read
//! models. sled opens a database in one process at a time, so whoever reads the read models lives beside
//! the projector that writes them. The API serves the generation in use: a `repasse rebuild` builds the next
//! one beside it while this one keeps answering, and the API moves to it when the projector does.
//! The routes are in `repasse-api`; this is the wiring.

use std::net::SocketAddr;
use std::process::ExitCode;

use repasse_projector::store::Store;
use tokio::sync::watch;

use super::project::{self, run_projector};
use super::source::runtime;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub project: project::Args,
    /// Endereço HTTP da API dos modelos de leitura (porta 0: uma porta livre; o endereço escolhido é
    /// impresso na saída padrão).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Arquivo JSON de tokens (papéis auditor, integrator, operator; `repasse token` gera cada entrada).
    /// Sem ele a API fica aberta, e o serviço avisa ao iniciar.
    #[arg(long, env = "REPASSE_TOKENS")]
    pub tokens: Option<std::path::PathBuf>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let tokens = match &args.tokens {
        Some(path) => {
            let tokens = repasse_api::auth::Tokens::read(path).map_err(anyhow::Error::msg)?;
            super::say!(
                "API com {} token(s) de {}",
                tokens.tokens.len(),
                path.display()
            );
            Some(std::sync::Arc::new(tokens))
        }
        None => {
            super::say!(
                "API sem autenticação: nenhum --tokens (use só em máquina de teste ou demonstração)"
            );
            None
        }
    };
    let (stop_sender, stop_requested) = watch::channel(false);
    tokio::spawn(async move {
        project::shutdown().await;
        let _ = stop_sender.send(true);
    });
    let (served, store) = watch::channel::<Option<Store>>(None);
    let (health, readiness) = watch::channel(repasse_api::Health::default());
    let metrics = std::sync::Arc::new(repasse_api::metrics::Metrics::default());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("não foi possível escutar em {}: {e}", args.listen))?;
    println!(
        "API dos modelos de leitura em http://{}",
        listener.local_addr()?
    );
    let mut http_stop = stop_requested.clone();
    let (logs_opened, logs) = watch::channel(None);
    let router = repasse_api::router(repasse_api::Wiring {
        store,
        readiness,
        logs,
        tokens,
        metrics: std::sync::Arc::clone(&metrics),
    });
    let http = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|stop| *stop).await;
            })
            .await
    });
    let code = run_projector(
        &args.project,
        Some(project::Served {
            store: &served,
            health: &health,
            logs: &logs_opened,
            metrics: &metrics,
        }),
        stop_requested.clone(),
    )
    .await;
    if code.is_ok() {
        // On the embedded log (or with --until-end) the projector stops at the end of the log; the read
        // models are still served until the process is asked to stop.
        let mut requested = stop_requested;
        let _ = requested.wait_for(|stop| *stop).await;
    } else {
        http.abort();
    }
    if let Ok(served) = http.await {
        served.map_err(|e| anyhow::anyhow!("a API HTTP falhou: {e}"))?;
    }
    code
}

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Quem usa o token (aparece nas respostas 403).
    #[arg(long)]
    pub name: String,
    /// auditor, integrator ou operator.
    #[arg(long)]
    pub role: String,
    /// Para um integrator: as UFs que ele lê (repita a opção; sem ela, todas).
    #[arg(long = "uf")]
    pub ufs: Vec<repasse_proto::Uf>,
}

/// `repasse token`: a fresh random token on stderr and its entry for the tokens file on stdout (the file
/// keeps only the token's BLAKE3).
pub fn token(args: TokenArgs) -> anyhow::Result<ExitCode> {
    use std::io::Read;
    let role: repasse_api::auth::Role =
        serde_json::from_value(serde_json::Value::String(args.role.clone())).map_err(|_| {
            anyhow::anyhow!(
                "papel \"{}\" desconhecido: esperado auditor, integrator ou operator",
                args.role
            )
        })?;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let entry = repasse_api::auth::TokenEntry {
        name: args.name,
        role,
        blake3: repasse_api::auth::Tokens::digest(&token),
        ufs: args.ufs,
    };
    if !entry.ufs.is_empty() && role != repasse_api::auth::Role::Integrator {
        anyhow::bail!("só um integrator tem --uf");
    }
    super::say!("token (entregue a quem o usa; não fica guardado): {token}");
    println!("{}", serde_json::to_string(&entry)?);
    Ok(ExitCode::SUCCESS)
}
