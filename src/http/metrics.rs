//! Prometheus metrics: requests by route template, method and status, their latency, the
//! database pool, and the build. Served at `GET /metrics` on the main listener or on a separate
//! admin listener (`METRICS`), in the OpenMetrics text format that Prometheus scrapes.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::store::Store;

/// The media type of the OpenMetrics text format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of a request that matched no route, so that scanners cannot blow up the
/// number of series with made-up paths.
const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
    backend: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// The metrics of one process, shared by every worker (`web::Data<Metrics>`).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_waiting: Gauge,
    pool_max: Gauge,
    webhook_deliveries: Family<OutcomeLabels, Counter>,
    webhook_lag: Gauge,
    store: Store,
}

impl Metrics {
    pub fn new(store: Store) -> Arc<Self> {
        let mut registry = Registry::with_prefix("cress_api");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        // 5 ms to about 10 s
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 12))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, by route template and method",
            latency.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Open database connections: in_use (lent to a request) or idle",
            pool_connections.clone(),
        );
        let pool_waiting = Gauge::default();
        registry.register(
            "db_pool_waiting",
            "Tasks waiting now for a database connection (all in use); above zero for long, the pool \
             or the database is too small for the load",
            pool_waiting.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "Most database connections the pools open: DATABASE_MAX_CONNECTIONS, on PostgreSQL shared out among the worker threads, plus the pool of start-up and webhook deliveries; requests beyond it wait",
            pool_max.clone(),
        );
        let webhook_deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome: delivered (a 2xx answer) or failed (to be retried)",
            webhook_deliveries.clone(),
        );
        let webhook_lag = Gauge::default();
        registry.register(
            "webhook_lag_changes",
            "Changes of the log that the most-behind active webhook subscription has not passed yet",
            webhook_lag.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                backend: store.backend().to_owned(),
            })
            .set(1);
        registry.register(
            "build_info",
            "The running version and database backend; always 1",
            build,
        );
        Arc::new(Self {
            registry,
            requests,
            latency,
            pool_connections,
            pool_waiting,
            pool_max,
            webhook_deliveries,
            webhook_lag,
            store,
        })
    }

    /// Counts one webhook delivery attempt.
    pub fn webhook_attempt(&self, delivered: bool) {
        let outcome = if delivered { "delivered" } else { "failed" };
        self.webhook_deliveries.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// The lag of the most-behind subscription, as last read (`None`: unknown, left as it was).
    pub fn webhook_lag(&self, changes: Option<i64>) {
        if let Some(changes) = changes {
            self.webhook_lag.set(changes);
        }
    }

    /// Counts one answered request.
    fn observe(&self, route: String, method: String, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method: method.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route, method })
            .observe(seconds);
    }

    /// The text exposition, with the pool gauges read now.
    pub fn render(&self) -> String {
        let crate::store::PoolSizes { open: size, idle, max } = self.store.pool_sizes();
        let idle = i64::from(idle);
        let size = i64::from(size);
        self.pool_connections
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
        self.pool_connections
            .get_or_create(&PoolLabels { state: "in_use" })
            .set((size - idle).max(0));
        self.pool_waiting
            .set(i64::try_from(self.store.waiting()).unwrap_or(i64::MAX));
        self.pool_max.set(i64::from(max));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Records every request's route template, method, status and latency.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let method = req.method().as_str().to_owned();
    let outcome = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        metrics.observe(route, method, status, started.elapsed().as_secs_f64());
    }
    outcome
}

/// `GET /metrics`: the Prometheus exposition.
pub async fn expose(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(metrics.render())
}
