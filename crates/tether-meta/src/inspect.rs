//! Checking many logins: rounds of batches. Round one sends every login's `debug_token` + `me`
//! pair (only `me` for a login whose token facts are known and fresh); later rounds carry
//! `accounts` pages still to fetch, `debug_token` calls a changed login needs, and items to retry.
//! Each login keeps its own state, so one login's failure never touches another's verdict.

use crate::classify::{Classification, TokenUsed, classify};
use crate::client::{BatchFailure, BatchReply, GraphClient, MAX_BATCH_ITEMS};
use crate::error::CheckError;
use crate::known::{AfterMe, KnownToken, LoginToCheck, TokenFactsSource};
use crate::snapshot::{LoginSnapshot, MeOutcome, build_snapshot};
use crate::urls;
use crate::usage::Usage;
use crate::wire::{
    BatchItem, DebugTokenData, Edge, GraphError, GraphResponse, MeResponse, PageEntry,
    parse_debug_token, parse_graph,
};
use futures::StreamExt;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tether_core::{ObservedKind, ObservedProblem, PlatformError};

/// A safety stop for a paging loop the platform never ends (100 000 Pages at 100 per page).
const MAX_ACCOUNT_PAGES: usize = 1000;

pub use tether_platform::{Progress, ProgressFn};

#[derive(Clone)]
pub struct InspectOptions {
    /// Ask for `shopping_product_tag_eligibility` (only when a profile needs product tagging).
    pub product_tag_eligibility: bool,
    /// Batch requests in flight at once (at least 1).
    pub concurrency: usize,
    pub on_progress: Option<ProgressFn>,
    /// Known token facts older than this are asked for again (`inspect_known_logins`). A check
    /// every `I` refreshes about `I / known_max_age` of the logins on age alone.
    pub known_max_age: Duration,
    /// The time the token's own dates are read at when they must explain a refusal (a closed
    /// data-access window); `None`: the system clock. `inspect_known_logins` uses its `now`.
    pub now: Option<Timestamp>,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            product_tag_eligibility: false,
            concurrency: 4,
            on_progress: None,
            known_max_age: Duration::from_secs(7 * 24 * 3600),
            now: None,
        }
    }
}

impl fmt::Debug for InspectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InspectOptions")
            .field("product_tag_eligibility", &self.product_tag_eligibility)
            .field("concurrency", &self.concurrency)
            .field("on_progress", &self.on_progress.is_some())
            .field("known_max_age", &self.known_max_age)
            .field("now", &self.now)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ItemKind {
    Debug,
    Me,
    Accounts { after: String },
}

/// Which login and item each position of a batch answers.
type Slots = Vec<(usize, ItemKind)>;

struct Job<'t> {
    token: &'t SecretString,
    /// Fresh known facts that may stand in for `debug_token`, until something suggests a change.
    known: Option<&'t KnownToken>,
    /// `debug_token` was sent (or is pending) in this run.
    debug_asked: bool,
    reused: Option<Timestamp>,
    proof: String,
    pending: Vec<ItemKind>,
    debug: Option<DebugTokenData>,
    me: Option<MeOutcome>,
    pages: Vec<PageEntry>,
    cursors: HashSet<String>,
    /// The `me` call's proof was rejected: the checker's secret is wrong, unless debug_token
    /// shows the token belongs to another app.
    proof_rejected: Option<PlatformError>,
    /// The `me` call was refused with a permission error naming nothing: read once debug_token
    /// is in, since a login fact (a lapsed expiry or data-access window) may explain it.
    refused: Option<PlatformError>,
    /// Transient failures and throttles so far, all items together.
    failures: u32,
    wait: Duration,
    result: Option<Result<LoginSnapshot, CheckError>>,
}

impl Job<'_> {
    fn finish(&mut self, r: Result<LoginSnapshot, CheckError>) {
        self.pending.clear();
        self.result.get_or_insert(r);
    }
}

/// Everything a run needs to judge items; borrowed by every job update.
struct Run<'c> {
    client: &'c GraphClient,
    opts: &'c InspectOptions,
    /// When token dates are read (see [`InspectOptions::now`]).
    now: Timestamp,
    /// The checker's own credential was rejected: the whole run stops.
    misconfigured: Option<PlatformError>,
}

impl GraphClient {
    /// Checks one login.
    pub async fn inspect_login(
        &self,
        token: &SecretString,
        opts: &InspectOptions,
    ) -> Result<LoginSnapshot, CheckError> {
        self.inspect_logins(std::slice::from_ref(token), opts)
            .await
            .pop()
            .expect("one result per token")
    }

    /// Checks many logins, packing them 25 to a batch request. Results are in input order.
    pub async fn inspect_logins(
        &self,
        tokens: &[SecretString],
        opts: &InspectOptions,
    ) -> Vec<Result<LoginSnapshot, CheckError>> {
        let logins: Vec<LoginToCheck<'_>> = tokens
            .iter()
            .map(|token| LoginToCheck { token, known: None })
            .collect();
        self.run(&logins, None, opts).await
    }

    /// A routine check: like `inspect_logins`, but a login with fresh known facts costs only its
    /// `me` call (up to 50 such logins per batch request); `debug_token` follows in another round
    /// for the logins whose `me` answer suggests a change. `now` is the caller's clock, used to
    /// judge the age and expiries of the known facts and to be passed to `known_token` after.
    pub async fn inspect_known_logins(
        &self,
        logins: &[LoginToCheck<'_>],
        now: Timestamp,
        opts: &InspectOptions,
    ) -> Vec<Result<LoginSnapshot, CheckError>> {
        self.run(logins, Some(now), opts).await
    }

    async fn run(
        &self,
        logins: &[LoginToCheck<'_>],
        now: Option<Timestamp>,
        opts: &InspectOptions,
    ) -> Vec<Result<LoginSnapshot, CheckError>> {
        let mut jobs: Vec<Job<'_>> = logins
            .iter()
            .enumerate()
            .map(|(index, login)| {
                let known = login
                    .known
                    .filter(|k| now.is_some_and(|now| !k.needs_refresh(now, opts.known_max_age)));
                let mut job = Job {
                    token: login.token,
                    known,
                    debug_asked: known.is_none(),
                    reused: None,
                    proof: String::new(),
                    pending: match known {
                        Some(_) => vec![ItemKind::Me],
                        None => vec![ItemKind::Debug, ItemKind::Me],
                    },
                    debug: None,
                    me: None,
                    pages: Vec::new(),
                    cursors: HashSet::new(),
                    proof_rejected: None,
                    refused: None,
                    failures: 0,
                    wait: Duration::ZERO,
                    result: None,
                };
                match token_problem(login.token.expose_secret()) {
                    Some(reason) => job.finish(Err(CheckError::InvalidToken { index, reason })),
                    None => job.proof = self.proof_for(login.token.expose_secret()),
                }
                job
            })
            .collect();
        let mut run = Run {
            client: self,
            opts,
            now: now.or(opts.now).unwrap_or_else(Timestamp::now),
            misconfigured: None,
        };
        let mut reported = usize::MAX;
        loop {
            run.settle(&mut jobs);
            let done = jobs.iter().filter(|j| j.result.is_some()).count();
            if done != reported {
                reported = done;
                if let Some(cb) = &opts.on_progress {
                    cb(Progress {
                        done,
                        total: jobs.len(),
                    });
                }
            }
            if done == jobs.len() {
                break;
            }
            if jobs
                .iter()
                .all(|j| j.result.is_some() || j.pending.is_empty())
            {
                // Nothing left to send yet some login has no verdict: end rather than spin.
                for job in jobs.iter_mut().filter(|j| j.result.is_none()) {
                    job.finish(Err(CheckError::PlatformUnavailable {
                        attempts: job.failures.max(1),
                        last: "the platform did not answer every call of this login".into(),
                    }));
                }
                continue;
            }
            run.round(&mut jobs).await;
        }
        jobs.into_iter()
            .map(|j| j.result.expect("every job settled"))
            .collect()
    }
}

/// A token that cannot be sent as-is. Graph tokens are printable ASCII without spaces.
fn token_problem(token: &str) -> Option<&'static str> {
    if token.is_empty() {
        Some("the token is empty")
    } else if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("the token contains whitespace or control characters")
    } else {
        None
    }
}

impl Run<'_> {
    async fn round(&mut self, jobs: &mut [Job<'_>]) {
        let wait = jobs
            .iter()
            .filter(|j| j.result.is_none())
            .map(|j| j.wait)
            .max()
            .unwrap_or_default();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let batches = self.pack(jobs);
        let client = self.client;
        let replies: Vec<(Slots, Result<BatchReply, BatchFailure>)> =
            futures::stream::iter(batches)
                .map(|(slots, relative_urls)| async move {
                    let reply = client.send_batch(&relative_urls).await;
                    (slots, reply)
                })
                .buffer_unordered(self.opts.concurrency.max(1))
                .collect()
                .await;
        for (slots, reply) in replies {
            match reply {
                Ok(reply) => {
                    for (i, (job, kind)) in slots.into_iter().enumerate() {
                        let item = reply.items.get(i).cloned().flatten();
                        self.apply(&mut jobs[job], kind, item, &reply.usage);
                    }
                }
                Err(failure) => {
                    let err = match failure {
                        BatchFailure::Misconfigured(pe) => {
                            self.misconfigured.get_or_insert(pe);
                            continue;
                        }
                        BatchFailure::Unavailable { attempts, last } => {
                            CheckError::PlatformUnavailable { attempts, last }
                        }
                        BatchFailure::RateLimited { retry_after } => {
                            CheckError::RateLimited { retry_after }
                        }
                        BatchFailure::Unrecognized(platform_error) => {
                            CheckError::UnrecognizedPlatformError { platform_error }
                        }
                    };
                    for (job, _) in slots {
                        jobs[job].finish(Err(err.clone()));
                    }
                }
            }
        }
    }

    /// Takes every pending item and packs them into batches, keeping a login's items together.
    fn pack(&self, jobs: &mut [Job<'_>]) -> Vec<(Slots, Vec<String>)> {
        let tag = self.opts.product_tag_eligibility;
        let mut batches: Vec<(Slots, Vec<String>)> = Vec::new();
        let mut current: (Slots, Vec<String>) = Default::default();
        for (index, job) in jobs.iter_mut().enumerate() {
            job.wait = Duration::ZERO;
            if job.result.is_some() || job.pending.is_empty() {
                continue;
            }
            let items = std::mem::take(&mut job.pending);
            if current.1.len() + items.len() > MAX_BATCH_ITEMS {
                batches.push(std::mem::take(&mut current));
            }
            let token = job.token.expose_secret();
            for kind in items {
                current.1.push(match &kind {
                    ItemKind::Debug => urls::debug_token(token),
                    ItemKind::Me => urls::me(token, &job.proof, tag),
                    ItemKind::Accounts { after } => {
                        urls::accounts_page(token, &job.proof, after, tag)
                    }
                });
                current.0.push((index, kind));
            }
        }
        if !current.1.is_empty() {
            batches.push(current);
        }
        batches
    }

    fn apply(&mut self, job: &mut Job<'_>, kind: ItemKind, item: Option<BatchItem>, outer: &Usage) {
        if job.result.is_some() {
            return;
        }
        let Some(item) = item else {
            return self.retry(
                job,
                kind,
                "the batch item came back empty (timed out)".into(),
            );
        };
        let Some(body) = item.body.as_deref() else {
            return self.retry(
                job,
                kind,
                format!("batch item HTTP {} without a body", item.code),
            );
        };
        let mut usage = Usage::from_pairs(item.header_pairs());
        if usage.is_empty() {
            usage = outer.clone();
        }
        match kind {
            ItemKind::Debug => match parse_debug_token(body) {
                Ok(GraphResponse::Ok(data)) => job.debug = Some(data),
                // debug_token runs on the app token: a Graph error here is about that token.
                Ok(GraphResponse::Error(err)) => {
                    let class = classify(&err, TokenUsed::App, Some(&usage));
                    self.on_error(job, kind, &err, class);
                }
                Err(e) => self.retry(job, kind, format!("debug_token reply unreadable: {e}")),
            },
            ItemKind::Me => match parse_graph::<MeResponse>(body) {
                Ok(GraphResponse::Ok(me)) => {
                    let accounts = me.accounts.unwrap_or(Edge {
                        data: Vec::new(),
                        paging: None,
                    });
                    job.me = Some(MeOutcome::Listed {
                        id: me.id,
                        name: me.name,
                        permissions: me.permissions.map(|p| p.data),
                    });
                    self.add_pages(job, accounts);
                }
                Ok(GraphResponse::Error(err)) => {
                    // `me{accounts}` on a Page token fails with code 100; the real cause is the
                    // kind of token, which debug_token (earlier in the same batch) told us.
                    if let Some(e) = job.debug.as_ref().and_then(not_a_user_token) {
                        return job.finish(Err(e));
                    }
                    let class = classify(&err, TokenUsed::User, Some(&usage));
                    self.on_error(job, kind, &err, class);
                }
                Err(e) => self.retry(job, kind, format!("me reply unreadable: {e}")),
            },
            ItemKind::Accounts { .. } => match parse_graph::<Edge<PageEntry>>(body) {
                Ok(GraphResponse::Ok(edge)) => self.add_pages(job, edge),
                Ok(GraphResponse::Error(err)) => {
                    let class = classify(&err, TokenUsed::User, Some(&usage));
                    self.on_error(job, kind, &err, class);
                }
                Err(e) => self.retry(job, kind, format!("accounts page unreadable: {e}")),
            },
        }
    }

    fn add_pages(&mut self, job: &mut Job<'_>, edge: Edge<PageEntry>) {
        job.pages.extend(edge.data);
        let Some(after) = edge.paging.and_then(|p| p.next_cursor()) else {
            return;
        };
        if !job.cursors.insert(after.clone()) || job.cursors.len() >= MAX_ACCOUNT_PAGES {
            return job.finish(Err(CheckError::PlatformUnavailable {
                attempts: 1,
                last:
                    "the accounts listing did not end (a paging cursor repeated or too many pages)"
                        .into(),
            }));
        }
        job.pending.push(ItemKind::Accounts { after });
    }

    fn on_error(
        &mut self,
        job: &mut Job<'_>,
        kind: ItemKind,
        err: &GraphError,
        class: Classification,
    ) {
        let pe = err.to_platform_error();
        let observed = |kind| {
            Some(ObservedProblem {
                kind,
                features: Vec::new(),
                platform_error: Some(pe.clone()),
            })
        };
        let problem = match class {
            Classification::Transient => {
                return self.retry(
                    job,
                    kind,
                    format!("Graph error {}: {}", err.code, err.message),
                );
            }
            Classification::RateLimited { retry_after, .. } => {
                return self.throttled(job, kind, retry_after);
            }
            Classification::CheckerMisconfigured if kind == ItemKind::Debug => {
                self.misconfigured.get_or_insert(pe);
                return;
            }
            Classification::CheckerMisconfigured => {
                job.proof_rejected = Some(pe);
                return;
            }
            Classification::LoginBroken(reason) => {
                job.me = Some(MeOutcome::Broken { reason, error: pe });
                // No more Pages to fetch, but a debug_token still owed must still come: it says why.
                job.pending.retain(|k| *k == ItemKind::Debug);
                return;
            }
            // Errors on debug_token that are not about the app token are not a login verdict.
            _ if kind == ItemKind::Debug => None,
            Classification::AppFeatureMissing => observed(ObservedKind::AppFeatureMissing),
            Classification::AccountRestricted => observed(ObservedKind::AccountRestricted),
            Classification::AssetAccess => observed(ObservedKind::AssetAccessLost),
            Classification::MissingPermission {
                permission: Some(permission),
            } => observed(ObservedKind::PermissionMissing { permission }),
            Classification::MissingPermission { permission: None } if kind == ItemKind::Me => {
                job.refused = Some(pe);
                job.pending.retain(|k| *k == ItemKind::Debug);
                return;
            }
            Classification::MissingPermission { permission: None }
            | Classification::RequestRejected
            | Classification::Unrecognized { .. } => None,
        };
        match problem {
            // A failed extra page would leave the Page list incomplete, and an incomplete list
            // reads as lost access: better no verdict than a wrong one.
            Some(problem) if kind == ItemKind::Me => job.me = Some(MeOutcome::Observed(problem)),
            _ => job.finish(Err(CheckError::UnrecognizedPlatformError {
                platform_error: pe,
            })),
        }
    }

    fn retry(&mut self, job: &mut Job<'_>, kind: ItemKind, detail: String) {
        let policy = &self.client.inner.config.retry;
        job.failures += 1;
        if job.failures >= policy.max_attempts {
            return job.finish(Err(CheckError::PlatformUnavailable {
                attempts: job.failures,
                last: detail,
            }));
        }
        job.wait = job.wait.max(policy.delay(job.failures));
        job.pending.push(kind);
    }

    fn throttled(&mut self, job: &mut Job<'_>, kind: ItemKind, retry_after: Option<Duration>) {
        let config = &self.client.inner.config;
        job.failures += 1;
        let too_long = retry_after.is_some_and(|d| d > config.max_rate_limit_wait);
        if too_long || job.failures >= config.retry.max_attempts {
            return job.finish(Err(CheckError::RateLimited { retry_after }));
        }
        let wait = retry_after.unwrap_or_else(|| config.retry.delay(job.failures));
        job.wait = job.wait.max(wait);
        job.pending.push(kind);
    }

    /// Turns jobs whose items are all answered into results, and stops the run when the
    /// checker's credentials were rejected.
    fn settle(&mut self, jobs: &mut [Job<'_>]) {
        let our_app = self.client.inner.config.app_id.clone();
        for job in jobs.iter_mut().filter(|j| j.result.is_none()) {
            if let Some(known) = job
                .known
                .filter(|_| job.debug.is_none() && !job.debug_asked)
            {
                match known.after_me(job.me.as_ref(), &job.pages, job.pending.is_empty()) {
                    AfterMe::Wait => {}
                    AfterMe::Reuse => {
                        job.debug = Some(known.debug_data(&our_app));
                        job.reused = Some(known.observed_at);
                        let stats = &self.client.inner.token_facts_reused;
                        stats.fetch_add(1, Ordering::Relaxed);
                    }
                    AfterMe::Ask => {
                        job.debug_asked = true;
                        job.pending.push(ItemKind::Debug);
                    }
                }
            }
            if !job.pending.is_empty() {
                continue;
            }
            let Some(debug) = &job.debug else { continue };
            if let Some(pe) = job.proof_rejected.take() {
                let other_app = debug.app_id.as_deref().is_some_and(|a| a != our_app);
                if !other_app {
                    self.misconfigured.get_or_insert(pe);
                    continue;
                }
                // Our proof cannot match another app's token; snapshot explains the mismatch.
                job.me = Some(MeOutcome::Broken {
                    reason: tether_core::BrokenReason::Unreadable,
                    error: pe,
                });
            }
            if let Some(e) = not_a_user_token(debug) {
                job.finish(Err(e));
                continue;
            }
            if let Some(pe) = job.refused.take() {
                match explained_refusal(debug, self.now) {
                    Some(reason) => job.me = Some(MeOutcome::Broken { reason, error: pe }),
                    None => {
                        job.finish(Err(CheckError::UnrecognizedPlatformError {
                            platform_error: pe,
                        }));
                        continue;
                    }
                }
            }
            let Some(me) = &job.me else { continue };
            let mut snapshot = build_snapshot(&our_app, debug, me, &job.pages);
            if let Some(observed_at) = job.reused {
                snapshot.token_facts_source = TokenFactsSource::Known { observed_at };
            }
            job.finish(Ok(snapshot));
        }
        if let Some(pe) = &self.misconfigured {
            tracing::warn!(
                code = pe.code,
                "Graph rejected the checker's app credentials"
            );
            // The whole run fails: with the checker's credentials rejected, no result of this
            // run is trustworthy, and the caller must see one clear cause.
            for job in jobs.iter_mut() {
                if !matches!(job.result, Some(Err(CheckError::InvalidToken { .. }))) {
                    job.pending.clear();
                    job.result = Some(Err(CheckError::CheckerMisconfigured {
                        platform_error: pe.clone(),
                    }));
                }
            }
        }
    }
}

/// A refusal of the person's own data that the token's dates already explain: `debug_token` still
/// calls a token valid after its data-access window closed (Meta's "auth vs data access": the
/// person stays logged in, the app gets none of their data until they log in again), and may lag
/// behind an expiry. Any other refusal naming nothing stays unexplained: no verdict from it.
fn explained_refusal(debug: &DebugTokenData, now: Timestamp) -> Option<tether_core::BrokenReason> {
    let past = |secs: Option<i64>| {
        secs.filter(|s| *s > 0)
            .and_then(|s| Timestamp::from_second(s).ok())
            .is_some_and(|t| t <= now)
    };
    if past(debug.expires_at) {
        Some(tether_core::BrokenReason::Expired)
    } else if past(debug.data_access_expires_at) {
        Some(tether_core::BrokenReason::DataAccessExpired)
    } else {
        None
    }
}

/// A Page or app token reaches no list of Pages and has no tasks of its own: the diagnosis needs
/// the user token of the person who connected (Page tokens derive from it).
fn not_a_user_token(debug: &DebugTokenData) -> Option<CheckError> {
    match debug.token_type.as_deref() {
        Some(kind @ ("PAGE" | "APP")) if debug.is_valid => Some(CheckError::NotAUserToken {
            token_type: kind.to_owned(),
        }),
        _ => None,
    }
}
