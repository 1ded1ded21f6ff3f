//! The auditor's page in a real headless Chromium, driven through chromedriver (Debian's `chromium` and
//! `chromium-driver`, which `scripts/test.sh` installs; `CHROMEDRIVER` names another). Given a served
//! history behind tokens, an auditor signs in, searches a municipality by name, opens its chart, finds a
//! parcela with a suspended team, opens the team and reads the rule id and its citation, then watches a
//! state's live suspensions connect. Screenshots of each page go to `target/tmp/painel/`.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

mod common;
use common::served_history;

/// chromedriver on a free loopback port; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Driver {
    let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(&program)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{program} não pôde ser iniciado ({e}): instale chromium e chromium-driver \
                 (scripts/test.sh o faz) ou aponte CHROMEDRIVER"
            )
        });
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Driver { child, port };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromedriver não abriu a porta {port}");
}

async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    let mut options = serde_json::json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"]
    });
    if let Ok(binary) = std::env::var("CHROMIUM") {
        options["binary"] = binary.into();
    }
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

async fn screenshot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("painel");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[test]
fn an_auditor_finds_a_suspended_team_and_reads_its_rule_and_citation() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, token) = served_history(dir.path(), "tcu", "auditor");
    let driver = chromedriver();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = browser(&driver).await;
        walk(&client, &address, &token).await;
        client.close().await.unwrap();
    });
    child.kill().unwrap();
    child.wait().unwrap();
}

async fn walk(client: &Client, address: &str, token: &str) {
    let base = format!("http://{address}");
    // Without the cookie the page asks for the token.
    client.goto(&format!("{base}/painel")).await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/painel/entrar")
    );
    client
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Search by name, without the accent and in lower case.
    let search = client.wait().for_element(Locator::Id("q")).await.unwrap();
    search.send_keys("boa vista").await.unwrap();
    screenshot(client, "1-busca").await;
    search.send_keys("\u{E007}").await.unwrap(); // Enter
    let result = client
        .wait()
        .for_element(Locator::LinkText("BOA VISTA (RR)"))
        .await
        .unwrap();
    result.click().await.unwrap();
    let heading = client.wait().for_element(Locator::Css("h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "BOA VISTA (RR)");

    // The chart opens from its summary.
    let chart = client.find(Locator::Css("#grafico svg")).await.unwrap();
    assert!(!chart.is_displayed().await.unwrap(), "closed at first");
    client
        .find(Locator::Css("#grafico summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(chart.is_displayed().await.unwrap(), "open after a click");
    let bars = client
        .find_all(Locator::Css("#grafico rect"))
        .await
        .unwrap();
    assert!(bars.len() >= 10, "a bar per sealed parcela: {}", bars.len());
    screenshot(client, "2-municipio-grafico").await;

    let explained = suspended_team(client).await;
    screenshot(client, "3-demonstrativo").await;
    explained.click().await.unwrap();
    let fired = client
        .wait()
        .for_element(Locator::Css("#regras-aplicadas tbody tr"))
        .await
        .unwrap();
    let row = fired.text().await.unwrap();
    let rule = text(client, "#regras-aplicadas .regra").await;
    assert!(rule.starts_with("SUSP."), "a suspension rule id: {rule}");
    assert!(
        row.contains("Portaria GM/MS") || row.contains("NT "),
        "the rule's citation on screen: {row}"
    );
    screenshot(client, "4-explicacao").await;

    // A state's live suspensions: the feed connects (EventSource, with the cookie).
    client.goto(&format!("{base}/painel/uf/RR")).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath(
            "//p[@id='estado-feed' and starts-with(normalize-space(.), 'Conectado')]",
        ))
        .await
        .unwrap();
    screenshot(client, "5-ao-vivo").await;
}

/// Opens each parcela of the municipality, latest first, until one lists a suspended team; its INE link.
async fn suspended_team(client: &Client) -> fantoccini::elements::Element {
    let links = client
        .find_all(Locator::Css("table[aria-labelledby=parcelas] a"))
        .await
        .unwrap();
    let mut hrefs = Vec::new();
    for link in links {
        hrefs.push(link.prop("href").await.unwrap().unwrap());
    }
    for href in hrefs {
        client.goto(&href).await.unwrap();
        let badges = client
            .find_all(Locator::Css("#equipes + table .selo"))
            .await;
        if badges.is_ok_and(|b| !b.is_empty()) {
            return client
                .find(Locator::Css("#equipes + table a[aria-label^='Explicação']"))
                .await
                .unwrap();
        }
    }
    panic!("nenhuma parcela de Boa Vista tem equipe suspensa");
}
