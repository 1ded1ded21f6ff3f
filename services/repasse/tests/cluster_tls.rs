//! TLS as `deploy/` configures it: the three production node files themselves (`deploy/nats/node-*.conf`),
//! with only what is machine-specific rewritten — certificate and data paths, ports, route hosts — on
//! certificates made here by `openssl` (a CA, and one certificate per node for clients and routes). The
//! routes between nodes verify each other's certificate, so the cluster, and a stream of three replicas,
//! exist only if that TLS works. `repasse` then writes and projects with `--nats-ca`; without the CA, or
//! with another CA, it cannot connect.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{HISTORY, path, repasse};

fn password(role: &str) -> String {
    format!("senha-tls-{}", role.to_lowercase())
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl makes the test's certificates (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA named `name` and, signed by it, the certificates of the three nodes, as `deploy/` names them.
fn certificates(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
    ]);
    let subject = format!("/CN={name}");
    ca.push(&subject);
    ca.extend([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca);
    for n in 1..=3 {
        let node = format!("repasse-{n}");
        std::fs::write(
            dir.join(format!("{node}.ext")),
            format!(
                "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:{node}\n\
                 extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n"
            ),
        )
        .unwrap();
        let (key, csr, pem, ext) = (
            format!("{node}-key.pem"),
            format!("{node}.csr"),
            format!("{node}.pem"),
            format!("{node}.ext"),
        );
        let subject = format!("/CN={node}");
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subject]);
        openssl(dir, &req);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                &ext,
            ],
        );
    }
}

/// `to` written relative to `dir`: nats-server resolves `include` relative to the including file.
fn relative(dir: &Path, to: &Path) -> PathBuf {
    let mut rel = PathBuf::new();
    for _ in 0..dir.components().count() - 1 {
        rel.push("..");
    }
    rel.join(to.strip_prefix("/").unwrap())
}

/// `text` with `from` replaced by `to`, which must be there: a changed deploy file fails here, loudly,
/// rather than letting the test run another configuration.
fn rewrite(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "deploy/nats no longer has {from:?}");
    text.replace(from, to)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Nodes(Vec<Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The three production node files, rewritten for loopback and `dir`, started; the client URLs.
fn cluster(dir: &Path, tls: &Path) -> (Nodes, String) {
    let deploy =
        std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nats"))
            .unwrap();
    let ports: Vec<[u16; 3]> = (0..3)
        .map(|_| [free_port(), free_port(), free_port()])
        .collect();
    let mut nodes = Nodes(Vec::new());
    for n in 1..=3 {
        let [client, http, route] = ports[n - 1];
        let mut conf = std::fs::read_to_string(deploy.join(format!("node-{n}.conf"))).unwrap();
        conf = rewrite(&conf, "/etc/repasse/tls/", &format!("{}/", tls.display()));
        conf = rewrite(
            &conf,
            &format!("store_dir: /var/lib/nats/repasse-{n}"),
            &format!(
                "store_dir: \"{}\"",
                dir.join(format!("repasse-{n}")).display()
            ),
        );
        conf = rewrite(
            &conf,
            "listen: 0.0.0.0:4222",
            &format!("listen: 127.0.0.1:{client}"),
        );
        conf = rewrite(
            &conf,
            "http: 127.0.0.1:8222",
            &format!("http: 127.0.0.1:{http}"),
        );
        conf = rewrite(
            &conf,
            "listen: 0.0.0.0:6222",
            &format!("listen: 127.0.0.1:{route}"),
        );
        for (m, [_, _, other]) in ports.iter().enumerate() {
            let host = format!("nats-route://repasse-{}:6222", m + 1);
            conf = rewrite(&conf, &host, &format!("nats-route://127.0.0.1:{other}"));
        }
        let accounts = relative(dir, &deploy.join("accounts.conf"));
        conf = rewrite(
            &conf,
            "include \"accounts.conf\"",
            &format!("include \"{}\"", accounts.display()),
        );
        let file = dir.join(format!("node-{n}.conf"));
        std::fs::write(&file, conf).unwrap();
        let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned());
        let mut command = Command::new(binary);
        command
            .arg("-c")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for role in common::NATS_ROLES {
            command.env(format!("REPASSE_NATS_{role}_PASSWORD"), password(role));
        }
        nodes.0.push(command.spawn().expect("nats-server runs"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", client)).is_err() {
            assert!(Instant::now() < deadline, "node {n} did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let urls: Vec<String> = ports
        .iter()
        .map(|[c, _, _]| format!("tls://127.0.0.1:{c}"))
        .collect();
    (nodes, urls.join(","))
}

#[test]
fn the_production_node_files_speak_tls_to_clients_and_between_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(dir.path()).unwrap();
    let tls = dir.join("tls");
    certificates(&tls, "repasse-teste-ca");
    certificates(&dir.join("outra"), "outra-ca");
    let (_nodes, urls) = cluster(&dir, &tls);
    let ca = tls.join("ca.pem");
    let ingest_secret = password("INGEST");
    let as_ingest = |ca: Option<&Path>| {
        let mut args = vec!["demo-data", "--nats", urls.as_str(), "--nats-replicas", "3"];
        args.extend(HISTORY);
        args.extend([
            "--to-chunk",
            "2",
            "--nats-user",
            "ingest",
            "--nats-password",
            ingest_secret.as_str(),
        ]);
        let ca = ca.map(|c| c.display().to_string());
        if let Some(ca) = &ca {
            args.extend(["--nats-ca", ca.as_str()]);
        }
        repasse(&args)
    };
    // Until the three nodes, joined over TLS routes, elect a meta leader and take a stream of 3 replicas.
    let deadline = Instant::now() + Duration::from_secs(60);
    let written = loop {
        let out = as_ingest(Some(&ca));
        if out.status.success() || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        written.status.success(),
        "writing over TLS: {}",
        String::from_utf8_lossy(&written.stderr)
    );
    for (what, ca) in [
        ("no CA", None),
        ("another CA", Some(dir.join("outra/ca.pem"))),
    ] {
        let out = as_ingest(ca.as_deref());
        assert!(!out.status.success(), "{what}: connected");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("NATS") || stderr.contains("nats"),
            "{what}: {stderr}"
        );
    }
    let models = dir.join("modelos");
    let secret = password("PROJECTOR");
    let ca_text = ca.display().to_string();
    let out = repasse(&[
        "project",
        "--nats",
        &urls,
        "--nats-replicas",
        "3",
        "--nats-user",
        "projector",
        "--nats-password",
        &secret,
        "--nats-ca",
        &ca_text,
        "--read-models",
        path(&models),
        "--until-end",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["facts_folded"].as_u64().unwrap() > 1_000, "{report}");
    assert_eq!(report["facts_malformed"], 0, "{report}");
}
