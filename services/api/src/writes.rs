//! Writes, the operator's only (`auth`): facts as JSON lines, the format of `repasse ingest fatos` and of
//! the golden cases — SCNES, SISAB, DOU, adjustments, the Ministry's decisions on retroactive-credit
//! requests, anything the ledger takes as a fact. Each fact written records who wrote it as its source
//! (`api:<name>:<role>`, with the body's BLAKE3 and the line), so the log itself says who made each
//! write; the same body from the same person twice adds nothing.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::{Api, Failure};

/// The most one request may carry (a month of a large state's facts is a few MiB).
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// `POST /fatos`: the summary (read, new, already present, rejected) and the lines set aside, each with
/// its line, field, value and reason; a body with no usable line is refused whole (400, field `body`).
pub(crate) async fn facts(
    State(api): State<Api>,
    caller: Option<Extension<Caller>>,
    body: bytes::Bytes,
) -> Result<Response, Failure> {
    let Some(Extension(caller)) = caller else {
        let mut failure = Failure::new(
            StatusCode::FORBIDDEN,
            "escritas exigem um token de operator",
        );
        failure.field = Some("role");
        return Err(failure);
    };
    if body.is_empty() {
        return Err(Failure::bad(
            "body",
            "corpo vazio: esperados fatos em JSON lines",
        ));
    }
    let document = format!("api:{}:{}", caller.name, caller.role.word());
    let (summary, quarantine) = api
        .logs()?
        .ingest(body, document)
        .await
        .map_err(|e| match e {
            repasse_ingest::files::Error::Refused { reason, .. } => Failure::bad("body", reason),
            other => Failure::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        })?;
    let status = if summary.new > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = serde_json::json!({ "summary": summary, "quarantine": quarantine });
    Ok((status, axum::Json(body)).into_response())
}
