//! Answers only a fold of the fact log can give: a sealed parcela against today's computation (`repasse
//! diff`) and a parcela recomputed as of a point of the log (`repasse replay`). On national data a fold
//! takes about as long as the projector's replay, so the first request starts it in the background
//! (`logs::Background`) and gets a 202 with `Retry-After`; the answer is kept until the fact stream moves.

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use repasse_projector::replay::AsOf;
use repasse_proto::{Ibge, Parcela};
use serde_json::Value;

use crate::logs::{Answer, Fold};
use crate::{Api, Failure, parse, storage};

/// The diff of `p` as JSON; `null` when the parcela was never sealed.
pub(crate) fn diff_of(p: Parcela) -> Fold {
    Box::new(move |logs| {
        Box::pin(async move {
            let diff = logs.diff(p).await?;
            Ok(serde_json::to_value(diff).expect("a diff serializes"))
        })
    })
}

/// A fold's answer as an HTTP answer: 200, 202 while computing, or the failure.
fn answered(
    answer: Answer,
    what: &str,
    missing: impl FnOnce() -> Failure,
) -> Result<Response, Failure> {
    match answer {
        Answer::Ready(value) if value.is_null() => Err(missing()),
        Answer::Ready(value) => Ok(axum::Json(value.as_ref()).into_response()),
        Answer::Computing => {
            let body = serde_json::json!({
                "status": "calculando",
                "detail": format!("{what} está sendo calculada a partir do log; repita em alguns segundos"),
            });
            Ok((
                StatusCode::ACCEPTED,
                [(header::RETRY_AFTER, "2")],
                axum::Json(body),
            )
                .into_response())
        }
        Answer::Busy => Err(busy()),
        Answer::Failed(e) => Err(storage(e)),
    }
}

/// The queue of folds is full: a 429 (the client should come back later), not a failure of the server.
fn busy() -> Failure {
    Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "outros recálculos do log já estão na fila; repita em alguns segundos",
    )
}

/// `/comparacao/{parcela}`: the sealed parcela against today's computation.
pub(crate) async fn comparison(
    State(api): State<Api>,
    Path(parcela): Path<String>,
) -> Result<Response, Failure> {
    let p: Parcela = parse("parcela", &parcela)?;
    let answer = api
        .folds
        .get(&api.logs()?, format!("diff/{p}"), diff_of(p))
        .await;
    answered(answer, &format!("a comparação da parcela {p}"), || {
        let mut failure = Failure::new(
            StatusCode::NOT_FOUND,
            format!("a parcela {p} não foi selada"),
        );
        failure.field = Some("parcela");
        failure
    })
}

/// `/recalculo/{parcela}?as_of=…&ibge=…`: the parcela recomputed from the log alone up to a position, an
/// instant or the end of a day (`as_of`; the whole log without it), with the hash over its lines that a
/// seal records.
pub(crate) async fn recomputed(
    State(api): State<Api>,
    Path(parcela): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    let p: Parcela = parse("parcela", &parcela)?;
    let mut as_of = AsOf::Now;
    let mut ibge: Option<Ibge> = None;
    for pair in raw
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "as_of" => {
                let value = value.replace("%3A", ":").replace("%2B", "+");
                as_of = value
                    .parse()
                    .map_err(|e: String| Failure::bad("as_of", e))?;
            }
            "ibge" => {
                let code: Ibge = parse("ibge", value)?;
                crate::known(code)?;
                ibge = Some(code);
            }
            other => {
                return Err(Failure::bad(
                    "query",
                    format!("parâmetro desconhecido \"{other}\": esperados as_of e ibge"),
                ));
            }
        }
    }
    let key = format!("replay/{p}/{as_of:?}/{ibge:?}");
    let fold: Fold =
        Box::new(move |logs| Box::pin(async move { logs.replay(p, as_of, ibge).await }));
    let answer = api.folds.get(&api.logs()?, key, fold).await;
    answered(answer, &format!("a parcela {p}"), || {
        Failure::new(StatusCode::NOT_FOUND, format!("sem a parcela {p}"))
    })
}

/// For the page: the comparison as a value, or whether it is still computing.
pub(crate) async fn comparison_value(api: &Api, p: Parcela) -> Result<Option<Value>, Failure> {
    match api
        .folds
        .get(&api.logs()?, format!("diff/{p}"), diff_of(p))
        .await
    {
        Answer::Ready(value) => Ok(Some(value.as_ref().clone())),
        Answer::Computing => Ok(None),
        Answer::Busy => Err(busy()),
        Answer::Failed(e) => Err(storage(e)),
    }
}
