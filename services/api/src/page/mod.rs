//! The auditor's page (`/painel`), in Brazilian Portuguese, served by the same binary from the same read
//! models as the JSON routes. Pages are rendered on the server: plain HTML with semantic tables and forms,
//! one stylesheet, an SVG chart with its table beside it, and JavaScript only for the live suspensions of a
//! state (an `EventSource` on `/eventos`, which a page without it still lists as of the last close).
//!
//! Every value a read model or a request holds is escaped (`esc`) before it reaches the HTML.

mod entrar;
mod equipe;
mod municipio;

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use repasse_ingest::anexo_vi::{self, AnexoRow};
use repasse_proto::{Ibge, Money};

use crate::{Api, Failure};

pub(crate) fn routes() -> Router<Api> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/painel") }))
        .route("/painel", get(municipio::search))
        .route("/painel/estilo.css", get(stylesheet))
        .route("/painel/entrar", get(entrar::show).post(entrar::submit))
        .route("/painel/municipio/{ibge}", get(municipio::overview))
        .route(
            "/painel/municipio/{ibge}/{parcela}",
            get(municipio::statement),
        )
        .route(
            "/painel/equipe/{competencia}/{ine}",
            get(equipe::explanation),
        )
        .route("/painel/comparacao/{parcela}", get(equipe::comparison))
        .route("/painel/uf/{uf}", get(equipe::live))
}

/// A page that could not be shown: the same status as the JSON API would answer, as a page.
pub(crate) struct PageError(Failure);

impl From<Failure> for PageError {
    fn from(failure: Failure) -> PageError {
        PageError(failure)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let Failure { status, detail, .. } = self.0;
        let body = format!(
            "<h1>{}</h1><p class=\"erro\" role=\"alert\">{}</p><p><a href=\"/painel\">Voltar à busca</a></p>",
            esc(crate::title(status)),
            esc(&detail)
        );
        (status, html(crate::title(status), &body)).into_response()
    }
}

pub(crate) type Page = Result<Response, PageError>;

/// The whole document around a page's body.
pub(crate) fn html(title: &str, body: &str) -> Response {
    document(title, "", body)
}

/// A page that reloads itself every `seconds` (while something is being computed), without JavaScript.
pub(crate) fn html_refreshing(title: &str, body: &str, seconds: u32) -> Response {
    let head = format!("<meta http-equiv=\"refresh\" content=\"{seconds}\">");
    document(title, &head, body)
}

fn document(title: &str, head: &str, body: &str) -> Response {
    let document = format!(
        "<!doctype html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\">{head}\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — repasse</title><link rel=\"stylesheet\" href=\"/painel/estilo.css\"></head>\
         <body><a class=\"pular\" href=\"#conteudo\">Pular para o conteúdo</a>\
         <header><a href=\"/painel\">repasse</a> <span>· painel do auditor dos repasses da APS</span></header>\
         <main id=\"conteudo\">{body}</main>\
         <footer>Calculado pelas regras de <code>RULES.md</code> a partir do log de fatos; \
         dados em JSON na API (<a href=\"/openapi.json\">/openapi.json</a>).</footer></body></html>",
        esc(title)
    );
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        document,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("estilo.css"),
    )
        .into_response()
}

/// HTML-escaped text.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Money as a person reads it, by the project's one formatter (`Money::to_brl`: `R$ 1.234,56`); the read
/// models hold `"1234.56"`.
pub(crate) fn reais(amount: &str) -> String {
    amount
        .parse::<Money>()
        .map_or_else(|_| esc(amount), Money::to_brl)
}

/// Centavos of a read model's amount, for sums and the chart (integers only).
pub(crate) fn centavos(amount: &str) -> i64 {
    amount.parse::<Money>().map_or(0, Money::centavos)
}

/// Centavos as a person reads them.
pub(crate) fn brl(centavos: i64) -> String {
    Money::from_centavos(centavos).to_brl()
}

/// The municipalities of Anexo VI (Portaria GM/MS 3.493/2024), embedded: names for search and headings.
pub(crate) fn municipalities() -> &'static [AnexoRow] {
    static ROWS: OnceLock<Vec<AnexoRow>> = OnceLock::new();
    ROWS.get_or_init(anexo_vi::rows)
}

pub(crate) fn municipality(ibge: Ibge) -> Option<&'static AnexoRow> {
    let rows = municipalities();
    rows.binary_search_by_key(&ibge, |r| r.ibge)
        .ok()
        .map(|i| &rows[i])
        .or_else(|| rows.iter().find(|r| r.ibge == ibge))
}

/// A suspension badge, by percentage.
pub(crate) fn badge(pct: u64) -> String {
    if pct == 0 {
        return String::new();
    }
    format!("<span class=\"selo s{pct}\">suspensa {pct} %</span>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_brazilians_read_it() {
        assert_eq!(reais("13200.00"), "R$ 13.200,00");
        assert_eq!(reais("1234567.5"), "R$ 1.234.567,50");
        assert_eq!(reais("0.00"), "R$ 0,00");
        assert_eq!(reais("-999.99"), "-R$ 999,99");
        assert_eq!(reais("100"), "R$ 100,00");
    }

    #[test]
    fn centavos_round_trip() {
        for text in ["13200.00", "0.07", "-5.10", "2906700.00"] {
            assert_eq!(brl(centavos(text)), reais(text));
        }
        assert_eq!(centavos("2906700.00"), 290_670_000);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn every_municipality_of_anexo_vi_is_found() {
        let rows = municipalities();
        assert_eq!(rows.len(), 5_570);
        for row in rows {
            assert_eq!(municipality(row.ibge).map(|r| r.ibge), Some(row.ibge));
        }
    }
}
