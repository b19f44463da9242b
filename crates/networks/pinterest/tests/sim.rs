//! Pinterest's client against its simulator part over real HTTP on 127.0.0.1: the dialog and the
//! code exchange, the one-call check, every kind of broken login the check must tell apart, the
//! rotating refresh and its refusals, pre-v5 grants, the app's Trial access, transient trouble.
//!
//! The simulator host (`tether_sim::spawn`) mounts only registered parts, so the part is served
//! here on its own, under `/pinterest` like the host does, on a clock the tests move.

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tether_core::{
    Catalog, Engine, EngineOptions, Feature, FeatureVerdict, FindingCode, ObservedKind,
    ObservedProblem, Owner, Profile, Report, Status,
};
use tether_pinterest::PinterestNetwork;
use tether_pinterest_sim::{ADA, APP_ID, APP_SECRET, HARBOR};
use tether_platform::{
    AppConfig, CheckError, Grant, LoginToCheck, Needs, Network, OAuthError, Reported, SimClock,
    Snapshot, TokenDates,
};
use url::Url;

/// What a publishing tool with analytics asks for.
const ALL: &[&str] = &[
    "user_accounts:read",
    "boards:read",
    "boards:write",
    "pins:read",
    "pins:write",
];

/// The simulator's clock, moved by the tests.
struct Clock(Mutex<Timestamp>);

impl SimClock for Clock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

struct Pin {
    base: String,
    http: reqwest::Client,
    net: PinterestNetwork,
    clock: Arc<Clock>,
}

struct Minted {
    token: SecretString,
    refresh: Option<SecretString>,
    dates: TokenDates,
    granted: Vec<String>,
}

fn app(base: &str, id: &str, secret: &str) -> AppConfig {
    AppConfig {
        client_id: id.into(),
        client_secret: SecretString::from(secret.to_owned()),
        api_url: Some(base.parse().unwrap()),
        dialog_url: None,
        timeout: None,
        verify_token: None,
        catalog: None,
    }
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

fn redirect() -> Url {
    "http://127.0.0.1:9/callback".parse().unwrap()
}

impl Pin {
    async fn start() -> Pin {
        let clock = Arc::new(Clock(Mutex::new(
            "2026-03-02T09:00:00Z".parse::<Timestamp>().unwrap(),
        )));
        let part = tether_pinterest_sim::router(clock.clone());
        let router = axum::Router::new().nest("/pinterest", part);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let base = format!("http://{addr}/pinterest");
        let net = PinterestNetwork::new(app(&base, APP_ID, APP_SECRET)).unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Pin {
            base,
            http,
            net,
            clock,
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn advance(&self, by: SignedDuration) {
        let mut t = self.clock.0.lock().unwrap();
        *t += by;
    }

    async fn admin(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/_admin/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    async fn fault(&self, path: &str, status: u16, body: Value, times: u32) {
        self.admin(
            "faults",
            json!({"path": path, "status": status, "body": body, "times": times}),
        )
        .await;
    }

    async fn mint(&self, account: &str, scopes: &[&str], age: SignedDuration) -> Minted {
        let v = self
            .admin(
                "tokens",
                json!({"account": account, "scopes": scopes, "age_secs": age.as_secs()}),
            )
            .await;
        Minted {
            token: SecretString::from(v["access_token"].as_str().unwrap().to_owned()),
            refresh: v["refresh_token"]
                .as_str()
                .map(|s| SecretString::from(s.to_owned())),
            dates: TokenDates {
                issued_at: v["issued_at"].as_str().unwrap().parse().unwrap(),
                expires_at: Some(v["expires_at"].as_str().unwrap().parse().unwrap()),
                refresh_expires_at: v["refresh_expires_at"].as_str().map(|s| s.parse().unwrap()),
            },
            granted: strings(scopes),
        }
    }

    async fn snapshot(&self, m: &Minted, known: Option<Value>) -> Result<Snapshot, CheckError> {
        let login = LoginToCheck {
            dates: Some(m.dates),
            known,
            granted: Some(m.granted.clone()),
            ..LoginToCheck::token(m.token.clone())
        };
        self.net
            .inspect(std::slice::from_ref(&login), &Needs::at(self.now()))
            .await
            .pop()
            .unwrap()
    }

    fn judge(&self, snapshot: &Snapshot) -> Report {
        let catalog: &Catalog = self.net.catalog();
        // A publishing scheduler that also imports past Pins; ads and leads have their own scopes,
        // tested by the catalog's rules alone.
        let profile = Profile::from_toml_str(
            "name = \"pins\"\nfeatures = [\"publish\", \"publish_video\", \"analytics\", \"backfill\"]\n",
            "pins.toml",
            catalog,
        )
        .unwrap();
        let engine = Engine::new(catalog, self.net.id(), &profile, EngineOptions::default());
        engine.diagnose(&snapshot.login, &snapshot.assets, self.now())
    }

    async fn check(&self, m: &Minted) -> Result<Report, CheckError> {
        let s = self.snapshot(m, None).await?;
        Ok(self.judge(&s))
    }

    /// Plays the person in the dialog: logs in as `account`, leaves `untick` switched off.
    async fn dialog(&self, account: &str, untick: &[&str], allow: bool) -> Url {
        let url = self
            .net
            .authorize_url(&redirect(), "st4te", &ALL[1..], false);
        assert_eq!(url.path(), "/pinterest/oauth/");
        assert_eq!(
            query(&url, "scope").as_deref(),
            Some(ALL.join(",").as_str()),
            "the identity scope is always asked for, first"
        );
        assert_eq!(query(&url, "response_type").as_deref(), Some("code"));
        let page = self.http.get(url.clone()).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        for scope in ALL {
            assert!(html.contains(&format!("value=\"{scope}\"")), "{html}");
        }
        let redirect = redirect();
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", APP_ID),
            ("redirect_uri", redirect.as_str()),
            ("state", "st4te"),
            ("account", account),
            ("decision", if allow { "allow" } else { "deny" }),
        ];
        for s in ALL.iter().filter(|s| !untick.contains(s)) {
            form.push(("scope", s));
        }
        // The page's form posts to the page itself, query and all: what it asked for must not
        // grant what the person switched off.
        let resp = self.http.post(url).form(&form).send().await.unwrap();
        assert_eq!(resp.status(), 302);
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Through the dialog and the code exchange, as a connect does.
    async fn connect(&self, account: &str, untick: &[&str]) -> Minted {
        let back = self.dialog(account, untick, true).await;
        let code = query(&back, "code").unwrap();
        let now = self.now();
        let issued = self.net.exchange(&code, &redirect(), now).await.unwrap();
        Minted {
            token: issued.access_token,
            refresh: issued.refresh_token,
            dates: TokenDates {
                issued_at: now,
                expires_at: issued.expires_at,
                refresh_expires_at: issued.refresh_expires_at,
            },
            granted: issued.granted.unwrap(),
        }
    }

    async fn create_pin(&self, token: &SecretString) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/v5/pins", self.base))
            .bearer_auth(token.expose_secret())
            .json(&json!({"board_id": "1", "media_source": {"source_type": "image_url", "url": "https://example.com/a.jpg"}}))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }
}

fn codes(r: &Report) -> Vec<FindingCode> {
    let mut out: Vec<FindingCode> = r
        .login
        .findings
        .iter()
        .chain(r.assets.iter().flat_map(|a| &a.findings))
        .map(|f| f.code)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn asset<'a>(r: &'a Report, id: &str) -> &'a tether_core::AssetReport {
    r.assets
        .iter()
        .find(|a| a.id == id)
        .unwrap_or_else(|| panic!("no asset {id} in {r:#?}"))
}

fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn connecting_through_the_dialog_reaches_the_account() {
    let p = Pin::start().await;
    let back = p.dialog(HARBOR, &[], true).await;
    assert_eq!(query(&back, "state").as_deref(), Some("st4te"));
    let code = query(&back, "code").unwrap();
    let now = p.now();
    let issued = p.net.exchange(&code, &redirect(), now).await.unwrap();
    assert_eq!(issued.granted.clone().unwrap(), ALL);
    // The dates the reply announced: the access token's month and the refresh token's 60 days.
    let access = issued.expires_at.unwrap().duration_since(now);
    let refresh = issued.refresh_expires_at.unwrap().duration_since(now);
    assert_eq!(
        access,
        SignedDuration::from_secs(tether_pinterest_sim::ACCESS_SECS)
    );
    assert_eq!(refresh, SignedDuration::from_hours(24 * 60));
    assert!(issued.refresh_token.is_some());
    // The code is single-use.
    let again = p.net.exchange(&code, &redirect(), now).await.unwrap_err();
    assert!(
        matches!(again, OAuthError::CodeRejected { .. }),
        "{again:?}"
    );

    let m = Minted {
        token: issued.access_token.clone(),
        refresh: issued.refresh_token.clone(),
        dates: TokenDates {
            issued_at: now,
            expires_at: issued.expires_at,
            refresh_expires_at: issued.refresh_expires_at,
        },
        granted: issued.granted.clone().unwrap(),
    };
    let before = p.net.stats().platform_calls;
    let s = p.snapshot(&m, None).await.unwrap();
    assert_eq!(
        p.net.stats().platform_calls - before,
        1,
        "one call per check"
    );
    assert_eq!(s.login.user_id.as_deref(), Some(HARBOR));
    assert_eq!(s.login.user_name.as_deref(), Some("Harbor Bakery"));
    // The login lasts as long as its refresh token: the access token is refreshed before it ends.
    assert_eq!(s.login.token.expires_at, issued.refresh_expires_at);
    assert_eq!(s.known.as_ref().unwrap()["account_type"], "BUSINESS");
    let r = p.judge(&s);
    let harbor = asset(&r, HARBOR);
    assert_eq!(harbor.name.as_deref(), Some("Harbor Bakery"));
    assert_eq!(harbor.status, Status::Connected, "{harbor:#?}");
    assert!(harbor.findings.is_empty(), "{harbor:#?}");
    assert_eq!(r.login.status, Status::Connected);
}

#[tokio::test]
async fn cancelling_the_dialog_sends_access_denied_back() {
    let p = Pin::start().await;
    let back = p.dialog(HARBOR, &[], false).await;
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "state").as_deref(), Some("st4te"));
    assert!(query(&back, "code").is_none());
}

#[tokio::test]
async fn a_scope_left_out_breaks_its_features_only() {
    let p = Pin::start().await;
    let m = p.connect(HARBOR, &["pins:write"]).await;
    assert!(!m.granted.iter().any(|s| s == "pins:write"));
    let r = p.check(&m).await.unwrap();
    let harbor = asset(&r, HARBOR);
    assert_eq!(harbor.status, Status::ActionRequired);
    let missing: Vec<_> = harbor
        .findings
        .iter()
        .filter(|f| f.code == FindingCode::PermissionMissing)
        .collect();
    assert_eq!(missing.len(), 1, "{harbor:#?}");
    assert_eq!(missing[0].permission.as_deref(), Some("pins:write"));
    assert_eq!(missing[0].owner, Owner::ConnectingUser);
    assert_eq!(
        missing[0].features,
        [Feature::Publish, Feature::PublishVideo]
    );
    assert_eq!(
        harbor.features[&Feature::Analytics],
        FeatureVerdict::Available
    );
    assert_eq!(
        harbor.features[&Feature::Backfill],
        FeatureVerdict::Available
    );
}

#[tokio::test]
async fn without_the_identity_scope_the_token_still_works_and_pinterest_outranks_the_grant() {
    let p = Pin::start().await;
    // Left out in the dialog: the check cannot name the account, but the token is not broken.
    let m = p.connect(HARBOR, &["user_accounts:read"]).await;
    let s = p.snapshot(&m, None).await.unwrap();
    assert!(s.assets.is_empty());
    let r = p.judge(&s);
    assert_eq!(r.login.status, Status::ActionRequired, "{r:#?}");
    assert_eq!(codes(&r), [FindingCode::PermissionMissing]);
    let f = &r.login.findings[0];
    assert_eq!(f.permission.as_deref(), Some("user_accounts:read"));
    assert_eq!(f.features, [Feature::Analytics]);

    // A stored grant that claims the scope while Pinterest refuses it (code 3): Pinterest wins,
    // and the account stays as the last check named it.
    let full = p.connect(HARBOR, &[]).await;
    let first = p.snapshot(&full, None).await.unwrap();
    let narrow = p
        .mint(
            HARBOR,
            &["boards:read", "boards:write", "pins:read", "pins:write"],
            SignedDuration::ZERO,
        )
        .await;
    let claimed = Minted {
        granted: strings(ALL),
        ..narrow
    };
    let s = p.snapshot(&claimed, first.known.clone()).await.unwrap();
    assert_eq!(s.assets.len(), 1);
    assert_eq!(s.assets[0].name.as_deref(), Some("Harbor Bakery"));
    assert!(
        !s.login
            .permissions
            .iter()
            .any(|g| g.name == "user_accounts:read")
    );
    let r = p.judge(&s);
    let harbor = asset(&r, HARBOR);
    assert_eq!(
        harbor.features[&Feature::Analytics],
        FeatureVerdict::Unavailable
    );
    assert_eq!(
        harbor.features[&Feature::Publish],
        FeatureVerdict::Available
    );
}

#[tokio::test]
async fn an_expired_and_a_revoked_token_are_broken() {
    let p = Pin::start().await;
    // Expired: its month is over (and no refresh happened).
    let m = p.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    p.advance(SignedDuration::from_hours(24 * 31));
    let r = p.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::TokenExpired], "{r:#?}");
    assert_eq!(r.login.status, Status::Disconnected);
    let f = &r.login.findings[0];
    assert_eq!(
        f.until, m.dates.expires_at,
        "dated by the access token's end"
    );
    let pe = f.platform_error.clone().unwrap();
    assert_eq!((pe.code.as_str(), pe.http_status), ("2", Some(401)));

    // Revoked: the person removed the app from their Pinterest account. Pinterest answers the
    // same code 2, so the break is told, its reason is not (unconfirmed): token_invalidated.
    let m = p.mint(ADA, ALL, SignedDuration::ZERO).await;
    p.admin(&format!("accounts/{ADA}/revoke_app"), json!({}))
        .await;
    let r = p.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::TokenInvalidated], "{r:#?}");
    assert_eq!(r.login.status, Status::Disconnected);
    assert_eq!(r.login.findings[0].owner, Owner::ConnectingUser);
}

#[tokio::test]
async fn a_refresh_rotates_the_refresh_token_and_the_old_one_stops_working() {
    let p = Pin::start().await;
    let m = p
        .mint(HARBOR, ALL, SignedDuration::from_hours(24 * 21))
        .await;
    let now = p.now();
    let due = p.net.refresh_at(&m.dates).unwrap();
    assert!(due <= now, "due {due}, now {now}");
    let grant = Grant {
        access_token: m.token.clone(),
        refresh_token: m.refresh.clone(),
        dates: m.dates,
    };
    let issued = p.net.refresh(&grant, now).await.unwrap();
    assert_ne!(issued.access_token.expose_secret(), m.token.expose_secret());
    let new_refresh = issued.refresh_token.clone().expect("a new refresh token");
    assert_ne!(
        new_refresh.expose_secret(),
        m.refresh.as_ref().unwrap().expose_secret(),
        "rotated"
    );
    // Read from the reply, never assumed: another 60 days from now.
    assert_eq!(
        issued.refresh_expires_at.unwrap().duration_since(now),
        SignedDuration::from_hours(24 * 60)
    );
    assert!(issued.refresh_expires_at > m.dates.refresh_expires_at);
    assert_eq!(issued.granted.as_deref().unwrap(), ALL);

    // The spent refresh token is refused from now on.
    let err = p.net.refresh(&grant, now).await.unwrap_err();
    match err {
        OAuthError::RefreshRefused {
            until,
            platform_error,
        } => {
            assert_eq!(until, m.dates.refresh_expires_at);
            assert_eq!(platform_error.code, "283");
        }
        other => panic!("{other:?}"),
    }

    // The new grant checks healthy, lasts until its own refresh token's end, and refreshes again.
    let fresh = Minted {
        token: issued.access_token.clone(),
        refresh: issued.refresh_token.clone(),
        dates: TokenDates {
            issued_at: now,
            expires_at: issued.expires_at,
            refresh_expires_at: issued.refresh_expires_at,
        },
        granted: issued.granted.clone().unwrap(),
    };
    let s = p.snapshot(&fresh, None).await.unwrap();
    assert_eq!(s.login.token.expires_at, issued.refresh_expires_at);
    assert_eq!(asset(&p.judge(&s), HARBOR).status, Status::Connected);
    let next = p.net.refresh_at(&fresh.dates).unwrap();
    assert_eq!(
        next,
        issued.expires_at.unwrap() - SignedDuration::from_hours(24 * 10)
    );
    p.advance(next.duration_since(now));
    let again = Grant {
        access_token: fresh.token.clone(),
        refresh_token: fresh.refresh.clone(),
        dates: fresh.dates,
    };
    let third = p.net.refresh(&again, p.now()).await.unwrap();
    assert_ne!(
        third.refresh_token.unwrap().expose_secret(),
        new_refresh.expose_secret()
    );
}

#[tokio::test]
async fn a_refresh_that_fails_is_a_refusal_never_a_verdict() {
    let p = Pin::start().await;
    let now = p.now();
    let grant_of = |m: &Minted| Grant {
        access_token: m.token.clone(),
        refresh_token: m.refresh.clone(),
        dates: m.dates,
    };
    // The refresh token lapsed (60 days unused).
    let m = p.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    p.admin(
        &format!(
            "refresh_tokens/{}/expire",
            m.refresh.as_ref().unwrap().expose_secret()
        ),
        json!({}),
    )
    .await;
    match p.net.refresh(&grant_of(&m), now).await.unwrap_err() {
        OAuthError::RefreshRefused {
            until,
            platform_error,
        } => {
            assert_eq!(until, m.dates.refresh_expires_at);
            assert_eq!(platform_error.http_status, Some(401));
        }
        other => panic!("{other:?}"),
    }
    // The access token itself still works until its own end: the check decides, not the refusal.
    assert_eq!(
        asset(&p.check(&m).await.unwrap(), HARBOR).status,
        Status::Connected
    );

    // The person removed the app.
    let m = p.mint(ADA, ALL, SignedDuration::ZERO).await;
    p.admin(&format!("accounts/{ADA}/revoke_app"), json!({}))
        .await;
    let err = p.net.refresh(&grant_of(&m), now).await.unwrap_err();
    assert!(matches!(err, OAuthError::RefreshRefused { .. }), "{err:?}");

    // Our own credentials are wrong: the app's team, not the person.
    let m = p.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    let wrong = PinterestNetwork::new(app(&p.base, APP_ID, "wrong-secret")).unwrap();
    let err = wrong.refresh(&grant_of(&m), now).await.unwrap_err();
    assert!(
        matches!(err, OAuthError::CheckerMisconfigured { .. }),
        "{err:?}"
    );
    // ... and the refresh token was not spent by the refused call.
    assert!(p.net.refresh(&grant_of(&m), now).await.is_ok());

    // No refresh token at all.
    let bare = Grant {
        refresh_token: None,
        ..grant_of(&m)
    };
    assert_eq!(
        p.net.refresh(&bare, now).await.unwrap_err(),
        OAuthError::RefreshNotSupported
    );
}

#[tokio::test]
async fn a_pre_v5_grant_must_reconnect_for_the_new_scopes() {
    let p = Pin::start().await;
    // A login connected for API v1: it holds only the old names.
    let m = p
        .mint(
            HARBOR,
            &["read_public", "write_public"],
            SignedDuration::ZERO,
        )
        .await;
    let s = p.snapshot(&m, None).await.unwrap();
    // The token authenticates (code 3 on user_account, not code 2): not broken.
    assert!(matches!(
        s.login.token.validity,
        tether_core::TokenValidity::Valid
    ));
    let r = p.judge(&s);
    // `scope_retired` per old name held (the app's team, no feature) and
    // `reconnect_for_new_scope` for each v5 scope the features need (the person reconnects).
    assert_eq!(
        codes(&r),
        [FindingCode::ScopeRetired, FindingCode::ReconnectForNewScope]
    );
    let retired: Vec<_> = r
        .login
        .findings
        .iter()
        .filter(|f| f.code == FindingCode::ScopeRetired)
        .collect();
    let names: Vec<_> = retired
        .iter()
        .map(|f| f.permission.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["read_public", "write_public"]);
    assert!(retired.iter().all(|f| f.owner == Owner::AppOwner));
    assert!(retired.iter().all(|f| f.features.is_empty()));
    assert!(
        r.login
            .findings
            .iter()
            .filter(|f| f.code == FindingCode::ReconnectForNewScope)
            .all(|f| f.owner == Owner::ConnectingUser)
    );
    assert_eq!(r.login.status, Status::ActionRequired);
    assert!(
        !codes(&r).contains(&FindingCode::PermissionMissing),
        "{r:#?}"
    );

    // A v3-era login (names from Pinterest's v3 quickstart) the previous check could name.
    let m = p
        .mint(
            HARBOR,
            &["read_pins", "write_pins", "read_boards"],
            SignedDuration::ZERO,
        )
        .await;
    let known =
        json!({"user_id": HARBOR, "user_name": "Harbor Bakery", "account_type": "BUSINESS"});
    let s = p.snapshot(&m, Some(known)).await.unwrap();
    let r = p.judge(&s);
    assert_eq!(asset(&r, HARBOR).status, Status::ActionRequired);
    assert_eq!(
        r.login
            .findings
            .iter()
            .filter(|f| f.code == FindingCode::ScopeRetired)
            .count(),
        3
    );
}

#[tokio::test]
async fn trial_access_is_the_apps_teams_finding_never_the_persons() {
    let p = Pin::start().await;
    p.admin("app/trial_access", json!({"enabled": true})).await;
    let m = p.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    // Reads work on Trial access: the check alone stays healthy.
    let s = p.snapshot(&m, None).await.unwrap();
    assert_eq!(asset(&p.judge(&s), HARBOR).status, Status::Connected);

    // The product's own Pin creation is refused, and it reports the error.
    let (status, body) = p.create_pin(&m.token).await;
    assert_eq!(status, 403);
    let reported = p.net.read_reported_error(&body, false).unwrap();
    let Reported::Problem { kind, error } = reported else {
        panic!("{reported:?}");
    };
    assert_eq!(kind, ObservedKind::AppFeatureMissing);
    assert_eq!(error.code, "29");
    // What the service records for that call (the features it belonged to), judged.
    let mut amended = s.clone();
    amended.login.observed.push(ObservedProblem {
        kind,
        features: vec![Feature::Publish],
        platform_error: Some(error),
    });
    let r = p.judge(&amended);
    let harbor = asset(&r, HARBOR);
    let f = harbor
        .findings
        .iter()
        .find(|f| f.code == FindingCode::AppFeatureMissing)
        .unwrap_or_else(|| panic!("{harbor:#?}"));
    assert_eq!(f.owner, Owner::AppOwner);
    assert_eq!(f.features, [Feature::Publish]);
    assert_eq!(
        harbor.features[&Feature::Analytics],
        FeatureVerdict::Available
    );
    assert!(
        r.login.status != Status::Disconnected,
        "never the person's login"
    );

    // Standard access granted: Pins are created again.
    p.admin("app/trial_access", json!({"enabled": false})).await;
    assert_eq!(p.create_pin(&m.token).await.0, 201);

    // The same code 29 on the check's own call: every feature, the app's team.
    p.fault(
        "v5/user_account",
        403,
        json!({"code": 29, "message": "You are not permitted to access that resource."}),
        1,
    )
    .await;
    let s = p.snapshot(&m, s.known.clone()).await.unwrap();
    let r = p.judge(&s);
    assert_eq!(codes(&r), [FindingCode::AppFeatureMissing], "{r:#?}");
    assert!(
        r.assets[0]
            .findings
            .iter()
            .all(|f| f.owner == Owner::AppOwner)
    );
}

#[tokio::test]
async fn transient_trouble_is_retried_and_changes_nothing() {
    let p = Pin::start().await;
    let m = p.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    let healthy = p.check(&m).await.unwrap();
    let ramped = json!({"code": 4197, "message": "The endpoint has been ramped down and is currently not accepting any traffic."});
    // Twice: retried through.
    p.fault("v5/user_account", 503, ramped.clone(), 2).await;
    assert_eq!(p.check(&m).await.unwrap(), healthy);
    // Every attempt: the check fails, which is no verdict.
    p.fault("v5/user_account", 503, json!("<html>unavailable</html>"), 3)
        .await;
    let err = p.check(&m).await.unwrap_err();
    assert!(
        matches!(err, CheckError::PlatformUnavailable { attempts: 3, .. }),
        "{err:?}"
    );
    p.fault(
        "v5/user_account",
        429,
        json!({"code": 8, "message": "This request exceeded a rate limit."}),
        1,
    )
    .await;
    let err = p.check(&m).await.unwrap_err();
    assert!(matches!(err, CheckError::RateLimited { .. }), "{err:?}");
    // An undocumented refusal of the check's call is not a verdict either.
    p.fault(
        "v5/user_account",
        403,
        json!({"code": 403, "message": "Not authorized to access the user account."}),
        1,
    )
    .await;
    let err = p.check(&m).await.unwrap_err();
    assert!(
        matches!(err, CheckError::UnrecognizedPlatformError { .. }),
        "{err:?}"
    );
    // And afterwards the same answer as before.
    assert_eq!(p.check(&m).await.unwrap(), healthy);

    // A refresh the platform could not answer spends nothing: the refresh token still works.
    let grant = Grant {
        access_token: m.token.clone(),
        refresh_token: m.refresh.clone(),
        dates: m.dates,
    };
    p.fault("v5/oauth/token", 503, ramped, 3).await;
    let err = p.net.refresh(&grant, p.now()).await.unwrap_err();
    assert!(
        matches!(err, OAuthError::PlatformUnavailable { .. }),
        "{err:?}"
    );
    assert!(p.net.refresh(&grant, p.now()).await.is_ok());
}

#[tokio::test]
async fn a_check_without_the_granted_scopes_refuses_to_guess() {
    let p = Pin::start().await;
    let m = p.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    let login = LoginToCheck::token(m.token.clone());
    let err = p
        .net
        .inspect(std::slice::from_ref(&login), &Needs::at(p.now()))
        .await
        .pop()
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, CheckError::GrantUnknown { .. }), "{err:?}");
}

#[tokio::test]
async fn wrong_app_credentials_are_the_checkers_not_the_persons() {
    let p = Pin::start().await;
    let back = p.dialog(HARBOR, &[], true).await;
    let code = query(&back, "code").unwrap();
    for (id, secret) in [(APP_ID, "wrong-secret"), ("999", APP_SECRET)] {
        let net = PinterestNetwork::new(app(&p.base, id, secret)).unwrap();
        let err = net.exchange(&code, &redirect(), p.now()).await.unwrap_err();
        assert!(
            matches!(err, OAuthError::CheckerMisconfigured { .. }),
            "{id}/{secret}: {err:?}"
        );
    }
    // The refused calls did not spend the code.
    assert!(p.net.exchange(&code, &redirect(), p.now()).await.is_ok());
}

#[tokio::test]
async fn the_account_type_is_kept_and_changes_no_verdict() {
    let p = Pin::start().await;
    let m = p.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    let first = p.snapshot(&m, None).await.unwrap();
    p.admin(
        &format!("accounts/{HARBOR}/account_type"),
        json!({"account_type": "PINNER"}),
    )
    .await;
    let s = p.snapshot(&m, first.known.clone()).await.unwrap();
    assert_eq!(s.known.as_ref().unwrap()["account_type"], "PINNER");
    // Whether analytics need a business account is unconfirmed (docs/PLATFORMS-2.md C2) and no
    // rule can say so: the verdicts stay.
    assert_eq!(p.judge(&s).assets, p.judge(&first).assets);
}

#[tokio::test]
async fn the_demo_offers_a_healthy_business_account_and_a_broken_login() {
    let p = Pin::start().await;
    let app: Value = p
        .http
        .get(format!("{}/_admin/app", p.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(app["client_id"], APP_ID);
    assert_eq!(app["client_secret"], APP_SECRET);
    let logins = p.admin("demo", json!({})).await;
    let logins = logins.as_array().unwrap();
    assert_eq!(logins.len(), 2);
    let mut statuses = Vec::new();
    for l in logins {
        let now = p.now();
        let after = |k: &str| now + SignedDuration::from_secs(l[k].as_i64().unwrap());
        let m = Minted {
            token: SecretString::from(l["access_token"].as_str().unwrap().to_owned()),
            refresh: Some(SecretString::from(
                l["refresh_token"].as_str().unwrap().to_owned(),
            )),
            dates: TokenDates {
                issued_at: now,
                expires_at: Some(after("expires_in")),
                refresh_expires_at: Some(after("refresh_token_expires_in")),
            },
            granted: l["granted"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect(),
        };
        let s = p.snapshot(&m, None).await.unwrap();
        // Every feature the catalog has rules for, as a demo with the default profile judges.
        let catalog = p.net.catalog();
        let all = Engine::new(
            catalog,
            p.net.id(),
            &Profile::all(catalog),
            EngineOptions::default(),
        );
        let r = all.diagnose(&s.login, &s.assets, p.now());
        statuses.push((l["name"].as_str().unwrap().to_owned(), r.login.status));
    }
    assert_eq!(
        statuses,
        [
            ("Harbor Bakery".to_owned(), Status::Connected),
            ("adapark".to_owned(), Status::Disconnected),
        ]
    );
    let stats: Value = p
        .http
        .get(format!("{}/_admin/stats", p.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["calls_by_path"]["v5/user_account"], 2);
}
