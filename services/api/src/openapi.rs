//! The contract: an OpenAPI 3.1 document of every route, served at `/openapi.json`, from which integrators
//! generate clients and against which the tests check the real answers (`tests/api_contract.rs`, and a
//! schemathesis run in `scripts/test.sh`). Built here, beside the routes, so that a route and its entry
//! change in the same commit; a test checks that every route of the router has one.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Every path the router serves, as the document names it.
pub const PATHS: [&str; 35] = [
    "/livez",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/saude",
    "/selos",
    "/selos/{parcela}",
    "/demonstrativos/{parcela}",
    "/demonstrativos/{parcela}/{ibge}",
    "/suspensoes/{competencia}",
    "/linhas/{parcela}/{ibge}",
    "/recomposicao/{parcela}/{ibge}",
    "/conciliacao/{parcela}/{ibge}",
    "/situacao/{competencia}/{ibge}",
    "/explicacoes/{competencia}/{ine}",
    "/comparacao/{parcela}",
    "/recalculo/{parcela}",
    "/retroativo",
    "/retroativo/{id}",
    "/aae",
    "/aae/{par}",
    "/aae/conciliacao/{parcela}",
    "/oci/{apac}",
    "/aperf/adesao/{ente}",
    "/aperf/inscricao",
    "/eventos",
    "/fatos",
    "/",
    "/painel",
    "/painel/entrar",
    "/painel/municipio/{ibge}",
    "/painel/municipio/{ibge}/{parcela}",
    "/painel/equipe/{competencia}/{ine}",
    "/painel/comparacao/{parcela}",
    "/painel/uf/{uf}",
];

pub(crate) async fn document() -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| serde_json::to_string_pretty(&build()).expect("serializes"));
    ([(header::CONTENT_TYPE, "application/json")], text.as_str()).into_response()
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn path_param(name: &str, schema: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": r(schema) })
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn problem(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": r("Problema") } } })
}

/// Every route may answer these: without or with a wrong token, a role without the right, not ready yet.
fn always(responses: &mut serde_json::Map<String, Value>) {
    responses.insert(
        "401".into(),
        problem("Sem token, ou token desconhecido (campo Authorization)."),
    );
    responses.insert(
        "403".into(),
        problem("O papel do token não pode fazer isto (campo role)."),
    );
    responses.insert(
        "503".into(),
        problem("Os modelos de leitura ou os logs ainda estão abrindo."),
    );
}

/// A GET answering `ok` as JSON, with its parameters; a 400 when it has any, a 404 when `missing`.
fn get(summary: &str, params: Vec<Value>, ok: Value, missing: bool) -> Value {
    let mut responses = serde_json::Map::new();
    responses.insert(
        "200".into(),
        json!({ "description": "O modelo de leitura.", "content": { "application/json": { "schema": ok } } }),
    );
    if !params.is_empty() {
        responses.insert(
            "400".into(),
            problem("Um parâmetro malformado; `field` o nomeia."),
        );
    }
    if missing {
        responses.insert(
            "404".into(),
            problem("Não há o que foi pedido; `field` nomeia o parâmetro quando é dele."),
        );
    }
    always(&mut responses);
    json!({ "get": { "summary": summary, "parameters": params, "responses": responses } })
}

fn html(summary: &str, params: Vec<Value>) -> Value {
    let page = json!({ "text/html": { "schema": { "type": "string" } } });
    let mut responses = serde_json::Map::new();
    responses.insert(
        "200".into(),
        json!({ "description": "A página.", "content": page }),
    );
    responses.insert(
        "303".into(),
        json!({ "description": "Sem token: para /painel/entrar." }),
    );
    for code in ["400", "401", "403", "404", "429", "503"] {
        responses.insert(
            code.into(),
            json!({ "description": "A página de erro, com o problema.", "content": page }),
        );
    }
    json!({ "get": { "summary": summary, "parameters": params, "responses": responses, "tags": ["painel"] } })
}

/// A list with filters and pages, in JSON or CSV.
fn list(summary: &str, period: Value, rules: bool, item: &str) -> Value {
    let mut params = vec![
        period,
        query("uf", r("Uf"), "Só os municípios desta UF."),
        query(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 }),
            "Itens por página.",
        ),
        query(
            "offset",
            json!({ "type": "integer", "minimum": 0, "maximum": 1_000_000_000u32, "default": 0 }),
            "Itens a pular.",
        ),
        query(
            "format",
            json!({ "enum": ["csv"] }),
            "CSV para planilha pt-BR (`;`, vírgula decimal, UTF-8 com BOM).",
        ),
    ];
    if rules {
        let ids: Vec<&str> = repasse_rules::catalog::ALL
            .iter()
            .map(|r| r.id)
            .filter(|id| id.starts_with("SUSP."))
            .collect();
        params.push(query(
            "rule",
            json!({ "enum": ids }),
            "Só as equipes com esta regra de suspensão.",
        ));
    }
    let mut op = get(
        summary,
        params,
        json!({
        "type": "object", "required": ["items", "limit", "offset", "total"],
        "properties": { "items": { "type": "array", "items": r(item) }, "limit": { "type": "integer" },
                        "offset": { "type": "integer" }, "total": { "type": "integer" } } }),
        false,
    );
    op["get"]["responses"]["200"]["content"]["text/csv"] =
        json!({ "schema": { "type": "string" } });
    op
}

fn parcela() -> Value {
    path_param("parcela", "Periodo", "Parcela, AAAA-MM.")
}
fn competencia() -> Value {
    path_param("competencia", "Periodo", "Competência, AAAA-MM.")
}
fn ibge() -> Value {
    path_param("ibge", "Ibge", "Município, código IBGE de 6 dígitos.")
}
fn id(name: &str, what: &str) -> Value {
    path_param(name, "Identificador", what)
}

fn build() -> Value {
    let object = json!({ "type": "object" });
    let objects = json!({ "type": "array", "items": { "type": "object" } });
    let paths = json!({
        "/livez": { "get": { "summary": "O processo responde.", "security": [], "responses": {
            "200": { "description": "Vivo.", "content": { "application/json": { "schema": object } } } } } },
        "/readyz": { "get": { "summary": "Pronto: modelos abertos, projetor em dia com o stream de fatos, concessão de publicador mantida.",
            "security": [], "responses": {
            "200": { "description": "Pronto.", "content": { "application/json": { "schema": r("Pronto") } } },
            "503": problem("Ainda não: o detalhe diz por quê.") } } },
        "/metrics": { "get": { "summary": "Métricas Prometheus.", "security": [], "responses": {
            "200": { "description": "Formato de exposição de texto.", "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
        "/openapi.json": { "get": { "summary": "Este documento.", "security": [], "responses": {
            "200": { "description": "OpenAPI 3.1.", "content": { "application/json": { "schema": object } } } } } },
        "/saude": get("Geração em uso e ponto de controle do projetor.", vec![], object.clone(), false),
        "/selos": get("Os selos de todas as parcelas fechadas.", vec![], json!({ "type": "array", "items": r("Selo") }), false),
        "/selos/{parcela}": get("O selo de uma parcela.", vec![parcela()], r("Selo"), true),
        "/demonstrativos/{parcela}": list("Os demonstrativos de uma parcela, por UF, paginados.", parcela(), false, "Demonstrativo"),
        "/demonstrativos/{parcela}/{ibge}": get("O demonstrativo de um município numa parcela.", vec![parcela(), ibge()], r("Demonstrativo"), true),
        "/suspensoes/{competencia}": list("As equipes com suspensão numa competência, por UF e regra, paginadas.", competencia(), true, "Situacao"),
        "/linhas/{parcela}/{ibge}": get("As linhas do razão de um município numa parcela.", vec![parcela(), ibge()], json!({ "type": "array", "items": r("Linha") }), true),
        "/recomposicao/{parcela}/{ibge}": get("A recomposição do município como conhecida no fechamento da parcela.", vec![parcela(), ibge()], object.clone(), true),
        "/conciliacao/{parcela}/{ibge}": get("Devido, publicado e pago, por plano, com cada diferença classificada.", vec![parcela(), ibge()], objects.clone(), true),
        "/situacao/{competencia}/{ibge}": get("A situação de cada equipe do município na competência.", vec![competencia(), ibge()], json!({ "type": "array", "items": r("Situacao") }), true),
        "/explicacoes/{competencia}/{ine}": get("Cada regra verificada para uma equipe suspensa ou não válida, com citação e fatos.", vec![competencia(), path_param("ine", "Ine", "Equipe, INE de 10 dígitos.")], r("Explicacao"), true),
        "/comparacao/{parcela}": folded(get("A parcela selada diante do cálculo de hoje (`repasse diff`).", vec![parcela()], r("Comparacao"), true)),
        "/recalculo/{parcela}": folded(get("A parcela recalculada só do log até um ponto (`repasse replay`), com o hash das linhas que um selo registra.",
            vec![parcela(), query("as_of", json!({ "anyOf": [{ "type": "string", "pattern": "^[0-9]{1,12}$" }, { "type": "string", "format": "date", "pattern": "^(19|20|21)[0-9]{2}-" }] }), "Posição do log, ou dia (AAAA-MM-DD, até o fim dele); sem ele, o log inteiro."),
                 query("ibge", r("Ibge"), "Só este município.")],
            r("Recalculo"), true)),
        "/retroativo": get("Os pedidos de crédito retroativo.", vec![], objects.clone(), false),
        "/retroativo/{id}": get("Um pedido de crédito retroativo.", vec![id("id", "Pedido.")], object.clone(), true),
        "/aae": get("Os Planos de Ação Regional.", vec![], objects.clone(), false),
        "/aae/{par}": get("Um Plano de Ação Regional.", vec![id("par", "PAR.")], object.clone(), true),
        "/aae/conciliacao/{parcela}": get("O incentivo AAE conciliado por UF na parcela.", vec![parcela()], objects, true),
        "/oci/{apac}": get("Uma APAC do programa de OCI.", vec![id("apac", "APAC.")], object.clone(), true),
        "/aperf/adesao/{ente}": get("A adesão de um ente ao aperfeiçoamento.", vec![path_param("ente", "Ente", "IBGE ou UF.")], object.clone(), true),
        "/aperf/inscricao": get("Se o profissional pode se inscrever na data.", vec![
            query("cpf", json!({ "type": "string", "pattern": "^[0-9]{11}$" }), "CPF (ou cns)."),
            query("cns", json!({ "type": "string", "pattern": "^[0-9]{15}$" }), "CNS (ou cpf)."),
            json!({ "name": "data", "in": "query", "required": true, "schema": { "type": "string", "format": "date", "pattern": "^(19|20|21)[0-9]{2}-" } })],
            object, false),
        "/eventos": events(),
        "/fatos": writes(),
        "/": { "get": { "summary": "Para o painel.", "responses": { "303": { "description": "Para /painel." } } } },
        "/painel": html("Busca de municípios por nome ou IBGE.", vec![query("q", json!({ "type": "string" }), "Nome ou código IBGE.")]),
        "/painel/entrar": sign_in(),
        "/painel/municipio/{ibge}": html("Os repasses do município ao longo do tempo, com gráfico.", vec![ibge()]),
        "/painel/municipio/{ibge}/{parcela}": html("O demonstrativo, as equipes e a conciliação.", vec![ibge(), parcela()]),
        "/painel/equipe/{competencia}/{ine}": html("A explicação de uma equipe.", vec![competencia(), path_param("ine", "Ine", "INE.")]),
        "/painel/comparacao/{parcela}": html("A parcela selada diante do cálculo de hoje.", vec![parcela(), query("ibge", r("Ibge"), "Só este município.")]),
        "/painel/uf/{uf}": html("As suspensões de uma UF, ao vivo.", vec![path_param("uf", "Uf", "UF.")]),
    });
    json!({
        "openapi": "3.1.0",
        "info": { "title": "repasse — API do razão dos repasses federais da APS", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Modelos de leitura do projetor, feed ao vivo das decisões e escrita de fatos. Erros em RFC 9457 (application/problem+json), com o detalhe em português e o campo errado em `field`." },
        "servers": [{ "url": "/" }],
        "security": [{}, { "token": [] }],
        "paths": paths,
        "components": { "securitySchemes": { "token": { "type": "http", "scheme": "bearer",
                            "description": "Token de `repasse token`; papéis auditor, integrator e operator." } },
                        "schemas": schemas() },
    })
}

fn sign_in() -> Value {
    let mut op = html("O formulário de entrada.", vec![]);
    let page = json!({ "text/html": { "schema": { "type": "string" } } });
    op["post"] = json!({ "summary": "Entrada com o token: grava um cookie HttpOnly e volta ao painel.",
        "requestBody": { "required": true, "content": { "application/x-www-form-urlencoded": { "schema": {
            "type": "object", "required": ["token"], "properties": { "token": { "type": "string" } } } } } },
        "responses": { "303": { "description": "Token aceito (ou API sem tokens): para /painel." },
                       "400": { "description": "Sem o campo token.", "content": page },
                       "401": { "description": "Token desconhecido: o formulário de novo.", "content": page } } });
    op
}

/// A route answered by a fold of the log: 202 while it is computed.
fn folded(mut op: Value) -> Value {
    op["get"]["responses"]["202"] = json!({ "description": "Sendo calculada a partir do log; repita após Retry-After.",
        "content": { "application/json": { "schema": { "type": "object", "required": ["status"] } } } });
    op["get"]["responses"]["429"] =
        problem("Outros recálculos do log já estão na fila (no máximo 4): repita depois.");
    op
}

fn events() -> Value {
    let mut op = get(
        "Decisões como server-sent events (id = posição no stream de decisões).",
        vec![
            query("uf", r("Uf"), "Só desta UF."),
            query("ibge", r("Ibge"), "Só deste município."),
            query("ine", r("Ine"), "Só desta equipe."),
            query(
                "tipo",
                json!({ "type": "string", "pattern": "^[a-z]+$" }),
                "suspensao, demonstrativo, selo, …",
            ),
            query(
                "desde",
                json!({ "type": "integer", "minimum": 0 }),
                "Posição após a qual começar (ou o cabeçalho Last-Event-ID).",
            ),
            json!({ "name": "Last-Event-ID", "in": "header", "required": false, "schema": { "type": "string", "pattern": "^[0-9]+$" } }),
        ],
        json!({ "type": "string" }),
        false,
    );
    let content = op["get"]["responses"]["200"]["content"]["application/json"].take();
    op["get"]["responses"]["200"]["content"] = json!({ "text/event-stream": content });
    op["get"]["responses"]["429"] =
        problem("Este token já tem 32 conexões ao vivo abertas: feche uma antes de abrir outra.");
    op["get"]["responses"]["503"] = problem(
        "Os logs ainda estão abrindo, ou já há 256 conexões ao vivo abertas: repita depois.",
    );
    op
}

fn writes() -> Value {
    let mut responses = serde_json::Map::new();
    let written = json!({ "application/json": { "schema": r("Escrita") } });
    responses.insert(
        "201".into(),
        json!({ "description": "Fatos novos gravados.", "content": written }),
    );
    responses.insert(
        "200".into(),
        json!({ "description": "Nada novo: já estavam no log.", "content": written }),
    );
    responses.insert(
        "400".into(),
        problem("Nenhuma linha é um fato (campo body): nada foi gravado."),
    );
    responses.insert(
        "413".into(),
        json!({ "description": "Corpo acima de 64 MiB." }),
    );
    always(&mut responses);
    json!({ "post": { "summary": "Fatos em JSON lines (formato de `repasse ingest fatos`), só o papel operator; cada fato registra quem o escreveu.",
        "requestBody": { "required": true, "content": { "application/x-ndjson": { "schema": { "type": "string" } },
                                                         "text/plain": { "schema": { "type": "string" } } } },
        "responses": responses } })
}

fn schemas() -> Value {
    let money = json!({ "type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$" });
    json!({
        "Problema": { "type": "object", "required": ["type", "title", "status", "detail"], "properties": {
            "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
            "detail": { "type": "string" }, "field": { "type": "string" } } },
        "Periodo": { "type": "string", "pattern": "^(20[2-9][0-9])-(0[1-9]|1[0-2])$" },
        // The first two digits are a state's IBGE code.
        "Ibge": { "type": "string", "pattern": "^(1[1-7]|2[1-9]|3[1-35]|4[1-3]|5[0-3])[0-9]{4}$" },
        "Ine": { "type": "string", "pattern": "^[0-9]{10}$" },
        "Uf": { "enum": ["AC","AL","AM","AP","BA","CE","DF","ES","GO","MA","MG","MS","MT","PA","PB","PE","PI","PR","RJ","RN","RO","RR","RS","SC","SE","SP","TO"] },
        "Ente": { "anyOf": [r("Ibge"), r("Uf")] },
        // The API takes any printable ASCII without spaces; the contract promises the usual characters.
        "Identificador": { "type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$" },
        "Dinheiro": money,
        "Pronto": { "type": "object", "required": ["status", "generation", "checkpoint"] },
        "Selo": { "type": "object", "required": ["parcela", "last_position", "lines", "hash"], "properties": {
            "parcela": r("Periodo"), "last_position": { "type": "integer" }, "lines": { "type": "integer" }, "hash": { "type": "string" } } },
        "Demonstrativo": { "type": "object", "required": ["ibge", "parcela", "planos", "implantacao", "hash"], "properties": {
            "ibge": r("Ibge"), "parcela": r("Periodo"), "implantacao": r("Dinheiro"), "hash": { "type": "string" },
            "planos": { "type": "array", "items": { "type": "object", "required": ["plano", "integral", "desconto", "ajuste", "efetivo"],
                "properties": { "plano": { "type": "string" }, "integral": r("Dinheiro"), "desconto": r("Dinheiro"),
                                "ajuste": r("Dinheiro"), "efetivo": r("Dinheiro") } } } } },
        "Linha": { "type": "object", "required": ["ibge", "parcela", "ine", "team_type", "component", "plano", "integral", "desconto", "suspension_pct", "reasons"],
            "properties": { "ibge": r("Ibge"), "parcela": r("Periodo"), "ine": r("Ine"), "integral": r("Dinheiro"), "desconto": r("Dinheiro"),
                "suspension_pct": { "enum": [0, 25, 50, 75, 100] }, "reasons": { "type": "array", "items": { "type": "string" } } } },
        "Situacao": { "type": "object", "required": ["ine", "ibge", "competencia", "suspension_pct", "reasons", "not_valid"],
            "properties": { "ine": r("Ine"), "ibge": r("Ibge"), "competencia": r("Periodo"), "suspension_pct": { "enum": [0, 25, 50, 75, 100] },
                "reasons": { "type": "array", "items": { "type": "string" } },
                "agents": { "type": "array", "items": { "type": "string", "pattern": "^\\*\\*\\*" } } } },
        "Explicacao": { "type": "object", "required": ["status", "fired", "not_fired", "lines"], "properties": {
            "status": r("Situacao"), "lines": { "type": "array", "items": r("Linha") },
            "fired": { "type": "array", "items": r("Verificacao") }, "not_fired": { "type": "array", "items": r("Verificacao") } } },
        "Verificacao": { "type": "object", "required": ["rule", "fired", "detail", "positions"], "properties": {
            "rule": { "type": "object", "required": ["id", "title", "citation"] }, "fired": { "type": "boolean" },
            "detail": { "type": "string" }, "positions": { "type": "array", "items": { "type": "integer" } } } },
        "Recalculo": { "type": "object", "required": ["parcela", "last_position", "lines", "hash", "statements"] },
        "Comparacao": { "type": "object", "required": ["parcela", "sealed_at", "sealed_hash", "today_at", "today_hash", "changes", "credits", "ajustes"] },
        "Escrita": { "type": "object", "required": ["summary", "quarantine"], "properties": {
            "summary": { "type": "object", "required": ["read", "new", "already_present", "rejected"] },
            "quarantine": { "type": "array", "items": { "type": "object", "required": ["line", "field", "value", "reason"] } } } },
    })
}
