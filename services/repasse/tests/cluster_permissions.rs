//! Roles on NATS, against `deploy/nats/accounts.conf` itself: a real nats-server runs a configuration that
//! includes that very file (never a copy). Given a history ingested with the ingest role and projected with
//! the projector role, then: an integrator of PE follows its state's decisions and cannot create a
//! consumer of another state's, read a message by sequence, or publish a fact; the projector cannot publish
//! a fact; the auditor reads both streams and publishes nothing; an oversized message is refused by the
//! server; a malformed message on a fact subject is skipped and counted, and never stops the projector.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;

mod common;
use common::{path, repasse};

fn password(role: &str) -> String {
    format!("senha-de-teste-{}", role.to_lowercase())
}

/// `from` written relative to `dir`: nats-server resolves `include` relative to the including file.
fn relative(dir: &Path, to: &Path) -> PathBuf {
    let depth = dir.components().count() - 1;
    let mut rel = PathBuf::new();
    for _ in 0..depth {
        rel.push("..");
    }
    rel.join(to.strip_prefix("/").unwrap())
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path) -> Server {
    let accounts = std::fs::canonicalize(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nats/accounts.conf"),
    )
    .unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = dir.join("servidor.conf");
    std::fs::write(
        &conf,
        format!(
            "listen: 127.0.0.1:{port}\njetstream {{ store_dir: \"{}\" }}\ninclude \"{}\"\n",
            dir.join("js").display(),
            relative(&dir, &accounts).display()
        ),
    )
    .unwrap();
    let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned());
    let mut command = Command::new(binary);
    command
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for role in common::NATS_ROLES {
        command.env(format!("REPASSE_NATS_{role}_PASSWORD"), password(role));
    }
    let server = Server {
        child: command.spawn().expect("nats-server runs"),
        url: format!("nats://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nats-server did not start with deploy/nats/accounts.conf");
}

async fn client(url: &str, user: &str, role: &str) -> async_nats::Client {
    async_nats::ConnectOptions::new()
        .user_and_password(user.to_owned(), password(role))
        .custom_inbox_prefix(format!("_INBOX_{user}"))
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("{user}: {e}"))
}

/// Messages in a stream, as the auditor sees them.
async fn count(auditor: &jetstream::Context, stream: &str) -> u64 {
    auditor
        .get_stream(stream)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages
}

fn cli(args: &[&str], url: &str, user: &str, role: &str) -> std::process::Output {
    let mut all = args.to_vec();
    let secret = password(role);
    all.extend([
        "--nats",
        url,
        "--nats-user",
        user,
        "--nats-password",
        &secret,
    ]);
    repasse(&all)
}

#[test]
fn each_role_does_what_deploy_allows_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let url = server.url.clone();
    let history = [
        "demo-data",
        "--uf",
        "RR",
        "--uf",
        "PE",
        "--teams",
        "20000",
        "--competencias",
        "4",
    ];
    let models = dir.path().join("modelos");
    let project = [
        "project",
        "--read-models",
        path(&models),
        "--until-end",
        "--json",
    ];
    // The projector before any import: it may not create the fact stream, and the server's silence is
    // explained, not reported as a bare timeout.
    let early = cli(&project, &url, "projector", "PROJECTOR");
    let stderr = String::from_utf8_lossy(&early.stderr);
    assert!(!early.status.success());
    assert!(
        stderr.contains("REPASSE_FATOS")
            && stderr.contains("permissão")
            && stderr.contains("accounts.conf"),
        "{stderr}"
    );
    let out = cli(&history, &url, "ingest", "INGEST");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&project, &url, "projector", "PROJECTOR");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    the_auditor_reconciles_from_the_cluster_as_from_an_embedded_log(dir.path(), &url, &history);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let auditor = jetstream::new(client(&url, "auditor", "AUDITOR").await);
        let facts = count(&auditor, "REPASSE_FATOS").await;
        let decisions = count(&auditor, "REPASSE_DECISOES").await;
        assert!(facts > 0 && decisions > 0);

        integrator_reads_only_its_state(&url).await;
        readers_leave_a_states_consumer_alone(&url).await;

        // Nobody but ingest puts anything on the streams.
        for (user, role) in [
            ("projector", "PROJECTOR"),
            ("integrator-pe", "INTEGRATOR_PE"),
            ("auditor", "AUDITOR"),
        ] {
            let js = jetstream::new(client(&url, user, role).await);
            let acked = tokio::time::timeout(Duration::from_secs(3), async {
                js.publish("fatos.scnes.PE.261160", "{}".into())
                    .await?
                    .await
            })
            .await;
            assert!(
                !matches!(acked, Ok(Ok(_))),
                "{user} published a fact: {acked:?}"
            );
        }
        let auditor_js = jetstream::new(client(&url, "auditor", "AUDITOR").await);
        let acked = tokio::time::timeout(Duration::from_secs(3), async {
            auditor_js
                .publish("decisoes.suspensao.PE.261160.todos", "{}".into())
                .await?
                .await
        })
        .await;
        assert!(
            !matches!(acked, Ok(Ok(_))),
            "the auditor published a decision"
        );
        assert_eq!(count(&auditor, "REPASSE_FATOS").await, facts);
        assert_eq!(count(&auditor, "REPASSE_DECISOES").await, decisions);

        // Nobody but admin updates a stream: an update could purge the history.
        let ingest = jetstream::new(client(&url, "ingest", "INGEST").await);
        let mut config = ingest
            .get_stream("REPASSE_FATOS")
            .await
            .unwrap()
            .cached_info()
            .config
            .clone();
        config.max_messages = 1;
        let purged =
            tokio::time::timeout(Duration::from_secs(3), ingest.update_stream(config)).await;
        assert!(
            !matches!(purged, Ok(Ok(_))),
            "ingest updated the fact stream"
        );
        assert_eq!(count(&auditor, "REPASSE_FATOS").await, facts);

        // Oversized: refused by the server (max_payload of deploy), nothing stored.
        let big = vec![b'x'; 2 << 20];
        let refused = ingest.publish("fatos.scnes.PE.261160", big.into()).await;
        assert!(refused.is_err(), "a 2 MiB message was accepted");
        // Malformed, on a fact subject, by the role allowed to publish facts: stored by the server...
        ingest
            .publish("fatos.scnes.PE.261160", "isto não é um fato".into())
            .await
            .unwrap()
            .await
            .unwrap();
        assert_eq!(count(&auditor, "REPASSE_FATOS").await, facts + 1);
    });

    // ...and skipped and counted by the projector, which goes on.
    let out = cli(&project, &url, "projector", "PROJECTOR");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["facts_malformed"], 1, "{report}");
    // The operator sees the count on /metrics: `serve` with the projector's role, from a fresh read model.
    let secret = password("PROJECTOR");
    let fresh = dir.path().join("modelos-servidos");
    let source = [
        "--nats",
        url.as_str(),
        "--nats-user",
        "projector",
        "--nats-password",
        secret.as_str(),
    ];
    let (mut served, address) = common::serve_from(&source, &fresh, &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    // Ready once caught up with the stream as it stands.
    while common::get(&address, "/readyz").0 != 200 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let (_, metrics) = common::get(&address, "/metrics");
    let _ = served.kill();
    let _ = served.wait();
    assert!(
        metrics
            .lines()
            .any(|l| l == "repasse_facts_malformed_total 1"),
        "{metrics}"
    );
    drop(server);
}

/// The Fund's national reconciliation read from the cluster with the auditor's role, byte for byte the one
/// of the same history in an embedded log.
fn the_auditor_reconciles_from_the_cluster_as_from_an_embedded_log(
    dir: &Path,
    url: &str,
    history: &[&str],
) {
    let log = dir.join("embutido");
    let mut local = history.to_vec();
    local.extend(["--log", path(&log)]);
    assert!(repasse(&local).status.success());
    let from_cluster = dir.join("cluster.csv");
    let from_log = dir.join("embutido.csv");
    let reconcile = ["reconcile", "--parcela", "2024-06", "--csv"];
    let mut args = reconcile.to_vec();
    args.push(path(&from_cluster));
    let out = cli(&args, url, "auditor", "AUDITOR");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut args = reconcile.to_vec();
    args.extend([path(&from_log), "--log", path(&log)]);
    assert!(repasse(&args).status.success());
    let cluster = std::fs::read_to_string(&from_cluster).unwrap();
    assert!(cluster.lines().count() > 100, "{cluster}");
    assert_eq!(cluster, std::fs::read_to_string(&from_log).unwrap());
}

/// PE's integrator's one durable consumer, on PE's decisions, as its role allows it.
async fn pe_consumer(url: &str) -> (jetstream::stream::Stream, consumer::PullConsumer) {
    let pe = jetstream::new(client(url, "integrator-pe", "INTEGRATOR_PE").await);
    let stream = pe.get_stream("REPASSE_DECISOES").await.unwrap();
    let consumer = stream
        .get_or_create_consumer(
            "integrador-pe",
            consumer::pull::Config {
                durable_name: Some("integrador-pe".into()),
                filter_subject: "decisoes.*.PE.>".into(),
                ack_policy: consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await
        .expect("PE's integrator follows PE");
    (stream, consumer)
}

/// The all-states integrator and the auditor read decisions through consumers of their own, but can
/// neither delete PE's durable consumer, pull from it nor acknowledge on it (which would move PE's place).
async fn readers_leave_a_states_consumer_alone(url: &str) {
    let (pe_stream, pe_consumer) = pe_consumer(url).await;
    let mut first = pe_consumer
        .fetch()
        .max_messages(3)
        .messages()
        .await
        .unwrap();
    while let Some(message) = first.next().await {
        // Confirmed by the server, so that the consumer's place is known before the readers try it.
        message.unwrap().double_ack().await.unwrap();
    }
    let before = pe_stream.consumer_info("integrador-pe").await.unwrap();
    assert_eq!(before.ack_floor.consumer_sequence, 3);
    for (user, role) in [("integrator", "INTEGRATOR"), ("auditor", "AUDITOR")] {
        let js = jetstream::new(client(url, user, role).await);
        let stream = js.get_stream("REPASSE_DECISOES").await.unwrap();
        let own = format!("{user}-proprio");
        let mine: consumer::PullConsumer = stream
            .get_or_create_consumer(
                &own,
                consumer::pull::Config {
                    durable_name: Some(own.clone()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{user} has a consumer of its own: {e}"));
        let batch = mine.fetch().max_messages(5).messages().await.unwrap();
        assert_eq!(batch.count().await, 5, "{user} reads through it");

        let deleted = tokio::time::timeout(
            Duration::from_secs(3),
            stream.delete_consumer("integrador-pe"),
        )
        .await;
        assert!(
            !matches!(deleted, Ok(Ok(_))),
            "{user} deleted PE's consumer"
        );
        let pe: consumer::PullConsumer = stream.get_consumer("integrador-pe").await.unwrap();
        let pulled = tokio::time::timeout(Duration::from_secs(3), async {
            let mut batch = pe
                .fetch()
                .max_messages(1)
                .expires(Duration::from_secs(1))
                .messages()
                .await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(batch.next().await.is_some())
        })
        .await;
        assert!(
            !matches!(pulled, Ok(Ok(true))),
            "{user} pulled from PE's consumer"
        );
        let published = tokio::time::timeout(Duration::from_secs(3), async {
            js.publish(
                "$JS.ACK.REPASSE_DECISOES.integrador-pe.1.1.1.1.1.0",
                "".into(),
            )
            .await?
            .await
        })
        .await;
        assert!(
            !matches!(published, Ok(Ok(_))),
            "{user} acknowledged on PE's consumer"
        );
    }
    // PE's consumer is still there, where PE left it.
    let after = pe_stream.consumer_info("integrador-pe").await.unwrap();
    assert_eq!(
        (
            after.delivered.consumer_sequence,
            after.ack_floor.consumer_sequence
        ),
        (3, 3)
    );
    pe_stream.delete_consumer("integrador-pe").await.unwrap();
}

async fn integrator_reads_only_its_state(url: &str) {
    let (stream, consumer) = pe_consumer(url).await;
    let mut messages = consumer
        .fetch()
        .max_messages(50)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .unwrap();
    let mut seen = 0;
    while let Some(message) = messages.next().await {
        let message = message.unwrap();
        assert!(message.subject.contains(".PE."), "{}", message.subject);
        message.ack().await.unwrap();
        seen += 1;
    }
    assert!(seen > 0, "PE has decisions in this history");
    // Its one consumer name with another state's filter or none, or another name with its own filter
    // (its consumer deleted first, so that a refusal is the permission's, not "already exists").
    stream.delete_consumer("integrador-pe").await.unwrap();
    for (name, filter) in [
        ("integrador-pe", "decisoes.*.RR.>"),
        ("integrador-pe", "decisoes.>"),
        ("integrador-pe", ""),
        ("integrador-sp", "decisoes.*.PE.>"),
    ] {
        let other = stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(name.into()),
                filter_subject: filter.into(),
                ..Default::default()
            })
            .await;
        assert!(other.is_err(), "PE's integrator made {name} on {filter:?}");
    }
    // Nor does it read another user's replies: the inboxes of the others are not its to subscribe.
    let pe_core = client(url, "integrator-pe", "INTEGRATOR_PE").await;
    let mut spy = pe_core.subscribe("_INBOX.>").await.unwrap();
    let mut spy_auditor = pe_core.subscribe("_INBOX_auditor.>").await.unwrap();
    pe_core.flush().await.unwrap();
    let auditor = jetstream::new(client(url, "auditor", "AUDITOR").await);
    let _ = auditor.get_stream("REPASSE_DECISOES").await.unwrap();
    for subscription in [&mut spy, &mut spy_auditor] {
        let heard = tokio::time::timeout(Duration::from_secs(1), subscription.next()).await;
        assert!(
            !matches!(heard, Ok(Some(_))),
            "PE's integrator read another user's reply"
        );
    }
    let by_sequence = tokio::time::timeout(Duration::from_secs(3), stream.get_raw_message(1)).await;
    assert!(
        !matches!(by_sequence, Ok(Ok(_))),
        "PE's integrator read a decision by sequence"
    );
}
