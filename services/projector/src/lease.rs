//! The publisher's lease in a NATS KV bucket: one projector publishes, the others wait as hot standbys.
//! The key lives `ttl` after its last write (the bucket's max age); the holder rewrites it every `ttl / 3`
//! with compare-and-swap on its revision. A standby takes over when the key expires. The lease saves
//! work; exactly-once does not depend on it (see `publish`): two holders at once — after a long pause,
//! say — still write each decision once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, kv};

pub const BUCKET: &str = "REPASSE_LIDER";
pub const KEY: &str = "publicador";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bucket KV {BUCKET} da concessão de publicador: {0}")]
    Kv(String),
}

/// A held lease; renewed in the background until dropped. `lost()` turns true if another holder took it.
pub struct Lease {
    lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
    pub holder: String,
}

impl Lease {
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The lease's bucket: the existing one as its operator configured it (its replicas kept), else created
/// with `replicas`. Its entries expire after the lease's duration, so every projector must hold the lease
/// for the same time: one that renews after the bucket has expired its key would let a second publisher
/// in. An existing bucket of another duration is refused, naming both.
async fn bucket(
    client: &async_nats::Client,
    ttl: Duration,
    replicas: usize,
) -> Result<kv::Store, Error> {
    let js = jetstream::new(client.clone());
    if let Ok(store) = js.get_key_value(BUCKET).await {
        let status = store.status().await.map_err(|e| Error::Kv(e.to_string()))?;
        if status.max_age() != ttl {
            return Err(Error::Kv(format!(
                "o balde {BUCKET} expira a concessão em {} s e este projetor a renova para {} s: use o mesmo --lease-seconds em todos os projetores",
                status.max_age().as_secs(),
                ttl.as_secs()
            )));
        }
        return Ok(store);
    }
    js.create_key_value(kv::Config {
        bucket: BUCKET.to_owned(),
        history: 1,
        max_age: ttl,
        num_replicas: replicas.max(1),
        ..Default::default()
    })
    .await
    .map_err(|e| Error::Kv(e.to_string()))
}

/// Waits until `holder` holds the lease (polling every `ttl / 4`), then keeps it renewed.
pub async fn acquire(
    client: &async_nats::Client,
    holder: &str,
    ttl: Duration,
    replicas: usize,
) -> Result<Lease, Error> {
    let store = bucket(client, ttl, replicas).await?;
    let mut waited = false;
    let revision = loop {
        match store.create(KEY, holder.to_owned().into()).await {
            Ok(revision) => break revision,
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                if !waited {
                    let current = store
                        .get(KEY)
                        .await
                        .ok()
                        .flatten()
                        .map(|v| String::from_utf8_lossy(&v).into_owned());
                    tracing::info!(
                        holder = current.as_deref().unwrap_or("?"),
                        "outro projetor publica; aguardando a concessão"
                    );
                    waited = true;
                }
                tokio::time::sleep(ttl / 4).await;
            }
            Err(e) => return Err(Error::Kv(e.to_string())),
        }
    };
    tracing::info!(holder, "concessão de publicador obtida");
    let lost = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(renew(
        store,
        holder.to_owned(),
        revision,
        ttl,
        Arc::clone(&lost),
    ));
    Ok(Lease {
        lost,
        task,
        holder: holder.to_owned(),
    })
}

async fn renew(
    store: kv::Store,
    holder: String,
    mut revision: u64,
    ttl: Duration,
    lost: Arc<AtomicBool>,
) {
    loop {
        tokio::time::sleep(ttl / 3).await;
        match store.update(KEY, holder.clone().into(), revision).await {
            Ok(next) => revision = next,
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                tracing::warn!(
                    holder,
                    "concessão de publicador perdida para outro projetor"
                );
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // A transient error: try again; the key outlives a few missed renewals.
            Err(e) => tracing::warn!(error = %e, "renovação da concessão falhou"),
        }
    }
}
