//! Prometheus metrics at `/metrics` (text format 0.0.4): what the projector beside the API has folded and
//! decided — facts behind the stream's end, records skipped as not facts, decision points and decisions
//! published, how long a decision point takes from its fact to its decisions, the publisher's lease — and
//! the HTTP latency of each route.
//! The projector writes atomics; the API reads them; nothing here allocates per request but the route's
//! first time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Upper bounds of the latency buckets, in microseconds (0.001 s to 10 s).
const BOUNDS: [u64; 12] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    10_000_000,
];

/// Microseconds as Prometheus writes seconds: `2500` → `0.0025`.
fn seconds(micros: u64) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A latency histogram of atomics (cumulative buckets are summed when rendered).
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let slot = BOUNDS
            .iter()
            .position(|b| micros <= *b)
            .unwrap_or(BOUNDS.len());
        if let Some(bucket) = self.buckets.get(slot) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, bucket) in BOUNDS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{}\"}} {cumulative}",
                seconds(*bound)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = seconds(self.sum_micros.load(Ordering::Relaxed));
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// What the projector and the API report.
#[derive(Debug)]
pub struct Metrics {
    /// The last fact position folded.
    pub position: AtomicU64,
    /// The fact stream's last position, as last asked.
    pub log_end: AtomicU64,
    pub decision_points: AtomicU64,
    pub decisions_published: AtomicU64,
    /// Records of the fact stream skipped as not facts (malformed, or without a message id).
    pub facts_malformed: AtomicU64,
    /// From the triggering fact taken to its decisions made.
    pub decision_point: Histogram,
    /// 1 held, 0 lost, −1 no lease (embedded log, no publishing).
    pub lease_held: AtomicI8,
    http: Mutex<BTreeMap<String, Histogram>>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            position: AtomicU64::new(0),
            log_end: AtomicU64::new(0),
            decision_points: AtomicU64::new(0),
            decisions_published: AtomicU64::new(0),
            facts_malformed: AtomicU64::new(0),
            decision_point: Histogram::default(),
            lease_held: AtomicI8::new(-1),
            http: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Metrics {
    fn observe_http(&self, route: &str, elapsed: Duration) {
        let mut routes = self
            .http
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), Histogram::default());
        }
        routes[route].observe(elapsed);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str, value: i64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let position = self.position.load(Ordering::Relaxed);
        let end = self.log_end.load(Ordering::Relaxed).max(position);
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        gauge(
            &mut out,
            "repasse_fact_position",
            "Last fact position folded by the projector.",
            "gauge",
            as_i64(position),
        );
        gauge(
            &mut out,
            "repasse_facts_behind",
            "Facts in the stream not yet folded.",
            "gauge",
            as_i64(end - position),
        );
        let points = self.decision_points.load(Ordering::Relaxed);
        gauge(
            &mut out,
            "repasse_decision_points_total",
            "Decision points taken.",
            "counter",
            as_i64(points),
        );
        let published = self.decisions_published.load(Ordering::Relaxed);
        gauge(
            &mut out,
            "repasse_decisions_published_total",
            "Decisions made at decision points.",
            "counter",
            as_i64(published),
        );
        gauge(
            &mut out,
            "repasse_facts_malformed_total",
            "Records of the fact stream skipped by the projector as not facts.",
            "counter",
            as_i64(self.facts_malformed.load(Ordering::Relaxed)),
        );
        gauge(
            &mut out,
            "repasse_lease_held",
            "Publisher lease: 1 held, 0 lost, -1 none.",
            "gauge",
            i64::from(self.lease_held.load(Ordering::Relaxed)),
        );
        let _ = writeln!(
            out,
            "# HELP repasse_decision_point_seconds From a decision point's fact to its decisions made.\n# TYPE repasse_decision_point_seconds histogram"
        );
        self.decision_point
            .render(&mut out, "repasse_decision_point_seconds", "");
        let _ = writeln!(
            out,
            "# HELP repasse_http_request_seconds HTTP latency by route.\n# TYPE repasse_http_request_seconds histogram"
        );
        let routes = self
            .http
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (route, histogram) in routes.iter() {
            histogram.render(
                &mut out,
                "repasse_http_request_seconds",
                &format!("route=\"{route}\""),
            );
        }
        out
    }
}

/// Times every matched route.
pub(crate) async fn time(
    State(metrics): State<std::sync::Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    if let Some(route) = route {
        metrics.observe_http(&route, started.elapsed());
    }
    response
}

pub(crate) async fn exposition(State(metrics): State<std::sync::Arc<Metrics>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_are_written_as_seconds() {
        assert_eq!(seconds(0), "0");
        assert_eq!(seconds(1_000), "0.001");
        assert_eq!(seconds(2_500), "0.0025");
        assert_eq!(seconds(10_000_000), "10");
        assert_eq!(seconds(1_234_567), "1.234567");
    }

    #[test]
    fn a_histogram_counts_cumulatively_up_to_inf() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(800));
        h.observe(Duration::from_millis(30));
        h.observe(Duration::from_secs(20));
        let mut out = String::new();
        h.render(&mut out, "x", "");
        assert!(out.contains("x_bucket{le=\"0.001\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.05\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"10\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(
            out.contains("x_count 3\n") && out.contains("x_sum 20.0308\n"),
            "{out}"
        );
    }

    /// The operator's dashboard (`deploy/grafana/repasse.json`) asks only for series this exposition has.
    #[test]
    fn every_series_of_the_dashboard_is_exposed() {
        let dashboard = include_str!("../../../deploy/grafana/repasse.json");
        let metrics = Metrics::default();
        metrics.decision_point.observe(Duration::from_millis(3));
        metrics.observe_http("/painel", Duration::from_millis(1));
        let exposed = metrics.render();
        let mut asked = 0;
        for (at, _) in dashboard.match_indices("repasse_") {
            let name: String = dashboard[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.ends_with(".json") || name == "repasse_" {
                continue;
            }
            asked += 1;
            assert!(
                exposed
                    .lines()
                    .any(|l| l.starts_with(&format!("{name} "))
                        || l.starts_with(&format!("{name}{{"))),
                "the dashboard asks for {name}, which /metrics does not expose"
            );
        }
        assert!(asked >= 7, "the dashboard's queries were found ({asked})");
    }
}
