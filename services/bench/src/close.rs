//! `repasse bench close`: what the NATS server alone takes to store a national parcela close and to
//! deliver it to an integrator. The close is a statement per municipality of the Anexo VI and the seal,
//! encoded as the projector encodes them and published as it publishes them (one chain, `append_after`),
//! to a scratch stream of the same server, with no projector and no load running. No projector can hand
//! a close to integrators faster than its server stores and delivers it: this is the floor under the
//! latency of a close in `bench replay`, and the figure to take on a production cluster before trusting
//! the latency target there. The same messages without any header, in the same rounds, give the floor of
//! the server itself.

// Timings are measurements, not money: floats are right here.
#![allow(clippy::float_arithmetic)]

use std::time::{Duration, Instant};

use repasse_eventlog::nats::{NatsConfig, NatsLog};
use repasse_eventlog::testing::given_or_started;
use repasse_eventlog::{EventLog, NewRecord};
use repasse_projector::step::decision_record;
use repasse_proto::decision::{Decision, ParcelaSealed, PlanoTotals, StatementIssued};
use repasse_proto::{Envelope, Money, Parcela, Plano, SourceRef, Timestamp};
use serde::Serialize;

use crate::replay::{Integrator, Listen, StandIn, percentile};

/// The scratch stream, removed at the end of the run (and at its start, if a run was cut short).
const STREAM: &str = "REPASSE_BENCH_FECHAMENTO";
/// Replaces `decisoes` in the decisions' subjects: the decision stream owns `decisoes.>`.
const PREFIX: &str = "bench";
/// Between the integrator's start and the close.
const SETTLE: Duration = Duration::from_millis(300);
/// How long the integrator may take to receive a close before the run fails.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Servidor NATS já em execução (o stream de rascunho é criado e apagado nele); sem ele, um
    /// nats-server é iniciado para a medição.
    #[arg(long, env = "REPASSE_NATS")]
    pub nats: Option<String>,
    /// Réplicas do stream de rascunho: 3 para medir no cluster de produção.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub nats_replicas: u8,
    /// Fechamentos publicados em cada variante (com a cadeia do projetor; sem cabeçalhos).
    #[arg(long, default_value_t = 10)]
    pub rounds: u32,
    /// Municípios do fechamento: os primeiros do Anexo VI (0: todos, 5.570).
    #[arg(long, default_value_t = 0)]
    pub municipios: usize,
    /// Quem recebe o fechamento: `durable` (consumidor durável, confirmação explícita, como o exemplo
    /// `assinante`) ou `core` (assinatura simples, antes da gravação).
    #[arg(long, value_enum, default_value_t = Integrator::Durable)]
    pub integrator: Integrator,
}

#[derive(Debug, Serialize)]
pub(super) struct Report {
    integrator: Integrator,
    /// Statements and the seal, per close.
    messages: usize,
    payload_bytes_avg: usize,
    rounds: u32,
    /// As the projector publishes: `Nats-Msg-Id`, expected last sequence and expected last message id on
    /// every message, an acknowledgement asked every 256th.
    chain: Variant,
    /// The same payloads and subjects without headers, the last one acknowledged: the server's own floor.
    bare: Variant,
}

#[derive(Debug, Default, Serialize)]
struct Variant {
    /// From the first publish until the stream acknowledged the last message, per round.
    stored_ms: Vec<f64>,
    /// From the first publish until the integrator had the last message, per round.
    delivered_ms: Vec<f64>,
    stored_p50_ms: f64,
    delivered_p50_ms: f64,
    delivered_max_ms: f64,
}

impl Variant {
    fn summarize(mut self) -> Variant {
        let sorted = |values: &[f64]| {
            let mut values = values.to_vec();
            values.sort_by(f64::total_cmp);
            values
        };
        let delivered = sorted(&self.delivered_ms);
        self.stored_p50_ms = percentile(&sorted(&self.stored_ms), 0.5);
        self.delivered_p50_ms = percentile(&delivered, 0.5);
        self.delivered_max_ms = percentile(&delivered, 1.0);
        self
    }
}

pub fn run(args: Args) -> anyhow::Result<std::process::ExitCode> {
    anyhow::ensure!(args.rounds > 0, "--rounds: ao menos uma rodada");
    let (_server, url) = given_or_started(args.nats.as_deref())?;
    let report = crate::runtime()?.block_on(measure(&args, &url))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(std::process::ExitCode::SUCCESS)
}

pub(super) async fn measure(args: &Args, url: &str) -> anyhow::Result<Report> {
    let client = async_nats::connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("conexão com o servidor NATS {url}: {e}"))?;
    let js = async_nats::jetstream::new(client.clone());
    let _ = js.delete_stream(STREAM).await;
    let log = NatsLog::open(
        client.clone(),
        NatsConfig {
            max_in_flight: NatsConfig::decisions().max_in_flight,
            replicas: usize::from(args.nats_replicas),
            ..NatsConfig::new(STREAM, &format!("{PREFIX}.>"))
        },
    )
    .await?;
    let mut rows = repasse_ingest::anexo_vi::rows();
    if args.municipios > 0 {
        rows.truncate(args.municipios);
    }
    let mut report = Report {
        integrator: args.integrator,
        messages: rows.len() + 1,
        payload_bytes_avg: 0,
        rounds: args.rounds,
        chain: Variant::default(),
        bare: Variant::default(),
    };
    eprintln!(
        "Fechamento de {} mensagens no servidor {url}, {} rodada{}…",
        report.messages,
        args.rounds,
        if args.rounds == 1 { "" } else { "s" }
    );
    let measured = async {
        for round in 0..args.rounds {
            // Each round's ids differ (a repeated id would be dropped as a duplicate).
            let records = close(&rows, round);
            report.payload_bytes_avg =
                records.iter().map(|r| r.payload.len()).sum::<usize>() / records.len();
            for chained in [true, false] {
                let (stored, delivered) =
                    publish_close(&log, &js, url, args, &records, chained).await?;
                let variant = if chained {
                    &mut report.chain
                } else {
                    &mut report.bare
                };
                variant.stored_ms.push(ms(stored));
                variant.delivered_ms.push(ms(delivered));
                eprintln!(
                    "  rodada {round} {}: gravado em {:.1} ms, recebido em {:.1} ms",
                    if chained { "cadeia" } else { "sem cabeçalhos" },
                    ms(stored),
                    ms(delivered)
                );
            }
        }
        anyhow::Ok(())
    }
    .await;
    // The scratch stream goes whatever happened.
    js.delete_stream(STREAM).await?;
    measured?;
    report.chain = report.chain.summarize();
    report.bare = report.bare.summarize();
    Ok(report)
}

fn ms(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 10_000.0).round() / 10.0
}

/// Publishes one close while the stand-in integrator follows the scratch stream; answers how long after
/// the first publish the stream had stored the last message and the integrator had received it.
async fn publish_close(
    log: &NatsLog,
    js: &async_nats::jetstream::Context,
    url: &str,
    args: &Args,
    records: &[NewRecord],
    chained: bool,
) -> anyhow::Result<(Duration, Duration)> {
    let integrator = StandIn::start(
        url,
        args.integrator,
        Listen {
            stream: STREAM.to_owned(),
            subjects: format!("{PREFIX}.>"),
            until: Some(records.len()),
        },
    )
    .await?;
    // The consumer's first pull request reaches the server, as it has long done for a running integrator.
    tokio::time::sleep(SETTLE).await;
    // Where the chain starts, asked before the clock starts (the projector knows it from its checkpoint).
    let last = log.last_position().await?;
    let started = Instant::now();
    if chained {
        let answers = log.append_after(records.to_vec(), last).await?;
        anyhow::ensure!(
            answers.len() == records.len() && answers.iter().all(|a| !a.duplicate),
            "a cadeia gravou {} de {} mensagens",
            answers.iter().filter(|a| !a.duplicate).count(),
            records.len()
        );
    } else {
        let (last, rest) = records.split_last().expect("a close has a seal");
        for record in rest {
            js.client()
                .publish(record.subject.clone(), record.payload.clone())
                .await?;
        }
        js.publish(last.subject.clone(), last.payload.clone())
            .await?
            .await?;
    }
    let stored = started.elapsed();
    let received = integrator.received(DELIVERY_TIMEOUT).await?;
    anyhow::ensure!(
        received.len() == records.len(),
        "o integrador recebeu {} de {} mensagens em {} s",
        received.len(),
        records.len(),
        DELIVERY_TIMEOUT.as_secs()
    );
    let (payload, last) = received.last().expect("checked above");
    let seal = &records.last().expect("a close has a seal").payload;
    anyhow::ensure!(
        payload == seal,
        "o integrador recebeu por último outra mensagem que o selo"
    );
    Ok((stored, last.duration_since(started)))
}

/// A national close as the projector publishes it: a statement per municipality, then the seal. The
/// amounts follow the population (what sets the size of the JSON: digits); the hashes are real BLAKE3.
fn close(rows: &[repasse_ingest::anexo_vi::AnexoRow], round: u32) -> Vec<NewRecord> {
    let parcela: Parcela = "2028-06".parse().expect("valid parcela");
    let position = 10_000_000 + u64::from(round);
    let source = SourceRef {
        document: format!("fatos@{position}"),
        digest: None,
        line: None,
    };
    let recorded_at = Timestamp(1_830_000_000_000 + i64::from(round));
    let envelope = |decision: Decision| {
        let envelope: Envelope<Decision> =
            Envelope::new(decision, source.clone(), recorded_at).expect("decisions encode");
        let mut record = decision_record(&envelope);
        let rest = record
            .subject
            .strip_prefix(repasse_proto::subject::DECISIONS_PREFIX)
            .expect("decision subjects start with the prefix");
        record.subject = format!("{PREFIX}{rest}");
        record
    };
    let hash = |words: &[&[u8]]| {
        let mut hasher = blake3::Hasher::new();
        for word in words {
            hasher.update(word);
        }
        hasher.finalize().to_hex().to_string()
    };
    let mut records: Vec<NewRecord> = rows
        .iter()
        .map(|row| {
            let population = i64::from(row.population);
            let planos = [
                (Plano::EsfEap, 400, 15),
                (Plano::SaudeBucal, 60, 0),
                (Plano::EMulti, 70, 0),
                (Plano::Acs, 300, 1),
            ]
            .into_iter()
            .map(|(plano, centavos_per_person, pct_desconto)| {
                let integral = population * centavos_per_person;
                let desconto = integral * pct_desconto / 100;
                PlanoTotals {
                    plano,
                    integral: Money::from_centavos(integral),
                    desconto: Money::from_centavos(desconto),
                    ajuste: Money::ZERO,
                    efetivo: Money::from_centavos(integral - desconto),
                }
            })
            .collect();
            envelope(Decision::StatementIssued(StatementIssued {
                ibge: row.ibge,
                parcela,
                planos,
                implantacao: Money::ZERO,
                hash: hash(&[row.ibge.to_string().as_bytes(), &round.to_le_bytes()]),
            }))
        })
        .collect();
    records.push(envelope(Decision::ParcelaSealed(ParcelaSealed {
        parcela,
        last_position: position,
        lines: rows.len() as u64 * 12,
        hash: hash(&[b"selo", &round.to_le_bytes()]),
    })));
    records
}
