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
use repasse_proto::Parcela;

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

/// One diff at a time, kept until the fact stream moves: folding the national log takes about as long and
/// as much memory as the projector's own replay, so it is never done twice for the same log, nor twice at
/// once.
pub struct Diffs {
    state: Mutex<HashMap<Parcela, Computed>>,
    running: tokio::sync::Semaphore,
}

#[derive(Clone)]
enum Computed {
    Running,
    Done(u64, Arc<Option<ParcelaDiff>>),
    Failed(u64, String),
}

/// What the caller gets: the diff as of the fact stream's end, or word that it is being computed.
pub enum DiffAnswer {
    Ready(Arc<Option<ParcelaDiff>>),
    Computing,
    Failed(String),
}

impl Default for Diffs {
    fn default() -> Diffs {
        Diffs {
            state: Mutex::new(HashMap::new()),
            running: tokio::sync::Semaphore::new(1),
        }
    }
}

impl Diffs {
    /// The diff of `p` if it is known for the fact stream as it stands; otherwise starts computing it (in
    /// the background, one parcela at a time) and says so.
    pub async fn get(self: &Arc<Self>, logs: &Arc<dyn LogAccess>, p: Parcela) -> DiffAnswer {
        let end = match logs.facts_end().await {
            Ok(end) => end,
            Err(e) => return DiffAnswer::Failed(e),
        };
        {
            let mut state = self.state.lock().expect("diff cache");
            match state.get(&p) {
                Some(Computed::Done(at, diff)) if *at == end => {
                    return DiffAnswer::Ready(Arc::clone(diff));
                }
                Some(Computed::Failed(at, e)) if *at == end => {
                    return DiffAnswer::Failed(e.clone());
                }
                Some(Computed::Running) => return DiffAnswer::Computing,
                _ => {}
            }
            state.insert(p, Computed::Running);
        }
        let (diffs, logs) = (Arc::clone(self), Arc::clone(logs));
        tokio::spawn(async move {
            let permit = diffs.running.acquire().await.expect("never closed");
            let computed = match logs.diff(p).await {
                Ok(diff) => Computed::Done(end, Arc::new(diff)),
                Err(e) => Computed::Failed(end, e),
            };
            drop(permit);
            diffs.state.lock().expect("diff cache").insert(p, computed);
        });
        DiffAnswer::Computing
    }
}
