//! `repasse ingest fatos`: facts as JSON lines into the log; the lines it cannot use set aside with their
//! line, field, value and reason; a file it cannot read refused whole with the log unchanged; the same file
//! twice adds nothing.

use std::process::Command;
use std::sync::Arc;

use repasse_eventlog::sled_log::SledLog;
use repasse_eventlog::{EventLog, SystemClock};

fn repasse(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_repasse"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const GOOD: [&str; 2] = [
    r#"{"type":"municipality","ibge":"261180","name":"Ribeirão","uf":"PE","population":33507}"#,
    r#"{"type":"credentialing","ibge":"261180","team_type":"eSF","quantity":2,"from_parcela":"2024-01","portaria":"Portaria 1"}"#,
];

fn last_position(log: &std::path::Path) -> u64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let log = SledLog::open_existing(log, "fatos", Arc::new(SystemClock)).unwrap();
    runtime.block_on(log.last_position()).unwrap().0
}

#[test]
fn usable_lines_are_written_the_others_quarantined_and_a_second_import_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let file = dir.path().join("fatos.jsonl");
    let bad_cpf = r#"{"type":"scnes_team","competencia":"2025-01","ine":"0001234561","cnes":"2000001","ibge":"261180","team_type":"eSF","active":true,"professionals":[{"cpf":"12345678900","cbo":"225142","hours":40}]}"#;
    let lines = [
        GOOD[0],
        "",
        r#"{"type":"scnes_clossed","competencia":"2025-01"}"#,
        bad_cpf,
        "{not json",
        GOOD[1],
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let args = [
        "ingest",
        "fatos",
        file.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
        "--json",
    ];
    let out = repasse(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            summary["read"].as_u64(),
            summary["new"].as_u64(),
            summary["rejected"].as_u64()
        ),
        (Some(5), Some(2), Some(3)),
        "{summary}"
    );
    let quarantine = std::fs::read_to_string(summary["quarantine"].as_str().unwrap()).unwrap();
    let entries: Vec<serde_json::Value> = quarantine
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at = |line: u64| {
        entries
            .iter()
            .find(|e| e["line"] == line)
            .expect("quarantined")
    };
    assert_eq!(at(3)["field"], "$.type");
    assert_eq!(at(3)["value"], "scnes_clossed");
    assert_eq!(at(4)["field"], "$.professionals[0].cpf");
    assert!(
        at(4)["reason"]
            .as_str()
            .unwrap()
            .contains("dígito verificador")
    );
    assert!(
        !quarantine.contains("12345678900"),
        "a CPF in clear: {quarantine}"
    );
    assert_eq!(at(5)["field"], "$");
    assert_eq!(last_position(&log), 2);

    let again = repasse(&args);
    assert!(again.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (summary["new"].as_u64(), summary["already_present"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(last_position(&log), 2);
}

#[test]
fn a_file_that_is_not_utf8_or_has_no_fact_at_all_is_refused_whole_and_the_log_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let good = dir.path().join("bons.jsonl");
    std::fs::write(&good, GOOD.join("\n")).unwrap();
    let first = repasse(&[
        "ingest",
        "fatos",
        good.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(first.status.success());
    assert_eq!(last_position(&log), 2);

    // Latin-1 where UTF-8 was expected, after a good line: nothing of the file is written.
    let latin1 = dir.path().join("latin1.jsonl");
    let mut bytes = format!("{}\n", GOOD[1].replace("Portaria 1", "Portaria 2")).into_bytes();
    bytes.extend(b"{\"type\":\"municipality\",\"ibge\":\"261180\",\"name\":\"Ribeir\xe3o\",\"uf\":\"PE\",\"population\":1}\n");
    std::fs::write(&latin1, bytes).unwrap();
    // A CSV where JSON lines were expected: no line is a fact.
    let csv = dir.path().join("planilha.jsonl");
    std::fs::write(&csv, "ibge;nome\n261180;Ribeirão\n").unwrap();
    for (file, expected) in [
        (&latin1, "linha 2: não é UTF-8"),
        (&csv, "nenhuma linha é um fato"),
    ] {
        let out = repasse(&[
            "ingest",
            "fatos",
            file.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(
            stderr.contains(expected) && stderr.contains("nada foi gravado"),
            "{stderr}"
        );
        assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
    }
    assert_eq!(last_position(&log), 2, "the refused files wrote nothing");
}

fn fixture(relative: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(relative)
        .display()
        .to_string()
}

#[test]
fn a_cnes_dump_is_imported_once_and_a_truncated_one_is_refused_with_the_log_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let dump = fixture("cnes/BASE_DE_DADOS_CNES_202503.ZIP");
    let args = [
        "ingest",
        "cnes",
        dump.as_str(),
        "--log",
        log.to_str().unwrap(),
        "--json",
    ];
    let first = repasse(&args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(
        (summary["new"].as_u64(), summary["rejected"].as_u64()),
        (Some(7), Some(0))
    );
    assert!(
        summary["notes"]
            .to_string()
            .contains("vale o tipo homologado"),
        "{summary}"
    );
    let again = repasse(&args);
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (summary["new"].as_u64(), summary["already_present"].as_u64()),
        (Some(0), Some(7))
    );
    let before = last_position(&log);
    let bytes = std::fs::read(&dump).unwrap();
    let truncated = dir.path().join("BASE_DE_DADOS_CNES_202504.ZIP");
    std::fs::write(&truncated, &bytes[..bytes.len() - 40]).unwrap();
    let out = repasse(&[
        "ingest",
        "cnes",
        truncated.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("BASE_DE_DADOS_CNES_202504.ZIP") && stderr.contains("nada foi gravado"),
        "{stderr}"
    );
    assert_eq!(last_position(&log), before);
}

/// `repasse reconcile --parcela 2025-02` from `source` (`--log DIR` or `--case FILE`): its CSV and stdout.
fn reconcile_csv(source: [&str; 2], dir: &std::path::Path) -> (String, String) {
    let csv = dir.join("conciliacao.csv");
    let mut args = vec![
        "reconcile",
        "--parcela",
        "2025-02",
        "--csv",
        csv.to_str().unwrap(),
    ];
    args.extend(source);
    let out = repasse(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(std::fs::read(&csv).unwrap()).unwrap();
    (text, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn reconcile_writes_a_csv_a_pt_br_spreadsheet_opens() {
    let dir = tempfile::tempdir().unwrap();
    let case = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/conciliacao-relatorio-e-ordens-do-fundo.json");
    let (text, stdout) = reconcile_csv(["--case", case.to_str().unwrap()], dir.path());
    assert!(text.starts_with('\u{feff}'), "UTF-8 with BOM");
    let rows: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        rows[0],
        "ibge;parcela;plano;devido;implantacao;publicado;pago;achados;equipes;ordens"
    );
    assert_eq!(
        rows[1],
        "172120;2025-02;eSF_eAP;10100,00;0,00;9100,00;9100,00;relatorio_diverge pago_a_menos;0001234561;2025OB804512"
    );
    assert!(
        stdout.contains("R$ 10.100,00") && stdout.contains("pago a menos"),
        "{stdout}"
    );
}

#[test]
fn requests_of_the_programmes_that_cannot_be_used_are_set_aside_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let file = dir.path().join("programas.jsonl");
    let lines = [
        GOOD[0],
        // Both an INE and a CNES: the request must name exactly one.
        r#"{"type":"retro_request","id":"R-1","ibge":"261180","uf":"PE","ine":"0001234561","cnes":"2000001","parcela":"2025-06","irregularity":"SUSP.50.SISAB","justification":"j","sei_entered_on":"2025-08-01","signed":true,"conforms_to_model":true}"#,
        r#"{"type":"retro_decision","id":"R-1","decision":"aprovado","decided_on":"2025-08-20"}"#,
        r#"{"type":"aperf_adhesion","ente":"XX","on":"2025-11-20"}"#,
        r#"{"type":"par_submitted","par_id":"PAR-1","uf":"PE","population_covered":-5,"planned_amount":"10.00"}"#,
        r#"{"type":"aperf_adhesion","ente":"261180","on":"2025-11-20"}"#,
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = repasse(&[
        "ingest",
        "fatos",
        file.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (summary["new"].as_u64(), summary["rejected"].as_u64()),
        (Some(2), Some(4)),
        "{summary}"
    );
    let quarantine = std::fs::read_to_string(summary["quarantine"].as_str().unwrap()).unwrap();
    let reason_of = |line: u64| -> String {
        quarantine
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|e| e["line"] == line)
            .map(|e| {
                format!(
                    "{} {}",
                    e["field"].as_str().unwrap(),
                    e["reason"].as_str().unwrap()
                )
            })
            .expect("quarantined")
    };
    assert!(
        reason_of(2).contains("\"ine\" ou \"cnes\""),
        "{}",
        reason_of(2)
    );
    assert!(reason_of(3).contains("decision"), "{}", reason_of(3));
    assert!(reason_of(4).contains("ente"), "{}", reason_of(4));
    assert!(
        reason_of(5).contains("population_covered"),
        "{}",
        reason_of(5)
    );
    assert_eq!(last_position(&log), 2);
}

#[test]
fn a_portaria_annex_is_imported_once_its_bad_rows_quarantined_and_a_refused_one_leaves_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let annex = dir.path().join("anexo-i.csv");
    std::fs::write(
        &annex,
        "ANEXO I\nUF;IBGE;MUNICÍPIO;CNES;INE\nPE;261180;Ribeirão;2000001;1234561\nPE;261180;Recife;2000002;1234570\n",
    )
    .unwrap();
    let args = [
        "ingest",
        "portarias",
        annex.to_str().unwrap(),
        "--act",
        "homologacao",
        "--portaria",
        "GM/MS nº 8.974",
        "--published-on",
        "2025-11-27",
        "--from-parcela",
        "10/12 de 2025",
        "--team-type",
        "eSF",
        "--log",
        log.to_str().unwrap(),
        "--json",
    ];
    let first = repasse(&args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(
        (summary["new"].as_u64(), summary["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{summary}"
    );
    let quarantine =
        std::fs::read_to_string(dir.path().join("anexo-i.csv.quarantine.jsonl")).unwrap();
    assert!(
        quarantine.contains("\"line\":4")
            && quarantine.contains("MUNICÍPIO")
            && quarantine.contains("RIBEIRÃO"),
        "{quarantine}"
    );
    let again: serde_json::Value = serde_json::from_slice(&repasse(&args).stdout).unwrap();
    assert_eq!(
        (again["new"].as_u64(), again["already_present"].as_u64()),
        (Some(0), Some(1))
    );
    // The same annex saved under another name, its number typed another way: the same portaria's facts.
    let copy = dir.path().join("anexo-i-copia.csv");
    std::fs::copy(&annex, &copy).unwrap();
    let mut renamed = args.to_vec();
    renamed[2] = copy.to_str().unwrap();
    renamed[6] = "gm/ms n° 8974";
    let copied: serde_json::Value = serde_json::from_slice(&repasse(&renamed).stdout).unwrap();
    assert_eq!(
        (copied["new"].as_u64(), copied["already_present"].as_u64()),
        (Some(0), Some(1)),
        "{copied}"
    );
    let before = last_position(&log);
    let mut refused = args.to_vec();
    refused[4] = "credenciamento";
    let out = repasse(&refused);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("anexo-i.csv")
            && stderr.contains("QUANTIDADE")
            && stderr.contains("nada foi gravado"),
        "{stderr}"
    );
    assert_eq!(last_position(&log), before);
}

#[test]
fn the_funds_orders_imported_again_under_another_name_are_paid_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let original = fixture("fns/detalhe-pagamento-172120-2025.json");
    // The same orders downloaded again by someone else: another name, so other facts in the log, the
    // same bank order.
    let copy = dir.path().join("detalhe-pagamento (1).json");
    std::fs::copy(&original, &copy).unwrap();
    for file in [original.as_str(), copy.to_str().unwrap()] {
        let out = repasse(&[
            "ingest",
            "fns",
            file,
            "--ibge",
            "172120",
            "--log",
            log.to_str().unwrap(),
        ]);
        assert!(out.status.success());
    }
    assert_eq!(last_position(&log), 2, "each file's order is kept as read");
    // Another municipality's report line, but none of its orders: nothing is said of its payment.
    let report = dir.path().join("relatorio.jsonl");
    std::fs::write(
        &report,
        [
            r#"{"type":"published_statement","ibge":"261180","parcela":"2025-02","plano":"eSF_eAP","integral":"100.00","desconto":"0.00","ajuste":"0.00","efetivo":"100.00","implantacao":"0.00"}"#,
            // Its efetivo agrees with the ledger's; its implantation incentive does not.
            r#"{"type":"published_statement","ibge":"261180","parcela":"2025-02","plano":"SaudeBucal","integral":"0.00","desconto":"0.00","ajuste":"0.00","efetivo":"0.00","implantacao":"14000.00"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let out = repasse(&[
        "ingest",
        "fatos",
        report.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (text, _) = reconcile_csv(["--log", log.to_str().unwrap()], dir.path());
    assert_eq!(
        text.lines().nth(1).unwrap(),
        "172120;2025-02;eSF_eAP;0,00;0,00;;9100,00;pago_sem_devido;;2025OB804512",
        "one bank order, paid once"
    );
    assert_eq!(
        text.lines().nth(2).unwrap(),
        "261180;2025-02;eSF_eAP;0,00;0,00;100,00;;relatorio_diverge;;",
        "no order of 261180 imported: not \"não pago\""
    );
    assert_eq!(
        text.lines().nth(3).unwrap(),
        "261180;2025-02;SaudeBucal;0,00;0,00;0,00;;relatorio_diverge;;",
        "the report's implantation differs from the ledger's"
    );
}

#[test]
fn a_quarantine_that_cannot_go_beside_its_file_goes_to_the_working_directory_and_a_stale_one_goes()
{
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let file = dir.path().join("fatos.jsonl");
    let beside = dir.path().join("fatos.jsonl.quarantine.jsonl");
    let ingest = |json: bool| {
        let mut args = vec!["ingest", "fatos", file.to_str().unwrap()];
        args.extend(["--log", log.to_str().unwrap()]);
        if json {
            args.push("--json");
        }
        Command::new(env!("CARGO_BIN_EXE_repasse"))
            .args(&args)
            .current_dir(work.path())
            .output()
            .unwrap()
    };
    std::fs::write(&file, [GOOD[0], "{not json"].join("\n")).unwrap();
    // Beside the file there is no room for it (root writes anywhere, so a directory takes its name).
    std::fs::create_dir(&beside).unwrap();
    let out = ingest(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let here = work.path().join("fatos.jsonl.quarantine.jsonl");
    assert_eq!(
        summary["quarantine"],
        here.file_name().unwrap().to_str().unwrap()
    );
    assert!(
        std::fs::read_to_string(&here)
            .unwrap()
            .contains("\"line\":2")
    );
    assert_eq!(last_position(&log), 1);

    // The file corrected under the same name: its old quarantine beside it no longer describes it.
    std::fs::remove_dir(&beside).unwrap();
    std::fs::write(&beside, "{}\n").unwrap();
    std::fs::write(&file, GOOD.join("\n")).unwrap();
    let out = ingest(false);
    assert!(out.status.success());
    assert!(!beside.exists(), "the stale quarantine is removed");
    assert_eq!(last_position(&log), 2);
}
