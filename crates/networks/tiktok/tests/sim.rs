//! TikTok's client against its simulator part over real HTTP on 127.0.0.1: the dialog and the
//! code exchange, user info and creator_info, every kind of broken login the check must tell
//! apart, the rotating refresh and its refusals, errors inside HTTP 200, a creator who cannot post
//! now, the unaudited app, transient trouble, and the verified `authorization.removed` push.
//!
//! `tether_sim::spawn` mounts only registered parts, so the part is served here on its own, under
//! `/tiktok` as the host mounts it, on a clock the tests move.

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tether_core::{
    Catalog, Engine, EngineOptions, Feature, FeatureVerdict, FindingCode, Owner, Profile, Report,
    Status,
};
use tether_platform::{
    AppConfig, Change, CheckError, Grant, LoginToCheck, Needs, Network, OAuthError, Push,
    PushError, PushReply, SimClock, Snapshot, TokenDates,
};
use tether_tiktok::TikTokNetwork;
use tether_tiktok_sim::{ACCESS_SECS, APP_ID, APP_SECRET, REFRESH_SECS};
use url::Url;

const TESS: &str = "-000Tess0TikTokOpenId0001";
const ALL: &[&str] = &[
    "user.info.basic",
    "user.info.stats",
    "video.list",
    "video.publish",
];

struct TestClock(Mutex<Timestamp>);

impl SimClock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

struct Tt {
    clock: Arc<TestClock>,
    base: String,
    http: reqwest::Client,
    net: TikTokNetwork,
}

#[derive(Clone)]
struct Minted {
    token: SecretString,
    refresh: SecretString,
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

fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
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

impl Tt {
    async fn start() -> Tt {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let clock = Arc::new(TestClock(Mutex::new(
            Timestamp::now().round(jiff::Unit::Second).unwrap(),
        )));
        let router = axum::Router::new().nest(
            "/tiktok",
            tether_tiktok_sim::router(clock.clone() as Arc<dyn SimClock>),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let base = format!("http://{addr}/tiktok");
        let c = clock.clone();
        let net = TikTokNetwork::new(app(&base, APP_ID, APP_SECRET))
            .unwrap()
            .with_clock(move || c.now());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Tt {
            clock,
            base,
            http,
            net,
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn advance(&self, d: SignedDuration) {
        let mut t = self.clock.0.lock().unwrap();
        *t += d;
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

    async fn mint(&self, open_id: &str, scopes: &[&str], age: SignedDuration) -> Minted {
        let v = self
            .admin(
                "tokens",
                json!({"open_id": open_id, "scopes": scopes, "age_secs": age.as_secs()}),
            )
            .await;
        Minted {
            token: SecretString::from(v["access_token"].as_str().unwrap().to_owned()),
            refresh: SecretString::from(v["refresh_token"].as_str().unwrap().to_owned()),
            dates: TokenDates {
                issued_at: v["issued_at"].as_str().unwrap().parse().unwrap(),
                expires_at: Some(v["expires_at"].as_str().unwrap().parse().unwrap()),
                refresh_expires_at: Some(
                    v["refresh_expires_at"].as_str().unwrap().parse().unwrap(),
                ),
            },
            granted: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    async fn snapshot(&self, m: &Minted) -> Result<Snapshot, CheckError> {
        let login = LoginToCheck {
            dates: Some(m.dates),
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
        // What a posting and reporting tool does on a TikTok account.
        let profile = Profile::from_toml_str(
            "name = \"creator\"\nfeatures = [\"publish\", \"publish_video\", \"backfill\", \"analytics\"]\n",
            "creator.toml",
            catalog,
        )
        .unwrap();
        let engine = Engine::new(catalog, self.net.id(), &profile, EngineOptions::default());
        engine.diagnose(&snapshot.login, &snapshot.assets, self.now())
    }

    async fn check(&self, m: &Minted) -> Result<Report, CheckError> {
        let s = self.snapshot(m).await?;
        Ok(self.judge(&s))
    }

    /// Plays the creator in the dialog: logs in as `account`, leaves `untick` switched off.
    async fn dialog(&self, account: &str, untick: &[&str], allow: bool) -> Url {
        let redirect: Url = "http://127.0.0.1:9/callback".parse().unwrap();
        let url = self.net.authorize_url(&redirect, "st4te", &ALL[1..], false);
        assert_eq!(
            query(&url, "scope").as_deref(),
            Some(ALL.join(",").as_str()),
            "the identity scope is always asked for, first, comma-separated"
        );
        assert_eq!(query(&url, "client_key").as_deref(), Some(APP_ID));
        let page = self.http.get(url.clone()).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        for scope in ALL {
            assert!(html.contains(&format!("value=\"{scope}\"")), "{html}");
        }
        let mut form: Vec<(&str, &str)> = vec![
            ("client_key", APP_ID),
            ("redirect_uri", redirect.as_str()),
            ("state", "st4te"),
            ("account", account),
            ("decision", if allow { "allow" } else { "deny" }),
        ];
        for s in ALL.iter().filter(|s| !untick.contains(s)) {
            form.push(("scope", s));
        }
        let mut post = url.clone();
        post.set_query(None);
        let resp = self.http.post(post).form(&form).send().await.unwrap();
        assert_eq!(resp.status(), 302);
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn connect(&self, untick: &[&str]) -> Minted {
        let back = self.dialog(TESS, untick, true).await;
        let code = query(&back, "code").unwrap();
        let redirect: Url = "http://127.0.0.1:9/callback".parse().unwrap();
        let now = self.now();
        let issued = self.net.exchange(&code, &redirect, now).await.unwrap();
        Minted {
            token: issued.access_token,
            refresh: issued.refresh_token.unwrap(),
            dates: TokenDates {
                issued_at: now,
                expires_at: issued.expires_at,
                refresh_expires_at: issued.refresh_expires_at,
            },
            granted: issued.granted.unwrap(),
        }
    }

    fn grant(&self, m: &Minted) -> Grant {
        Grant {
            access_token: m.token.clone(),
            refresh_token: Some(m.refresh.clone()),
            dates: m.dates,
        }
    }
}

#[tokio::test]
async fn connecting_through_the_dialog_gives_a_healthy_account_dated_by_its_refresh_token() {
    let tt = Tt::start().await;
    let back = tt.dialog(TESS, &[], true).await;
    assert_eq!(query(&back, "state").as_deref(), Some("st4te"));
    let code = query(&back, "code").unwrap();
    let redirect: Url = "http://127.0.0.1:9/callback".parse().unwrap();
    let now = tt.now();
    let issued = tt.net.exchange(&code, &redirect, now).await.unwrap();
    assert_eq!(issued.granted.clone().unwrap(), ALL);
    assert_eq!(issued.user_id.as_deref(), Some(TESS));
    // Scheduled from `expires_in` and `refresh_expires_in`, never constants.
    assert_eq!(
        issued.expires_at.unwrap().duration_since(now),
        SignedDuration::from_secs(ACCESS_SECS)
    );
    assert_eq!(
        issued.refresh_expires_at.unwrap().duration_since(now),
        SignedDuration::from_secs(REFRESH_SECS)
    );
    // The code is single-use.
    let again = tt.net.exchange(&code, &redirect, now).await.unwrap_err();
    assert!(
        matches!(again, OAuthError::CodeRejected { .. }),
        "{again:?}"
    );

    let m = Minted {
        token: issued.access_token,
        refresh: issued.refresh_token.unwrap(),
        dates: TokenDates {
            issued_at: now,
            expires_at: issued.expires_at,
            refresh_expires_at: issued.refresh_expires_at,
        },
        granted: issued.granted.unwrap(),
    };
    let s = tt.snapshot(&m).await.unwrap();
    assert_eq!(s.login.user_id.as_deref(), Some(TESS));
    assert_eq!(s.login.user_name.as_deref(), Some("Tess Rivera"));
    // The login lasts as long as its refresh token.
    assert_eq!(s.login.token.expires_at, m.dates.refresh_expires_at);
    assert_eq!(s.assets.len(), 1);
    assert_eq!(s.assets[0].kind, tether_core::AssetKind::TiktokAccount);
    assert!(s.assets[0].tasks.is_empty());
    let r = tt.judge(&s);
    assert_eq!(r.assets[0].status, Status::Connected, "{r:#?}");
    assert!(codes(&r).is_empty(), "{r:#?}");
    // Two calls: user info and creator_info.
    assert_eq!(tt.net.stats().platform_calls, 2);

    // A login without scopes the platform reported cannot be judged.
    let err = tt
        .net
        .inspect(&[LoginToCheck::token(m.token.clone())], &Needs::at(now))
        .await
        .pop()
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, CheckError::GrantUnknown { .. }), "{err:?}");
}

#[tokio::test]
async fn cancelling_the_dialog_is_access_denied_with_the_state() {
    let tt = Tt::start().await;
    let back = tt.dialog(TESS, &[], false).await;
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "state").as_deref(), Some("st4te"));
    assert!(query(&back, "code").is_none());
}

#[tokio::test]
async fn a_scope_switched_off_breaks_its_features_only() {
    let tt = Tt::start().await;
    let m = tt.connect(&["video.publish"]).await;
    assert!(!m.granted.iter().any(|s| s == "video.publish"));
    let r = tt.check(&m).await.unwrap();
    let a = &r.assets[0];
    assert_eq!(a.status, Status::ActionRequired, "{a:#?}");
    let missing: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code == FindingCode::PermissionMissing)
        .collect();
    assert!(!missing.is_empty());
    assert!(
        missing
            .iter()
            .all(|f| f.permission.as_deref() == Some("video.publish")),
        "{missing:#?}"
    );
    assert_eq!(a.features[&Feature::Backfill], FeatureVerdict::Available);
    assert_eq!(a.features[&Feature::Publish], FeatureVerdict::Unavailable);
    // No creator_info call without video.publish.
    assert_eq!(tt.net.stats().platform_calls, 1);
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_told_apart() {
    let tt = Tt::start().await;
    // Expired: authorized longer ago than the refresh token lives; nothing can renew it.
    let m = tt
        .mint(TESS, ALL, SignedDuration::from_secs(REFRESH_SECS + 3600))
        .await;
    let r = tt.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::TokenExpired], "{r:#?}");
    assert_eq!(r.login.status, Status::Disconnected);
    let f = &r.login.findings[0];
    assert_eq!(f.until, m.dates.refresh_expires_at);

    // Revoked: the creator removed the app; the token is within its life.
    let m = tt.mint(TESS, ALL, SignedDuration::ZERO).await;
    tt.admin(&format!("creators/{TESS}/remove_app"), json!({}))
        .await;
    let r = tt.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::TokenInvalidated], "{r:#?}");
    let pe = r.login.findings[0].platform_error.clone().unwrap();
    assert_eq!(pe.code, "access_token_invalid");
    assert_eq!(pe.http_status, Some(401));
}

#[tokio::test]
async fn a_lapsed_access_token_is_no_verdict_until_its_refresh_has_failed_for_a_day() {
    let tt = Tt::start().await;
    let m = tt.mint(TESS, ALL, SignedDuration::ZERO).await;
    // The worker's refresh failed (an outage): the 2-hour token lapses unrefreshed.
    tt.advance(SignedDuration::from_hours(3));
    let err = tt.check(&m).await.unwrap_err();
    assert!(
        matches!(err, CheckError::PlatformUnavailable { .. }),
        "{err:?}"
    );
    // Still not refreshed a day later: the login no longer works.
    tt.advance(SignedDuration::from_hours(24));
    let r = tt.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::TokenExpired], "{r:#?}");
}

#[tokio::test]
async fn a_refresh_rotates_the_refresh_token_and_the_old_one_is_refused_after() {
    let tt = Tt::start().await;
    let m = tt.connect(&[]).await;
    // Not due while most of the two hours is left; due with less than half an hour.
    let due = tt.net.refresh_at(&m.dates).unwrap();
    assert!(due > tt.now());
    assert_eq!(
        m.dates.expires_at.unwrap().duration_since(due),
        SignedDuration::from_mins(30)
    );
    tt.advance(SignedDuration::from_mins(100));
    assert!(tt.net.refresh_at(&m.dates).unwrap() <= tt.now());
    let now = tt.now();
    let issued = tt.net.refresh(&tt.grant(&m), now).await.unwrap();
    assert_ne!(issued.access_token.expose_secret(), m.token.expose_secret());
    let rotated = issued.refresh_token.clone().expect("a new refresh token");
    assert_ne!(rotated.expose_secret(), m.refresh.expose_secret());
    assert_eq!(
        issued.expires_at.unwrap().duration_since(now),
        SignedDuration::from_secs(ACCESS_SECS)
    );
    // The end TikTok announced for the new refresh token (the sim does not extend it).
    assert_eq!(issued.refresh_expires_at, m.dates.refresh_expires_at);
    assert_eq!(issued.granted.clone().unwrap(), ALL);
    let fresh = Minted {
        token: issued.access_token.clone(),
        refresh: rotated.clone(),
        dates: TokenDates {
            issued_at: now,
            expires_at: issued.expires_at,
            refresh_expires_at: issued.refresh_expires_at,
        },
        granted: issued.granted.clone().unwrap(),
    };
    let r = tt.check(&fresh).await.unwrap();
    assert_eq!(r.assets[0].status, Status::Connected, "{r:#?}");

    // The refresh token that was spent stops working.
    let err = tt.net.refresh(&tt.grant(&m), now).await.unwrap_err();
    match err {
        OAuthError::RefreshRefused {
            platform_error,
            until,
        } => {
            assert_eq!(platform_error.code, "invalid_grant");
            assert_eq!(until, m.dates.refresh_expires_at);
        }
        other => panic!("{other:?}"),
    }
    // The rotated one works, once.
    let again = tt.net.refresh(&tt.grant(&fresh), now).await.unwrap();
    assert!(again.refresh_token.is_some());
}

#[tokio::test]
async fn a_refresh_refused_is_refresh_refused_whatever_the_status() {
    let tt = Tt::start().await;
    let m = tt.mint(TESS, ALL, SignedDuration::ZERO).await;
    tt.admin(
        &format!("refresh_tokens/{}/expire", m.refresh.expose_secret()),
        json!({}),
    )
    .await;
    let err = tt.net.refresh(&tt.grant(&m), tt.now()).await.unwrap_err();
    assert!(matches!(err, OAuthError::RefreshRefused { .. }), "{err:?}");
    // The same refusal with HTTP 200 (the status of OAuth errors is unconfirmed).
    let m = tt.mint(TESS, ALL, SignedDuration::ZERO).await;
    tt.fault(
        "v2/oauth/token",
        200,
        json!({"error": "invalid_grant", "error_description": "Refresh token is invalid or expired.", "log_id": "L"}),
        1,
    )
    .await;
    let err = tt.net.refresh(&tt.grant(&m), tt.now()).await.unwrap_err();
    assert!(matches!(err, OAuthError::RefreshRefused { .. }), "{err:?}");
    // Wrong app credentials are the checker's, never the creator's.
    let wrong = TikTokNetwork::new(app(&tt.base, APP_ID, "wrong-secret")).unwrap();
    let err = wrong.refresh(&tt.grant(&m), tt.now()).await.unwrap_err();
    assert!(
        matches!(err, OAuthError::CheckerMisconfigured { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_error_inside_http_200_is_read_from_the_body() {
    let tt = Tt::start().await;
    let m = tt.mint(TESS, ALL, SignedDuration::ZERO).await;
    tt.fault(
        "v2/user/info",
        200,
        json!({"data":{},"error":{"code":"access_token_invalid","message":"The access token is invalid or not found in the request.","log_id":"20240829190020EBE0D84CCEA6DE000CB6"}}),
        1,
    )
    .await;
    let r = tt.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::TokenInvalidated], "{r:#?}");
    assert_eq!(
        r.login.findings[0]
            .platform_error
            .as_ref()
            .unwrap()
            .http_status,
        Some(200)
    );
}

#[tokio::test]
async fn a_creator_who_cannot_post_now_is_told_on_the_publish_features() {
    let tt = Tt::start().await;
    let m = tt.mint(TESS, ALL, SignedDuration::ZERO).await;
    // The daily cap, answered with HTTP 200.
    tt.admin(
        &format!("creators/{TESS}/posting"),
        json!({"state": "too_many_posts"}),
    )
    .await;
    let r = tt.check(&m).await.unwrap();
    let a = &r.assets[0];
    assert_eq!(codes(&r), [FindingCode::AccountRestricted], "{r:#?}");
    assert_eq!(a.status, Status::ActionRequired);
    assert_eq!(a.features[&Feature::Publish], FeatureVerdict::Unavailable);
    assert_eq!(
        a.features[&Feature::PublishVideo],
        FeatureVerdict::Unavailable
    );
    assert_eq!(a.features[&Feature::Backfill], FeatureVerdict::Available);
    let f = &a.findings[0];
    assert_eq!(f.owner, Owner::AssetAdmin);
    let pe = f.platform_error.clone().unwrap();
    assert_eq!(pe.code, "spam_risk_too_many_posts");
    assert_eq!(pe.http_status, Some(200));
    // A ban.
    tt.admin(
        &format!("creators/{TESS}/posting"),
        json!({"state": "banned"}),
    )
    .await;
    let r = tt.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::AccountRestricted]);
    // Lifted: healthy again.
    tt.admin(&format!("creators/{TESS}/posting"), json!({"state": "ok"}))
        .await;
    let r = tt.check(&m).await.unwrap();
    assert!(codes(&r).is_empty(), "{r:#?}");
}

#[tokio::test]
async fn an_unaudited_app_is_for_the_apps_team() {
    let tt = Tt::start().await;
    let m = tt.mint(TESS, ALL, SignedDuration::ZERO).await;
    tt.admin("app/audited", json!({"enabled": false})).await;
    // A public account: the unaudited client's error.
    let r = tt.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::AppFeatureMissing], "{r:#?}");
    let fs: Vec<_> = r.assets[0]
        .findings
        .iter()
        .filter(|f| f.code == FindingCode::AppFeatureMissing)
        .collect();
    assert!(fs.iter().all(|f| f.owner == Owner::AppOwner));
    assert_eq!(
        fs[0].platform_error.as_ref().unwrap().code,
        "unaudited_client_can_only_post_to_private_accounts"
    );
    assert_eq!(
        r.assets[0].features[&Feature::Backfill],
        FeatureVerdict::Available
    );
    // A private account: only SELF_ONLY is offered.
    tt.admin(
        &format!("creators/{TESS}/private"),
        json!({"enabled": true}),
    )
    .await;
    let r = tt.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::AppFeatureMissing], "{r:#?}");
    // Audited: private posting is the creator's choice, not a finding.
    tt.admin("app/audited", json!({"enabled": true})).await;
    let r = tt.check(&m).await.unwrap();
    assert!(codes(&r).is_empty(), "{r:#?}");
}

#[tokio::test]
async fn transient_trouble_is_retried_and_changes_nothing() {
    let tt = Tt::start().await;
    let m = tt.mint(TESS, ALL, SignedDuration::ZERO).await;
    tt.fault(
        "v2/user/info",
        500,
        json!({"data":{},"error":{"code":"internal_error","message":"Internal error.","log_id":"L"}}),
        2,
    )
    .await;
    let r = tt.check(&m).await.unwrap();
    assert_eq!(r.assets[0].status, Status::Connected, "{r:#?}");
    tt.fault(
        "v2/post/publish/creator_info/query",
        503,
        json!("<html>unavailable</html>"),
        3,
    )
    .await;
    let err = tt.check(&m).await.unwrap_err();
    assert!(
        matches!(err, CheckError::PlatformUnavailable { .. }),
        "{err:?}"
    );
    tt.fault(
        "v2/user/info",
        429,
        json!({"data":{},"error":{"code":"rate_limit_exceeded","message":"The API rate limit was exceeded. Please try again later.","log_id":"L"}}),
        1,
    )
    .await;
    let err = tt.check(&m).await.unwrap_err();
    assert!(matches!(err, CheckError::RateLimited { .. }), "{err:?}");
    // And the next check is as before.
    let r = tt.check(&m).await.unwrap();
    assert_eq!(r.assets[0].status, Status::Connected);
}

#[tokio::test]
async fn the_demo_gives_a_healthy_creator_and_a_broken_one() {
    let tt = Tt::start().await;
    let app: Value = tt
        .http
        .get(format!("{}/_admin/app", tt.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(app["client_id"], APP_ID);
    assert_eq!(app["client_secret"], APP_SECRET);
    let demo = tt.admin("demo", json!({})).await;
    let mut statuses = Vec::new();
    for d in demo.as_array().unwrap() {
        assert!(d["refresh_token_expires_in"].as_i64().unwrap() > 0);
        let now = tt.now();
        let m = Minted {
            token: SecretString::from(d["access_token"].as_str().unwrap().to_owned()),
            refresh: SecretString::from(d["refresh_token"].as_str().unwrap().to_owned()),
            dates: TokenDates {
                issued_at: now,
                expires_at: Some(
                    now + SignedDuration::from_secs(d["expires_in"].as_i64().unwrap()),
                ),
                refresh_expires_at: Some(
                    now + SignedDuration::from_secs(
                        d["refresh_token_expires_in"].as_i64().unwrap(),
                    ),
                ),
            },
            granted: serde_json::from_value(d["granted"].clone()).unwrap(),
        };
        statuses.push(tt.check(&m).await.unwrap().login.status);
    }
    assert_eq!(statuses, [Status::Connected, Status::Disconnected]);
    let stats: Value = tt
        .http
        .get(format!("{}/_admin/stats", tt.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(stats["http_requests"].as_u64().unwrap() >= 3);
}

fn signed_push(secret: &str, t: i64, body: &[u8]) -> Vec<(String, String)> {
    vec![(
        "tiktok-signature".into(),
        tether_tiktok::webhook::sign(secret, t, body),
    )]
}

#[tokio::test]
async fn the_authorization_removed_webhook_is_verified_then_read() {
    let tt = Tt::start().await;
    let now = tt.now();
    let body = format!(
        r#"{{"client_key":"{APP_ID}","event":"authorization.removed","create_time":{},"user_openid":"{TESS}","content":"{{\"reason\": 1 }}"}}"#,
        now.as_second() - 5
    );
    let push = |headers: &[(String, String)], body: &[u8]| {
        let p = Push {
            kind: "webhook",
            method: "POST",
            query: &[],
            headers,
            body,
        };
        tt.net.push(&p)
    };
    // A good signature: the creator's logins stop working.
    let headers = signed_push(APP_SECRET, now.as_second(), body.as_bytes());
    match push(&headers, body.as_bytes()).unwrap() {
        PushReply::Signals(s) => {
            assert_eq!(s.len(), 1);
            assert_eq!(s[0].user_id, TESS);
            assert_eq!(s[0].change, Change::AppRemoved);
            assert_eq!(
                s[0].sent_at,
                Some(Timestamp::from_second(now.as_second() - 5).unwrap())
            );
        }
        other => panic!("{other:?}"),
    }
    // Another secret, or a body changed on the way: refused.
    let headers = signed_push("not-the-secret", now.as_second(), body.as_bytes());
    let err = push(&headers, body.as_bytes()).unwrap_err();
    assert!(matches!(err, PushError::Refused(_)), "{err:?}");
    let headers = signed_push(APP_SECRET, now.as_second(), body.as_bytes());
    let tampered = body.replace(TESS, "-000Someone0Else");
    let err = push(&headers, tampered.as_bytes()).unwrap_err();
    assert!(matches!(err, PushError::Refused(_)), "{err:?}");
    // A stale timestamp (a replay of a captured delivery): refused.
    let old = now.as_second() - 600;
    let headers = signed_push(APP_SECRET, old, body.as_bytes());
    let err = push(&headers, body.as_bytes()).unwrap_err();
    assert!(
        matches!(err, PushError::Refused(ref m) if m.contains("seconds")),
        "{err:?}"
    );
    // Unsigned.
    let err = push(&[], body.as_bytes()).unwrap_err();
    assert!(matches!(err, PushError::Unsigned(_)), "{err:?}");
    // Not hex, no timestamp.
    for h in ["t=1,s=zz", "s=00", "garbage"] {
        let headers = vec![("tiktok-signature".to_owned(), h.to_owned())];
        let err = push(&headers, body.as_bytes()).unwrap_err();
        assert!(matches!(err, PushError::Refused(_)), "{h}: {err:?}");
    }
    // A post's lifecycle says nothing about the connection; an event we do not know is a check.
    for (event, expect) in [("video.publish.completed", 0), ("user.something.new", 1)] {
        let b = format!(
            r#"{{"client_key":"{APP_ID}","event":"{event}","create_time":{},"user_openid":"{TESS}","content":"{{}}"}}"#,
            now.as_second()
        );
        let headers = signed_push(APP_SECRET, now.as_second(), b.as_bytes());
        match push(&headers, b.as_bytes()).unwrap() {
            PushReply::Signals(s) => {
                assert_eq!(s.len(), expect, "{event}");
                if expect == 1 {
                    assert_eq!(s[0].change, Change::CheckSoon);
                }
            }
            other => panic!("{other:?}"),
        }
    }
    // Only the webhook kind, by POST.
    let p = Push {
        kind: "deauthorize",
        method: "POST",
        query: &[],
        headers: &[],
        body: b"",
    };
    assert_eq!(tt.net.push(&p).unwrap_err(), PushError::UnknownKind);
}
