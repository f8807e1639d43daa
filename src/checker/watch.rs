//! The wait engine: follows a watch until a [`Condition`] holds or says it cannot.
//!
//! As kube-rs's `await_condition`, the engine has no deadline of its own: the caller wraps
//! [`Watch::until`] in `tokio::time::timeout` and, when the time is up, asks
//! [`Watch::timed_out`] for an error that says what the watch saw last. The one bound the engine
//! keeps is the connection's: until the initial list is in, the server must answer within the
//! time the caller gives for it (the call timeout), so an unreachable server fails fast however
//! long the wait.
//!
//! Errors after the initial list (a dropped connection, a relist that fails) do not end the
//! wait: the watch retries with backoff, and the last such error is reported with a timeout.
//! An event larger than the transport's cap does end it, at once: it would come again.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, ResourceExt};
use serde::de::DeserializeOwned;

use super::conditions::{Condition, Verdict};
use super::explain::{fmt_duration, ApiServer, CallError};

/// Why a wait ended without its condition.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WatchError {
    /// The initial list or the watch could not be started.
    #[error(transparent)]
    Call(CallError),
    /// The watch stream ended, which a watcher never does on its own.
    #[error("the watch on {0} ended")]
    Ended(ApiServer),
    /// The condition said it cannot hold; the text says why.
    #[error("{0}")]
    Failed(String),
    /// The caller's time ran out.
    #[error(
        "timed out after {}; last seen: {last_seen}{}",
        fmt_duration(*after),
        last_error.as_ref().map(|e| format!("; last error: {e}")).unwrap_or_default()
    )]
    TimedOut {
        after: Duration,
        last_seen: String,
        last_error: Option<CallError>,
    },
}

/// One wait on one watch: what it has seen so far, kept across the caller's timeout.
pub struct Watch {
    server: ApiServer,
    last_seen: String,
    last_error: Option<CallError>,
}

impl Watch {
    /// A wait on a watch of `server` (named in errors).
    pub fn new(server: ApiServer) -> Self {
        Watch {
            server,
            last_seen: "nothing listed yet".to_string(),
            last_error: None,
        }
    }

    /// Follows a watch of `api` (filtered by `config`) until `condition` is done (`Ok` with its
    /// message) or failed. `condition` judges every object the watch holds after the initial
    /// list and after each change. With `first_list_within`, a server that has not delivered the
    /// initial list in that time is a [`CallError::Timeout`]. Never returns
    /// [`WatchError::TimedOut`]: that is the caller's (see [`Watch::timed_out`]).
    pub async fn until<K>(
        &mut self,
        api: Api<K>,
        config: watcher::Config,
        condition: &impl Condition<K>,
        first_list_within: Option<Duration>,
    ) -> Result<String, WatchError>
    where
        K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    {
        let mut stream = std::pin::pin!(watcher(api, config).default_backoff());
        let key = |o: &K| format!("{}/{}", o.namespace().unwrap_or_default(), o.name_any());
        let mut objects: BTreeMap<String, K> = BTreeMap::new();
        let mut buffer: BTreeMap<String, K> = BTreeMap::new();
        let mut listed = false;
        loop {
            let next = match first_list_within.filter(|_| !listed) {
                Some(limit) => match tokio::time::timeout(limit, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        return Err(WatchError::Call(CallError::Timeout {
                            server: self.server.clone(),
                            after: limit,
                        }))
                    }
                },
                None => stream.next().await,
            };
            let event = match next {
                Some(Ok(event)) => event,
                Some(Err(e)) => {
                    let error = self.explain(e);
                    // An event over the cap would come again on every restart of the watch.
                    if !listed || matches!(error, CallError::TooLarge { .. }) {
                        return Err(WatchError::Call(error));
                    }
                    self.last_error = Some(error);
                    continue;
                }
                None => return Err(WatchError::Ended(self.server.clone())),
            };
            match event {
                watcher::Event::Init => {
                    buffer.clear();
                    continue;
                }
                watcher::Event::InitApply(o) => {
                    buffer.insert(key(&o), o);
                    continue;
                }
                watcher::Event::InitDone => {
                    objects = std::mem::take(&mut buffer);
                    listed = true;
                }
                watcher::Event::Apply(o) => {
                    objects.insert(key(&o), o);
                }
                watcher::Event::Delete(o) => {
                    objects.remove(&key(&o));
                }
            }
            if !listed {
                continue;
            }
            self.last_error = None;
            match condition.judge(&objects) {
                Verdict::Done(m) => return Ok(m),
                Verdict::Failed(m) => return Err(WatchError::Failed(m)),
                Verdict::Pending(m) => self.last_seen = m,
            }
        }
    }

    /// The error of a wait whose caller gave up after `after`: what the condition said last,
    /// and the watch's last error if the watch was failing then.
    pub fn timed_out(self, after: Duration) -> WatchError {
        WatchError::TimedOut {
            after,
            last_seen: self.last_seen,
            last_error: self.last_error,
        }
    }

    fn explain(&self, error: watcher::Error) -> CallError {
        if let Some(cause) = super::transport::too_large(&error) {
            return CallError::TooLarge {
                server: self.server.clone(),
                cause,
            };
        }
        match error {
            watcher::Error::InitialListFailed(e) | watcher::Error::WatchStartFailed(e)
                if matches!(e, kube::Error::Api(_)) =>
            {
                CallError::from_kube(self.server.clone(), &e)
            }
            other => CallError::Transport {
                server: self.server.clone(),
                cause: super::explain::root_cause(&other),
            },
        }
    }
}
