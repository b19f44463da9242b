//! LinkedIn's client against the simulator over real HTTP on 127.0.0.1: the dialog and the code
//! exchange, introspection, roles per organization, every kind of broken login the check must
//! tell apart, the refresh and its refusals, the app's own trouble, transient trouble.

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::time::Duration;
use tether_core::{
    Catalog, Engine, EngineOptions, FeatureVerdict, FindingCode, Owner, Profile, Report, Status,
};
use tether_linkedin::LinkedInNetwork;
use tether_linkedin_sim::{APP_ID, APP_SECRET};
use tether_platform::{
    AppConfig, CheckError, Grant, LoginToCheck, Needs, Network, OAuthError, Snapshot, TokenDates,
};
use url::Url;

const ADA: &str = "aLi5Ada0001";
const HARBOR: &str = "2414183";
const NORTHWIND: &str = "2414184";
const ALL: &[&str] = &[
    "r_basicprofile",
    "r_organization_social",
    "w_organization_social",
    "rw_organization_admin",
];

struct Li {
    sim: tether_sim::SimHandle,
    base: String,
    http: reqwest::Client,
    net: LinkedInNetwork,
}

struct Minted {
    token: SecretString,
    refresh: Option<SecretString>,
    dates: TokenDates,
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

impl Li {
    fn start() -> Li {
        let sim = tether_sim::spawn(tether_sim::World::demo()).unwrap();
        let base = format!("{}/linkedin", sim.base_url());
        let net = LinkedInNetwork::new(app(&base, APP_ID, APP_SECRET))
            .unwrap()
            .with_revoked_pause(Duration::from_millis(50));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Li {
            sim,
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

    async fn fault(&self, path: &str, status: u16, body: Value, times: u32) {
        self.admin(
            "faults",
            json!({"path": path, "status": status, "body": body, "times": times}),
        )
        .await;
    }

    async fn mint(&self, member: &str, scopes: &[&str], age: SignedDuration) -> Minted {
        let v = self
            .admin(
                "tokens",
                json!({"member": member, "scopes": scopes, "age_secs": age.as_secs()}),
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
        }
    }

    async fn now(&self) -> Timestamp {
        let clock: Value = self
            .http
            .get(format!("{}/_admin/clock", self.sim.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        clock["now"].as_str().unwrap().parse().unwrap()
    }

    async fn sim_admin_clock(&self, now: Timestamp) {
        let resp = self
            .http
            .post(format!("{}/_admin/clock/set", self.sim.base_url()))
            .json(&json!({"now": now.to_string()}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    }

    async fn snapshot(
        &self,
        token: &SecretString,
        dates: Option<TokenDates>,
        known: Option<Value>,
    ) -> Result<Snapshot, CheckError> {
        let now = self.now().await;
        let login = LoginToCheck {
            dates,
            known,
            ..LoginToCheck::token(token.clone())
        };
        self.net
            .inspect(std::slice::from_ref(&login), &Needs::at(now))
            .await
            .pop()
            .unwrap()
    }

    async fn judge(&self, snapshot: &Snapshot) -> Report {
        let now = self.now().await;
        let catalog: &Catalog = self.net.catalog();
        // What a publishing and community tool does on a Page; ads and lead forms need scopes
        // and roles of their own, tested by the catalog's own tests.
        let profile = Profile::from_toml_str(
            "name = \"pages\"\nfeatures = [\"publish\", \"publish_video\", \"comments\", \"backfill\", \"analytics\"]\n",
            "pages.toml",
            catalog,
        )
        .unwrap();
        let engine = Engine::new(catalog, self.net.id(), &profile, EngineOptions::default());
        engine.diagnose(&snapshot.login, &snapshot.assets, now)
    }

    async fn check(&self, m: &Minted) -> Result<Report, CheckError> {
        let s = self.snapshot(&m.token, Some(m.dates), None).await?;
        Ok(self.judge(&s).await)
    }

    /// Plays the member in the dialog: signs in as `member`, leaves `untick` switched off.
    async fn dialog(&self, member: &str, untick: &[&str], allow: bool) -> Url {
        let redirect: Url = "http://127.0.0.1:9/callback".parse().unwrap();
        let url = self.net.authorize_url(&redirect, "st4te", &ALL[1..], false);
        assert_eq!(
            query(&url, "scope").as_deref(),
            Some(ALL.join(" ").as_str()),
            "the identity scope is always asked for, first"
        );
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
            ("member", member),
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

fn finding(a: &tether_core::AssetReport, code: FindingCode) -> &tether_core::Finding {
    a.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("{} has no {code}: {a:#?}", a.id))
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
async fn connecting_through_the_dialog_reaches_each_page_with_the_members_roles() {
    let li = Li::start();
    let back = li.dialog(ADA, &[], true).await;
    assert_eq!(query(&back, "state").as_deref(), Some("st4te"));
    let code = query(&back, "code").unwrap();
    let redirect: Url = "http://127.0.0.1:9/callback".parse().unwrap();
    let now = li.now().await;
    let issued = li.net.exchange(&code, &redirect, now).await.unwrap();
    assert_eq!(issued.granted.clone().unwrap(), ALL);
    let access = issued.expires_at.unwrap().duration_since(now);
    let refresh = issued.refresh_expires_at.unwrap().duration_since(now);
    assert_eq!(access, SignedDuration::from_hours(24 * 60));
    assert_eq!(refresh, SignedDuration::from_hours(24 * 365));
    assert!(issued.refresh_token.is_some());
    // The code is single-use.
    let again = li.net.exchange(&code, &redirect, now).await.unwrap_err();
    assert!(
        matches!(again, OAuthError::CodeRejected { .. }),
        "{again:?}"
    );

    let dates = TokenDates {
        issued_at: now,
        expires_at: issued.expires_at,
        refresh_expires_at: issued.refresh_expires_at,
    };
    let s = li
        .snapshot(&issued.access_token, Some(dates), None)
        .await
        .unwrap();
    assert_eq!(s.login.user_id.as_deref(), Some(ADA));
    assert_eq!(s.login.user_name.as_deref(), Some("Ada Park"));
    // The login lasts as long as its refresh token: the access token is refreshed before it ends.
    assert_eq!(s.login.token.expires_at, issued.refresh_expires_at);
    let r = li.judge(&s).await;
    let harbor = asset(&r, HARBOR);
    assert_eq!(harbor.name.as_deref(), Some("Harbor Bakery"));
    assert_eq!(harbor.status, Status::Connected, "{harbor:#?}");
    // An Analyst can read analytics? No: analytics needs ADMINISTRATOR. Publishing needs a
    // posting role: both are roles a Super admin of the Page gives.
    let northwind = asset(&r, NORTHWIND);
    assert_eq!(northwind.name.as_deref(), Some("Northwind Studio"));
    assert_eq!(northwind.status, Status::ActionRequired, "{northwind:#?}");
    assert!(
        northwind
            .findings
            .iter()
            .all(|f| f.code == FindingCode::RoleMissing),
        "{northwind:#?}"
    );
    let f = &northwind.findings[0];
    assert_eq!(f.owner, Owner::AssetAdmin, "{f:#?}");

    // The next check knows whose login it is: no /rest/me again.
    let before = li.net.stats().platform_calls;
    let next = li
        .snapshot(&issued.access_token, Some(dates), s.known.clone())
        .await
        .unwrap();
    assert_eq!(li.net.stats().platform_calls - before, 2);
    assert_eq!(next.login.user_name.as_deref(), Some("Ada Park"));
    assert_eq!(next.assets, s.assets);
}

#[tokio::test]
async fn cancelling_the_dialog_is_the_documented_user_cancelled_authorize() {
    let li = Li::start();
    let back = li.dialog(ADA, &[], false).await;
    assert_eq!(
        query(&back, "error").as_deref(),
        Some("user_cancelled_authorize")
    );
    assert_eq!(query(&back, "state").as_deref(), Some("st4te"));
    assert!(query(&back, "code").is_none());
}

#[tokio::test]
async fn a_scope_left_out_breaks_its_features_only() {
    let li = Li::start();
    let m = li
        .mint(
            ADA,
            &[
                "r_basicprofile",
                "r_organization_social",
                "rw_organization_admin",
            ],
            SignedDuration::ZERO,
        )
        .await;
    let r = li.check(&m).await.unwrap();
    let harbor = asset(&r, HARBOR);
    let publish: Vec<_> = harbor
        .findings
        .iter()
        .filter(|f| f.code == FindingCode::PermissionMissing)
        .collect();
    assert!(!publish.is_empty(), "{harbor:#?}");
    assert!(
        publish
            .iter()
            .all(|f| f.permission.as_deref() == Some("w_organization_social")),
        "{publish:#?}"
    );
    assert_eq!(
        harbor.features[&tether_core::Feature::Analytics],
        tether_core::FeatureVerdict::Available
    );
}

#[tokio::test]
async fn a_role_taken_away_is_role_missing_and_a_page_left_is_no_longer_listed() {
    let li = Li::start();
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    let first = li.snapshot(&m.token, Some(m.dates), None).await.unwrap();
    assert_eq!(first.assets.len(), 2);
    // A Super admin makes Ada an Analyst of Harbor Bakery instead, and removes her from
    // Northwind Studio.
    for (org, role, state) in [
        (HARBOR, "ADMINISTRATOR", "REVOKED"),
        (HARBOR, "LEAD_GEN_FORMS_MANAGER", "REVOKED"),
        (HARBOR, "ANALYST", "APPROVED"),
        (NORTHWIND, "ANALYST", "REVOKED"),
    ] {
        li.admin(
            "acls",
            json!({"member": ADA, "organization": org, "role": role, "state": state}),
        )
        .await;
    }
    let s = li
        .snapshot(&m.token, Some(m.dates), first.known.clone())
        .await
        .unwrap();
    assert_eq!(s.assets.len(), 1, "{:#?}", s.assets);
    assert_eq!(s.assets[0].tasks, ["ANALYST"]);
    let r = li.judge(&s).await;
    assert_eq!(codes(&r), [FindingCode::RoleMissing]);
    let harbor = asset(&r, HARBOR);
    let f = harbor
        .findings
        .iter()
        .find(|f| f.features.contains(&tether_core::Feature::Publish))
        .unwrap();
    assert_eq!(f.role.as_deref(), Some("ADMINISTRATOR"), "{f:#?}");
}

#[tokio::test]
async fn expired_revoked_and_invalidated_tokens_are_told_apart() {
    let li = Li::start();
    // Expired: its 60 days are over.
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    li.admin(
        &format!("tokens/{}/expire", m.token.expose_secret()),
        json!({}),
    )
    .await;
    let r = li.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::TokenExpired]);
    assert_eq!(r.login.status, Status::Disconnected);

    // Invalidated: the member authorized again with another scope set.
    let old = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    li.mint(
        ADA,
        &["r_basicprofile", "w_organization_social"],
        SignedDuration::ZERO,
    )
    .await;
    let r = li.check(&old).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::TokenInvalidated], "{r:#?}");
    let pe = r.login.findings[0].platform_error.clone().unwrap();
    assert_eq!(pe.code, "INVALID_ACCESS_TOKEN");
    assert_eq!(pe.subcode.as_deref(), Some("65600"));

    // Revoked: the member removed the app in their LinkedIn settings.
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    li.admin(&format!("members/{ADA}/revoke_app"), json!({}))
        .await;
    let r = li.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::AppRemoved]);
}

#[tokio::test]
async fn a_revoked_answer_is_asked_again_once_before_it_is_believed() {
    let li = Li::start();
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    // A token minted seconds ago: LinkedIn says revoked once, on the API and on introspection.
    li.fault(
        "rest/organizationAcls",
        401,
        json!({"status":401,"serviceErrorCode":65601,"code":"REVOKED_ACCESS_TOKEN","message":"The token used in the request has been revoked by the user"}),
        1,
    )
    .await;
    let r = li.check(&m).await.unwrap();
    assert!(
        codes(&r).iter().all(|c| *c == FindingCode::RoleMissing),
        "{r:#?}"
    );
    assert_eq!(asset(&r, HARBOR).status, Status::Connected);
    li.fault(
        "oauth/v2/introspectToken",
        200,
        json!({"active": false, "status": "revoked", "client_id": APP_ID, "auth_type": "3L"}),
        1,
    )
    .await;
    let r = li.check(&m).await.unwrap();
    assert_eq!(asset(&r, HARBOR).status, Status::Connected);
    // Said twice, it stands.
    li.fault(
        "oauth/v2/introspectToken",
        200,
        json!({"active": false, "status": "revoked", "client_id": APP_ID, "auth_type": "3L"}),
        2,
    )
    .await;
    let r = li.check(&m).await.unwrap();
    assert_eq!(codes(&r), [FindingCode::AppRemoved]);
}

#[tokio::test]
async fn a_refresh_gives_sixty_more_days_and_never_extends_the_year() {
    let li = Li::start();
    let m = li.mint(ADA, ALL, SignedDuration::from_hours(24 * 55)).await;
    let now = li.now().await;
    let due = li.net.refresh_at(&m.dates).unwrap();
    assert!(due <= now, "due {due}, now {now}");
    let grant = Grant {
        access_token: m.token.clone(),
        refresh_token: m.refresh.clone(),
        dates: m.dates,
    };
    let issued = li.net.refresh(&grant, now).await.unwrap();
    assert_ne!(issued.access_token.expose_secret(), m.token.expose_secret());
    assert_eq!(
        issued.expires_at.unwrap().duration_since(now),
        SignedDuration::from_hours(24 * 60)
    );
    assert_eq!(
        issued
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        m.refresh.as_ref().map(|t| t.expose_secret().to_owned())
    );
    assert_eq!(issued.refresh_expires_at, m.dates.refresh_expires_at);
    let fresh = Minted {
        token: issued.access_token.clone(),
        refresh: issued.refresh_token.clone(),
        dates: TokenDates {
            issued_at: now,
            expires_at: issued.expires_at,
            refresh_expires_at: issued.refresh_expires_at,
        },
    };
    let r = li.check(&fresh).await.unwrap();
    assert_eq!(asset(&r, HARBOR).status, Status::Connected);

    // A refresh token past its year is refused: a refusal, not a verdict.
    li.admin(
        &format!(
            "refresh_tokens/{}/expire",
            m.refresh.as_ref().unwrap().expose_secret()
        ),
        json!({}),
    )
    .await;
    let err = li.net.refresh(&grant, now).await.unwrap_err();
    match err {
        OAuthError::RefreshRefused { until, .. } => assert_eq!(until, m.dates.refresh_expires_at),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_login_near_the_end_of_its_year_is_at_risk_with_the_date() {
    let li = Li::start();
    // Authorized 360 days ago and refreshed every 50 days since: the access token is fresh,
    // the year is nearly over.
    let old = li
        .mint(ADA, ALL, SignedDuration::from_hours(24 * 360))
        .await;
    let now = li.now().await;
    let grant = Grant {
        access_token: old.token.clone(),
        refresh_token: old.refresh.clone(),
        dates: old.dates,
    };
    let issued = li.net.refresh(&grant, now).await.unwrap();
    let m = Minted {
        token: issued.access_token,
        refresh: issued.refresh_token,
        dates: TokenDates {
            issued_at: now,
            expires_at: issued.expires_at,
            refresh_expires_at: issued.refresh_expires_at,
        },
    };
    assert_eq!(m.dates.refresh_expires_at, old.dates.refresh_expires_at);
    let r = li.check(&m).await.unwrap();
    assert!(codes(&r).contains(&FindingCode::TokenExpiring), "{r:#?}");
    let f = r
        .login
        .findings
        .iter()
        .find(|f| f.code == FindingCode::TokenExpiring)
        .unwrap();
    assert_eq!(f.until, m.dates.refresh_expires_at);
}

#[tokio::test]
async fn an_app_without_refresh_tokens_is_never_refreshed() {
    let li = Li::start();
    li.admin("app/refresh_tokens", json!({"enabled": false}))
        .await;
    let m = li.mint(ADA, ALL, SignedDuration::from_hours(24 * 55)).await;
    assert!(m.refresh.is_none());
    assert_eq!(li.net.refresh_at(&m.dates), None);
    // The login ends with its access token.
    let s = li.snapshot(&m.token, Some(m.dates), None).await.unwrap();
    assert_eq!(s.login.token.expires_at, m.dates.expires_at);
}

#[tokio::test]
async fn the_apps_own_trouble_is_for_the_apps_team_and_keeps_the_pages() {
    let li = Li::start();
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    let first = li.snapshot(&m.token, Some(m.dates), None).await.unwrap();
    // LinkedIn sunsets the API version this build sends.
    li.admin(&format!("versions/{}/retire", li.net.version()), json!({}))
        .await;
    let s = li
        .snapshot(&m.token, Some(m.dates), first.known.clone())
        .await
        .unwrap();
    assert_eq!(s.assets, first.assets, "the Pages stay as last seen");
    assert_eq!(
        s.login.observed.len(),
        1,
        "one refusal, however many calls met it"
    );
    let pe = s.login.observed[0].platform_error.clone().unwrap();
    assert_eq!(pe.code, "NONEXISTENT_VERSION");
    assert_eq!(pe.http_status, Some(426));
    let sunset = li.net.catalog().api_version.as_ref().unwrap().sunset;
    let r = li.judge(&s).await;
    assert!(
        codes(&r).contains(&FindingCode::ApiVersionRetired),
        "{r:#?}"
    );
    assert!(!codes(&r).contains(&FindingCode::ApiVersionRetiring));
    assert_eq!(r.assets.len(), 2);
    for a in &r.assets {
        assert_eq!(a.status, Status::ActionRequired);
        assert!(
            a.features
                .values()
                .all(|v| *v == FeatureVerdict::Unavailable)
        );
        let f = finding(a, FindingCode::ApiVersionRetired);
        assert_eq!(f.owner, Owner::AppOwner);
        assert_eq!(f.until, Some(sunset), "the day the catalog says it ended");
        assert!(
            f.remedy.steps[1].contains("newer LinkedIn API version"),
            "{f:#?}"
        );
    }

    // The app loses the product that opens organization calls.
    let li = Li::start();
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    li.admin("app/organization_product", json!({"enabled": false}))
        .await;
    let s = li.snapshot(&m.token, Some(m.dates), None).await.unwrap();
    let pe = s.login.observed[0].platform_error.clone().unwrap();
    assert_eq!(pe.code, "ACCESS_DENIED");
    assert!(
        pe.message
            .starts_with("Not enough permissions to access: organizationAcls")
    );
}

#[tokio::test]
async fn the_end_of_the_api_version_is_told_to_the_apps_team_before_the_day() {
    let li = &Li::start();
    let version = li.net.catalog().api_version.clone().unwrap();
    let day = SignedDuration::from_hours(24);
    let at = |t: Timestamp| async move {
        li.sim_admin_clock(t).await;
        let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
        li.check(&m).await.unwrap()
    };

    let page = |r: &Report, id: &str| r.assets.iter().find(|a| a.id == id).unwrap().clone();

    // A day before the notice starts: nothing to say. Harbor Bakery is healthy; on Northwind
    // Studio Ada is only an Analyst, so publishing there waits for a role.
    let before = at(version.sunset - version.notice - day).await;
    assert!(!codes(&before).contains(&FindingCode::ApiVersionRetiring));
    assert_eq!(
        page(&before, HARBOR).status,
        Status::Connected,
        "{before:#?}"
    );

    // Within the notice: whatever works is at risk, with one dated finding for the app's team;
    // what the role already breaks stays broken (and a Page with nothing left at risk is not
    // told about the version on top).
    let r = at(version.sunset - day * 30).await;
    let harbor = page(&r, HARBOR);
    assert_eq!(harbor.status, Status::AtRisk, "{r:#?}");
    assert!(
        harbor
            .features
            .values()
            .all(|v| *v == FeatureVerdict::AtRisk)
    );
    assert_eq!(harbor.findings.len(), 1);
    let f = finding(&harbor, FindingCode::ApiVersionRetiring);
    assert_eq!((f.owner, f.until), (Owner::AppOwner, Some(version.sunset)));
    let named = format!(" on {}; ", version.sunset.strftime("%-d %B %Y"));
    assert!(
        f.remedy.summary.contains(&named) && !f.remedy.summary.contains("00:00"),
        "the day is named, without an hour nobody announced: {f:#?}"
    );
    let (was, now) = (page(&before, NORTHWIND), page(&r, NORTHWIND));
    assert_eq!(now.status, Status::ActionRequired, "the worst finding wins");
    for (feature, verdict) in &was.features {
        let expected = match verdict {
            FeatureVerdict::Available => FeatureVerdict::AtRisk,
            other => *other,
        };
        assert_eq!(now.features[feature], expected, "{feature}: {r:#?}");
    }
    let login = &r.login.findings;
    assert!(
        login
            .iter()
            .any(|f| f.code == FindingCode::ApiVersionRetiring)
    );

    // Past the day while LinkedIn still serves it: still at risk, never green, not broken.
    let r = at(version.sunset + day).await;
    assert_eq!(page(&r, HARBOR).status, Status::AtRisk, "{r:#?}");

    // The day LinkedIn refuses it, the refusal is the finding (a login checked for the first
    // time then reaches no Page it can name: the login says it).
    li.admin(&format!("versions/{}/retire", version.version), json!({}))
        .await;
    let r = at(version.sunset + day * 2).await;
    assert_eq!(r.login.status, Status::ActionRequired, "{r:#?}");
    assert_eq!(codes(&r), [FindingCode::ApiVersionRetired]);
    assert_eq!(r.login.findings[0].until, Some(version.sunset));
}

#[tokio::test]
async fn wrong_app_credentials_are_the_checkers_not_the_members() {
    let li = Li::start();
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    for (id, secret) in [(APP_ID, "wrong-secret"), ("wrong-id", APP_SECRET)] {
        let net = LinkedInNetwork::new(app(&li.base, id, secret)).unwrap();
        let login = LoginToCheck::token(m.token.clone());
        let err = net
            .inspect(std::slice::from_ref(&login), &Needs::at(li.now().await))
            .await
            .pop()
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(err, CheckError::CheckerMisconfigured { .. }),
            "{id}/{secret}: {err:?}"
        );
    }
}

#[tokio::test]
async fn transient_trouble_is_retried_and_never_a_verdict() {
    let li = Li::start();
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    let downstream = json!({"status": 500, "message": "Access token downstream verification failures return a 500"});
    li.fault("oauth/v2/introspectToken", 500, downstream.clone(), 2)
        .await;
    let r = li.check(&m).await.unwrap();
    assert_eq!(asset(&r, HARBOR).status, Status::Connected);
    li.fault(
        "rest/organizationAcls",
        503,
        json!("<html>unavailable</html>"),
        3,
    )
    .await;
    let err = li.check(&m).await.unwrap_err();
    assert!(
        matches!(err, CheckError::PlatformUnavailable { .. }),
        "{err:?}"
    );
    li.fault("rest/organizationAcls", 429, json!({"status": 429, "message": "Resource level throttle limit for calls to this resource is reached."}), 1)
        .await;
    let err = li.check(&m).await.unwrap_err();
    assert!(matches!(err, CheckError::RateLimited { .. }), "{err:?}");
}

#[tokio::test]
async fn many_roles_are_read_across_pages() {
    let li = Li::start();
    for i in 0..130 {
        let id = format!("9{i:06}");
        li.admin(
            "organizations",
            json!({"id": id, "name": format!("Page {i}")}),
        )
        .await;
        li.admin(
            "acls",
            json!({"member": ADA, "organization": id, "role": "ADMINISTRATOR"}),
        )
        .await;
    }
    let m = li.mint(ADA, ALL, SignedDuration::ZERO).await;
    let s = li.snapshot(&m.token, Some(m.dates), None).await.unwrap();
    assert_eq!(s.assets.len(), 132);
}
