//! The browser journeys, each on its own app and browser.

use crate::browser::Browser;
use crate::harness::{Engine, TestApp};
use fantoccini::Locator;
use fantoccini::actions::InputSource;
use secrecy::SecretString;
use serde_json::Value;
use tether_core::{Action, AssetReport, FindingCode, Owner, Status};
use tether_server::connect::{Expect, connect_token};
use tether_server::dashboard::hash_password;
use tether_sim::World;
use tether_store::{AssetRecord, OverviewFilter, OverviewItem, Role, Store, WorkspaceId};

pub const OWNER: &str = "owner@northwind.example";
pub const PASSWORD: &str = "correct horse battery";

/// The app with the demo world's people connected, and an owner who can sign in.
async fn demo_app() -> (TestApp, WorkspaceId) {
    app_with(World::demo()).await
}

/// The app with every person of `world` connected (their newest token), and an owner who can
/// sign in.
pub async fn app_with(world: World) -> (TestApp, WorkspaceId) {
    let tokens = world.newest_user_tokens();
    let t = TestApp::spawn_with(Engine::Sqlite, world, "scheduler").await;
    let s = &t.app.state;
    let ws = s.store.list_workspaces().await.unwrap()[0].id;
    for (_, name, token) in tokens {
        let expect = Expect {
            name_hint: Some(&name),
            ..Expect::default()
        };
        connect_token(s, ws, SecretString::from(token), expect)
            .await
            .expect("a login connects");
    }
    let phc = hash_password(&SecretString::from(PASSWORD.to_owned())).unwrap();
    s.store
        .create_user(ws, OWNER, Role::Owner, &phc, s.clock.now())
        .await
        .unwrap();
    (t, ws)
}

/// Every asset of the workspace with its report, in the overview's order.
async fn records(t: &TestApp, ws: WorkspaceId) -> Vec<(AssetRecord, AssetReport)> {
    let s = &t.app.state;
    s.store
        .list_overview(
            ws,
            &OverviewFilter {
                limit: 10_000,
                ..OverviewFilter::default()
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|item| match item {
            OverviewItem::Asset(r) => {
                let rep: AssetReport = serde_json::from_value(r.report.clone()?).ok()?;
                Some((r, rep))
            }
            OverviewItem::Login { .. } => None,
        })
        .collect()
}

pub async fn sign_in(b: &Browser, t: &TestApp, email: &str, password: &str) {
    b.goto(&t.url("/app")).await;
    // Not signed in: the dashboard sends the browser to the sign-in page.
    let url = b.client.current_url().await.unwrap();
    assert!(url.path().ends_with("/app/sign-in"), "{url}");
    b.client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    b.client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    click(b, Locator::Css("form button[type=submit]")).await;
    // The sign-in page has an h1 too: wait for the browser to leave it first, or a later read
    // can find the old page's element and see it go stale as the new one loads.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let url = b.client.current_url().await.unwrap();
        if !url.path().ends_with("/app/sign-in") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still on {url}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    b.client
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .unwrap();
}

/// A Page task as a Page admin sees it in Page access ("Content" for CREATE_CONTENT).
fn task_label(task: &str) -> String {
    tether_core::Catalog::builtin(tether_core::Network::Meta)
        .unwrap()
        .task(task)
        .unwrap()
        .label
        .clone()
}

pub async fn click(b: &Browser, at: Locator<'_>) {
    b.client
        .find(at)
        .await
        .unwrap_or_else(|e| panic!("{at:?}: {e}"))
        .click()
        .await
        .unwrap();
}

pub async fn text(b: &Browser, css: &str) -> String {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

pub async fn js(b: &Browser, script: &str) -> Value {
    b.client.execute(script, vec![]).await.unwrap()
}

macro_rules! browser_or_skip {
    () => {
        match Browser::start().await {
            Some(b) => b,
            None => return,
        }
    };
}

#[tokio::test(flavor = "multi_thread")]
async fn overview_shows_statuses_colours_counts_and_explains_on_hover_and_focus() {
    let b = browser_or_skip!();
    let (t, ws) = demo_app().await;
    sign_in(&b, &t, OWNER, PASSWORD).await;

    // What there is to do, at the top, agrees with the store: each fix counted once.
    let s = &t.app.state;
    let counts = s.store.count_overview(ws).await.unwrap();
    let summary = text(&b, "#todo-counts").await;
    let log_in = counts
        .fixes
        .iter()
        .find(|(a, _)| *a == Action::LogIn)
        .unwrap()
        .1;
    let admins = counts
        .fixes
        .iter()
        .find(|(a, _)| *a == Action::GiveTask)
        .unwrap()
        .1;
    assert!(
        summary.contains(&format!("{log_in} people must log in again")),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("{admins} Page admins must give access"))
            || summary.contains(&format!("{admins} Page admin must give access")),
        "{summary}"
    );

    // Every asset row says its status in words and in its colour.
    let all = records(&t, ws).await;
    let rows = b.client.find_all(Locator::Css("tr.item")).await.unwrap();
    let login_rows = counts.statuses.iter().map(|(_, n)| n).sum::<u64>() as usize - all.len();
    assert_eq!(
        rows.len(),
        all.len() + login_rows,
        "one row per asset and per login that reaches none"
    );
    let expect_word = |st: Status| match st {
        Status::Connected => "Connected",
        Status::AtRisk => "At risk",
        Status::ActionRequired => "Action required",
        Status::Disconnected => "Disconnected",
        Status::Pending => "Pending",
        Status::Unsupported => "Unsupported",
    };
    let colour = |st: Status| match st {
        Status::Connected => "rgb(223, 243, 228)",
        Status::AtRisk => "rgb(255, 244, 194)",
        Status::ActionRequired => "rgb(255, 227, 204)",
        Status::Disconnected => "rgb(255, 220, 220)",
        Status::Pending | Status::Unsupported => "rgb(236, 236, 236)",
    };
    let mut seen = std::collections::BTreeSet::new();
    for (r, _) in &all {
        let sel = format!("tr[data-row='{}'] .status-cell .status", r.asset.id);
        let badge = b.client.find(Locator::Css(&sel)).await.unwrap();
        assert_eq!(
            badge.text().await.unwrap(),
            expect_word(r.asset.status),
            "{}",
            r.asset.name
        );
        let bg = b
            .client
            .execute(
                "return getComputedStyle(document.querySelector(arguments[0])).backgroundColor",
                vec![Value::String(sel.clone())],
            )
            .await
            .unwrap();
        assert_eq!(bg, colour(r.asset.status), "{} colour", r.asset.name);
        seen.insert(r.asset.status.as_str());
    }
    assert!(
        seen.len() >= 4,
        "the demo world shows several statuses: {seen:?}"
    );
    b.screenshot("overview").await;
    b.assert_accessible("overview").await;

    // The question mark of a Page missing a task explains it on keyboard focus and on hover.
    let (target, rep) = all
        .iter()
        .find(|(_, rep)| {
            rep.findings
                .iter()
                .any(|f| f.code == FindingCode::TaskMissing && f.task.is_some())
        })
        .expect("the demo world has a Page missing a task");
    let task = rep.findings.iter().find_map(|f| f.task.clone()).unwrap();
    let tip = b
        .client
        .find(Locator::Id(&format!("why-{}", target.asset.id)))
        .await
        .unwrap();
    assert!(!tip.is_displayed().await.unwrap(), "hidden until asked");
    // Keyboard: Tab until the question mark has focus.
    let button_sel = format!("tr[data-row='{}'] button.why", target.asset.id);
    js(
        &b,
        "document.activeElement && document.activeElement.blur(); window.scrollTo(0,0)",
    )
    .await;
    let mut focused = false;
    for _ in 0..200 {
        b.client
            .active_element()
            .await
            .unwrap()
            .send_keys("\u{e004}")
            .await
            .unwrap();
        let hit = b
            .client
            .execute(
                "return document.activeElement.matches(arguments[0])",
                vec![Value::String(button_sel.clone())],
            )
            .await
            .unwrap();
        if hit == Value::Bool(true) {
            focused = true;
            break;
        }
    }
    assert!(focused, "the question mark is reachable with Tab");
    assert!(
        tip.is_displayed().await.unwrap(),
        "focus shows the explanation"
    );
    let said = tip.text().await.unwrap();
    let label = task_label(&task);
    assert!(
        said.contains(&format!("“{label}”")),
        "the explanation names the missing access {label} as a Page admin sees it: {said}"
    );
    assert!(!said.contains(&task), "no engineer words: {said}");
    assert!(said.contains("Page admin"), "and who must act: {said}");
    b.screenshot("overview-explanation").await;
    // Hover: move focus away, then point at another asset's question mark.
    js(&b, "document.activeElement.blur()").await;
    assert!(!tip.is_displayed().await.unwrap());
    let button = b.client.find(Locator::Css(&button_sel)).await.unwrap();
    let hover = fantoccini::actions::MouseActions::new("mouse".into()).then(
        fantoccini::actions::PointerAction::MoveToElement {
            element: button,
            duration: None,
            x: 0.0,
            y: 0.0,
        },
    );
    b.client.perform_actions(hover).await.unwrap();
    assert!(
        tip.is_displayed().await.unwrap(),
        "hover shows the explanation"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reconnect_through_the_dialog_turns_an_orange_page_green() {
    let b = browser_or_skip!();
    let (t, ws) = demo_app().await;
    // An orange Page whose findings the person who connected can fix by reconnecting.
    let all = records(&t, ws).await;
    let (target, _) = all
        .iter()
        .find(|(r, rep)| {
            r.asset.status == Status::ActionRequired
                && r.asset.kind == tether_core::AssetKind::FacebookPage
                && rep
                    .findings
                    .iter()
                    .all(|f| f.owner == Owner::ConnectingUser)
        })
        .expect("the demo world has a Page its person can fix");
    let login = t
        .app
        .state
        .store
        .get_login(ws, target.asset.login_id)
        .await
        .unwrap()
        .unwrap();
    sign_in(&b, &t, OWNER, PASSWORD).await;
    b.goto(&t.url(&format!("/app/assets/{}", target.asset.id)))
        .await;
    assert_eq!(text(&b, "#asset-status").await, "Action required");
    b.screenshot("diagnostics").await;
    b.assert_accessible("diagnostics tab").await;

    click(&b, Locator::Id("reconnect")).await;
    // The simulator's Facebook dialog: choose the person, keep everything ticked, continue.
    let select = b
        .client
        .wait()
        .for_element(Locator::Css("select#user"))
        .await
        .unwrap();
    select
        .select_by_value(&login.platform_user_id)
        .await
        .unwrap();
    click(&b, Locator::Css("form[method=get] button[type=submit]")).await;
    let allow = b
        .client
        .wait()
        .for_element(Locator::Css("button[value=allow]"))
        .await
        .unwrap();
    allow.click().await.unwrap();

    // Back on the diagnostics tab, which says what changed.
    b.client
        .wait()
        .for_element(Locator::Id("changed"))
        .await
        .unwrap();
    let url = b.client.current_url().await.unwrap();
    assert!(
        url.path()
            .ends_with(&format!("/app/assets/{}", target.asset.id)),
        "{url}"
    );
    let changed = text(&b, "#changed").await;
    assert!(
        changed.contains("Action required") && changed.contains("Connected"),
        "{changed}"
    );
    assert_eq!(text(&b, "#asset-status").await, "Connected");
    b.screenshot("diagnostics-after-reconnect").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_after_a_page_admin_grants_the_task_turns_it_green() {
    let b = browser_or_skip!();
    let (t, ws) = demo_app().await;
    let all = records(&t, ws).await;
    let (target, rep) = all
        .iter()
        .find(|(r, rep)| {
            r.asset.kind == tether_core::AssetKind::FacebookPage
                && !rep.findings.is_empty()
                && rep
                    .findings
                    .iter()
                    .all(|f| f.code == FindingCode::TaskMissing && f.task.is_some())
        })
        .expect("the demo world has a Page missing only a task");
    let login = t
        .app
        .state
        .store
        .get_login(ws, target.asset.login_id)
        .await
        .unwrap()
        .unwrap();
    sign_in(&b, &t, OWNER, PASSWORD).await;
    b.goto(&t.url(&format!("/app/assets/{}", target.asset.id)))
        .await;
    assert_eq!(text(&b, "#asset-status").await, "Action required");
    // The message for the Page admin names exactly the task to give.
    let task = rep.findings[0].task.clone().unwrap();
    let notice = b
        .client
        .find(Locator::Id("notice-body"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    // Named as the admin sees it in Page access, with the person and the Page; no code, none
    // of our buttons.
    let target_name = &target.asset.name;
    assert!(
        notice.contains(&format!("\"{}\"", task_label(&task)))
            && notice.contains(&login.person_name)
            && notice.contains(target_name.as_str())
            && notice.contains("Page access"),
        "{notice}"
    );
    for never in [task.as_str(), "Refresh", "Reconnect", "task_missing"] {
        assert!(!notice.contains(never), "{never} in {notice}");
    }

    // A Page admin grants the task (in the simulated Facebook), then Refresh.
    let facts: tether_core::AssetFacts = serde_json::from_value(
        t.app
            .state
            .store
            .get_facts(ws, tether_store::FactsSubject::Asset(target.asset.id))
            .await
            .unwrap()
            .unwrap()
            .value,
    )
    .unwrap();
    let mut tasks: Vec<String> = facts.tasks.clone();
    tasks.push(task.clone());
    let refs: Vec<&str> = tasks.iter().map(String::as_str).collect();
    t.admin
        .set_tasks(&target.asset.platform_id, &login.platform_user_id, &refs)
        .await
        .unwrap();
    click(&b, Locator::Id("refresh")).await;
    b.client
        .wait()
        .for_element(Locator::Css(".flash"))
        .await
        .unwrap();
    assert_eq!(text(&b, "#asset-status").await, "Connected");
    let flash = text(&b, ".flash").await;
    assert!(flash.contains("Checked with Facebook just now"), "{flash}");
    let changed = text(&b, "#changed").await;
    assert!(changed.contains("Connected"), "{changed}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_of_another_workspace_gets_404_for_these_accounts() {
    let b = browser_or_skip!();
    let (t, ws) = demo_app().await;
    let s = &t.app.state;
    let other = s
        .store
        .create_workspace("Other agency", s.clock.now())
        .await
        .unwrap();
    let phc = hash_password(&SecretString::from("another password".to_owned())).unwrap();
    s.store
        .create_user(
            other.id,
            "member@other.example",
            Role::Member,
            &phc,
            s.clock.now(),
        )
        .await
        .unwrap();
    let all = records(&t, ws).await;
    let (victim, _) = &all[0];
    sign_in(&b, &t, "member@other.example", "another password").await;
    let overview = text(&b, "main").await;
    assert!(
        overview.contains("No accounts are connected yet"),
        "{overview}"
    );
    assert!(!overview.contains(&victim.asset.name));
    b.goto(&t.url(&format!("/app/assets/{}", victim.asset.id)))
        .await;
    assert_eq!(text(&b, "h1").await, "Not found");
    // The same URLs over HTTP with this member's session: 404, and no settings for a member.
    let cookie = b.client.get_named_cookie("tether_session").await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in [
        format!("/app/assets/{}", victim.asset.id),
        format!("/app/logins/{}/disconnect", victim.asset.login_id),
    ] {
        let r = http
            .get(t.url(&path))
            .header("cookie", format!("tether_session={}", cookie.value()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = http
        .get(t.url("/app/settings"))
        .header("cookie", format!("tether_session={}", cookie.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a member has no settings");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_create_a_key_once_and_send_a_test_event() {
    let b = browser_or_skip!();
    let (t, _) = demo_app().await;
    sign_in(&b, &t, OWNER, PASSWORD).await;
    b.goto(&t.url("/app/settings")).await;
    b.assert_accessible("settings").await;
    click(&b, Locator::Id("create-key")).await;
    let secret = b
        .client
        .wait()
        .for_element(Locator::Id("revealed-value"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    // The new key works on the API, and it is not on the page any more after a reload.
    let r = t
        .http
        .get(t.url("/api/v1/logins"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    b.goto(&t.url("/app/settings")).await;
    assert!(!b.client.source().await.unwrap().contains(&secret));
    click(&b, Locator::Css("button.test-event")).await;
    let flash = match b.client.wait().for_element(Locator::Css(".flash")).await {
        Ok(f) => f.text().await.unwrap(),
        Err(_) => panic!("no outcome shown: {}", text(&b, "main").await),
    };
    assert!(flash.contains("Test event delivered"), "{flash}");
    assert!(text(&b, ".deliveries").await.contains("ping"));
    b.screenshot("settings").await;
    b.close().await;
}

/// "Connect an Instagram account" beside Facebook's: Instagram's dialog (simulated), one scope
/// switched off, back on the dashboard with the account listed in Instagram's words.
#[tokio::test(flavor = "multi_thread")]
async fn an_instagram_account_is_connected_from_the_dashboard() {
    let b = browser_or_skip!();
    let (t, _) = demo_app().await;
    sign_in(&b, &t, OWNER, PASSWORD).await;
    b.screenshot("overview-connect-buttons").await;
    click(
        &b,
        Locator::XPath("//form[input[@name='network' and @value='instagram']]/button"),
    )
    .await;
    // The simulator's Instagram dialog: the first account, every switch but insights on.
    let insights = b
        .client
        .wait()
        .for_element(Locator::Css(
            "input[name=scope][value=instagram_business_manage_insights]",
        ))
        .await
        .unwrap();
    insights.click().await.unwrap();
    b.screenshot("instagram-dialog").await;
    click(&b, Locator::Css("button[value=allow]")).await;
    b.client
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .unwrap();
    // A new connection lands on its login's page, listing the accounts that arrived. (The
    // browser keeps Instagram's `#_` on the address through the redirects; it means nothing.)
    let url = b.client.current_url().await.unwrap();
    assert!(url.path().contains("/app/logins/"), "{url}");
    let page = text(&b, "main").await;
    assert!(page.contains("harbor.bakery"), "{page}");
    b.screenshot("instagram-connected").await;
    b.assert_accessible("after connecting Instagram").await;

    let asset = t.asset_by_platform_id("17841400000000101").await;
    b.goto(&t.url(&format!("/app/assets/{}", asset["id"].as_str().unwrap())))
        .await;
    assert_eq!(text(&b, "#asset-status").await, "Action required");
    let page = text(&b, "main").await;
    assert!(page.contains("Access insights"), "{page}");
    for wrong in ["Facebook's login", "Facebook Page", "Page admin"] {
        assert!(!page.contains(wrong), "{wrong}: {page}");
    }
    b.screenshot("instagram-account").await;
    b.assert_accessible("an Instagram Login account").await;
    b.close().await;
}
