//! What the API reads from the logs themselves rather than from the read models: the decision stream, for
//! the live feed, and a sealed parcela against today's computation, which only a fold of the fact log can
//! answer. The binary hands in its two logs, of whichever backend; the API sees them through [`LogAccess`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use repasse_eventlog::{EventLog, Position, Record};
use repasse_ingest::files::{Quarantined, Summary};
use repasse_projector::diff::ParcelaDiff;
use repasse_projector::replay::AsOf;
use repasse_proto::{Ibge, Parcela};
use serde_json::Value;

/// The logs as the API reads them.
pub trait LogAccess: Send + Sync + 'static {
    /// Every decision from position `from` on, then each as it is published.
    fn decisions(&self, from: u64) -> BoxStream<'static, Result<Record, String>>;
    /// The decision stream's last position.
    fn decisions_end(&self) -> BoxFuture<'_, Result<u64, String>>;
    /// The fact stream's last position.
    fn facts_end(&self) -> BoxFuture<'_, Result<u64, String>>;
    /// Parcela `p` as sealed against today's computation (`None`: not sealed).
    fn diff(&self, p: Parcela) -> BoxFuture<'_, Result<Option<ParcelaDiff>, String>>;
    /// Parcela `p` recomputed from the log alone up to `as_of` (`repasse replay --json`), for one
    /// municipality or all.
    fn replay(
        &self,
        p: Parcela,
        as_of: AsOf,
        ibge: Option<Ibge>,
    ) -> BoxFuture<'_, Result<Value, String>>;
    /// Facts as JSON lines, through the path of `repasse ingest fatos` (checked whole first, unusable
    /// lines set aside, the same body twice adds nothing), each with `document` as its source.
    fn ingest(&self, body: bytes::Bytes, document: String) -> BoxFuture<'_, Ingested>;
}

/// What a write did, or why nothing was written.
pub type Ingested = Result<(Summary, Vec<Quarantined>), repasse_ingest::files::Error>;

/// The two logs of one backend.
pub struct Logs<F, D> {
    pub facts: Arc<F>,
    pub decisions: Arc<D>,
}

impl<F: EventLog + 'static, D: EventLog + 'static> LogAccess for Logs<F, D> {
    fn decisions(&self, from: u64) -> BoxStream<'static, Result<Record, String>> {
        self.decisions
            .follow(Position(from.max(1)))
            .map(|r| r.map_err(|e| e.to_string()))
            .boxed()
    }

    fn decisions_end(&self) -> BoxFuture<'_, Result<u64, String>> {
        Box::pin(async move {
            self.decisions
                .last_position()
                .await
                .map(|p| p.0)
                .map_err(|e| e.to_string())
        })
    }

    fn facts_end(&self) -> BoxFuture<'_, Result<u64, String>> {
        Box::pin(async move {
            self.facts
                .last_position()
                .await
                .map(|p| p.0)
                .map_err(|e| e.to_string())
        })
    }

    fn diff(&self, p: Parcela) -> BoxFuture<'_, Result<Option<ParcelaDiff>, String>> {
        Box::pin(async move {
            repasse_projector::diff::diff_parcela(&*self.facts, p)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn replay(
        &self,
        p: Parcela,
        as_of: AsOf,
        ibge: Option<Ibge>,
    ) -> BoxFuture<'_, Result<Value, String>> {
        Box::pin(async move {
            let (ledger, position) = repasse_projector::replay::ledger_as_of(&*self.facts, as_of)
                .await
                .map_err(|e| e.to_string())?;
            let result = ledger.parcela(p, ibge);
            Ok(serde_json::json!({
                "parcela": p, "ibge": ibge, "last_position": position.0,
                "lines": result.lines.len(),
                "hash": repasse_projector::replay::lines_hash(&result.lines),
                "statements": result.statements,
            }))
        })
    }

    fn ingest(&self, body: bytes::Bytes, document: String) -> BoxFuture<'_, Ingested> {
        Box::pin(async move {
            let refused = |e: std::io::Error| repasse_ingest::files::Error::Refused {
                file: document.clone(),
                reason: format!("não foi possível guardar o corpo da requisição: {e}"),
            };
            // The reader checks a file whole before writing it: the body is one.
            let mut file = tempfile::NamedTempFile::new().map_err(refused)?;
            std::io::Write::write_all(&mut file, &body).map_err(refused)?;
            let clock = repasse_eventlog::SystemClock;
            let (mut summary, mut quarantine) =
                repasse_ingest::jsonl::import_as(file.path(), &document, &*self.facts, &clock)
                    .await
                    .map_err(|e| match e {
                        repasse_ingest::files::Error::Refused { reason, .. } => {
                            repasse_ingest::files::Error::Refused {
                                file: document.clone(),
                                reason,
                            }
                        }
                        other => other,
                    })?;
            summary.file.clone_from(&document);
            for q in &mut quarantine {
                q.file.clone_from(&document);
            }
            Ok((summary, quarantine))
        })
    }
}

/// Folds of the whole log, one at a time, each kept until the fact stream moves: on national data a fold
/// takes about as long and as much memory as the projector's own replay, so the same one is never run
/// twice for the same log, nor two at once. Bounded: at most `MAX_KEPT` answers are kept.
pub struct Background {
    state: Mutex<HashMap<String, Computed>>,
    running: tokio::sync::Semaphore,
}

const MAX_KEPT: usize = 64;
/// Folds waiting or running at most: a request for one more is told the API is busy.
const MAX_PENDING: usize = 4;

#[derive(Clone)]
enum Computed {
    Running,
    Done(u64, Arc<Value>),
    Failed(u64, String),
}

/// What the caller gets: the answer as of the fact stream's end, or word that it is being computed.
pub enum Answer {
    Ready(Arc<Value>),
    Computing,
    /// `MAX_PENDING` folds already wait: try again later.
    Busy,
    Failed(String),
}

/// A fold of the log, as the caller wants it answered.
pub type Fold =
    Box<dyn FnOnce(Arc<dyn LogAccess>) -> BoxFuture<'static, Result<Value, String>> + Send>;

impl Default for Background {
    fn default() -> Background {
        Background {
            state: Mutex::new(HashMap::new()),
            running: tokio::sync::Semaphore::new(1),
        }
    }
}

impl Background {
    /// The answer kept under `key` if it is known for the fact stream as it stands; otherwise starts
    /// `fold` (in the background, one at a time) and says so.
    pub async fn get(
        self: &Arc<Self>,
        logs: &Arc<dyn LogAccess>,
        key: String,
        fold: Fold,
    ) -> Answer {
        let end = match logs.facts_end().await {
            Ok(end) => end,
            Err(e) => return Answer::Failed(e),
        };
        {
            let mut state = self.state.lock().expect("background answers");
            match state.get(&key) {
                Some(Computed::Done(at, value)) if *at == end => {
                    return Answer::Ready(Arc::clone(value));
                }
                Some(Computed::Failed(at, e)) if *at == end => return Answer::Failed(e.clone()),
                Some(Computed::Running) => return Answer::Computing,
                _ => {}
            }
            let pending = state
                .values()
                .filter(|c| matches!(c, Computed::Running))
                .count();
            if pending >= MAX_PENDING {
                return Answer::Busy;
            }
            if state.len() >= MAX_KEPT {
                state.retain(|_, c| matches!(c, Computed::Running));
            }
            state.insert(key.clone(), Computed::Running);
        }
        let (this, logs) = (Arc::clone(self), Arc::clone(logs));
        tokio::spawn(async move {
            let permit = this.running.acquire().await.expect("never closed");
            let computed = match fold(logs).await {
                Ok(value) => Computed::Done(end, Arc::new(value)),
                Err(e) => Computed::Failed(end, e),
            };
            drop(permit);
            this.state
                .lock()
                .expect("background answers")
                .insert(key, computed);
        });
        Answer::Computing
    }
}
