//! Where the streams are: the embedded log (a directory holding the `fatos` and `decisoes` streams) or a
//! NATS JetStream server (`REPASSE_FATOS`, `REPASSE_DECISOES`). Commands are generic over the backend;
//! `with_logs!` hands them the two logs of either.

use std::path::PathBuf;
use std::sync::Arc;

use repasse_eventlog::SystemClock;
use repasse_eventlog::nats::{NatsConfig, NatsLog};
use repasse_eventlog::sled_log::SledLog;

#[derive(Debug, clap::Args)]
pub struct Source {
    /// Log embutido (diretório com os streams `fatos` e `decisoes`).
    #[arg(long, conflicts_with = "nats", required_unless_present = "nats")]
    pub log: Option<PathBuf>,
    /// Servidor NATS JetStream (streams REPASSE_FATOS e REPASSE_DECISOES).
    #[arg(long, env = "REPASSE_NATS")]
    pub nats: Option<String>,
    #[command(flatten)]
    pub access: NatsAccess,
}

/// Who this process is to the NATS cluster and how it trusts it: a user of `deploy/nats/accounts.conf` (or
/// a `.creds` file of an operator-managed setup), and TLS.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NatsAccess {
    /// Réplicas dos streams e do balde da concessão quando o repasse os cria (3 no cluster de produção);
    /// um stream existente nunca perde réplicas.
    #[arg(long, env = "REPASSE_NATS_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub nats_replicas: u8,
    /// Usuário NATS (as contas e permissões de deploy/nats/accounts.conf: ingest, projector, integrator-UF, auditor).
    #[arg(long, env = "REPASSE_NATS_USER", requires = "nats_password")]
    pub nats_user: Option<String>,
    /// Senha do usuário NATS.
    #[arg(long, env = "REPASSE_NATS_PASSWORD", hide_env_values = true)]
    pub nats_password: Option<String>,
    /// Arquivo de credenciais NATS (.creds: JWT e semente), no lugar de usuário e senha.
    #[arg(long, env = "REPASSE_NATS_CREDS", conflicts_with = "nats_user")]
    pub nats_creds: Option<PathBuf>,
    /// CA que assinou o certificado dos servidores NATS: exige TLS.
    #[arg(long, env = "REPASSE_NATS_CA")]
    pub nats_ca: Option<PathBuf>,
    /// Certificado do cliente, para TLS mútuo (com --nats-key).
    #[arg(long, env = "REPASSE_NATS_CERT", requires = "nats_key")]
    pub nats_cert: Option<PathBuf>,
    /// Chave do certificado do cliente.
    #[arg(long, env = "REPASSE_NATS_KEY", requires = "nats_cert")]
    pub nats_key: Option<PathBuf>,
}

impl NatsAccess {
    /// The fact stream's configuration with these replicas.
    pub fn facts(&self) -> NatsConfig {
        NatsConfig {
            replicas: usize::from(self.nats_replicas),
            ..NatsConfig::facts()
        }
    }

    /// A client of the server at `url`, as this access says; the error names the server and the cause.
    pub async fn connect(&self, url: &str) -> anyhow::Result<async_nats::Client> {
        let mut options = match &self.nats_creds {
            Some(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|e| anyhow::anyhow!("credenciais NATS {}: {e}", path.display()))?,
            None => async_nats::ConnectOptions::new(),
        };
        if let (Some(user), Some(password)) = (&self.nats_user, &self.nats_password) {
            // Replies to each user's own prefix: deploy/nats/accounts.conf lets no one read another's.
            options = options
                .user_and_password(user.clone(), password.clone())
                .custom_inbox_prefix(format!("_INBOX_{user}"));
        }
        if let Some(ca) = &self.nats_ca {
            options = options.require_tls(true).add_root_certificates(ca.clone());
        }
        if let (Some(cert), Some(key)) = (&self.nats_cert, &self.nats_key) {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        // A cluster is named by its nodes, comma-separated: the client moves to another when one goes.
        let servers = url
            .split(',')
            .map(|u| u.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("endereço NATS \"{url}\" inválido: {e}"))?;
        options
            .name(format!("repasse-{}", std::process::id()))
            .connect(servers)
            .await
            .map_err(|e| {
                let text = e.to_string();
                // The usual cause when the cluster speaks TLS: its CA not given, or another one.
                let hint = if text.contains("certificate") {
                    " (o certificado do servidor não foi reconhecido: informe em --nats-ca a CA que assinou os certificados dos nós)"
                } else {
                    ""
                };
                anyhow::anyhow!("conexão com o NATS em {url}: {text}{hint}")
            })
    }
}

// One value per command run: the size difference between the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Logs {
    Embedded {
        facts: SledLog,
        decisions: SledLog,
    },
    Nats {
        client: async_nats::Client,
        facts: NatsLog,
        decisions: NatsLog,
    },
}

impl Source {
    pub async fn open(&self) -> anyhow::Result<Logs> {
        match (&self.log, &self.nats) {
            (Some(dir), _) => {
                let facts = SledLog::open_existing(dir, "fatos", Arc::new(SystemClock))?;
                let decisions = facts.open_sibling("decisoes")?;
                Ok(Logs::Embedded { facts, decisions })
            }
            (None, Some(url)) => {
                let client = self.access.connect(url).await?;
                let replicas = usize::from(self.access.nats_replicas);
                let facts = NatsConfig {
                    replicas,
                    ..NatsConfig::facts()
                };
                let decisions = NatsConfig {
                    replicas,
                    ..NatsConfig::decisions()
                };
                let facts = NatsLog::open(client.clone(), facts).await?;
                let decisions = NatsLog::open(client.clone(), decisions).await?;
                Ok(Logs::Nats {
                    client,
                    facts,
                    decisions,
                })
            }
            (None, None) => anyhow::bail!("informe --log DIRETÓRIO ou --nats URL"),
        }
    }
}

/// Runs `$body` with `$facts` and `$decisions` bound to the logs of either backend.
macro_rules! with_logs {
    ($logs:expr, |$facts:ident, $decisions:ident| $body:expr) => {
        match $logs {
            $crate::cmd::source::Logs::Embedded {
                facts: $facts,
                decisions: $decisions,
            } => $body,
            $crate::cmd::source::Logs::Nats {
                facts: $facts,
                decisions: $decisions,
                ..
            } => $body,
        }
    };
}
pub(crate) use with_logs;

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
