//! Instagram Login's client against the simulator over real HTTP on 127.0.0.1: the dialog and
//! the exchanges, every kind of login the check must tell apart, refresh, and transient trouble.

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tether_core::{Catalog, Engine, EngineOptions, FindingCode, Profile, Report, Status};
use tether_instagram::InstagramNetwork;
use tether_instagram_sim::{APP_ID, APP_SECRET};
use tether_platform::{
    AppConfig, CheckError, Grant, LoginToCheck, Needs, Network, OAuthError, TokenDates,
};
use url::Url;

const HARBOR: &str = "17841400000000101";
const CREATOR: &str = "17841400000000102";
const PERSONAL: &str = "17841400000000103";
const ALL: &[&str] = &[
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_comments",
    "instagram_business_manage_messages",
    "instagram_business_manage_insights",
];

struct Ig {
    _sim: tether_sim::SimHandle,
    base: String,
    http: reqwest::Client,
    net: InstagramNetwork,
}

struct Minted {
    token: SecretString,
    dates: TokenDates,
}

impl Ig {
    fn start() -> Ig {
        let sim = tether_sim::spawn(tether_sim::World::demo()).unwrap();
        let base = format!("{}/instagram", sim.base_url());
        let net = InstagramNetwork::new(AppConfig {
            client_id: APP_ID.into(),
            client_secret: SecretString::from(APP_SECRET),
            api_url: Some(base.parse().unwrap()),
            dialog_url: None,
            timeout: None,
            verify_token: None,
            catalog: None,
        })
        .unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Ig {
            _sim: sim,
            base,
            http,
            net,
        }
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

    async fn mint(&self, account: &str, scopes: &[&str], age: SignedDuration) -> Minted {
        let v = self
            .admin(
                "tokens",
                json!({"account": account, "scopes": scopes, "age_secs": age.as_secs()}),
            )
            .await;
        Minted {
            token: SecretString::from(v["access_token"].as_str().unwrap().to_owned()),
            dates: TokenDates {
                issued_at: v["issued_at"].as_str().unwrap().parse().unwrap(),
                expires_at: Some(v["expires_at"].as_str().unwrap().parse().unwrap()),
                refresh_expires_at: None,
            },
        }
    }

    async fn now(&self) -> Timestamp {
        let clock: Value = self
            .http
            .get(format!("{}/_admin/clock", self._sim.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        clock["now"].as_str().unwrap().parse().unwrap()
    }

    async fn check(
        &self,
        token: &SecretString,
        granted: &[&str],
        dates: Option<TokenDates>,
    ) -> Result<Report, CheckError> {
        let now = self.now().await;
        let login = LoginToCheck {
            granted: Some(granted.iter().map(|s| s.to_string()).collect()),
            dates,
            ..LoginToCheck::token(token.clone())
        };
        let snapshot = self
            .net
            .inspect(std::slice::from_ref(&login), &Needs::at(now))
            .await
            .pop()
            .unwrap()?;
        let catalog = self.net.catalog();
        let engine = Engine::new(
            catalog,
            self.net.id(),
            &Profile::all(catalog),
            EngineOptions::default(),
        );
        Ok(engine.diagnose(&snapshot.login, &snapshot.assets, now))
    }

    /// Plays the person in the dialog: logs in as `account`, leaves `untick` switched off.
    async fn dialog(&self, account: &str, untick: &[&str], allow: bool) -> Url {
        let redirect: Url = "http://127.0.0.1:9/callback".parse().unwrap();
        let url = self.net.authorize_url(&redirect, "st4te", ALL, false);
        let page = self.http.get(url.clone()).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        for scope in ALL {
            assert!(html.contains(&format!("value=\"{scope}\"")), "{html}");
        }
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

fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn connecting_through_the_dialog_gives_a_healthy_sixty_day_login() {
    let ig = Ig::start();
    let back = ig.dialog(HARBOR, &[], true).await;
    assert!(back.as_str().ends_with("#_"), "{back}");
    assert_eq!(query(&back, "state").as_deref(), Some("st4te"));
    let code = query(&back, "code").unwrap();
    let redirect: Url = "http://127.0.0.1:9/callback".parse().unwrap();
    let now = ig.now().await;
    let issued = ig.net.exchange(&code, &redirect, now).await.unwrap();
    assert_eq!(issued.user_id.as_deref(), Some(HARBOR));
    assert_eq!(issued.granted.clone().unwrap(), ALL);
    let lifetime = issued.expires_at.unwrap().duration_since(now);
    assert!(
        lifetime > SignedDuration::from_hours(24 * 59),
        "{lifetime:?}"
    );
    // A code is single-use.
    let again = ig.net.exchange(&code, &redirect, now).await.unwrap_err();
    assert!(
        matches!(again, OAuthError::CodeRejected { .. }),
        "{again:?}"
    );

    let dates = TokenDates {
        issued_at: now,
        expires_at: issued.expires_at,
        refresh_expires_at: None,
    };
    let r = ig
        .check(&issued.access_token, ALL, Some(dates))
        .await
        .unwrap();
    assert_eq!(r.login.status, Status::Connected, "{r:#?}");
    assert_eq!(r.login.user_name.as_deref(), Some("harbor.bakery"));
    assert_eq!(r.assets.len(), 1);
    assert_eq!(r.assets[0].id, HARBOR);
    assert_eq!(r.assets[0].status, Status::Connected);
    assert_eq!(r.login.token.expires_at, issued.expires_at);
    assert_eq!(ig.net.stats().platform_calls, 1, "one call per check");
}

#[tokio::test]
async fn cancelling_the_dialog_is_the_documented_access_denied() {
    let ig = Ig::start();
    let back = ig.dialog(HARBOR, &[], false).await;
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "error_reason").as_deref(), Some("user_denied"));
}

#[tokio::test]
async fn a_scope_switched_off_in_the_dialog_breaks_its_feature_only() {
    let ig = Ig::start();
    let back = ig
        .dialog(CREATOR, &["instagram_business_manage_comments"], true)
        .await;
    let redirect: Url = "http://127.0.0.1:9/callback".parse().unwrap();
    let issued = ig
        .net
        .exchange(&query(&back, "code").unwrap(), &redirect, ig.now().await)
        .await
        .unwrap();
    let granted = issued.granted.unwrap();
    assert!(
        !granted
            .iter()
            .any(|s| s == "instagram_business_manage_comments")
    );
    let granted: Vec<&str> = granted.iter().map(String::as_str).collect();
    let r = ig
        .check(&issued.access_token, &granted, None)
        .await
        .unwrap();
    assert_eq!(r.assets[0].status, Status::ActionRequired);
    assert_eq!(codes(&r), [FindingCode::PermissionMissing]);
    let f = &r.login.findings[0];
    assert_eq!(
        f.permission.as_deref(),
        Some("instagram_business_manage_comments")
    );
    assert_eq!(f.features, [tether_core::Feature::Comments]);
    let text = format!("{} {}", f.remedy.summary, f.remedy.steps.join(" "));
    assert!(
        !text.contains("Facebook") && !text.contains("Page"),
        "{text}"
    );
}

#[tokio::test]
async fn a_personal_account_is_told_to_switch_to_professional() {
    let ig = Ig::start();
    let m = ig.mint(PERSONAL, ALL, SignedDuration::ZERO).await;
    let r = ig.check(&m.token, ALL, Some(m.dates)).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::InstagramNotProfessional]);
    assert_eq!(r.assets[0].status, Status::ActionRequired);
    assert_eq!(
        r.assets[0].findings[0].owner,
        tether_core::Owner::AccountOwner
    );
}

#[tokio::test]
async fn an_expired_token_and_a_changed_password_are_told_apart() {
    let ig = Ig::start();
    let expired = ig.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    ig.admin(
        &format!("tokens/{}/expire", expired.token.expose_secret()),
        json!({}),
    )
    .await;
    let dates = TokenDates {
        expires_at: Some(ig.now().await - SignedDuration::from_secs(1)),
        ..expired.dates
    };
    let r = ig.check(&expired.token, ALL, Some(dates)).await.unwrap();
    assert_eq!(r.login.status, Status::Disconnected);
    assert_eq!(codes(&r), [FindingCode::TokenExpired], "{r:#?}");
    let pe = r.login.findings[0].platform_error.clone().unwrap();
    assert_eq!((pe.code.as_str(), pe.http_status), ("190", Some(400)));

    let other = ig.mint(CREATOR, ALL, SignedDuration::ZERO).await;
    ig.admin(&format!("accounts/{CREATOR}/change_password"), json!({}))
        .await;
    let r = ig
        .check(&other.token, ALL, Some(other.dates))
        .await
        .unwrap();
    assert_eq!(r.login.status, Status::Disconnected);
    assert_eq!(codes(&r), [FindingCode::TokenInvalidated]);
}

#[tokio::test]
async fn a_token_older_than_a_day_is_refreshed_for_sixty_more_days() {
    let ig = Ig::start();
    let m = ig
        .mint(HARBOR, ALL, SignedDuration::from_hours(24 * 50))
        .await;
    let at = ig.net.refresh_at(&m.dates).unwrap();
    let now = ig.now().await;
    assert!(
        at <= now,
        "a token ten days from its end is due: {at} > {now}"
    );
    let grant = Grant {
        access_token: m.token.clone(),
        refresh_token: None,
        dates: m.dates,
    };
    let fresh = ig.net.refresh(&grant, now).await.unwrap();
    assert_ne!(fresh.access_token.expose_secret(), m.token.expose_secret());
    assert_eq!(
        fresh.granted.unwrap(),
        ALL,
        "the refresh says what is still granted"
    );
    assert!(fresh.expires_at.unwrap().duration_since(now) > SignedDuration::from_hours(24 * 59));
    let r = ig.check(&fresh.access_token, ALL, None).await.unwrap();
    assert_eq!(r.login.status, Status::Connected);
}

#[tokio::test]
async fn refreshes_the_platform_refuses_are_refusals_not_verdicts() {
    let ig = Ig::start();
    let young = ig.mint(HARBOR, ALL, SignedDuration::from_hours(2)).await;
    assert!(
        ig.net.refresh_at(&young.dates).unwrap() > ig.now().await,
        "not due yet"
    );
    let now = ig.now().await;
    let grant = |m: &Minted| Grant {
        access_token: m.token.clone(),
        refresh_token: None,
        dates: m.dates,
    };
    let e = ig.net.refresh(&grant(&young), now).await.unwrap_err();
    assert!(matches!(e, OAuthError::RefreshRefused { .. }), "{e:?}");
    // The token itself still works: a refused refresh is not a broken login.
    let r = ig
        .check(&young.token, ALL, Some(young.dates))
        .await
        .unwrap();
    assert_eq!(r.login.status, Status::Connected);

    let old = ig
        .mint(HARBOR, ALL, SignedDuration::from_hours(24 * 30))
        .await;
    ig.admin(
        &format!("tokens/{}/expire", old.token.expose_secret()),
        json!({}),
    )
    .await;
    let e = ig.net.refresh(&grant(&old), now).await.unwrap_err();
    let OAuthError::RefreshRefused {
        platform_error,
        until,
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(platform_error.code, "190");
    assert_eq!(until, old.dates.expires_at);
}

#[tokio::test]
async fn transient_trouble_is_retried_and_never_a_verdict() {
    let ig = Ig::start();
    let m = ig.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    let outage = json!({"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"Asim"}});
    ig.admin(
        "faults",
        json!({"path": "me", "status": 503, "body": outage, "times": 1}),
    )
    .await;
    let r = ig.check(&m.token, ALL, Some(m.dates)).await.unwrap();
    assert_eq!(r.login.status, Status::Connected, "one retry got through");
    assert_eq!(ig.net.stats().http_requests, 2);

    ig.admin(
        "faults",
        json!({"path": "me", "status": 503, "body": outage, "times": 3}),
    )
    .await;
    let e = ig.check(&m.token, ALL, Some(m.dates)).await.unwrap_err();
    assert!(
        matches!(e, CheckError::PlatformUnavailable { attempts: 3, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_grant_that_still_holds_the_retired_scope_names_must_reconnect() {
    let ig = Ig::start();
    let old = ["business_basic", "business_content_publish"];
    let m = ig
        .mint(HARBOR, &old, SignedDuration::from_hours(24 * 3))
        .await;
    let r = ig.check(&m.token, &old, Some(m.dates)).await.unwrap();
    let found = codes(&r);
    assert!(found.contains(&FindingCode::ScopeRetired), "{found:?}");
    assert!(found.contains(&FindingCode::PermissionMissing), "{found:?}");
    assert_eq!(r.login.status, Status::ActionRequired);
    assert!(r.assets.iter().all(|a| a.status != Status::Connected));
}

#[tokio::test]
async fn a_bare_token_without_its_grant_is_a_clear_error() {
    let ig = Ig::start();
    let m = ig.mint(HARBOR, ALL, SignedDuration::ZERO).await;
    let now = ig.now().await;
    let e = ig
        .net
        .inspect(&[LoginToCheck::token(m.token)], &Needs::at(now))
        .await
        .pop()
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, CheckError::GrantUnknown { .. }), "{e:?}");
    assert!(e.to_string().contains("--granted"), "{e}");
}

#[test]
fn the_catalog_is_instagram_logins_own() {
    let c = Catalog::builtin(tether_core::Network::Instagram).unwrap();
    assert!(c.tasks.is_empty(), "no Page, so no Page tasks");
    assert!(c.permission("business_basic").unwrap().retired());
}
