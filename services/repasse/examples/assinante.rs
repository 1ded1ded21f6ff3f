//! A state or municipal system following the decisions it cares about, with nothing but async-nats and a
//! JSON parser (no crate of this project): a durable consumer on REPASSE_DECISOES filtered by subject, so
//! that after a restart it resumes where it stopped; decisions carry their id in `Nats-Msg-Id`, so the
//! integrator can also deduplicate on its side.
//!
//!     cargo run --example assinante -- nats://127.0.0.1:4222 'decisoes.suspensao.PE.>' sistema-pe [N]
//!
//! Prints one line per decision and acknowledges it after "handling" it (here: printing).

use futures::StreamExt;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    let filter = args.next().unwrap_or_else(|| "decisoes.>".into());
    let name = args.next().unwrap_or_else(|| "assinante-exemplo".into());
    let limit: Option<usize> = args.next().and_then(|n| n.parse().ok());
    // ASSINANTE_CRU=1 prints each decision as received (the JSON envelope) instead of a sentence.
    let raw = std::env::var_os("ASSINANTE_CRU").is_some();

    let client = async_nats::connect(&url).await?;
    let js = async_nats::jetstream::new(client);
    let stream = js.get_stream("REPASSE_DECISOES").await?;
    let consumer = stream
        .get_or_create_consumer(
            &name,
            async_nats::jetstream::consumer::pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: filter.clone(),
                ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await?;
    eprintln!("seguindo {filter} em {url} como {name}");
    let mut messages = consumer.messages().await?;
    let mut seen = 0;
    while let Some(message) = messages.next().await {
        let message = message?;
        let decision: Value = serde_json::from_slice(&message.payload)?;
        if raw {
            println!("{decision}");
        } else {
            println!("{}", describe(&decision));
        }
        message.ack().await.map_err(|e| e.to_string())?;
        seen += 1;
        if limit.is_some_and(|limit| seen >= limit) {
            break;
        }
    }
    Ok(())
}

/// One line in Portuguese, from the JSON envelope documented in proto/EVENTS.md.
fn describe(d: &Value) -> String {
    let p = &d["payload"];
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let reasons = p["reasons"]
        .as_array()
        .map(|r| r.iter().map(text).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    match d["type"].as_str().unwrap_or("") {
        "suspension_applied" | "suspension_changed" | "suspension_lifted" => format!(
            "{} equipe {} (IBGE {}): suspensão de {} % para {} % [{}]",
            text(&p["competencia"]),
            text(&p["ine"]),
            text(&p["ibge"]),
            p["previous_pct"],
            p["pct"],
            reasons
        ),
        "credential_revoked" => format!(
            "{} equipe {} (IBGE {}): credenciamento revogado [{}]",
            text(&p["competencia"]),
            text(&p["ine"]),
            text(&p["ibge"]),
            reasons
        ),
        "statement_issued" => format!(
            "parcela {} município {}: demonstrativo emitido, hash {}",
            text(&p["parcela"]),
            text(&p["ibge"]),
            text(&p["hash"])
        ),
        "parcela_sealed" => format!(
            "parcela {} selada: {} linhas até o fato {}, hash {}",
            text(&p["parcela"]),
            p["lines"],
            p["last_position"],
            text(&p["hash"])
        ),
        other => format!("decisão {other}: {d}"),
    }
}
