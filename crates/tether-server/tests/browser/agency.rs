//! An agency's morning on the dashboard, in Chromium, on a world of 64 logins and 320 accounts:
//! the worst first, names that survive a break, a login broken at connect counted and explained,
//! a search by Page name, an unticked Page routed to its person, a Page admin's message without
//! codes, Refresh saying which features dropped, every page usable at 390 px, axe-core clean.

use crate::browser::Browser;
use crate::harness::TestApp;
use crate::journeys::{OWNER, PASSWORD, app_with, click, js, sign_in, text};
use fantoccini::Locator;
use serde_json::Value;
use std::fmt::Write as _;
use tether_sim::World;
use tether_store::{Store, WorkspaceId};

const PEOPLE: usize = 64;
const FIRST: &[&str] = &[
    "Amara", "Bruno", "Chloe", "Dmitri", "Elena", "Felix", "Greta", "Hassan", "Iris", "Jamal",
    "Keiko", "Lars", "Mina", "Nikolai", "Olga", "Pablo",
];
const LAST: &[&str] = &["Silva", "Nakamura", "Okonkwo", "Larsen"];
const PLACE: &[&str] = &[
    "Harbor",
    "Summit",
    "Riverside",
    "Maple",
    "Cedar",
    "Lumen",
    "Fjord",
    "Linden",
    "Willow",
    "Granite",
    "Meadow",
    "Beacon",
    "Juniper",
    "Copper",
    "Saffron",
    "Northwind",
];
const TRADE: &[&str] = &[
    "Bakery",
    "Outdoor Co",
    "Dental",
    "Gym",
    "Cafe",
    "Books",
    "Florist",
    "Yoga Studio",
    "Pet Care",
    "Bistro",
    "Auto Repair",
    "Law Office",
    "Barbers",
    "Cinema",
    "Brewery",
    "Vet Clinic",
    "Music School",
    "Ceramics",
    "Dance Hall",
    "Tailors",
];

/// What person `i` is in: one situation every 16 people, the rest healthy.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Situation {
    Healthy,
    /// Changed their password before connecting: nothing of theirs could ever be listed.
    BrokenAtConnect,
    /// Removed the app from Business Integrations before connecting.
    AppRemovedAtConnect,
    /// Only "Insights" on their first Page (and so on its Instagram account).
    AnalystOnly,
    DeclinedInsights,
    ExpiresSoon,
    PersonalInstagram,
    Checkpoint,
    DataAccessClosed,
}

pub fn situation(i: usize) -> Situation {
    match i % 16 {
        1 => Situation::BrokenAtConnect,
        2 => Situation::AnalystOnly,
        3 => Situation::DeclinedInsights,
        4 => Situation::ExpiresSoon,
        5 => Situation::PersonalInstagram,
        6 => Situation::Checkpoint,
        7 => Situation::DataAccessClosed,
        9 => Situation::AppRemovedAtConnect,
        _ => Situation::Healthy,
    }
}

pub fn user_id(i: usize) -> String {
    format!("{}", 110_000_000_000_000u64 + i as u64)
}

pub fn person(i: usize) -> String {
    format!(
        "{} {}",
        FIRST[i % FIRST.len()],
        LAST[(i / FIRST.len()) % LAST.len()]
    )
}

pub fn page_id(i: usize, j: usize) -> String {
    format!("{}", 310_000_000_000_000u64 + (i * 10 + j) as u64)
}

pub fn page_name(i: usize, j: usize) -> String {
    let n = i * 3 + j;
    format!(
        "{} {}",
        PLACE[n % PLACE.len()],
        TRADE[(n / PLACE.len()) % TRADE.len()]
    )
}

fn ig_id(i: usize, j: usize) -> String {
    format!("{}", 17_841_410_000_000_000u64 + (i * 10 + j) as u64)
}

const GRANTED: &str = r#"["public_profile", "email", "pages_show_list", "pages_read_engagement", "pages_manage_posts", "pages_manage_metadata", "publish_video", "read_insights", "business_management", "instagram_basic", "instagram_content_publish", "instagram_manage_insights"]"#;

/// 64 people, three Pages each, an Instagram business account on the first two: 320 accounts.
pub fn world() -> World {
    let mut t = String::from(
        r#"max_page_size = 100

[app]
id = "1000000000000001"
name = "Northwind Social Scheduler"
secret = "northwind-demo-app-secret"
require_appsecret_proof = true

[clock]
start = "2026-11-23T09:00:00Z"
frozen = true
"#,
    );
    for i in 0..PEOPLE {
        let s = situation(i);
        let _ = write!(
            t,
            "\n[[users]]\nid = \"{}\"\nname = \"{}\"\n",
            user_id(i),
            person(i)
        );
        match s {
            Situation::Checkpoint => t.push_str("checkpoint = true\n"),
            Situation::AppRemovedAtConnect => t.push_str("app_installed = false\n"),
            Situation::DataAccessClosed => t.push_str("data_access_expires_in = \"-2d\"\n"),
            _ => {}
        }
        if s == Situation::DeclinedInsights {
            t.push_str(&format!(
                "[users.grant]\ngranted = {}\ndeclined = [\"read_insights\"]\n",
                GRANTED.replace(", \"read_insights\"", "")
            ));
        } else {
            let _ = write!(t, "[users.grant]\ngranted = {GRANTED}\n");
        }
        let _ = write!(
            t,
            "\n[[tokens]]\ntoken = \"EAATagency{i:03}\"\nuser = \"{}\"\nissued_at = \"-10d\"\nexpires_in = \"{}\"\n",
            user_id(i),
            if s == Situation::ExpiresSoon {
                "3d"
            } else {
                "50d"
            }
        );
        if s == Situation::BrokenAtConnect {
            t.push_str("state = \"password_changed\"\n");
        }
        for j in 0..3 {
            let _ = write!(
                t,
                "\n[[pages]]\nid = \"{}\"\nname = \"{}\"\n",
                page_id(i, j),
                page_name(i, j)
            );
            if j < 2 {
                let _ = writeln!(t, "instagram = \"{}\"", ig_id(i, j));
            }
            let tasks = if s == Situation::AnalystOnly && j == 0 {
                "[\"ANALYZE\"]".to_owned()
            } else {
                "\"admin\"".to_owned()
            };
            let _ = write!(t, "[pages.tasks]\n{} = {tasks}\n", user_id(i));
        }
        for j in 0..2 {
            let professional = !(s == Situation::PersonalInstagram && j == 0);
            let handle = page_name(i, j).to_lowercase().replace(' ', "");
            let _ = write!(
                t,
                "\n[[instagram]]\nid = \"{}\"\nusername = \"{handle}\"\nprofessional = {professional}\n",
                ig_id(i, j)
            );
        }
    }
    World::from_toml_str(&t, "agency world (tests/browser/agency.rs)")
        .expect("the agency world is valid")
}

/// The app with every person of the agency world connected, and an owner who can sign in.
async fn agency_app() -> (TestApp, WorkspaceId) {
    app_with(world()).await
}

macro_rules! browser_or_skip {
    () => {
        match Browser::start().await {
            Some(b) => b,
            None => return,
        }
    };
}

/// Presses the filters' button and waits for the list it asked for (its URL holds `expect`), so
/// nothing is read from the page being left.
async fn find(b: &Browser, expect: &str) {
    click(b, Locator::Css("form.filters button[type=submit]")).await;
    for _ in 0..200 {
        let url = b.client.current_url().await.unwrap();
        if url.query().is_some_and(|q| q.contains(expect)) {
            b.client
                .wait()
                .for_element(Locator::Css("tr.item"))
                .await
                .unwrap();
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the list for {expect} did not load");
}

/// The first row's status, and every row's (in order) on the current page.
async fn row_statuses(b: &Browser) -> Vec<String> {
    let v = js(
        b,
        "return [...document.querySelectorAll('tr.item')].map(r => r.dataset.status)",
    )
    .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_morning_list_puts_the_worst_first_and_tells_who_must_act() {
    let b = browser_or_skip!();
    let (t, ws) = agency_app().await;
    let s = &t.app.state;
    let counts = s.store.count_overview(ws).await.unwrap();
    let rows: u64 = counts.statuses.iter().map(|(_, n)| n).sum();
    assert!(rows >= 250, "at least 250 rows: {rows}");
    sign_in(&b, &t, OWNER, PASSWORD).await;

    // Worst first: every row of the first page in triage order, the first one red.
    let statuses = row_statuses(&b).await;
    assert_eq!(statuses.len(), 50, "a page of 50 rows");
    assert_eq!(statuses[0], "disconnected", "{statuses:?}");
    let rank = |s: &str| {
        [
            "disconnected",
            "action_required",
            "at_risk",
            "pending",
            "connected",
            "unsupported",
        ]
        .iter()
        .position(|x| *x == s)
        .unwrap()
    };
    assert!(
        statuses.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{statuses:?}"
    );
    b.screenshot("agency-overview").await;
    b.assert_accessible("agency overview").await;

    // A login broken at connect is a row of its own, with a question mark, and is counted.
    let broken = person(1);
    let row = js(
        &b,
        &format!(
            "return [...document.querySelectorAll('tr.item')].find(r => r.textContent.includes(\"{broken}'s Facebook login\"))?.querySelector('button.why') ? true : false"
        ),
    )
    .await;
    assert_eq!(row, Value::Bool(true), "{broken}'s login is a row with a ?");
    let todo = text(&b, "#todo-counts").await;
    let log_in = counts
        .fixes
        .iter()
        .find(|(a, _)| *a == tether_core::Action::LogIn)
        .unwrap()
        .1;
    assert!(
        todo.contains(&format!("{log_in} people must log in again")),
        "{todo}"
    );
    let pill = text(&b, "#status-counts").await;
    let red = counts
        .statuses
        .iter()
        .find(|(s, _)| *s == tether_core::Status::Disconnected)
        .unwrap()
        .1;
    assert!(pill.contains(&format!("{red} disconnected")), "{pill}");

    // "Anything not green", through the status filter: no green row.
    b.client
        .find(Locator::Id("f-status"))
        .await
        .unwrap()
        .select_by_value("attention")
        .await
        .unwrap();
    find(&b, "status=attention").await;
    let statuses = row_statuses(&b).await;
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| s != "connected"),
        "{statuses:?}"
    );

    // Search finds a client by a Page's name, whatever the case.
    let wanted = page_name(10, 2);
    b.goto(&t.url("/app")).await;
    let q = b.client.find(Locator::Id("f-q")).await.unwrap();
    q.send_keys(&wanted.to_uppercase()).await.unwrap();
    find(&b, "q=").await;
    let found = text(&b, "table.rows tbody").await;
    assert!(found.contains(&wanted), "{wanted}: {found}");
    assert!(found.contains(&person(10)), "with its person: {found}");
    // And by a person's name: every account of theirs.
    b.goto(&t.url(&format!("/app?q={}", person(12).replace(' ', "+"))))
        .await;
    let found = text(&b, "table.rows tbody").await;
    for j in 0..3 {
        assert!(found.contains(&page_name(12, j)), "{found}");
    }

    // The Page admin's fix: one count for a Page and its Instagram account, one message each.
    b.goto(&t.url("/app/bulk/admins")).await;
    let body = text(&b, "main").await;
    assert!(body.contains(&person(2)), "{body}");
    assert!(
        !body.contains("CREATE_CONTENT") && !body.contains("Refresh"),
        "{body}"
    );
    b.assert_accessible("messages for Page admins").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn names_survive_a_password_change_and_refresh_says_which_features_dropped() {
    let b = browser_or_skip!();
    let (t, ws) = agency_app().await;
    let s = &t.app.state;
    // Person 0 changes their password; the next check breaks the login.
    t.admin.change_password(&user_id(0)).await.unwrap();
    t.advance(25 * 3600).await;
    t.step().await;
    // Signed in after the day went by (a sign-in lasts 12 hours).
    sign_in(&b, &t, OWNER, PASSWORD).await;
    let records = s
        .store
        .list_overview(
            ws,
            &tether_store::OverviewFilter {
                search: Some(person(0)),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let login_id = records.logins[0].id;
    b.goto(&t.url(&format!("/app/logins/{login_id}"))).await;
    let main = text(&b, "main").await;
    assert!(main.contains("Disconnected"), "{main}");
    assert_eq!(text(&b, "#login-status").await, "Disconnected");
    let accounts = text(&b, "table.rows tbody").await;
    for j in 0..3 {
        assert!(
            accounts.contains(&page_name(0, j)),
            "names kept: {accounts}"
        );
    }
    assert!(
        !accounts.contains(&page_id(0, 0)),
        "never an id: {accounts}"
    );
    b.screenshot("login-page").await;
    b.assert_accessible("login page").await;

    // A healthy Page loses the Content access: Refresh on its tab says which features dropped.
    let target = page_id(8, 0);
    let asset = s
        .store
        .list_account_reach(ws, tether_core::AssetKind::FacebookPage, &target)
        .await
        .unwrap()
        .remove(0);
    t.admin
        .set_tasks(
            &target,
            &user_id(8),
            &["ANALYZE", "MESSAGING", "MODERATE", "ADVERTISE"],
        )
        .await
        .unwrap();
    b.goto(&t.url(&format!("/app/assets/{}", asset.asset.id)))
        .await;
    assert_eq!(text(&b, "#asset-status").await, "Connected");
    click(&b, Locator::Id("refresh")).await;
    b.client
        .wait()
        .for_element(Locator::Id("changed"))
        .await
        .unwrap();
    let changed = text(&b, "#changed").await;
    assert!(
        changed.contains("Publishing posts: stopped working"),
        "{changed}"
    );
    assert_eq!(text(&b, "#asset-status").await, "Action required");
    // The fix is a Page admin's: Refresh is the primary button, and the message is for them.
    let primary = js(
        &b,
        "return document.querySelector('#refresh').classList.contains('primary')",
    )
    .await;
    assert_eq!(primary, Value::Bool(true));
    let notice = b
        .client
        .find(Locator::Id("notice-body"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        notice.contains(&person(8)) && notice.contains(&page_name(8, 0)),
        "{notice}"
    );
    for never in ["CREATE_CONTENT", "Refresh", "Reconnect", "task_missing"] {
        assert!(!notice.contains(never), "{never}: {notice}");
    }
    b.screenshot("account-after-refresh").await;
    // What each feature needs against what the person has.
    let needs = text(&b, "#needs").await;
    assert!(
        needs.contains("Content") && needs.contains("Missing"),
        "{needs}"
    );
    js(&b, "document.getElementById('needs').scrollIntoView()").await;
    b.screenshot("required-vs-held").await;
    b.assert_accessible("account tab").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_left_unticked_at_reconnect_is_the_persons_to_tick() {
    let b = browser_or_skip!();
    let (t, ws) = agency_app().await;
    sign_in(&b, &t, OWNER, PASSWORD).await;
    let person_index = 11;
    let login = t
        .app
        .state
        .store
        .list_overview(
            ws,
            &tether_store::OverviewFilter {
                search: Some(person(person_index)),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .logins
        .remove(0);
    b.goto(&t.url(&format!("/app/logins/{}", login.id))).await;
    click(&b, Locator::Id("reconnect")).await;
    // The simulator's dialog: choose the person, untick their third Page, continue.
    let select = b
        .client
        .wait()
        .for_element(Locator::Css("select#user"))
        .await
        .unwrap();
    select
        .select_by_value(&user_id(person_index))
        .await
        .unwrap();
    click(&b, Locator::Css("form[method=get] button[type=submit]")).await;
    let unticked = page_id(person_index, 2);
    let boxes = b
        .client
        .wait()
        .for_element(Locator::Css(&format!(
            "input[name=page][value='{unticked}']"
        )))
        .await
        .unwrap();
    boxes.click().await.unwrap();
    click(&b, Locator::Css("button[value=allow]")).await;
    b.client
        .wait()
        .for_element(Locator::Id("changed"))
        .await
        .unwrap();
    let row = text(&b, "table.rows tbody").await;
    let name = page_name(person_index, 2);
    assert!(
        row.contains(&format!(
            "{} must reconnect and tick {name}",
            person(person_index)
        )),
        "{row}"
    );
    // Its tab asks nothing of a Page admin.
    let records = t
        .app
        .state
        .store
        .list_login_records(ws, login.id)
        .await
        .unwrap();
    let r = records
        .iter()
        .find(|r| r.asset.platform_id == unticked)
        .unwrap();
    b.goto(&t.url(&format!("/app/assets/{}", r.asset.id))).await;
    assert!(
        b.client.find(Locator::Id("notice-body")).await.is_err(),
        "no message for a Page admin"
    );
    let primary = js(
        &b,
        "return document.querySelector('#reconnect').classList.contains('primary')",
    )
    .await;
    assert_eq!(
        primary,
        Value::Bool(true),
        "Reconnect is the button that fixes it"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_fits_a_phone_and_its_explanations_open_on_screen() {
    let b = browser_or_skip!();
    let (t, ws) = agency_app().await;
    sign_in(&b, &t, OWNER, PASSWORD).await;
    let s = &t.app.state;
    let page = s
        .store
        .list_overview(
            ws,
            &tether_store::OverviewFilter {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let login = &page.logins[0];
    let asset = s
        .store
        .list_login_records(ws, page.logins[1].id)
        .await
        .unwrap();
    b.client.set_window_size(390, 844).await.unwrap();
    let mut paths = vec![
        "/app".to_owned(),
        "/app?status=attention".to_owned(),
        format!("/app/logins/{}", login.id),
        "/app/settings".to_owned(),
        "/app/me".to_owned(),
        "/app/bulk/links".to_owned(),
        "/app/bulk/admins".to_owned(),
        format!("/app/logins/{}/disconnect", login.id),
        "/app/nothing-here".to_owned(),
        "/app/workspaces".to_owned(),
        format!("/app/accounts/facebook_page/{}", page_id(8, 0)),
    ];
    if let Some(a) = asset.first() {
        paths.push(format!("/app/assets/{}", a.asset.id));
    }
    for path in &paths {
        b.goto(&t.url(path)).await;
        let fits = js(
            &b,
            "return document.documentElement.scrollWidth <= window.innerWidth",
        )
        .await;
        if fits != Value::Bool(true) {
            let shot = b
                .screenshot(&format!("phone-overflow-{}", path.replace('/', "_")))
                .await;
            let wide = js(
                &b,
                "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))",
            )
            .await;
            panic!(
                "{path} is wider than a 390 px screen: {wide} (screenshot {})",
                shot.display()
            );
        }
        b.assert_accessible(&format!("phone {path}")).await;
    }
    // The question mark of the first row opens its explanation inside the screen.
    b.goto(&t.url("/app")).await;
    b.screenshot("phone-overview").await;
    click(&b, Locator::Css("tr.item button.why")).await;
    let inside = js(
        &b,
        "const t = document.querySelector('tr.item .tip'); const r = t.getBoundingClientRect(); return getComputedStyle(t).display !== 'none' && r.left >= 0 && r.right <= window.innerWidth",
    )
    .await;
    assert_eq!(inside, Value::Bool(true), "the explanation opens on screen");
    b.screenshot("phone-explanation").await;
    // Sign out stays reachable.
    let signout = js(
        &b,
        "const r = document.querySelector('.signout button').getBoundingClientRect(); return r.right <= window.innerWidth && r.width > 0",
    )
    .await;
    assert_eq!(signout, Value::Bool(true));
    b.close().await;
}
