//! Counters and histograms for `/metrics`, in the Prometheus text format.
//!
//! Hand-rolled (a few atomics and two small maps) rather than a metrics framework: the
//! collector has a dozen series and their labels are bounded (routes, statuses, sites
//! from the config, rejection codes from `orbit-core`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the batch-size histogram, in events.
const BATCH_SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 500.0, 2500.0];
/// Upper bounds of the commit-latency histogram, in seconds.
const COMMIT_SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A Prometheus histogram with fixed buckets.
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    /// Sum of observations in millionths, so that it fits an atomic integer.
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|bound| value <= *bound) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros
            .fetch_add((value * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// What happened to an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventOutcome {
    /// Stored for the first time.
    Accepted,
    /// Already stored (a retry).
    Duplicate,
    /// Refused; the reason code says why.
    Rejected,
}

impl EventOutcome {
    fn as_str(self) -> &'static str {
        match self {
            EventOutcome::Accepted => "accepted",
            EventOutcome::Duplicate => "duplicate",
            EventOutcome::Rejected => "rejected",
        }
    }
}

/// One site's event counts by (outcome, rejection reason).
type SiteEventCounts = BTreeMap<(EventOutcome, &'static str), u64>;

/// Every series the collector exposes.
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// Per site, then per (outcome, reason): looked up by `&str`, so the hot path does not
    /// allocate.
    events: Mutex<BTreeMap<String, SiteEventCounts>>,
    rate_limited: Mutex<BTreeMap<&'static str, u64>>,
    /// Events per ingest request.
    pub batch_size: Histogram,
    /// Time from the start of a transaction to its durable commit.
    pub commit_seconds: Histogram,
    /// Events written per commit.
    pub commit_events: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Mutex::default(),
            events: Mutex::default(),
            rate_limited: Mutex::default(),
            batch_size: Histogram::new(BATCH_SIZE_BUCKETS),
            commit_seconds: Histogram::new(COMMIT_SECONDS_BUCKETS),
            commit_events: Histogram::new(BATCH_SIZE_BUCKETS),
        }
    }
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K, by: u64) {
    if by == 0 {
        return;
    }
    if let Ok(mut map) = map.lock() {
        *map.entry(key).or_insert(0) += by;
    }
}

impl Metrics {
    /// Counts one answered request of `route` (the route's pattern, not the raw URL).
    pub fn request(&self, route: &'static str, status: u16) {
        bump(&self.requests, (route, status), 1);
    }

    /// Counts `n` events of `site` with an outcome (`reason` is `""` unless rejected).
    pub fn events(&self, site: &str, outcome: EventOutcome, reason: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        let Ok(mut sites) = self.events.lock() else {
            return;
        };
        let counts = match sites.get_mut(site) {
            Some(counts) => counts,
            None => sites.entry(site.to_owned()).or_default(),
        };
        *counts.entry((outcome, reason)).or_insert(0) += n;
    }

    /// Counts a request refused by a rate limit (`client` or `site`).
    pub fn rate_limited(&self, scope: &'static str) {
        bump(&self.rate_limited, scope, 1);
    }

    /// Records one commit.
    pub fn commit(&self, took: Duration, events: usize) {
        self.commit_seconds.observe(took.as_secs_f64());
        self.commit_events.observe(events as f64);
    }

    /// The Prometheus text exposition; `queue_depth` is read by the caller from storage.
    pub fn render(&self, queue_depth: usize) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP orbit_http_requests_total Requests answered, by route and status.\n\
             # TYPE orbit_http_requests_total counter\n",
        );
        if let Ok(requests) = self.requests.lock() {
            for ((route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "orbit_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str(
            "# HELP orbit_events_total Events received, by site, outcome and rejection reason.\n\
             # TYPE orbit_events_total counter\n",
        );
        if let Ok(events) = self.events.lock() {
            let series = events
                .iter()
                .flat_map(|(site, counts)| counts.iter().map(move |(k, n)| (site, k, n)));
            for (site, (outcome, reason), n) in series {
                let _ = writeln!(
                    out,
                    "orbit_events_total{{site=\"{}\",outcome=\"{}\",reason=\"{reason}\"}} {n}",
                    escape(site),
                    outcome.as_str()
                );
            }
        }
        out.push_str(
            "# HELP orbit_rate_limited_total Requests refused with 429, by limit.\n\
             # TYPE orbit_rate_limited_total counter\n",
        );
        if let Ok(limited) = self.rate_limited.lock() {
            for (scope, n) in limited.iter() {
                let _ = writeln!(out, "orbit_rate_limited_total{{limit=\"{scope}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP orbit_storage_queue_depth Requests waiting for the storage writer.\n\
             # TYPE orbit_storage_queue_depth gauge\norbit_storage_queue_depth {queue_depth}"
        );
        self.batch_size.render(
            &mut out,
            "orbit_request_events",
            "Events per ingest request.",
        );
        self.commit_seconds.render(
            &mut out,
            "orbit_storage_commit_seconds",
            "Time to write and durably commit one group of requests.",
        );
        self.commit_events.render(
            &mut out,
            "orbit_storage_commit_events",
            "Events written per commit.",
        );
        out
    }
}

/// Label values: backslash, quote and newline escaped, as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_with_sum_and_count() {
        let metrics = Metrics::default();
        metrics.batch_size.observe(1.0);
        metrics.batch_size.observe(30.0);
        metrics.batch_size.observe(5000.0);
        let text = metrics.render(0);
        assert!(text.contains("orbit_request_events_bucket{le=\"1\"} 1\n"));
        assert!(text.contains("orbit_request_events_bucket{le=\"50\"} 2\n"));
        assert!(text.contains("orbit_request_events_bucket{le=\"2500\"} 2\n"));
        assert!(text.contains("orbit_request_events_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("orbit_request_events_sum 5031\n"));
        assert!(text.contains("orbit_request_events_count 3\n"));
    }

    #[test]
    fn counters_carry_their_labels() {
        let metrics = Metrics::default();
        metrics.request("/v1/batch", 200);
        metrics.request("/v1/batch", 200);
        metrics.events("shop", EventOutcome::Rejected, "too_old", 3);
        metrics.events("shop", EventOutcome::Accepted, "", 0);
        let text = metrics.render(7);
        assert!(text.contains("orbit_http_requests_total{route=\"/v1/batch\",status=\"200\"} 2\n"));
        assert!(text.contains(
            "orbit_events_total{site=\"shop\",outcome=\"rejected\",reason=\"too_old\"} 3\n"
        ));
        assert!(
            !text.contains("outcome=\"accepted\""),
            "zero counts are not series"
        );
        assert!(text.contains("orbit_storage_queue_depth 7\n"));
    }
}
