//! Signing in to the page: the token goes once through a form and comes back as an `HttpOnly`,
//! `SameSite=Strict` cookie, which the browser then sends with every page and with the live feed. Behind
//! a TLS proxy (`X-Forwarded-Proto: https`) the cookie is also `Secure`: never sent over plain HTTP.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::municipio::query_value;
use super::{esc, html};
use crate::Api;
use crate::auth::COOKIE;

fn form(message: &str) -> String {
    format!(
        "<h1>Entrar</h1>{message}<form method=\"post\" action=\"/painel/entrar\">\
         <label for=\"token\">Token de acesso (entregue pelo operador do razão)</label><br>\
         <input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" required> \
         <button type=\"submit\">Entrar</button></form>"
    )
}

pub(crate) async fn show(State(api): State<Api>) -> Response {
    if api.tokens.is_none() {
        return Redirect::to("/painel").into_response();
    }
    html("Entrar", &form(""))
}

pub(crate) async fn submit(
    State(api): State<Api>,
    headers: axum::http::HeaderMap,
    body: String,
) -> Response {
    let Some(token) = query_value(Some(&body), "token") else {
        let message = "<p class=\"erro\" role=\"alert\">Falta o campo token.</p>";
        let mut page = html("Entrar", &form(message));
        *page.status_mut() = StatusCode::BAD_REQUEST;
        return page;
    };
    let Some(tokens) = api.tokens else {
        return Redirect::to("/painel").into_response();
    };
    let token = token.trim();
    if tokens.find(token).is_none() {
        let message =
            "<p class=\"erro\" role=\"alert\">Token desconhecido: confira com o operador.</p>";
        let mut page = html("Entrar", &form(message));
        *page.status_mut() = StatusCode::UNAUTHORIZED;
        return page;
    }
    // Hex only (what `repasse token` makes): nothing in it can break the header.
    if !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return html("Entrar", &form(&esc("token com caracteres inválidos")));
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, "/painel".to_owned()),
        ],
    )
        .into_response()
}
