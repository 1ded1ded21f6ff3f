//! `/eventos`: the decisions as server-sent events, for browsers and for anyone who would rather not speak
//! NATS. Each event's `id` is its position in the decision stream, so a client that reconnects with
//! `Last-Event-ID` (as `EventSource` does by itself) resumes right after the last one it saw; `event` is the
//! decision's tipo (`suspensao`, `demonstrativo`, …) and `data` the envelope of `proto/EVENTS.md`.
//! Filters by UF, municipality, team and tipo are read off the subject, as NATS filters them.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use repasse_proto::{Ibge, Ine, Uf};

use crate::{Api, Failure, parse};

/// Live connections at most; one more is a 503 (each holds a cursor on the decision stream).
pub const MAX_CONNECTIONS: usize = 256;
/// Live connections one caller (one token) may hold, so that one client cannot take the whole feed; one
/// more is a 429.
pub const MAX_CONNECTIONS_PER_CALLER: usize = 32;

/// The live connections of each caller.
#[derive(Clone, Debug, Default)]
pub(crate) struct Callers(Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>);

/// One caller's connection, counted until it closes.
struct CallerSlot {
    callers: Callers,
    name: String,
}

impl Callers {
    fn take(&self, name: &str) -> Option<CallerSlot> {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(name.to_owned()).or_default();
        if *count >= MAX_CONNECTIONS_PER_CALLER {
            return None;
        }
        *count += 1;
        Some(CallerSlot {
            callers: self.clone(),
            name: name.to_owned(),
        })
    }
}

impl Drop for CallerSlot {
    fn drop(&mut self) {
        let mut counts = self
            .callers
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.name) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.name);
            }
        }
    }
}

/// What one connection follows.
#[derive(Debug, Default)]
struct Filter {
    uf: Option<Uf>,
    ibge: Option<Ibge>,
    ine: Option<Ine>,
    tipo: Option<String>,
}

impl Filter {
    /// `decisoes.<tipo>.<uf>.<ibge>.<ine>` against the filter.
    fn admits(&self, subject: &str) -> bool {
        let tokens: Vec<&str> = subject.split('.').collect();
        let [_, tipo, uf, ibge, ine] = tokens[..] else {
            return false;
        };
        self.tipo.as_deref().is_none_or(|t| t == tipo)
            && self.uf.is_none_or(|u| u.as_str() == uf)
            && self.ibge.is_none_or(|i| i.to_string() == ibge)
            && self.ine.is_none_or(|i| i.to_string() == ine)
    }
}

fn filter(raw: Option<String>) -> Result<(Filter, Option<u64>), Failure> {
    let mut f = Filter::default();
    let mut after = None;
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "uf" => f.uf = Some(parse("uf", value)?),
            "ibge" => f.ibge = Some(parse("ibge", value)?),
            "ine" => f.ine = Some(parse("ine", value)?),
            "tipo" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_lowercase()) => {
                f.tipo = Some(value.to_owned());
            }
            "tipo" => {
                return Err(Failure::bad(
                    "tipo",
                    format!(
                        "tipo \"{value}\": esperado o tipo de decisão em minúsculas (suspensao, demonstrativo, …)"
                    ),
                ));
            }
            "desde" => after = Some(position("desde", value)?),
            other => {
                return Err(Failure::bad(
                    "query",
                    format!(
                        "parâmetro desconhecido \"{other}\": esperados uf, ibge, ine, tipo e desde"
                    ),
                ));
            }
        }
    }
    Ok((f, after))
}

fn position(field: &'static str, value: &str) -> Result<u64, Failure> {
    value.trim().parse().map_err(|_| {
        Failure::bad(
            field,
            format!("\"{value}\": esperada a posição de uma decisão no stream (inteiro ≥ 0)"),
        )
    })
}

/// The live feed. Resumes after `Last-Event-ID` (or `desde`); without either, starts with the next
/// decision published.
pub(crate) async fn events(
    State(api): State<Api>,
    caller: Option<axum::Extension<crate::auth::Caller>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let (filter, mut after) = filter(query)?;
    if let Some(last) = headers.get("last-event-id") {
        let last = last.to_str().unwrap_or("");
        after = Some(position("Last-Event-ID", last)?);
    }
    let logs = api.logs()?;
    // Without tokens there is no caller to count: the bound on all connections still holds.
    let slot = match &caller {
        Some(axum::Extension(caller)) => Some(api.feed_callers.take(&caller.name).ok_or_else(|| {
            Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "o token \"{}\" já tem {MAX_CONNECTIONS_PER_CALLER} conexões ao vivo abertas; feche uma antes de abrir outra",
                    caller.name
                ),
            )
        })?),
        None => None,
    };
    let Ok(permit) = Arc::clone(&api.feeds).try_acquire_owned() else {
        return Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("já há {MAX_CONNECTIONS} conexões ao vivo abertas; tente de novo mais tarde"),
        ));
    };
    let after = match after {
        Some(after) => after,
        None => logs
            .decisions_end()
            .await
            .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e))?,
    };
    let from = after.checked_add(1).ok_or_else(|| {
        Failure::bad(
            "Last-Event-ID",
            "posição além de qualquer decisão do stream",
        )
    })?;
    let stream = logs
        .decisions(from)
        .take_while(|r| std::future::ready(r.is_ok()))
        .filter_map(move |record| {
            let event = record.ok().filter(|r| filter.admits(&r.subject)).map(|r| {
                let tipo = r.subject.split('.').nth(1).unwrap_or("decisao").to_owned();
                let data = String::from_utf8_lossy(&r.payload).into_owned();
                Ok::<_, Infallible>(
                    Event::default()
                        .id(r.position.0.to_string())
                        .event(tipo)
                        .data(data),
                )
            });
            std::future::ready(event)
        })
        // The permit and the caller's slot live as long as the connection's stream.
        .map(move |event| {
            let _held = (&permit, &slot);
            event
        });
    let keep_alive = KeepAlive::new().interval(Duration::from_secs(15));
    Ok(Sse::new(stream).keep_alive(keep_alive).into_response())
}

#[cfg(test)]
mod caller_tests {
    use super::*;

    #[test]
    fn one_caller_holds_at_most_its_share_of_the_feed_and_gets_it_back_as_connections_close() {
        let callers = Callers::default();
        let mut held: Vec<CallerSlot> = (0..MAX_CONNECTIONS_PER_CALLER)
            .map(|_| callers.take("integrador-pe").expect("within the share"))
            .collect();
        assert!(
            callers.take("integrador-pe").is_none(),
            "one more than the share"
        );
        assert!(
            callers.take("auditora").is_some(),
            "another caller is not held back"
        );
        held.pop();
        assert!(
            callers.take("integrador-pe").is_some(),
            "a closed connection frees its place"
        );
        drop(held);
        let counts = callers.0.lock().unwrap();
        assert!(
            !counts.contains_key("integrador-pe") && counts.is_empty(),
            "{counts:?}"
        );
    }
}
