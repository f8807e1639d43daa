//! The one way docrun's requests reach an API server: every client that [`super::client`]
//! builds from the kubeconfig sends through a [`Guard`], which
//!
//! - retries transient failures of requests that change nothing (`GET`, `HEAD`, `OPTIONS`, and
//!   any request with `dryRun=All`): the statuses 429, 500, 502, 503 and 504, and connections
//!   that were reset or closed before the answer was complete. Retries back off exponentially
//!   (100 ms doubling, at most 2 s, with jitter), wait at least as long as a `Retry-After` in
//!   seconds asks, and stay within the call timeout: when the next wait would end after it, the
//!   last answer is returned as it is, so the user reads the server's own error. A refused
//!   connection is not retried (the server is not running: say so at once), nor is a request
//!   that changes something (it might have been applied);
//! - caps every response body: [`VERSION_LIMIT`] for `/version`, [`DISCOVERY_LIMIT`] for
//!   discovery, [`BODY_LIMIT`] for any other answer, and [`WATCH_EVENT_LIMIT`] per event (line) of a watch, whose stream has no end.
//!   Past the cap the body fails with [`TooLarge`], which [`super::CallError`] names, so memory
//!   stays bounded whatever a server (or something in front of it) sends.
//!
//! The guard sits outside kube's own stack (auth, base URI, decompression), so it retries
//! whole requests and counts decompressed bytes.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body::{Body as HttpBody, Frame, SizeHint};
use kube::client::Body;
use kube::Client;
use tokio::time::Instant;

/// The largest `/version` answer read (a real one is under 1 KiB).
pub const VERSION_LIMIT: u64 = 1024 * 1024;
/// The largest discovery document read (`/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`; real
/// ones are tens of KiB).
pub const DISCOVERY_LIMIT: u64 = 4 * 1024 * 1024;
/// The largest answer read for any other request: a page of a list (docrun and kube's watcher
/// page lists by 500 objects), an object.
pub const BODY_LIMIT: u64 = 32 * 1024 * 1024;
/// The largest event of a watch (one line: one object; etcd stores objects up to 1.5 MiB).
pub const WATCH_EVENT_LIMIT: u64 = 16 * 1024 * 1024;

/// The first wait before a retry; it doubles with each retry.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait before a retry (a `Retry-After` may ask for longer, within the timeout).
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A response body, or one event of a watch, that went over its cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is larger than {}, more than an API server sends; docrun stopped reading it", mib(*limit))]
pub struct TooLarge {
    /// `the answer to GET /version`, `an event of the watch GET /api/v1/pods?watch=true`.
    pub what: String,
    pub limit: u64,
}

fn mib(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// The [`TooLarge`] error somewhere in `e`'s chain of sources (an I/O error's inner error
/// included), if any.
pub fn too_large(e: &(dyn std::error::Error + 'static)) -> Option<TooLarge> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<TooLarge>() {
            return Some(t.clone());
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(t) = too_large(inner) {
                return Some(t);
            }
        }
        cur = err.source();
    }
    None
}

/// A client whose requests go through a [`Guard`] around `inner` (a client with kube's own
/// retries off), each retried within `per_call`.
pub fn guarded(inner: Client, per_call: Duration) -> Client {
    let namespace = inner.default_namespace().to_string();
    Client::new(Guard { inner, per_call }, namespace)
}

/// A tower service in front of a kube client: retries and body caps (see the module).
#[derive(Clone)]
pub struct Guard {
    inner: Client,
    per_call: Duration,
}

impl tower_service::Service<Request<Body>> for Guard {
    type Response = Response<Capped<Body>>;
    type Error = kube::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, kube::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let client = self.inner.clone();
        let deadline = Instant::now() + self.per_call;
        Box::pin(async move {
            let cap = Cap::of(&request);
            let result = send_retrying(deadline, request, |r| {
                let client = client.clone();
                async move { client.send(r).await }
            })
            .await;
            result.map(|response| response.map(|body| Capped::new(body, cap.clone())))
        })
    }
}

/// Sends `request` with `send`, again while the failure is transient, the request changes
/// nothing and the next wait ends before `deadline`. Returns the last answer or error.
pub async fn send_retrying<B, F, Fut>(
    deadline: Instant,
    mut request: Request<Body>,
    mut send: F,
) -> kube::Result<Response<B>>
where
    F: FnMut(Request<Body>) -> Fut,
    Fut: Future<Output = kube::Result<Response<B>>>,
{
    let retryable = changes_nothing(&request);
    let mut attempt: u32 = 0;
    loop {
        let copy = if retryable {
            clone_request(&request)
        } else {
            None
        };
        let result = send(request).await;
        let Some(next) = copy else {
            return result;
        };
        let asked = match &result {
            Ok(response) if transient_status(response.status()) => retry_after(response),
            Err(e) if transient_error(e) => None,
            _ => return result,
        };
        let wait = backoff(attempt).max(asked.unwrap_or_default());
        if Instant::now() + wait >= deadline {
            return result;
        }
        drop(result);
        tokio::time::sleep(wait).await;
        attempt = attempt.saturating_add(1);
        request = next;
    }
}

/// Whether a request changes nothing on the server, so that sending it twice is harmless.
fn changes_nothing<B>(request: &Request<B>) -> bool {
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "dryRun=All"))
}

fn transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// A connection reset, or closed before the answer was complete (a server restarting, a load
/// balancer dropping an idle connection). Not a refused connection: nothing listens there.
fn transient_error(e: &kube::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        let text = err.to_string();
        if text.contains("connection closed before message completed")
            || text.contains("connection reset")
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// `Retry-After` in seconds (the form API servers send), capped at an hour.
fn retry_after<B>(response: &Response<B>) -> Option<Duration> {
    let value = response.headers().get(http::header::RETRY_AFTER)?;
    let secs: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(3600)))
}

/// The wait before retry `attempt` (0 first): exponential, capped, with jitter in its upper half.
fn backoff(attempt: u32) -> Duration {
    let full = FIRST_BACKOFF
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    let half = full / 2;
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    let jitter = hasher.finish() % (half.as_millis() as u64 + 1);
    half + Duration::from_millis(jitter)
}

fn clone_request(request: &Request<Body>) -> Option<Request<Body>> {
    let body = request.body().try_clone()?;
    let mut copy = Request::new(body);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

/// What a response's body may hold.
#[derive(Debug, Clone)]
pub struct Cap {
    what: String,
    limit: u64,
    /// The limit is per line (a watch), not for the whole body.
    per_line: bool,
}

impl Cap {
    /// The cap of the answer to `request`.
    pub fn of<B>(request: &Request<B>) -> Cap {
        let uri = request.uri();
        let target = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_string(), |p| p.as_str().to_string());
        let call = format!("{} {target}", request.method());
        let watch = uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"));
        if watch {
            Cap {
                what: format!("an event of the watch {call}"),
                limit: WATCH_EVENT_LIMIT,
                per_line: true,
            }
        } else {
            let path = uri.path().trim_end_matches('/');
            let segments = path.split('/').filter(|s| !s.is_empty()).count();
            let discovery = match path.split('/').nth(1) {
                Some("api") => segments <= 2,
                Some("apis") => segments <= 3,
                _ => false,
            };
            let limit = if path == "/version" {
                VERSION_LIMIT
            } else if discovery {
                DISCOVERY_LIMIT
            } else {
                BODY_LIMIT
            };
            Cap {
                what: format!("the answer to {call}"),
                limit,
                per_line: false,
            }
        }
    }

    fn exceeded(&self) -> TooLarge {
        TooLarge {
            what: self.what.clone(),
            limit: self.limit,
        }
    }
}

/// A body that fails with [`TooLarge`] once it holds more than its [`Cap`] allows.
pub struct Capped<B> {
    inner: B,
    cap: Cap,
    /// Bytes seen: in all, or since the last line break for a watch.
    seen: u64,
    failed: bool,
}

impl<B> Capped<B> {
    pub fn new(inner: B, cap: Cap) -> Self {
        Capped {
            inner,
            cap,
            seen: 0,
            failed: false,
        }
    }

    /// Counts `data`; `false` when it goes over the cap.
    fn count(&mut self, data: &[u8]) -> bool {
        let limit = self.cap.limit;
        if !self.cap.per_line {
            self.seen = self.seen.saturating_add(data.len() as u64);
            return self.seen <= limit;
        }
        let mut line_start: Option<usize> = None;
        for at in memchr::memchr_iter(b'\n', data) {
            let length = match line_start {
                None => self.seen.saturating_add(at as u64),
                Some(start) => (at - start) as u64,
            };
            if length > limit {
                return false;
            }
            line_start = Some(at + 1);
        }
        self.seen = match line_start {
            None => self.seen.saturating_add(data.len() as u64),
            Some(start) => (data.len() - start) as u64,
        };
        self.seen <= limit
    }
}

impl<B> HttpBody for Capped<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let data = data.clone();
                    if !self.count(&data) {
                        self.failed = true;
                        return Poll::Ready(Some(Err(Box::new(self.cap.exceeded()))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn request(method: Method, uri: &str) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(b"{}".to_vec()))
            .unwrap()
    }

    fn answer(code: u16) -> Response<()> {
        Response::builder().status(code).body(()).unwrap()
    }

    /// Sends through [`send_retrying`] with answers taken from `codes` in turn (the last one
    /// repeats); returns the final status and the number of sends.
    async fn sends(request: Request<Body>, codes: &[u16], within: Duration) -> (u16, usize) {
        let count = Arc::new(AtomicUsize::new(0));
        let codes = codes.to_vec();
        let c = count.clone();
        let result = send_retrying(Instant::now() + within, request, move |_r| {
            let n = c.fetch_add(1, Ordering::SeqCst);
            let code = codes[n.min(codes.len() - 1)];
            async move { Ok(answer(code)) }
        })
        .await;
        (
            result.unwrap().status().as_u16(),
            count.load(Ordering::SeqCst),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn reads_are_retried_on_transient_statuses_until_they_answer() {
        let within = Duration::from_secs(5);
        assert_eq!(
            sends(request(Method::GET, "/version"), &[500, 503, 200], within).await,
            (200, 3)
        );
        assert_eq!(
            sends(request(Method::GET, "/api"), &[429, 502, 504, 200], within).await,
            (200, 4)
        );
        // A dry run changes nothing either.
        assert_eq!(
            sends(
                request(Method::POST, "/api/v1/namespaces?dryRun=All"),
                &[500, 201],
                within
            )
            .await,
            (201, 2)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn writes_and_lasting_errors_are_not_retried() {
        let within = Duration::from_secs(5);
        assert_eq!(
            sends(
                request(Method::POST, "/api/v1/namespaces"),
                &[500, 201],
                within
            )
            .await,
            (500, 1)
        );
        assert_eq!(
            sends(
                request(Method::DELETE, "/api/v1/namespaces/x"),
                &[503],
                within
            )
            .await,
            (503, 1)
        );
        for code in [401, 403, 404, 409, 501] {
            assert_eq!(
                sends(request(Method::GET, "/api"), &[code, 200], within).await,
                (code, 1)
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_within_the_timeout_and_return_the_last_answer() {
        let started = Instant::now();
        let (code, n) = sends(request(Method::GET, "/api"), &[500], Duration::from_secs(5)).await;
        assert_eq!(code, 500);
        assert!(n > 2, "retried with backoff, {n} sends");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_waited_for_or_not_at_all() {
        let count = Arc::new(AtomicUsize::new(0));
        let run = |secs: &'static str, within: Duration| {
            let c = count.clone();
            c.store(0, Ordering::SeqCst);
            send_retrying(
                Instant::now() + within,
                request(Method::GET, "/api"),
                move |_| {
                    let n = c.fetch_add(1, Ordering::SeqCst);
                    async move {
                        let r = if n == 0 {
                            Response::builder()
                                .status(429)
                                .header("Retry-After", secs)
                                .body(())
                        } else {
                            Response::builder().status(200).body(())
                        };
                        Ok(r.unwrap())
                    }
                },
            )
        };
        let started = Instant::now();
        let r = run("2", Duration::from_secs(5)).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "waited as asked"
        );
        // Asked to wait past the timeout: the 429 is the answer.
        let r = run("30", Duration::from_secs(5)).await.unwrap();
        assert_eq!(
            (r.status().as_u16(), count.load(Ordering::SeqCst)),
            (429, 1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn reset_connections_are_retried_refused_ones_are_not() {
        let run = |kind: std::io::ErrorKind| {
            let count = Arc::new(AtomicUsize::new(0));
            let c = count.clone();
            async move {
                let result = send_retrying(
                    Instant::now() + Duration::from_secs(5),
                    request(Method::GET, "/api"),
                    move |_| {
                        let n = c.fetch_add(1, Ordering::SeqCst);
                        async move {
                            if n == 0 {
                                Err(kube::Error::Service(Box::new(std::io::Error::from(kind))))
                            } else {
                                Ok(answer(200))
                            }
                        }
                    },
                )
                .await;
                (result.is_ok(), count.load(Ordering::SeqCst))
            }
        };
        assert_eq!(run(std::io::ErrorKind::ConnectionReset).await, (true, 2));
        assert_eq!(run(std::io::ErrorKind::UnexpectedEof).await, (true, 2));
        assert_eq!(run(std::io::ErrorKind::ConnectionRefused).await, (false, 1));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for attempt in 0..20 {
            let full = FIRST_BACKOFF
                .saturating_mul(1 << attempt.min(16))
                .min(MAX_BACKOFF);
            let b = backoff(attempt);
            assert!(b >= full / 2 && b <= full, "{attempt}: {b:?}");
        }
    }

    fn capped(uri: &str) -> Capped<()> {
        Capped::new((), Cap::of(&request(Method::GET, uri)))
    }

    #[test]
    fn bodies_are_capped_whole_and_watches_per_event() {
        let mut version = capped("/version");
        assert!(version.count(&vec![b'a'; VERSION_LIMIT as usize]));
        assert!(!version.count(b"a"));
        assert_eq!(
            version.cap.exceeded().to_string(),
            "the answer to GET /version is larger than 1 MiB, more than an API server sends; docrun \
             stopped reading it"
        );
        let mut list = capped("/api/v1/pods?limit=500");
        assert!(list.count(&vec![b'a'; DISCOVERY_LIMIT as usize * 2]));
        assert!(!list.count(&vec![b'a'; BODY_LIMIT as usize]));
        for (uri, limit) in [
            ("/api", DISCOVERY_LIMIT),
            ("/apis/", DISCOVERY_LIMIT),
            ("/api/v1", DISCOVERY_LIMIT),
            ("/apis/apps/v1", DISCOVERY_LIMIT),
            ("/apis/apps/v1/deployments", BODY_LIMIT),
            ("/api/v1/namespaces", BODY_LIMIT),
        ] {
            assert_eq!(capped(uri).cap.limit, limit, "{uri}");
        }
        let mut watch = capped("/api/v1/pods?watch=true&resourceVersion=1");
        let line = {
            let mut l = vec![b'a'; WATCH_EVENT_LIMIT as usize - 1];
            l.push(b'\n');
            l
        };
        for _ in 0..3 {
            assert!(
                watch.count(&line),
                "events under the cap pass, however many"
            );
        }
        assert!(watch.count(&vec![b'a'; WATCH_EVENT_LIMIT as usize]));
        assert!(!watch.count(b"a"), "one event over the cap fails");
        let mut inside = capped("/api/v1/pods?watch=1");
        let mut chunk = b"x\n".to_vec();
        chunk.extend(vec![b'a'; WATCH_EVENT_LIMIT as usize + 1]);
        chunk.extend(b"\nend");
        assert!(!inside.count(&chunk), "a long line inside one chunk");
        assert!(inside
            .cap
            .exceeded()
            .to_string()
            .starts_with("an event of the watch GET /api/v1/pods?watch=1 is larger than 16 MiB"));
    }

    #[test]
    fn a_too_large_error_is_found_through_io_errors_and_kube_errors() {
        let t = TooLarge {
            what: "x".into(),
            limit: 1,
        };
        let kube_error = kube::Error::Service(Box::new(t.clone()));
        assert_eq!(too_large(&kube_error), Some(t.clone()));
        let io = std::io::Error::other(kube::Error::Service(Box::new(t.clone())));
        let read = kube::Error::ReadEvents(io);
        assert_eq!(too_large(&read), Some(t));
        assert_eq!(
            too_large(&kube::Error::LinesCodecMaxLineLengthExceeded),
            None
        );
    }
}
