//! Replay as of a position or an instant: what the ledger decided for a parcela with the facts known then,
//! and a hash over its lines that an auditor can compare with a seal.

use repasse_eventlog::{EventLog, Position};
use repasse_proto::{Ibge, Parcela, Timestamp};
use repasse_rules::{Ledger, Line};

use crate::fold::{Error, fold_log};

/// Where a replay stops: a stream position or the last fact recorded at or before an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsOf {
    Now,
    Position(Position),
    Instant(Timestamp),
}

impl std::str::FromStr for AsOf {
    type Err = String;
    /// `2025-06-30`, `2025-06-30T12:00:00Z` or a position (digits only).
    fn from_str(text: &str) -> Result<AsOf, String> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse()
                .map(|p| AsOf::Position(Position(p)))
                .map_err(|e| format!("posição \"{text}\": {e}"));
        }
        text.parse::<Timestamp>()
            .map(|t| if text.len() == 10 { AsOf::Instant(Timestamp(t.0 + 86_399_999)) } else { AsOf::Instant(t) })
            .map_err(|_| format!("--as-of \"{text}\": esperada uma data AAAA-MM-DD, um instante AAAA-MM-DDTHH:MM:SSZ ou uma posição"))
    }
}

/// The ledger folded from the log alone up to `as_of`, and the position it stopped at.
pub async fn ledger_as_of<L: EventLog>(log: &L, as_of: AsOf) -> Result<(Ledger, Position), Error> {
    let to = match as_of {
        AsOf::Now => log.last_position().await?,
        AsOf::Position(p) => p.min(log.last_position().await?),
        AsOf::Instant(t) => log.position_at(t).await?,
    };
    let mut ledger = Ledger::default();
    if to > Position::START {
        fold_log(log, &mut ledger, Position(1), Some(to), |_| {}).await?;
    }
    Ok((ledger, to))
}

/// BLAKE3 over the canonical JSON of each line (one per line, in the ledger's order): the same lines give
/// the same hash on any machine and any backend.
pub fn lines_hash(lines: &[Line]) -> String {
    #[derive(serde::Serialize)]
    struct Canonical<'a> {
        ibge: Ibge,
        parcela: Parcela,
        ine: repasse_proto::Ine,
        component: &'a str,
        integral: repasse_proto::Money,
        desconto: repasse_proto::Money,
    }
    let mut hasher = blake3::Hasher::new();
    for line in lines {
        let canonical = Canonical {
            ibge: line.ibge,
            parcela: line.parcela,
            ine: line.ine,
            component: line.component.as_str(),
            integral: line.integral,
            desconto: line.desconto,
        };
        hasher.update(&serde_json::to_vec(&canonical).expect("lines serialize"));
        hasher.update(b"\n");
    }
    hasher.finalize().to_hex().to_string()
}
