//! Routine checks against the simulator: known token facts save the `debug_token` call of every
//! login whose `me` answer shows no change, and a change still gets a fresh `debug_token`.

use crate::{ALICE, ALICE_ID, secrets, start};
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use tether_core::{BrokenReason, LoginFacts, PermissionGrant, PermissionStatus, TokenValidity};
use tether_meta::{
    CallStats, CheckError, GraphClient, InspectOptions, KnownToken, LoginSnapshot, LoginToCheck,
    TokenFactsSource,
};
use tether_sim::{SimHandle, World};

type Results = Vec<Result<LoginSnapshot, CheckError>>;

fn synthetic_tokens(n: usize) -> Vec<SecretString> {
    let names: Vec<String> = (0..n).map(|i| format!("tok-user-{i}")).collect();
    secrets(&names)
}

fn synthetic_user(i: usize) -> String {
    format!("{}", 200_000_000_000_000u64 + i as u64)
}

async fn routine(
    client: &GraphClient,
    tokens: &[SecretString],
    known: &[Option<KnownToken>],
    now: Timestamp,
) -> Results {
    let logins: Vec<LoginToCheck<'_>> = tokens
        .iter()
        .zip(known)
        .map(|(token, k)| LoginToCheck {
            token,
            known: k.as_ref(),
        })
        .collect();
    client
        .inspect_known_logins(&logins, now, &InspectOptions::default())
        .await
}

fn known_of(results: &Results, now: Timestamp) -> Vec<Option<KnownToken>> {
    results
        .iter()
        .map(|r| r.as_ref().unwrap().known_token(now))
        .collect()
}

/// Calls and requests since `before`, on the client's and on the simulator's side.
fn spent(client: &GraphClient, before: CallStats, sim: &SimHandle) -> (u64, u64, u64) {
    let now = client.stats();
    let seen = sim.stats();
    assert_eq!(
        (seen.platform_calls, seen.http_requests),
        (
            now.platform_calls - before.platform_calls,
            now.http_requests - before.http_requests
        ),
        "both sides count the same"
    );
    (
        now.platform_calls - before.platform_calls,
        now.http_requests - before.http_requests,
        now.token_facts_reused - before.token_facts_reused,
    )
}

fn debug_token_calls(sim: &SimHandle) -> u64 {
    sim.stats()
        .calls_by_endpoint
        .get("debug_token")
        .copied()
        .unwrap_or(0)
}

fn facts(r: &Result<LoginSnapshot, CheckError>) -> &LoginFacts {
    &r.as_ref().unwrap().login
}

#[tokio::test]
async fn fifty_unchanged_logins_cost_fifty_calls_instead_of_a_hundred() {
    let (sim, client) = start(World::synthetic(50, 3));
    let tokens = synthetic_tokens(50);
    let t0 = Timestamp::now();
    let before = client.stats();
    let first = routine(&client, &tokens, &vec![None; 50], t0).await;
    assert_eq!(
        spent(&client, before, &sim),
        (100, 2, 0),
        "nothing known: 2 per login"
    );
    let known = known_of(&first, t0);

    sim.reset_stats();
    let before = client.stats();
    let t1 = t0 + SignedDuration::from_hours(6);
    let again = routine(&client, &tokens, &known, t1).await;
    assert_eq!(
        spent(&client, before, &sim),
        (50, 1, 50),
        "one me call per login, 50 to a batch request"
    );
    assert_eq!(debug_token_calls(&sim), 0);
    for (a, b) in first.iter().zip(&again) {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(a.login, b.login);
        assert_eq!(a.assets, b.assets);
        assert_eq!(
            b.token_facts_source,
            TokenFactsSource::Known { observed_at: t0 }
        );
        assert_eq!(
            b.known_token(t1).unwrap().observed_at,
            t0,
            "reused facts keep aging"
        );
    }
}

#[tokio::test]
async fn a_declined_permission_gets_a_fresh_debug_token_for_that_login_only() {
    let (sim, client) = start(World::synthetic(50, 3));
    let tokens = synthetic_tokens(50);
    let t0 = Timestamp::now();
    let first = routine(&client, &tokens, &vec![None; 50], t0).await;
    let granted = PermissionGrant {
        name: "pages_manage_posts".into(),
        status: PermissionStatus::Granted,
    };
    assert!(facts(&first[7]).permissions.contains(&granted));
    let known = known_of(&first, t0);

    sim.admin()
        .set_permission(
            &synthetic_user(7),
            "pages_manage_posts",
            tether_sim::PermissionStatus::Declined,
        )
        .await
        .unwrap();
    sim.reset_stats();
    let before = client.stats();
    let t1 = t0 + SignedDuration::from_hours(1);
    let again = routine(&client, &tokens, &known, t1).await;
    assert_eq!(
        spent(&client, before, &sim),
        (51, 2, 49),
        "50 me calls, then one debug_token in a second round"
    );
    assert_eq!(debug_token_calls(&sim), 1);
    for (i, r) in again.iter().enumerate() {
        let snap = r.as_ref().unwrap();
        let expected = match i {
            7 => TokenFactsSource::DebugToken,
            _ => TokenFactsSource::Known { observed_at: t0 },
        };
        assert_eq!(snap.token_facts_source, expected, "login {i}");
    }
    let seven = facts(&again[7]);
    let declined = PermissionGrant {
        status: PermissionStatus::Declined,
        ..granted
    };
    assert!(seven.permissions.contains(&declined));
    assert!(
        seven
            .granular_scopes
            .iter()
            .all(|g| g.scope != "pages_manage_posts"),
        "the fresh debug_token no longer lists the declined scope"
    );
    assert_eq!(seven.token.validity, TokenValidity::Valid);
    let stored = again[7].as_ref().unwrap().known_token(t1).unwrap();
    assert_eq!(
        stored.observed_at, t1,
        "fresh facts are stored as of this check"
    );
}

#[tokio::test]
async fn a_changed_password_is_still_diagnosed_with_its_reason() {
    let (sim, client) = start(World::demo());
    let token = vec![SecretString::from(ALICE)];
    let t0 = Timestamp::now();
    let first = routine(&client, &token, &[None], t0).await;
    let known = known_of(&first, t0);
    assert!(known[0].is_some());

    sim.admin().change_password(ALICE_ID).await.unwrap();
    sim.reset_stats();
    let before = client.stats();
    let after = routine(&client, &token, &known, t0 + SignedDuration::from_hours(1)).await;
    assert_eq!(
        spent(&client, before, &sim),
        (2, 2, 0),
        "me fails with 190/460, then debug_token"
    );
    let snap = after[0].as_ref().unwrap();
    assert!(
        matches!(
            &snap.login.token.validity,
            TokenValidity::Broken {
                reason: BrokenReason::PasswordChanged,
                platform_error: Some(pe),
            } if pe.code == "190" && pe.subcode.as_deref() == Some("460")
        ),
        "{:?}",
        snap.login.token.validity
    );
    assert_eq!(snap.token_facts_source, TokenFactsSource::DebugToken);
    assert_eq!(
        snap.known_token(t0),
        None,
        "a broken token leaves nothing to reuse"
    );
}

#[tokio::test]
async fn old_facts_and_near_expiries_are_asked_for_in_the_first_round() {
    let (sim, client) = start(World::synthetic(3, 1));
    let tokens = synthetic_tokens(3);
    let t0 = Timestamp::now();
    let first = routine(&client, &tokens, &[None, None, None], t0).await;
    let mut known = known_of(&first, t0);
    let t1 = t0 + SignedDuration::from_hours(24);
    // Observed longer ago than the default max age of 7 days.
    if let Some(k) = known[0].as_mut() {
        k.observed_at = t1 - SignedDuration::from_hours(8 * 24);
    }
    // Expiring within 7 days of this check.
    if let Some(k) = known[1].as_mut() {
        k.expires_at = Some(t1 + SignedDuration::from_hours(3 * 24));
    }
    sim.reset_stats();
    let before = client.stats();
    let again = routine(&client, &tokens, &known, t1).await;
    assert_eq!(
        spent(&client, before, &sim),
        (5, 1, 1),
        "2 + 2 + 1 in one round"
    );
    let sources: Vec<TokenFactsSource> = again
        .iter()
        .map(|r| r.as_ref().unwrap().token_facts_source)
        .collect();
    assert_eq!(
        sources,
        [
            TokenFactsSource::DebugToken,
            TokenFactsSource::DebugToken,
            TokenFactsSource::Known { observed_at: t0 }
        ]
    );
    assert_eq!(
        facts(&again[1]).token.expires_at,
        facts(&first[1]).token.expires_at,
        "the platform's expiry replaces the doubtful one"
    );
}
