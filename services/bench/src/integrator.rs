//! The stand-in for integrators of `bench replay` and `bench close`: a durable consumer of the decision
//! stream acknowledging each decision, as integrators run (`durable`), or a core subscription, which sees
//! a decision before it is stored (`core`).

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::replay::Integrator;

/// What the stand-in integrator follows: a stream's subjects, until `finished` or `until` decisions.
pub(crate) struct Listen {
    pub stream: String,
    pub subjects: String,
    pub until: Option<usize>,
}

/// A running stand-in integrator (`integrator`), on its own thread.
pub(crate) struct StandIn {
    thread: std::thread::JoinHandle<anyhow::Result<Vec<(bytes::Bytes, Instant)>>>,
    done: tokio::sync::oneshot::Sender<()>,
}

impl StandIn {
    /// Starts it; it follows `listen` once this returns.
    pub(crate) async fn start(
        url: &str,
        kind: Integrator,
        listen: Listen,
    ) -> anyhow::Result<StandIn> {
        let (ready, connected) = tokio::sync::oneshot::channel::<()>();
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn({
            let url = url.to_owned();
            move || integrator(&url, kind, listen, ready, finished)
        });
        if connected.await.is_err() {
            let error = thread.join().expect("the integrator thread does not panic");
            return Err(error
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("o integrador parou")));
        }
        Ok(StandIn { thread, done })
    }

    /// What it received and when, once it stopped: by itself (`Listen::until`) or, at the latest, told to
    /// stop `within` from now.
    pub(crate) async fn received(
        self,
        within: Duration,
    ) -> anyhow::Result<Vec<(bytes::Bytes, Instant)>> {
        let StandIn { thread, done } = self;
        let mut joined = tokio::task::spawn_blocking(move || thread.join());
        let result = match tokio::time::timeout(within, &mut joined).await {
            Ok(result) => result,
            Err(_) => {
                let _ = done.send(());
                joined.await
            }
        };
        result?.expect("the integrator thread does not panic")
    }
}

/// The stand-in for integrators, on its own connection, thread and runtime, as if in another process —
/// sharing the projector's runtime, its timestamps waited for the projector's tasks. Integrators run on
/// other machines: here, on the server's two cores, it only timestamps each decision (and, as a consumer,
/// acknowledges it); which fact it came from is read after the run. `ready` is sent once it follows.
fn integrator(
    url: &str,
    kind: Integrator,
    listen: Listen,
    ready: tokio::sync::oneshot::Sender<()>,
    mut finished: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<Vec<(bytes::Bytes, Instant)>> {
    use async_nats::jetstream::{self, consumer};
    /// What arrives: the decision's JSON, and the message to acknowledge when it came from a consumer.
    type Delivered = anyhow::Result<(bytes::Bytes, Option<jetstream::Message>)>;
    const DURABLE: &str = "bench-latencia";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client = async_nats::connect(url).await?;
        let Listen {
            stream,
            subjects,
            until,
        } = listen;
        // The consumer's stream, to remove it at the end.
        let mut durable = None;
        let mut decisions: futures::stream::BoxStream<'static, Delivered> = match kind {
            Integrator::Core => {
                let subscriber = client.subscribe(subjects).await?;
                client.flush().await?;
                subscriber
                    .map(|message| Ok((message.payload, None)))
                    .boxed()
            }
            Integrator::Durable => {
                let stream = jetstream::new(client.clone()).get_stream(stream).await?;
                // Durable and acknowledged, as `examples/assinante.rs`; from the next decision on.
                let _ = stream.delete_consumer(DURABLE).await;
                let consumer = stream
                    .create_consumer(consumer::pull::Config {
                        durable_name: Some(DURABLE.to_owned()),
                        filter_subject: subjects,
                        deliver_policy: consumer::DeliverPolicy::New,
                        ack_policy: consumer::AckPolicy::Explicit,
                        ..Default::default()
                    })
                    .await?;
                let messages = consumer.messages().await?;
                durable = Some(stream);
                messages
                    .map(|message| {
                        let message = message.map_err(|e| anyhow::anyhow!("consumidor: {e}"))?;
                        Ok((message.payload.clone(), Some(message)))
                    })
                    .boxed()
            }
        };
        let _ = ready.send(());
        let mut received = Vec::new();
        loop {
            tokio::select! {
                _ = &mut finished => break,
                next = decisions.next() => {
                    let Some(next) = next else { break };
                    let (payload, message) = next?;
                    received.push((payload, Instant::now()));
                    if let Some(message) = message {
                        message.ack().await.map_err(|e| anyhow::anyhow!("confirmação: {e}"))?;
                    }
                    if until == Some(received.len()) {
                        break;
                    }
                }
            }
        }
        drop(decisions);
        if let Some(stream) = durable {
            stream.delete_consumer(DURABLE).await?;
        }
        Ok(received)
    })
}
