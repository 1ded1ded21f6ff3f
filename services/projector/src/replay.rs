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
    /// `2025-06-30` (its end), an RFC 3339 instant such as `2025-06-30T09:00:00-03:00`, or a position
    /// (digits only).
    fn from_str(text: &str) -> Result<AsOf, String> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse()
                .map(|p| AsOf::Position(Position(p)))
                .map_err(|e| format!("posição \"{text}\": {e}"));
        }
        text.parse::<Timestamp>()
            .map(|t| {
                if text.len() == 10 {
                    AsOf::Instant(Timestamp(t.0 + 86_399_999))
                } else {
                    AsOf::Instant(t)
                }
            })
            .map_err(|e| format!("--as-of: {e}; ou uma posição do log (só dígitos)"))
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

/// BLAKE3 over the canonical JSON of each line (one per line), in IBGE order and within a municipality in
/// the ledger's order (INE): the order of the statements, so that a parcela's seal is computed municipality
/// by municipality, and a municipality's lines alone give its statement's hash. The same lines give the same
/// hash on any machine and any backend.
pub fn lines_hash(lines: &[Line]) -> String {
    let mut ordered: Vec<&Line> = lines.iter().collect();
    // Stable: a municipality's lines keep the ledger's order.
    ordered.sort_by_key(|line| line.ibge);
    let mut hasher = LinesHasher::default();
    for line in ordered {
        hasher.add(line);
    }
    hasher.finish()
}

/// [`lines_hash`] fed line by line, in its order.
#[derive(Default)]
pub struct LinesHasher {
    hasher: blake3::Hasher,
    lines: u64,
}

impl LinesHasher {
    pub fn add(&mut self, line: &Line) {
        self.add_canonical(&canonical(line));
    }

    /// Adds a line given as its [`canonical`] bytes (to hash the same line in two hashers, encoded once).
    pub fn add_canonical(&mut self, canonical: &[u8]) {
        self.hasher.update(canonical);
        self.lines += 1;
    }

    pub fn lines(&self) -> u64 {
        self.lines
    }

    pub fn finish(&self) -> String {
        self.hasher.finalize().to_hex().to_string()
    }
}

/// A line's canonical JSON and a newline: what the hashes cover (amounts, not the parameters they came from).
pub fn canonical(line: &Line) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Canonical<'a> {
        ibge: Ibge,
        parcela: Parcela,
        ine: repasse_proto::Ine,
        component: &'a str,
        integral: repasse_proto::Money,
        desconto: repasse_proto::Money,
    }
    let canonical = Canonical {
        ibge: line.ibge,
        parcela: line.parcela,
        ine: line.ine,
        component: line.component.as_str(),
        integral: line.integral,
        desconto: line.desconto,
    };
    let mut bytes = serde_json::to_vec(&canonical).expect("lines serialize");
    bytes.push(b'\n');
    bytes
}
