//! The HTTP API over the projector's read models: routes and handlers, and the one place where an answer
//! that is not a read model (a malformed path segment, a missing read model) is shaped.
//!
//! Every answer is JSON; every path segment is parsed into its domain type first (`Parcela`, `Ibge`, `Ine`,
//! `Competencia`), so a malformed one is a 400 naming the field and what was expected, and a well-formed
//! one that the read models do not hold is a 404 saying what is missing — both as RFC 9457 problem
//! documents (`application/problem+json`: `type`, `title`, `status`, `detail` in Portuguese, `field`). The API reads the generation of
//! read models the projector hands it (`Served`), and follows it to the next after a rebuild.

use std::str::FromStr;
use std::sync::Arc;

pub mod auth;
mod feed;
mod folds;
mod lists;
pub mod logs;
pub mod metrics;
pub mod openapi;
mod page;
mod writes;

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

/// What the projector beside the API says of itself, for `/readyz`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// The projector has folded the fact stream up to where it stood when it started following.
    pub caught_up: bool,
    /// The publisher's lease on NATS: held or lost; `None` where there is none (embedded log, no
    /// publishing).
    pub lease_held: Option<bool>,
}

pub type Readiness = watch::Receiver<Health>;

/// The logs, once the projector beside the API has opened them.
pub type OpenLogs = watch::Receiver<Option<Arc<dyn logs::LogAccess>>>;

/// What the binary hands the API.
pub struct Wiring {
    pub store: Served,
    pub readiness: Readiness,
    pub logs: OpenLogs,
    /// With tokens, every route but `/livez`, `/readyz` and `/metrics` needs one (`auth`).
    pub tokens: Option<Arc<auth::Tokens>>,
    pub metrics: Arc<metrics::Metrics>,
}

/// What every handler may read.
#[derive(Clone)]
struct Api {
    store: Served,
    health: Readiness,
    logs: OpenLogs,
    tokens: Option<Arc<auth::Tokens>>,
    metrics: Arc<metrics::Metrics>,
    /// The live feed's connections (`feed::MAX_CONNECTIONS`).
    feeds: Arc<tokio::sync::Semaphore>,
    /// The live feed's connections per caller (`feed::MAX_CONNECTIONS_PER_CALLER`).
    feed_callers: feed::Callers,
    folds: Arc<logs::Background>,
}

impl Api {
    fn logs(&self) -> Result<Arc<dyn logs::LogAccess>, Failure> {
        self.logs.borrow().clone().ok_or_else(|| {
            Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "o projetor ainda está abrindo os logs",
            )
        })
    }
}

impl axum::extract::FromRef<Api> for Arc<metrics::Metrics> {
    fn from_ref(api: &Api) -> Arc<metrics::Metrics> {
        Arc::clone(&api.metrics)
    }
}

impl axum::extract::FromRef<Api> for Served {
    fn from_ref(api: &Api) -> Served {
        api.store.clone()
    }
}

impl axum::extract::FromRef<Api> for Readiness {
    fn from_ref(api: &Api) -> Readiness {
        api.health.clone()
    }
}

/// The routes, over whatever generation `store` holds at each request.
pub fn router(wiring: Wiring) -> Router {
    let Wiring {
        store,
        readiness,
        logs,
        tokens,
        metrics,
    } = wiring;
    Router::new()
        .route("/livez", get(live))
        .route("/metrics", get(metrics::exposition))
        .route("/readyz", get(ready))
        .route("/openapi.json", get(openapi::document))
        .route("/saude", get(health))
        .route("/selos", get(seals))
        .route("/selos/{parcela}", get(seal))
        .route("/demonstrativos/{parcela}", get(lists::statements))
        .route("/demonstrativos/{parcela}/{ibge}", get(statement))
        .route("/suspensoes/{competencia}", get(lists::suspended))
        .route("/linhas/{parcela}/{ibge}", get(lines))
        .route("/recomposicao/{parcela}/{ibge}", get(recomposition))
        .route("/conciliacao/{parcela}/{ibge}", get(reconciliation))
        .route("/situacao/{competencia}/{ibge}", get(statuses))
        .route("/explicacoes/{competencia}/{ine}", get(explanation))
        .route("/retroativo", get(retro_list))
        .route("/retroativo/{id}", get(retro))
        .route("/aae", get(par_list))
        .route("/aae/{par}", get(par))
        .route("/aae/conciliacao/{parcela}", get(par_reconciliation))
        .route("/oci/{apac}", get(apac))
        .route("/aperf/adesao/{ente}", get(adhesion))
        .route("/aperf/inscricao", get(enrolment))
        .route("/eventos", get(feed::events))
        .route(
            "/fatos",
            axum::routing::post(writes::facts)
                .layer(axum::extract::DefaultBodyLimit::max(writes::MAX_BODY_BYTES)),
        )
        .route("/comparacao/{parcela}", get(folds::comparison))
        .route("/recalculo/{parcela}", get(folds::recomputed))
        .merge(page::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&metrics),
            metrics::time,
        ))
        .fallback(not_a_route)
        .layer(axum::middleware::from_fn_with_state(
            tokens.clone(),
            auth::require,
        ))
        .with_state(Api {
            store,
            health: readiness,
            logs,
            tokens,
            metrics,
            feeds: Arc::new(tokio::sync::Semaphore::new(feed::MAX_CONNECTIONS)),
            feed_callers: feed::Callers::default(),
            folds: Arc::new(logs::Background::default()),
        })
}

/// The process answers.
async fn live() -> Response {
    axum::Json(serde_json::json!({ "status": "vivo" })).into_response()
}

/// Ready to answer for the ledger: read models open, the projector caught up with the fact stream, and the
/// publisher's lease held where there is one. Otherwise a 503 problem saying which.
async fn ready(
    State(store): State<Served>,
    State(health): State<Readiness>,
) -> Result<Response, Failure> {
    let store = current(&store)?;
    let health = health.borrow().clone();
    if !health.caught_up {
        return Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "o projetor ainda está alcançando o stream de fatos",
        ));
    }
    if health.lease_held == Some(false) {
        return Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "a concessão de publicador não está com este processo",
        ));
    }
    let checkpoint = store.checkpoint().map_err(storage)?;
    let body = serde_json::json!({
        "status": "pronto",
        "generation": store.generation(),
        "checkpoint": checkpoint,
        "lease_held": health.lease_held,
    });
    Ok(axum::Json(body).into_response())
}

/// An answer that is not a read model: an RFC 9457 problem document (`application/problem+json`) with the
/// detail in Portuguese and, for a bad request, the field that was wrong.
struct Failure {
    status: StatusCode,
    detail: String,
    field: Option<&'static str>,
}

impl Failure {
    fn new(status: StatusCode, detail: impl Into<String>) -> Failure {
        Failure {
            status,
            detail: detail.into(),
            field: None,
        }
    }

    fn bad(field: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            field: Some(field),
            ..Failure::new(StatusCode::BAD_REQUEST, detail)
        }
    }
}

/// The problem's title, by status, in Portuguese.
fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "Requisição inválida",
        StatusCode::NOT_FOUND => "Não encontrado",
        StatusCode::UNAUTHORIZED => "Não autenticado",
        StatusCode::FORBIDDEN => "Proibido",
        StatusCode::SERVICE_UNAVAILABLE => "Indisponível",
        StatusCode::TOO_MANY_REQUESTS => "Muitas requisições",
        _ => "Erro interno",
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "type": "about:blank",
            "title": title(self.status),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        let bytes = serde_json::to_vec(&body).expect("a problem serializes");
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            bytes,
        )
            .into_response()
    }
}

/// A path or query value parsed into its domain type; a 400 naming `field` otherwise.
fn parse<T: FromStr>(field: &'static str, input: &str) -> Result<T, Failure>
where
    T::Err: std::fmt::Display,
{
    input
        .parse()
        .map_err(|e: T::Err| Failure::bad(field, e.to_string()))
}

fn current(store: &Served) -> Result<Store, Failure> {
    store.borrow().clone().ok_or_else(|| {
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "o projetor ainda está abrindo os modelos de leitura".to_owned(),
        )
    })
}

fn storage(e: impl std::fmt::Display) -> Failure {
    Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// A stored JSON value as the answer, or a 404 naming it.
fn stored(store: &Served, tree: &str, key: &str, what: String) -> Result<Response, Failure> {
    let bytes = current(store)?
        .get_raw(tree, key)
        .map_err(storage)?
        .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, what))?;
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
    let p: Parcela = parse("parcela", &parcela)?;
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
    period_field: &'static str,
    tree: &str,
    what: &str,
) -> Result<Response, Failure>
where
    P: FromStr + std::fmt::Display,
    P::Err: std::fmt::Display,
{
    let (period, ibge): (P, Ibge) = (parse(period_field, &period)?, parse("ibge", &ibge)?);
    known(ibge)?;
    // The municipality is known: what is missing is the period (not closed yet, or before the ledger).
    stored(
        store,
        tree,
        &format!("{period}/{ibge}"),
        format!("sem {what} {period} para o município {ibge}"),
    )
    .map_err(|mut failure| {
        if failure.status == StatusCode::NOT_FOUND {
            failure.field = Some(period_field);
        }
        failure
    })
}

/// A municipality of Anexo VI, or a 404 naming the field.
fn known(ibge: Ibge) -> Result<&'static repasse_ingest::anexo_vi::AnexoRow, Failure> {
    if let Some(row) = page::municipality(ibge) {
        return Ok(row);
    }
    let mut failure = Failure::new(
        StatusCode::NOT_FOUND,
        format!("o município {ibge} não está no Anexo VI da Portaria GM/MS 3.493/2024"),
    );
    failure.field = Some("ibge");
    Err(failure)
}

async fn statement(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Parcela>(
        &store,
        path,
        "parcela",
        tree::DEMONSTRATIVOS,
        "demonstrativo da parcela",
    )
}

async fn lines(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Parcela>(&store, path, "parcela", tree::LINHAS, "linhas da parcela")
}

async fn recomposition(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Parcela>(
        &store,
        path,
        "parcela",
        tree::RECOMPOSICAO,
        "recomposição da parcela",
    )
}

async fn reconciliation(
    State(store): State<Served>,
    Path(path): Path<(String, String)>,
) -> Result<Response, Failure> {
    per_municipality::<Parcela>(
        &store,
        path,
        "parcela",
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
        "competencia",
        tree::SITUACAO,
        "situação das equipes na competência",
    )
}

async fn explanation(
    State(store): State<Served>,
    Path((competencia, ine)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let (c, ine): (Competencia, Ine) = (parse("competencia", &competencia)?, parse("ine", &ine)?);
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
    Failure::new(
        StatusCode::NOT_FOUND,
        "caminho desconhecido: /livez, /readyz, /metrics, /saude, /selos, /selos/{parcela}, /demonstrativos/{parcela}, \
         /demonstrativos/{parcela}/{ibge}, /suspensoes/{competencia}, \
         /linhas/{parcela}/{ibge}, /recomposicao/{parcela}/{ibge}, /conciliacao/{parcela}/{ibge}, \
         /situacao/{competencia}/{ibge}, /explicacoes/{competencia}/{ine}, /retroativo, \
         /retroativo/{id}, /aae, /aae/{par}, /aae/conciliacao/{parcela}, /oci/{apac}, /aperf/adesao/{ente}, \
         /aperf/inscricao?cpf=…&data=AAAA-MM-DD, /eventos, /comparacao/{parcela}, /recalculo/{parcela}?as_of=…&ibge=…, /openapi.json, /painel"
            .to_owned(),
    )
}

/// Every value of a tree, as a JSON array (the programmes of §7–9 have a few thousand entries at most).
fn listed(store: &Served, tree: &str) -> Result<Response, Failure> {
    let values: Vec<serde_json::Value> = current(store)?
        .scan(tree, "")
        .map_err(storage)?
        .into_iter()
        .map(|(_, value)| value)
        .collect();
    Ok(axum::Json(values).into_response())
}

/// A request id, PAR id or APAC: printable, without spaces, at most 64 characters.
fn identifier(field: &'static str, label: &str, input: &str) -> Result<String, Failure> {
    let fine =
        !input.is_empty() && input.len() <= 64 && input.chars().all(|c| c.is_ascii_graphic());
    if fine {
        Ok(input.to_owned())
    } else {
        Err(Failure::bad(
            field,
            format!(
                "{label} inválido \"{input}\": esperado um identificador de até 64 caracteres sem espaços"
            ),
        ))
    }
}

async fn retro_list(State(store): State<Served>) -> Result<Response, Failure> {
    listed(&store, tree::RETROATIVO)
}

async fn retro(State(store): State<Served>, Path(id): Path<String>) -> Result<Response, Failure> {
    let id = identifier("id", "pedido", &id)?;
    let what = format!("sem pedido de crédito retroativo \"{id}\"");
    stored(&store, tree::RETROATIVO, &id, what)
}

async fn par_list(State(store): State<Served>) -> Result<Response, Failure> {
    listed(&store, tree::AAE)
}

async fn par(State(store): State<Served>, Path(id): Path<String>) -> Result<Response, Failure> {
    let id = identifier("par", "PAR", &id)?;
    let what = format!("sem Plano de Ação Regional \"{id}\"");
    stored(&store, tree::AAE, &id, what)
}

async fn par_reconciliation(
    State(store): State<Served>,
    Path(parcela): Path<String>,
) -> Result<Response, Failure> {
    let p: Parcela = parse("parcela", &parcela)?;
    let what =
        format!("a parcela {p} não foi fechada: a conciliação do incentivo AAE sai no fechamento");
    stored(&store, tree::AAE_CONCILIACAO, &p.to_string(), what)
}

async fn apac(State(store): State<Served>, Path(id): Path<String>) -> Result<Response, Failure> {
    let id = identifier("apac", "APAC", &id)?;
    let what = format!("sem APAC \"{id}\" do programa de OCI");
    stored(&store, tree::OCI, &id, what)
}

async fn adhesion(
    State(store): State<Served>,
    Path(ente): Path<String>,
) -> Result<Response, Failure> {
    let ente: repasse_proto::fact::Ente = parse("ente", &ente)?;
    let what = format!("o ente {ente} não tem evento de adesão ao aperfeiçoamento");
    stored(&store, tree::APERF, &ente.to_string(), what)
}

/// APERF.ELEGIVEL: `?cpf=…` or `?cns=…` (or both) and `data=AAAA-MM-DD`.
async fn enrolment(
    State(store): State<Served>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, Failure> {
    let query = query.unwrap_or_default();
    let mut persons = Vec::new();
    let mut on = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "cpf" => persons.push(parse::<repasse_proto::Cpf>("cpf", value)?.get()),
            "cns" => persons.push(parse::<repasse_proto::Cns>("cns", value)?.get()),
            "data" => on = Some(parse::<repasse_proto::Date>("data", value)?),
            other => {
                return Err(Failure::bad(
                    "query",
                    format!("parâmetro desconhecido \"{other}\": esperados cpf, cns e data"),
                ));
            }
        }
    }
    let on = on.ok_or_else(|| Failure::bad("data", "falta o parâmetro data=AAAA-MM-DD"))?;
    if persons.is_empty() {
        return Err(Failure::bad("cpf", "falta o profissional: cpf=… ou cns=…"));
    }
    let answer =
        repasse_projector::programmes::enrolment_from_store(&current(&store)?, &persons, on)
            .map_err(storage)?;
    Ok(axum::Json(answer).into_response())
}
