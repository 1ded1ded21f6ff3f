//! The long-running projector: follows the fact stream from its checkpoint, takes each decision point
//! (`step`), publishes its decisions exactly once (`publish`) and writes its read models and checkpoint
//! (`store`). On start it folds the log up to the checkpoint again (the fold runs at the speed of a raw
//! read; the Ledger is not persisted) and goes on from there, so that after any crash it holds exactly
//! the state a clean replay gives.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use repasse_eventlog::{EventLog, MAX_READ_BATCH, Position, Record};

use crate::fold::{self, Folder};
use crate::publish::{self, Published};
use crate::step::{self, Step};
use crate::store::{self, Checkpoint, Store};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Fold(#[from] fold::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Publish(#[from] publish::Error),
    #[error(
        "o ponto de controle está na posição {checkpoint}, mas o log de fatos termina em {last}: \
         os modelos de leitura são de outro log (use `repasse rebuild`)"
    )]
    CheckpointAhead { checkpoint: u64, last: u64 },
}

/// Facts between two checkpoints written without a decision point in between (bounds re-reading on restart
/// only in time, never in correctness).
pub const CHECKPOINT_EVERY: u64 = 50_000;

/// How often the projector, following the stream, does one piece of work ahead (`work_ahead`) when no
/// fact waits.
pub const AHEAD_EVERY: Duration = Duration::from_millis(100);

/// Counters of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub facts: u64,
    pub steps: u64,
    pub published: Published,
}

/// Why `follow` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The caller asked.
    Requested,
    /// `repasse rebuild` switched the generation in use: reopen on it.
    GenerationChanged,
}

/// When each phase of a decision point ended (benchmarks break its latency down with them).
#[derive(Clone, Copy, Debug)]
pub struct StepTimes {
    /// The projector took the triggering fact.
    pub received: Instant,
    /// It was folded and the step began.
    pub started: Instant,
    /// The decisions and their log records were made.
    pub decided: Instant,
    /// Every decision was acknowledged by the decision stream.
    pub published: Instant,
    /// The read models and the checkpoint were written.
    pub written: Instant,
}

/// Observes each step and when its phases ended.
type StepCallback<'a> = Box<dyn FnMut(&Step, &StepTimes) + Send + 'a>;
/// Observes each fact's position once it is folded (and its step, if any, taken).
/// Called with the position folded and the records skipped so far as not facts.
type AppliedCallback<'a> = Box<dyn FnMut(u64, u64) + Send + 'a>;

pub struct Projector<'a, F: EventLog, D: EventLog> {
    facts: &'a F,
    decisions: Option<&'a D>,
    store: Store,
    folder: Folder,
    checkpoint: Checkpoint,
    written_at: u64,
    pub progress: Progress,
    /// Called after each step with the step and when its phases ended.
    on_step: Option<StepCallback<'a>>,
    on_applied: Option<AppliedCallback<'a>>,
    /// What the next decision points will need, computed while idle.
    ahead: step::Ahead,
    /// Fault injection (`abort_after_decisions`): the decision count at which the process aborts.
    abort_after: Option<u64>,
}

impl<'a, F: EventLog, D: EventLog> Projector<'a, F, D> {
    /// Opens on `store`'s checkpoint: folds the fact log up to it again. With `decisions = None` the
    /// projector writes read models only (a rebuild, or a follower without the lease).
    pub async fn open(
        facts: &'a F,
        decisions: Option<&'a D>,
        store: Store,
    ) -> Result<Projector<'a, F, D>, Error> {
        let checkpoint = store.checkpoint()?;
        let last = facts.last_position().await.map_err(fold::Error::from)?;
        if checkpoint.position > last.0 {
            return Err(Error::CheckpointAhead {
                checkpoint: checkpoint.position,
                last: last.0,
            });
        }
        let mut folder = Folder::default();
        if checkpoint.position > 0 {
            folder
                .fold(
                    facts,
                    Position(1),
                    Some(Position(checkpoint.position)),
                    |_| {},
                )
                .await?;
        }
        // Evaluate the history once now: a decision point then costs only what its facts reach.
        folder.ledger.prepare();
        if let Some(log) = decisions {
            let published = log.last_position().await.map_err(publish::Error::from)?;
            if published.0 < checkpoint.decisions {
                return Err(publish::Error::Behind {
                    last: published.0,
                    expected: checkpoint.decisions,
                }
                .into());
            }
        }
        Ok(Projector {
            facts,
            decisions,
            store,
            folder,
            written_at: checkpoint.position,
            checkpoint,
            progress: Progress::default(),
            on_step: None,
            on_applied: None,
            ahead: step::Ahead::default(),
            abort_after: None,
        })
    }

    /// Fault injection for the fault tests: once `n` decisions are on the stream the process aborts, as a
    /// kill would, without writing anything more — in the middle of a step when `n` falls inside one (a
    /// parcela's close publishes its statements and its seal in one step). Never set in production.
    pub fn abort_after_decisions(&mut self, n: u64) {
        self.abort_after = Some(n);
    }

    pub fn on_step(&mut self, callback: impl FnMut(&Step, &StepTimes) + Send + 'a) {
        self.on_step = Some(Box::new(callback));
    }

    pub fn on_applied(&mut self, callback: impl FnMut(u64, u64) + Send + 'a) {
        self.on_applied = Some(Box::new(callback));
    }

    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// Records of the fact stream skipped because they are not facts (`FoldSummary::malformed`).
    pub fn malformed(&self) -> u64 {
        self.folder.summary.malformed
    }

    pub fn ledger(&self) -> &repasse_rules::Ledger {
        &self.folder.ledger
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn into_store(self) -> Store {
        self.store
    }

    /// Processes every fact up to `end` (inclusive) and checkpoints.
    pub async fn run_to(&mut self, end: Position) -> Result<&Checkpoint, Error> {
        while self.checkpoint.position < end.0 {
            let from = Position(self.checkpoint.position + 1);
            let want = ((end.0 - self.checkpoint.position) as usize).min(MAX_READ_BATCH);
            let records = self
                .facts
                .read(from, want)
                .await
                .map_err(fold::Error::from)?;
            if records.is_empty() {
                break;
            }
            for record in &records {
                self.process(record).await?;
            }
            self.maybe_checkpoint(false)?;
        }
        self.maybe_checkpoint(true)?;
        Ok(&self.checkpoint)
    }

    /// Catches up, then follows the fact stream until `stop` resolves or the generation in use changes
    /// (checked every `generation_check`).
    pub async fn follow(
        &mut self,
        dir: &std::path::Path,
        stop: impl Future<Output = ()>,
        generation_check: Duration,
    ) -> Result<Stopped, Error> {
        let last = self
            .facts
            .last_position()
            .await
            .map_err(fold::Error::from)?;
        self.run_to(last).await?;
        let mut stream = self.facts.follow(Position(self.checkpoint.position + 1));
        let mut ticker = tokio::time::interval(generation_check);
        let mut idle = tokio::time::interval(AHEAD_EVERY);
        idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                // Facts first: work ahead only when none is waiting.
                biased;
                () = &mut stop => {
                    self.maybe_checkpoint(true)?;
                    return Ok(Stopped::Requested);
                }
                _ = ticker.tick() => {
                    if store::current_generation(dir)?.as_deref() != Some(self.store.generation()) {
                        self.maybe_checkpoint(true)?;
                        return Ok(Stopped::GenerationChanged);
                    }
                }
                item = stream.next() => {
                    let Some(item) = item else { return Ok(Stopped::Requested) };
                    let record = item.map_err(fold::Error::from)?;
                    if record.position.0 > self.checkpoint.position {
                        self.process(&record).await?;
                    }
                    // Take what else is already there before checkpointing.
                    let mut taken = 0;
                    while taken < MAX_READ_BATCH {
                        let Some(Some(item)) = futures::FutureExt::now_or_never(stream.next()) else { break };
                        let record = item.map_err(fold::Error::from)?;
                        if record.position.0 > self.checkpoint.position {
                            self.process(&record).await?;
                        }
                        taken += 1;
                    }
                    self.maybe_checkpoint(false)?;
                }
                _ = idle.tick() => {
                    self.work_ahead();
                }
            }
        }
    }

    /// One bounded piece of work ahead (`step::Ahead`), done while no fact waits.
    pub fn work_ahead(&mut self) -> bool {
        self.ahead.work(&self.folder.ledger)
    }

    /// Applies one record; at a decision point publishes, then writes read models and the checkpoint.
    async fn process(&mut self, record: &Record) -> Result<(), Error> {
        let position = record.position.0;
        let received = Instant::now();
        let applied = self.folder.apply(record)?;
        self.progress.facts += 1;
        let started = Instant::now();
        let step = applied.and_then(|envelope| {
            step::decide(
                &self.folder.ledger,
                position,
                &envelope.payload,
                envelope.recorded_at,
                &mut self.ahead,
            )
        });
        match step {
            None => self.checkpoint.position = position,
            Some(mut step) => {
                let decided_at = Instant::now();
                // Decisions first: the read models are not on an integrator's path.
                let records = std::mem::take(&mut step.records);
                if let Some(log) = self.decisions {
                    let first = self.checkpoint.decisions + 1;
                    if let Some(n) = self.abort_after
                        && n < first - 1 + records.len() as u64
                    {
                        let keep = n.saturating_sub(first - 1) as usize;
                        publish::publish(log, first, &records[..keep]).await?;
                        tracing::error!(decisions = n, "falha injetada: o processo aborta");
                        std::process::abort();
                    }
                    let outcome = publish::publish(log, first, &records).await?;
                    self.progress.published.appended += outcome.appended;
                    self.progress.published.found += outcome.found;
                }
                let published_at = Instant::now();
                step::add_read_models(&self.folder.ledger, &mut step);
                let next = self.checkpoint.after(&step);
                let writes = std::mem::take(&mut step.writes);
                let written = writes.len();
                self.store.write_step(writes, &next)?;
                self.checkpoint = next;
                self.written_at = position;
                self.progress.steps += 1;
                let times = StepTimes {
                    received,
                    started,
                    decided: decided_at,
                    published: published_at,
                    written: Instant::now(),
                };
                let ms = |from: Instant, to: Instant| to.duration_since(from).as_millis() as u64;
                tracing::info!(
                    position,
                    decisions = step.decisions.len(),
                    calculados_no_fechamento = step.computed_at_close,
                    writes = written,
                    dobrar_ms = ms(received, started),
                    decidir_ms = ms(started, decided_at),
                    publicar_ms = ms(decided_at, published_at),
                    modelos_ms = ms(published_at, times.written),
                    "ponto de decisão"
                );
                if let Some(callback) = self.on_step.as_mut() {
                    callback(&step, &times);
                }
            }
        }
        let malformed = self.folder.summary.malformed;
        if let Some(callback) = self.on_applied.as_mut() {
            callback(position, malformed);
        }
        Ok(())
    }

    fn maybe_checkpoint(&mut self, force: bool) -> Result<(), Error> {
        let behind = self.checkpoint.position - self.written_at;
        if behind > 0 && (force || behind >= CHECKPOINT_EVERY) {
            self.store.put_checkpoint(&self.checkpoint)?;
            self.written_at = self.checkpoint.position;
        }
        Ok(())
    }
}
