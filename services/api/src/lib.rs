//! The HTTP API over the projector's read models: routes and handlers, and the one place where an answer
//! that is not a read model (a malformed path segment, a missing read model) is shaped.
//!
//! Every answer is JSON; every path segment is parsed into its domain type first (`Parcela`, `Ibge`, `Ine`,
//! `Competencia`), so a malformed one is a 400 naming the field and what was expected, and a well-formed
//! one that the read models do not hold is a 404 saying what is missing. The API reads the generation of
//! read models the projector hands it (`Served`), and follows it to the next after a rebuild.

use std::str::FromStr;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use repasse_projector::step::tree;
use repasse_projector::store::Store;
use repasse_proto::{Competencia, Ibge, Ine, Parcela};
use tokio::sync::watch;

/// The generation of read models in use, as the projector hands it over.
pub type Served = watch::Receiver<Option<Store>>;

/// The routes, over whatever generation `store` holds at each request.
pub fn router(store: Served) -> Router {
    Router::new()
        .route("/saude", get(health))
        .route("/selos", get(seals))
        .route("/selos/{parcela}", get(seal))
        .route("/demonstrativos/{parcela}/{ibge}", get(statement))
        .route("/linhas/{parcela}/{ibge}", get(lines))
        .route("/recomposicao/{parcela}/{ibge}", get(recomposition))
        .route("/conciliacao/{parcela}/{ibge}", get(reconciliation))
        .route("/situacao/{competencia}/{ibge}", get(statuses))
        .route("/explicacoes/{competencia}/{ine}", get(explanation))
        .fallback(not_a_route)
        .with_state(store)
}

/// An answer that is not a read model: status and a message in Portuguese.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.1 });
        (self.0, axum::Json(body)).into_response()
    }
}

fn parse<T: FromStr>(input: &str) -> Result<T, Failure>
where
    T::Err: std::fmt::Display,
{
    input
        .parse()
        .map_err(|e: T::Err| Failure(StatusCode::BAD_REQUEST, e.to_string()))
}

fn current(store: &Served) -> Result<Store, Failure> {
    store.borrow().clone().ok_or_else(|| {
        Failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "o projetor ainda está abrindo os modelos de leitura".to_owned(),
        )
    })
}

fn storage(e: impl std::fmt::Display) -> Failure {
    Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// A stored JSON value as the answer, or a 404 naming it.
fn stored(store: &Served, tree: &str, key: &str, what: String) -> Result<Response, Failure> {
    let bytes = current(store)?
        .get_raw(tree, key)
        .map_err(storage)?
        .ok_or(Failure(StatusCode::NOT_FOUND, what))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

async fn health(State(store): State<Served>) -> Result<Response, Failure> {
    let store = current(&store)?;
    let checkpoint = store.checkpoint().map_err(storage)?;
    let body = serde_json::json!({
        "generation": store.generation(),
        "checkpoint": checkpoint,
    });
    Ok(axum::Json(body).into_response())
}

async fn seals(State(store): State<Served>) -> Result<Response, Failure> {
    let seals = current(&store)?
        .scan(tree::SELOS, "")
        .map_err(storage)?
        .into_iter()
        .map(|(_, seal)| seal)
        .collect::<Vec<_>>();
    Ok(axum::Json(seals).into_response())
}

async fn seal(
    State(store): State<Served>,
    Path(parcela): Path<String>,
) -> Result<Response, Failure> {
    let p: Parcela = parse(&parcela)?;
    stored(
        &store,
        tree::SELOS,
        &p.to_string(),
        format!("a parcela {p} não foi selada"),
    )
}

/// A read model kept per period (parcela or competência) and municipality, under `period/ibge`.
fn per_municipality<P>(
    store: &Served,
    (period, ibge): (String, String),
    tree: &str,
    what: &str,
) -> Result<Response, Failure>
where
    P: FromStr + std::fmt::Display,
    P::Err: std::fmt::Display,
{
    let (period, ibge): (P, Ibge) = (parse(&period)?, parse(&ibge)?);
    stored(
        store,
        tree,
        &format!("{period}/{ibge}"),
        format!("sem {what} {period} para o município {ibge}"),
    )
}

async fn statement(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Parcela>(
        &store,
        path,
        tree::DEMONSTRATIVOS,
        "demonstrativo da parcela",
    )
}

async fn lines(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Parcela>(&store, path, tree::LINHAS, "linhas da parcela")
}

async fn recomposition(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Parcela>(&store, path, tree::RECOMPOSICAO, "recomposição da parcela")
}

async fn reconciliation(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Parcela>(
        &store,
        path,
        tree::CONCILIACAO,
        "conciliação (nenhum relatório publicado nem ordem do Fundo importados) da parcela",
    )
}

async fn statuses(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Competencia>(
        &store,
        path,
        tree::SITUACAO,
        "situação das equipes na competência",
    )
}

async fn explanation(
    State(store): State<Served>,
    Path((competencia, ine)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let (c, ine): (Competencia, Ine) = (parse(&competencia)?, parse(&ine)?);
    stored(
        &store,
        tree::EXPLICACOES,
        &format!("{c}/{ine}"),
        format!(
            "sem explicação da equipe {ine} na competência {c}: guardam-se as das equipes suspensas ou \
             não válidas no fechamento; `repasse explain` calcula a de qualquer equipe a partir do log"
        ),
    )
}

async fn not_a_route() -> Failure {
    Failure(
        StatusCode::NOT_FOUND,
        "caminho desconhecido: /saude, /selos, /selos/{parcela}, /demonstrativos/{parcela}/{ibge}, \
         /linhas/{parcela}/{ibge}, /recomposicao/{parcela}/{ibge}, /situacao/{competencia}/{ibge}, \
         /explicacoes/{competencia}/{ine}"
            .to_owned(),
    )
}
