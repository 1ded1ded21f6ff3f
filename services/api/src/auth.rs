//! Access: bearer tokens the operator configures (`repasse serve --tokens FILE`), each with a role. The
//! file keeps the BLAKE3 of each token, never the token (`repasse token` makes one and prints its entry).
//! Every route but `/livez`, `/readyz` and `/metrics` (for the orchestrator and Prometheus) then needs a
//! token: 401 without one or with an unknown one, 403
//! when the role may not read what was asked — an integrator scoped to some states (`ufs`) reads only
//! their municipalities, and lists only with `uf` set to one of them. Without a file the API is open (the
//! embedded demo), and `repasse serve` says so when it starts.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use repasse_proto::{Ibge, Uf};

use crate::Failure;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything.
    Auditor,
    /// A state or municipal system: reads its states' municipalities (`ufs`), or everything when unscoped.
    Integrator,
    /// Runs the ledger: reads everything (and, when the API takes writes, writes).
    Operator,
}

impl Role {
    /// As the token file spells it.
    pub fn word(self) -> &'static str {
        match self {
            Role::Auditor => "auditor",
            Role::Integrator => "integrator",
            Role::Operator => "operator",
        }
    }
}

/// One configured token.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    pub role: Role,
    /// BLAKE3 of the token, 64 hexadecimal digits.
    pub blake3: String,
    /// For an integrator: the states it may read (empty: all).
    #[serde(default)]
    pub ufs: Vec<Uf>,
}

/// The operator's token file.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    pub tokens: Vec<TokenEntry>,
}

impl Tokens {
    /// Reads and checks the file: a clear error naming the file and the entry otherwise.
    pub fn read(path: &std::path::Path) -> Result<Tokens, String> {
        let file = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{file}: não foi possível ler o arquivo de tokens: {e}"))?;
        let tokens: Tokens = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{file}: arquivo de tokens inválido (linha {}, coluna {}): {e}",
                e.line(),
                e.column()
            )
        })?;
        for (i, t) in tokens.tokens.iter().enumerate() {
            let hex = t.blake3.len() == 64 && t.blake3.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex {
                return Err(format!(
                    "{file}: tokens[{i}] ({}): blake3 deve ter 64 dígitos hexadecimais",
                    t.name
                ));
            }
            if !t.ufs.is_empty() && t.role != Role::Integrator {
                return Err(format!(
                    "{file}: tokens[{i}] ({}): só um integrator tem ufs",
                    t.name
                ));
            }
        }
        Ok(tokens)
    }

    /// The hex BLAKE3 of a token, as the file keeps it.
    pub fn digest(token: &str) -> String {
        blake3::hash(token.as_bytes()).to_hex().to_string()
    }

    pub(crate) fn find(&self, token: &str) -> Option<&TokenEntry> {
        let digest = Tokens::digest(token);
        self.tokens
            .iter()
            .find(|t| t.blake3.eq_ignore_ascii_case(&digest))
    }
}

fn problem(status: StatusCode, field: &'static str, detail: String) -> Response {
    let mut failure = Failure::new(status, detail);
    failure.field = Some(field);
    let mut response = failure.into_response();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = header::HeaderValue::from_static("Bearer realm=\"repasse\"");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

/// Who made a request, as the token file names them: handed to the handlers that write, which record it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// Routes anyone may call: the orchestrator's probes, Prometheus, the contract, and the page's sign-in.
fn open(path: &str) -> bool {
    matches!(
        path,
        "/livez"
            | "/readyz"
            | "/metrics"
            | "/openapi.json"
            | "/painel/entrar"
            | "/painel/estilo.css"
    )
}

/// The cookie the page's sign-in sets: a browser cannot send a bearer token when it follows a link.
pub const COOKIE: &str = "repasse_token";

/// The token a request carries: `Authorization: Bearer …`, else the page's cookie.
fn presented(request: &Request) -> Option<String> {
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        return Some(token.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .map(str::to_owned)
}

/// The middleware: open routes pass; the others need a token whose role may do what was asked. Writes
/// (any method but GET and HEAD) are the operator's only, and never without a token file.
pub(crate) async fn require(
    State(tokens): State<Option<Arc<Tokens>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    if open(&path) {
        return next.run(request).await;
    }
    let Some(tokens) = tokens else {
        if reads {
            return next.run(request).await;
        }
        let detail =
            "esta API foi iniciada sem --tokens: só leituras; escritas exigem um token de operator"
                .to_owned();
        return problem(StatusCode::FORBIDDEN, "role", detail);
    };
    let Some(given) = presented(&request) else {
        if reads && (path == "/" || path.starts_with("/painel")) {
            return Redirect::to("/painel/entrar").into_response();
        }
        let detail = "falta o token: cabeçalho Authorization: Bearer <token>".to_owned();
        return problem(StatusCode::UNAUTHORIZED, "Authorization", detail);
    };
    let Some(entry) = tokens.find(&given) else {
        let detail = "token desconhecido (não está no arquivo de tokens deste servidor)".to_owned();
        return problem(StatusCode::UNAUTHORIZED, "Authorization", detail);
    };
    if !reads && entry.role != Role::Operator {
        let detail = format!(
            "o papel {} de \"{}\" só lê: escritas são do papel operator",
            entry.role.word(),
            entry.name
        );
        return problem(StatusCode::FORBIDDEN, "role", detail);
    }
    if let Err(detail) = allowed(entry, &path, request.uri().query().unwrap_or("")) {
        return problem(StatusCode::FORBIDDEN, "role", detail);
    }
    request.extensions_mut().insert(Caller {
        name: entry.name.clone(),
        role: entry.role,
    });
    next.run(request).await
}

/// Whether a scoped integrator may read `path`: a municipality of its states, or a list filtered by one.
fn allowed(entry: &TokenEntry, path: &str, query: &str) -> Result<(), String> {
    if entry.role != Role::Integrator || entry.ufs.is_empty() {
        return Ok(());
    }
    let scope: Vec<&str> = entry.ufs.iter().map(|uf| uf.as_str()).collect();
    let refused = |what: String| {
        Err(format!(
            "o papel integrator de \"{}\" lê só {}: {what}",
            entry.name,
            scope.join(", ")
        ))
    };
    let municipality = path
        .split('/')
        .filter(|s| s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()))
        .find_map(|s| s.parse::<Ibge>().ok());
    if let Some(ibge) = municipality {
        return match ibge.uf() {
            Some(uf) if entry.ufs.contains(&uf) => Ok(()),
            _ => refused(format!("o município {ibge} é de outra UF")),
        };
    }
    if let Some(uf) = path.strip_prefix("/painel/uf/") {
        return match uf.parse::<Uf>() {
            Ok(uf) if entry.ufs.contains(&uf) => Ok(()),
            _ => refused(format!("a UF {uf} não é uma delas")),
        };
    }
    let listed = path.starts_with("/suspensoes/")
        || path == "/eventos"
        || (path.starts_with("/demonstrativos/") && path.matches('/').count() == 2);
    if listed {
        // Every `uf=` given must be one of them (a handler reads the last; this reads them all).
        let ufs: Vec<Option<Uf>> = query
            .split('&')
            .filter_map(|p| p.strip_prefix("uf="))
            .map(|v| v.parse::<Uf>().ok())
            .collect();
        let inside = |uf: &Option<Uf>| uf.is_some_and(|uf| entry.ufs.contains(&uf));
        return if !ufs.is_empty() && ufs.iter().all(inside) {
            Ok(())
        } else {
            refused("informe uf= de uma delas".to_owned())
        };
    }
    refused(format!("{path} não é de um município"))
}
