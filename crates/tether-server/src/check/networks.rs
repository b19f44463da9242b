//! Each network's logins checked through its client: Meta's batched, with `debug_token` reused
//! while nothing changed; every other network's through its own client, each grant refreshed
//! first when due, a few logins at a time.

use super::{CheckResult, Lease, at_once, record_result, unopened};
use crate::state::AppState;
use jiff::Timestamp;
use secrecy::SecretString;
use tether_meta::{KnownToken, LoginToCheck as MetaLoginToCheck};
use tether_platform::{LoginToCheck, Needs, TokenDates};
use tether_store::{Grant, GrantStore, Login, NewGrant, Store, StoreError};

/// Meta: up to 50 logins per batch request, `debug_token` reused while nothing changed.
pub(super) async fn check_meta(
    s: &AppState,
    logins: &[&Login],
    now: Timestamp,
) -> Result<Vec<CheckResult>, StoreError> {
    let reads: Vec<_> = logins
        .iter()
        .map(|l| s.store.login_token(l.workspace_id, l.id))
        .collect();
    let reads = at_once(reads).await;
    let mut opened: Vec<Result<SecretString, String>> = Vec::with_capacity(logins.len());
    for (l, read) in logins.iter().zip(reads) {
        opened.push(match read {
            Ok(t) => Ok(t),
            Err(e) => Err(unopened(l, e)?),
        });
    }
    let checkable: Vec<(&Login, &SecretString)> = logins
        .iter()
        .zip(&opened)
        .filter_map(|(l, t)| t.as_ref().ok().map(|t| (*l, t)))
        .collect();
    let mut known: Vec<Option<KnownToken>> = Vec::with_capacity(checkable.len());
    for (l, _) in &checkable {
        // What debug_token said last time: a routine check reuses it unless something may have
        // changed (tether-meta decides), which halves the calls per check.
        known.push(
            l.known_token
                .clone()
                .and_then(|v| serde_json::from_value(v).ok()),
        );
    }
    let inputs: Vec<MetaLoginToCheck<'_>> = checkable
        .iter()
        .zip(&known)
        .map(|((_, token), known)| MetaLoginToCheck {
            token,
            known: known.as_ref(),
        })
        .collect();
    let mut snapshots = s
        .checker
        .client
        .inspect_known_logins(&inputs, now, &s.checker.inspect_options())
        .await
        .into_iter()
        .map(|r| r.map(|snap| tether_meta::network::snapshot(snap, now)));
    let results: Vec<_> = logins
        .iter()
        .zip(opened)
        .map(|(login, token)| {
            let result = token.map(|_| snapshots.next().expect("one snapshot per checkable login"));
            record_or_fail(s, login, result, now)
        })
        .collect();
    at_once(results).await.into_iter().collect()
}

async fn record_or_fail(
    s: &AppState,
    login: &Login,
    result: Result<Result<tether_platform::Snapshot, tether_platform::CheckError>, String>,
    now: Timestamp,
) -> Result<CheckResult, StoreError> {
    match result {
        Err(reason) => Ok(CheckResult::Failed(reason)),
        Ok(result) => record_result(s, login, result, now).await,
    }
}

/// Every other network: the grant is refreshed first when it is due (the login's lease is the
/// per-login lock: no other worker checks, and so refreshes, this login until it is released, so
/// a single-use refresh token is never spent twice), then checked.
pub(super) async fn check_other(
    s: &AppState,
    net: &dyn tether_platform::Network,
    logins: &[&Login],
    now: Timestamp,
    lease: Lease,
) -> Result<Vec<CheckResult>, StoreError> {
    // Each login's grant read, and refreshed when due, a few logins at a time: a refresh is a
    // call to the platform, and a batch of logins due together should not wait on each in turn.
    let prepared = at_once(
        logins
            .iter()
            .map(|l| prepare(s, net, l, now, lease))
            .collect(),
    )
    .await;
    let mut inputs = Vec::with_capacity(logins.len());
    let mut failed: Vec<Option<String>> = Vec::with_capacity(logins.len());
    for prepared in prepared {
        match prepared? {
            Ok(input) => {
                inputs.push(input);
                failed.push(None);
            }
            Err(reason) => failed.push(Some(reason)),
        }
    }
    // Logins of several workspaces (several profiles) share the run: ask for every condition
    // the network can tell; each workspace's judge reads only what its features need.
    let needs = Needs {
        conditions: tether_core::Condition::ALL.to_vec(),
        ..Needs::at(now)
    };
    let mut results = net.inspect(&inputs, &needs).await.into_iter();
    let recorded: Vec<_> = logins
        .iter()
        .zip(failed)
        .map(|(login, failed)| {
            let result = match failed {
                Some(reason) => Err(reason),
                None => Ok(results.next().expect("one result per checkable login")),
            };
            record_or_fail(s, login, result, now)
        })
        .collect();
    at_once(recorded).await.into_iter().collect()
}

/// What the network is given to check one login: its grant, refreshed first when due and the
/// lease is held; or why the check cannot run.
async fn prepare(
    s: &AppState,
    net: &dyn tether_platform::Network,
    l: &Login,
    now: Timestamp,
    lease: Lease,
) -> Result<Result<LoginToCheck, String>, StoreError> {
    let grant = match s.store.grant(l.workspace_id, l.id).await {
        Ok(g) => g,
        Err(e) => return Ok(Err(unopened(l, e)?)),
    };
    let grant = match lease {
        Lease::Held => refresh_if_due(s, net, l, grant, now).await?,
        Lease::NotHeld => grant,
    };
    Ok(Ok(LoginToCheck {
        token: grant.access_token,
        known: l.known_token.clone(),
        dates: grant.issued_at.map(|issued_at| TokenDates {
            issued_at,
            expires_at: grant.expires_at,
            refresh_expires_at: grant.refresh_expires_at,
        }),
        granted: grant.granted,
    }))
}

/// Refreshes a grant the network wants refreshed by now, and writes the new one back before
/// anything else may use it. A refused refresh changes nothing: the check that follows tells
/// whether the token itself still works.
async fn refresh_if_due(
    s: &AppState,
    net: &dyn tether_platform::Network,
    login: &Login,
    grant: Grant,
    now: Timestamp,
) -> Result<Grant, StoreError> {
    let Some(issued_at) = grant.issued_at else {
        return Ok(grant);
    };
    let dates = TokenDates {
        issued_at,
        expires_at: grant.expires_at,
        refresh_expires_at: grant.refresh_expires_at,
    };
    if net.refresh_at(&dates).is_none_or(|at| at > now) {
        return Ok(grant);
    }
    let spend = tether_platform::Grant {
        access_token: grant.access_token.clone(),
        refresh_token: grant.refresh_token.clone(),
        dates,
    };
    match net.refresh(&spend, now).await {
        Ok(issued) => {
            let fresh = NewGrant {
                access_token: issued.access_token,
                refresh_token: issued.refresh_token.or(grant.refresh_token.clone()),
                issued_at: now,
                expires_at: issued.expires_at,
                refresh_expires_at: issued.refresh_expires_at.or(grant.refresh_expires_at),
                granted: issued.granted,
            };
            if !s
                .store
                .put_grant(login.workspace_id, login.id, &fresh)
                .await?
            {
                return Ok(grant);
            }
            tracing::info!(login_id = %login.id, network = %login.network, "token refreshed");
            Ok(Grant {
                access_token: fresh.access_token,
                refresh_token: fresh.refresh_token,
                issued_at: Some(now),
                expires_at: fresh.expires_at,
                refresh_expires_at: fresh.refresh_expires_at,
                granted: fresh.granted.or(grant.granted),
            })
        }
        Err(e) => {
            tracing::warn!(login_id = %login.id, network = %login.network, error = %e,
                "token refresh refused; checking the token as it is");
            Ok(grant)
        }
    }
}
