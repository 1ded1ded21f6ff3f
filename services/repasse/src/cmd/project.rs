//! `repasse project` and `repasse rebuild`: the projector as a service. On the embedded log it catches up
//! and stops (nothing else can write to the log while it holds it); on NATS it holds the publisher lease,
//! catches up and follows the fact stream until stopped (Ctrl-C, SIGTERM) or until `--until-end`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use repasse_eventlog::EventLog;
use repasse_projector::lease;
use repasse_projector::project::{Projector, Stopped};
use repasse_projector::step::tree;
use repasse_projector::store::{self, Store};

use super::source::{Logs, Source, runtime, with_logs};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: Source,
    /// Diretório dos modelos de leitura e do ponto de controle deste projetor.
    #[arg(long)]
    pub read_models: PathBuf,
    /// Só atualiza os modelos de leitura; não publica decisões.
    #[arg(long)]
    pub no_publish: bool,
    /// NATS: para ao alcançar o fim do stream de fatos em vez de segui-lo.
    #[arg(long)]
    pub until_end: bool,
    /// NATS: nome deste projetor na concessão de publicador (padrão: máquina e processo).
    #[arg(long)]
    pub name: Option<String>,
    /// NATS: duração da concessão de publicador, em segundos.
    #[arg(long, default_value_t = 10)]
    pub lease_seconds: u64,
    /// Imprime o resultado em JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub source: Source,
    /// Diretório dos modelos de leitura: a nova geração é construída ao lado da atual, que segue em uso
    /// até a troca.
    #[arg(long)]
    pub read_models: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(project(args))
}

async fn project(args: Args) -> anyhow::Result<ExitCode> {
    let follow = args.source.nats.is_some() && !args.until_end;
    // Listen for SIGTERM/Ctrl-C from the start: one arriving while the log is folded again (after a
    // rebuild) stops the projector at the next point where it can stop cleanly, instead of killing it.
    // (Only when following: a run to the end keeps the default, immediate Ctrl-C.)
    let (stop_sender, stop_requested) = tokio::sync::watch::channel(false);
    if follow {
        tokio::spawn(async move {
            shutdown().await;
            let _ = stop_sender.send(true);
        });
    }
    run_projector(&args, None, stop_requested).await
}

/// What `repasse serve` hands the projector: where to put the generation of read models in use and the
/// logs once open, where to say whether it is ready, and its metrics.
#[derive(Clone, Copy)]
pub struct Served<'a> {
    pub store: &'a tokio::sync::watch::Sender<Option<Store>>,
    pub health: &'a tokio::sync::watch::Sender<repasse_api::Health>,
    pub logs: &'a tokio::sync::watch::Sender<Option<Arc<dyn repasse_api::logs::LogAccess>>>,
    pub metrics: &'a Arc<repasse_api::metrics::Metrics>,
}

/// Fault injection for the fault tests (debug builds only): abort once this many decisions are on the stream.
#[cfg(debug_assertions)]
const ABORT_AFTER_DECISIONS: &str = "REPASSE_FAULT_ABORT_AFTER_DECISIONS";

/// The projector's loop: opens the generation in use (handing it to `served`, for `repasse serve`), catches
/// up and, on NATS, follows until `stop_requested`; reopens on the new generation after a rebuild.
pub async fn run_projector(
    args: &Args,
    served: Option<Served<'_>>,
    stop_requested: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<ExitCode> {
    let metrics = served.map(|s| Arc::clone(s.metrics));
    let set_health = |caught_up, lease_held| set_health(served, caught_up, lease_held);
    let logs = args.source.open().await?;
    let holder = args
        .name
        .clone()
        .unwrap_or_else(|| format!("projetor-{}", std::process::id()));
    let lease = match &logs {
        Logs::Nats { client, .. } if !args.no_publish => {
            let ttl = Duration::from_secs(args.lease_seconds.max(1));
            let replicas = usize::from(args.source.access.nats_replicas);
            Some(lease::acquire(client, &holder, ttl, replicas).await?)
        }
        _ => None,
    };
    // `repasse serve` follows the embedded log too: the API's writes go into it, in this same process.
    let follow = (matches!(logs, Logs::Nats { .. }) || served.is_some()) && !args.until_end;
    let publish = !args.no_publish;
    with_logs!(logs, |facts, decisions| {
        let (facts, decisions) = (Arc::new(facts), Arc::new(decisions));
        hand_logs(served, &facts, &decisions);
        let (facts, decisions) = (&*facts, publish.then_some(&*decisions));
        let mut replaced: Option<PathBuf> = None;
        loop {
            let store = open_store(&args.read_models).await?;
            if let Some(served) = served {
                // The read models are consistent up to their checkpoint: serve them while the log is
                // folded again.
                served.store.send_replace(Some(store.clone()));
            }
            let lease_held = || lease.as_ref().map(|l| !l.lost());
            set_health(false, lease_held());
            if let Some(old) = replaced.take() {
                let _ = std::fs::remove_dir_all(old);
            }
            let mut projector = Projector::open(facts, decisions, store).await?;
            // The fault tests' kill in the middle of a step (tests/cluster_faults.rs): in test builds only,
            // so that a variable left set can never crash a release's projector in a loop.
            #[cfg(debug_assertions)]
            if let Some(n) = std::env::var(ABORT_AFTER_DECISIONS)
                .ok()
                .and_then(|v| v.parse().ok())
            {
                projector.abort_after_decisions(n);
            }
            if let Some(metrics) = &metrics {
                observe(&mut projector, metrics);
            }
            // Caught up with the stream as it stands, then ready (then following, on NATS).
            let last = facts.last_position().await?;
            if let Some(metrics) = &metrics {
                metrics
                    .log_end
                    .store(last.0, std::sync::atomic::Ordering::Relaxed);
            }
            projector.run_to(last).await?;
            set_health(true, lease_held());
            let stopped = if follow {
                let lost = async {
                    loop {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        set_health(true, lease_held());
                        if lease.as_ref().is_some_and(lease::Lease::lost) {
                            return;
                        }
                    }
                };
                let mut requested = stop_requested.clone();
                let stop = async move {
                    tokio::select! {
                        _ = requested.wait_for(|stop| *stop) => {}
                        () = lost => {}
                    }
                };
                projector
                    .follow(&args.read_models, stop, Duration::from_secs(1))
                    .await?
            } else {
                Stopped::Requested
            };
            if lease.as_ref().is_some_and(lease::Lease::lost) {
                anyhow::bail!(
                    "a concessão de publicador passou a outro projetor; encerrando para não publicar em dobro"
                );
            }
            report(&projector, args.json)?;
            if stopped == Stopped::Requested {
                return Ok(ExitCode::SUCCESS);
            }
            replaced = Some(projector.into_store().path().to_owned());
            super::say!("Modelos de leitura reconstruídos: passando à nova geração");
        }
    })
}

/// Tells `repasse serve`'s API whether the projector is ready (`/readyz`, the lease metric).
fn set_health(served: Option<Served<'_>>, caught_up: bool, lease_held: Option<bool>) {
    if let Some(Served {
        health, metrics, ..
    }) = served
    {
        health.send_replace(repasse_api::Health {
            caught_up,
            lease_held,
        });
        let held = lease_held.map_or(-1, i8::from);
        metrics
            .lease_held
            .store(held, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Hands `repasse serve`'s API the two logs: the live feed, the comparison and the writes read them.
fn hand_logs<F: EventLog + 'static, D: EventLog + 'static>(
    served: Option<Served<'_>>,
    facts: &Arc<F>,
    decisions: &Arc<D>,
) {
    if let Some(served) = served {
        let logs = repasse_api::logs::Logs {
            facts: Arc::clone(facts),
            decisions: Arc::clone(decisions),
        };
        served.logs.send_replace(Some(Arc::new(logs)));
    }
}

/// Feeds the API's metrics from the projector's steps and folded positions.
fn observe<F: EventLog, D: EventLog>(
    projector: &mut Projector<'_, F, D>,
    metrics: &std::sync::Arc<repasse_api::metrics::Metrics>,
) {
    use std::sync::atomic::Ordering::Relaxed;
    let on_step = std::sync::Arc::clone(metrics);
    projector.on_step(move |step, times| {
        on_step.decision_points.fetch_add(1, Relaxed);
        on_step
            .decisions_published
            .fetch_add(step.decisions.len() as u64, Relaxed);
        on_step
            .decision_point
            .observe(times.decided.duration_since(times.received));
    });
    let on_applied = std::sync::Arc::clone(metrics);
    projector.on_applied(move |position, malformed| {
        on_applied.position.store(position, Relaxed);
        on_applied.facts_malformed.store(malformed, Relaxed);
        on_applied.log_end.fetch_max(position, Relaxed);
    });
}

/// Opens the generation in use, retrying while a finishing `rebuild` still holds it.
async fn open_store(dir: &Path) -> anyhow::Result<Store> {
    let mut attempt = 0;
    loop {
        match Store::open(dir) {
            Ok(store) => return Ok(store),
            Err(e) if attempt < 50 => {
                attempt += 1;
                tracing::debug!(error = %e, "geração ocupada; tentando de novo");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

pub async fn shutdown() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn report<F: EventLog, D: EventLog>(
    projector: &Projector<'_, F, D>,
    json: bool,
) -> anyhow::Result<()> {
    let checkpoint = projector.checkpoint();
    let seals = projector.store().scan(tree::SELOS, "")?;
    if json {
        let out = serde_json::json!({
            "generation": projector.store().generation(),
            "checkpoint": checkpoint,
            "facts_folded": projector.progress.facts,
            "facts_malformed": projector.malformed(),
            "decision_points": projector.progress.steps,
            "decisions_published": projector.progress.published.appended,
            "decisions_already_published": projector.progress.published.found,
            "seals": seals.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    println!(
        "Projeção até a posição {} ({} pontos de decisão, {} decisões na sequência)",
        checkpoint.position, checkpoint.steps, checkpoint.decisions
    );
    println!(
        "Nesta execução: {} fatos, {} decisões publicadas, {} já estavam publicadas",
        super::thousands(projector.progress.facts),
        super::thousands(projector.progress.published.appended),
        super::thousands(projector.progress.published.found)
    );
    if projector.malformed() > 0 {
        println!(
            "Registros do stream de fatos que não são fatos, ignorados: {}",
            projector.malformed()
        );
    }
    println!(
        "Hash do estado dos modelos de leitura: {}",
        checkpoint.state_hash
    );
    for (parcela, seal) in seals {
        println!(
            "Selo da parcela {parcela}: {} linhas, posição {}, hash {}",
            seal["lines"], seal["last_position"], seal["hash"]
        );
    }
    Ok(())
}

pub fn rebuild(args: RebuildArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let logs = args.source.open().await?;
        let embedded = matches!(logs, Logs::Embedded { .. });
        let previous = store::current_generation(&args.read_models)?;
        let generation = store::next_generation(&args.read_models)?;
        let path = args.read_models.join(&generation);
        if path.exists() {
            // A rebuild interrupted before its switch: start it again from empty.
            std::fs::remove_dir_all(&path)?;
        }
        let store = Store::open_generation(&args.read_models, &generation)?;
        with_logs!(logs, |facts, decisions| {
            let mut projector = Projector::open(&facts, without(&decisions), store).await?;
            let last = facts.last_position().await?;
            projector.run_to(last).await?;
            let published = decisions.last_position().await?.0;
            let computed = projector.checkpoint().decisions;
            if published > 0 && published < computed {
                super::say!(
                    "Aviso: o stream de decisões tem {published} decisões e a reconstrução calculou \
                     {computed}; o projetor em execução publicará as que faltam"
                );
            }
            report(&projector, args.json)?;
            drop(projector);
            store::set_current(&args.read_models, &generation)?;
            super::say!("Geração {generation} em uso");
            // On NATS a running projector switches and removes the old generation itself; on the embedded
            // log none can be running (it would hold the log).
            if let Some(previous) = previous.filter(|_| embedded) {
                std::fs::remove_dir_all(args.read_models.join(previous))?;
            }
            Ok(ExitCode::SUCCESS)
        })
    })
}

/// No decision log, typed as this backend's: a rebuild writes read models only.
fn without<D>(_: &D) -> Option<&D> {
    None
}
