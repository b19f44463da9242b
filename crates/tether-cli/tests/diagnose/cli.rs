//! The command line around the report: many tokens at once, text for people, paging through
//! many Pages, and arguments that must be refused.

use crate::harness::*;
use serde_json::Value;
use tether_sim::PermissionStatus;

const GARBAGE: &str = "EAATgarbage-line-never-a-token-77q";

fn user_id(r: &Value) -> &Value {
    &r["login"]["user_id"]
}

#[tokio::test]
async fn tokens_from_prints_one_report_per_line_in_input_order() {
    let sim = TestSim::agency();
    let out = sim
        .diagnose_many(&[BEN_TOKEN, GARBAGE, ADA_TOKEN])
        .run()
        .await;
    // Worst of: connected, disconnected (garbage), connected.
    assert_eq!(out.status, 1, "{out}");
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(user_id(&lines[0]), BEN);
    assert_eq!(status(login(&lines[0])), "connected");
    assert_eq!(user_id(&lines[1]), &Value::Null);
    assert_eq!(status(login(&lines[1])), "disconnected");
    assert_eq!(
        findings(login(&lines[1])),
        sorted(&[("token_invalidated", "")])
    );
    assert_eq!(user_id(&lines[2]), ADA);
    assert_eq!(status(login(&lines[2])), "connected");
    assert_eq!(asset_ids(&lines[2]).len(), 5);
    // Each line is the very report a single check prints.
    let single = sim.diagnose(ADA_TOKEN).run().await.report();
    assert_eq!(lines[2], single);
}

#[tokio::test]
async fn tokens_from_with_only_healthy_logins_exits_zero_in_one_batch() {
    let sim = TestSim::agency();
    let out = sim.diagnose_many(&[ADA_TOKEN, BEN_TOKEN]).run().await;
    assert_eq!(out.status, 0, "{out}");
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(user_id(&lines[0]), ADA);
    assert_eq!(user_id(&lines[1]), BEN);
    // Two logins share one batch request: 2 platform calls each.
    let stats = sim.stats();
    assert_eq!(
        (stats.batch_requests, stats.platform_calls),
        (1, 4),
        "{stats:?}"
    );
}

#[tokio::test]
async fn tokens_from_with_an_uncheckable_line_keeps_the_others_and_exits_two() {
    let sim = TestSim::agency();
    let out = sim
        .diagnose_many(&[ADA_TOKEN, "EAAT has spaces inside", BEN_TOKEN])
        .run()
        .await;
    assert_eq!(out.status, 2, "{out}");
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(user_id(&lines[0]), ADA);
    assert_eq!(lines[1]["line"], 2, "{out}");
    assert_eq!(lines[1]["error"]["kind"], "invalid_token", "{out}");
    assert_eq!(user_id(&lines[2]), BEN);
    assert!(out.stderr.contains("line 2"), "{out}");
}

#[tokio::test]
async fn text_format_names_statuses_owners_and_remedies() {
    let sim = TestSim::agency();
    let admin = sim.admin();
    admin
        .set_permission(ADA, "read_insights", PermissionStatus::Declined)
        .await
        .unwrap();
    admin
        .set_tasks(
            PAGE_MAPLE,
            ADA,
            &["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE"],
        )
        .await
        .unwrap();
    let json = sim.diagnose(ADA_TOKEN).run().await.report();
    let out = sim.diagnose(ADA_TOKEN).format("text").run().await;
    assert_eq!(out.status, 1, "{out}");
    let text = &out.stdout;

    assert!(
        !text.contains('\u{1b}'),
        "no colour off a terminal:\n{text}"
    );
    for needle in [
        "Ada Lovelace (100000000000001)",
        "action required",
        "connected",
        "Maple Cafe",
        "harborbakery",
        "You (the person who connected this account) can fix",
        "A Page admin must act",
        "permission_declined `read_insights`",
        "task_missing CREATE_CONTENT",
        "breaks: publish, publish_video",
    ] {
        assert!(text.contains(needle), "text lacks {needle:?}:\n{text}");
    }
    // Each remedy is told with its steps, as the JSON report gives them.
    for f in [
        finding(login(&json), "permission_declined", "read_insights"),
        finding(asset(&json, PAGE_MAPLE), "task_missing", "CREATE_CONTENT"),
    ] {
        let summary = f["remedy"]["summary"].as_str().unwrap();
        assert!(text.contains(summary), "text lacks {summary:?}:\n{text}");
        for step in f["remedy"]["steps"].as_array().unwrap() {
            let step = step.as_str().unwrap();
            assert!(text.contains(step), "text lacks step {step:?}:\n{text}");
        }
    }
}

/// Text is a view of the JSON report: grouping findings for people must not drop one. Two
/// findings about the same task can differ (an any-of requirement, another asset's remedy).
#[tokio::test]
async fn text_format_tells_every_remedy_the_json_report_has() {
    let sim = TestSim::agency();
    for page in [PAGE_HARBOR, PAGE_SUMMIT] {
        sim.admin()
            .set_tasks(page, ADA, &["ANALYZE"])
            .await
            .unwrap();
    }
    let json = sim.diagnose(ADA_TOKEN).run().await.report();
    let out = sim.diagnose(ADA_TOKEN).format("text").run().await;
    assert_eq!(out.status, 1, "{out}");
    let mut missing = Vec::new();
    for a in json["assets"].as_array().unwrap() {
        for f in a["findings"].as_array().unwrap() {
            let summary = f["remedy"]["summary"].as_str().unwrap();
            if !out.stdout.contains(summary) {
                missing.push(format!("{} {}: {summary}", a["id"], f["code"]));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the text drops {} remedies:\n{}\n\n{}",
        missing.len(),
        missing.join("\n"),
        out.stdout
    );
}

#[tokio::test]
async fn sixty_pages_are_all_reported_across_pages_of_results() {
    // Pat is an admin of 60 Pages and holds every permission the default profile needs.
    let mut world = String::from(
        r#"
max_page_size = 25

[app]
id = "1000000000000077"
name = "Big Agency"
secret = "big-agency-secret-1f"

[clock]
start = "2026-11-23T09:00:00Z"
frozen = true

[[users]]
id = "100000000000099"
name = "Pat Many"
[users.grant]
granted = ["pages_show_list", "pages_read_engagement", "pages_read_user_content",
           "pages_manage_posts", "pages_manage_engagement", "pages_manage_metadata", "pages_messaging",
           "pages_manage_ads", "read_insights", "publish_video", "leads_retrieval", "ads_management",
           "instagram_basic", "instagram_content_publish", "instagram_manage_comments",
           "instagram_manage_insights", "instagram_manage_messages", "instagram_shopping_tag_products"]

[[tokens]]
token = "EAATe2eManyPagesToken99"
user = "100000000000099"
"#,
    );
    let page_ids: Vec<String> = (0..60).map(|i| format!("3100000000{i:05}")).collect();
    for (i, id) in page_ids.iter().enumerate() {
        world.push_str(&format!(
            "[[pages]]\nid = \"{id}\"\nname = \"Branch {i}\"\n[pages.tasks]\n100000000000099 = \"admin\"\n"
        ));
    }
    let sim = TestSim::from_toml(&world, "sixty-pages");
    let out = sim.diagnose("EAATe2eManyPagesToken99").run().await;
    assert_eq!(out.status, 0, "{out}");
    let r = out.report();
    assert_eq!(
        asset_ids(&r),
        page_ids,
        "every Page, in the platform's order"
    );
    for id in &page_ids {
        assert_connected(&r, id, PAGE_FEATURES);
    }
    // 25 + 25 + 10: the `me` expansion, then two more pages of `accounts`, one round each.
    let stats = sim.stats();
    assert_eq!(stats.platform_calls, 4, "{stats:?}");
    assert_eq!(stats.batch_requests, 3, "{stats:?}");
    assert_eq!(
        stats.calls_by_endpoint.get("accounts"),
        Some(&2),
        "{stats:?}"
    );
}

/// Arguments that must be refused before any call: exit 2, a message naming the problem.
#[tokio::test]
async fn bad_arguments_are_refused_with_exit_two() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let missing_file = dir.join("no-such-tokens-file.txt");
    let missing_file = missing_file.display().to_string();
    // Port 9 (discard) on loopback: nothing listens, so a run that wrongly got that far fails.
    let base = [
        "diagnose",
        "meta",
        "--graph-url",
        "http://127.0.0.1:9",
        "--app-id",
        "1000000000000042",
        "--app-secret",
        "e2e-app-secret-do-not-print-7d1c",
    ];
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (vec!["diagnose", "meta", "--token", "EAATx"], &["--app-id"]),
        (vec!["--token", "EAATx", "--now", "yesterday"], &["--now"]),
        (
            vec!["--token", "EAATx", "--profile", "no-such-profile"],
            &["unknown profile", "listening"],
        ),
        (
            vec!["--token", "EAATx", "--concurrency", "0"],
            &["--concurrency"],
        ),
        (vec!["--token", "EAATx", "--format", "yaml"], &["--format"]),
        (
            vec!["--token", "EAATx", "--tokens-from", &missing_file],
            &["cannot be used with"],
        ),
        (
            vec!["--tokens-from", &missing_file],
            &["cannot read tokens file"],
        ),
        (vec!["--token", "   "], &["--token is empty"]),
        (vec![], &["--token"]),
    ];
    for (extra, needles) in cases {
        let args: Vec<String> = if extra.first() == Some(&"diagnose") {
            extra.iter().map(|s| s.to_string()).collect()
        } else {
            base.iter().chain(&extra).map(|s| s.to_string()).collect()
        };
        let out = run_tether(args.clone()).await;
        assert_eq!(out.status, 2, "args {args:?}:\n{out}");
        assert!(out.stdout.is_empty(), "args {args:?}:\n{out}");
        for needle in needles {
            assert!(
                out.stderr.contains(needle),
                "args {args:?}: stderr lacks {needle:?}:\n{out}"
            );
        }
        assert!(
            !out.stderr.contains("e2e-app-secret-do-not-print-7d1c"),
            "args {args:?}:\n{out}"
        );
    }
}

#[tokio::test]
async fn token_from_the_environment_and_trace_logs_leak_nothing() {
    let sim = TestSim::agency();
    sim.admin().change_password(BEN).await.unwrap();
    // The harness fails the run if a token, the secret or a proof shows up in any output.
    let healthy = sim
        .diagnose(ADA_TOKEN)
        .token_in_env()
        .env("TETHER_LOG", "trace")
        .run()
        .await;
    assert_eq!(healthy.status, 0, "{healthy}");
    assert_eq!(user_id(&healthy.report()), ADA);
    assert!(!healthy.stderr.is_empty(), "trace logging is on: {healthy}");

    let broken = sim
        .diagnose(BEN_TOKEN)
        .env("TETHER_LOG", "trace")
        .run()
        .await;
    assert_eq!(broken.status, 1, "{broken}");
    assert_eq!(
        findings(login(&broken.report())),
        sorted(&[("token_invalidated", "")])
    );
}

#[tokio::test]
async fn tokens_from_names_the_file_line_of_a_token_that_cannot_be_checked() {
    let sim = TestSim::agency();
    // Blank lines are skipped, but a person looks the failure up by its line in the file.
    let out = sim
        .diagnose_many(&[ADA_TOKEN, "", "EAAT has spaces inside", BEN_TOKEN])
        .run()
        .await;
    assert_eq!(out.status, 2, "{out}");
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "one output line per token: {out}");
    assert_eq!(lines[1]["error"]["kind"], "invalid_token", "{out}");
    assert_eq!(
        lines[1]["line"], 3,
        "the token is on line 3 of the file: {out}"
    );
    assert!(out.stderr.contains("line 3"), "{out}");
}

#[tokio::test]
async fn tokens_from_with_a_wrong_app_secret_says_so_once_and_prints_nothing() {
    let sim = TestSim::agency();
    let out = sim
        .diagnose_many(&[ADA_TOKEN, BEN_TOKEN, GARBAGE])
        .app_secret("not-the-e2e-app-secret-44aa")
        .run()
        .await;
    out.assert_could_not_run(&["app credentials"]);
    assert_eq!(out.stderr.matches("app credentials").count(), 1, "{out}");
}

#[tokio::test]
async fn page_token_is_refused_with_what_to_check_instead() {
    let sim = TestSim::agency();
    let out = sim.diagnose(PAGE_TOKEN).run().await;
    out.assert_could_not_run(&["page access token", "user access token"]);
}

#[tokio::test]
async fn profile_file_selects_features_and_its_warning_window() {
    let sim = TestSim::agency();
    // Twenty days left: outside the default 7-day window, inside this profile's 30 days.
    let expires: jiff::Timestamp = "2026-12-13T09:00:00Z".parse().unwrap();
    sim.admin()
        .set_token_expires_at(ADA_TOKEN, Some(expires))
        .await
        .unwrap();
    let default = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(default.status, 0, "{default}");

    let profile = temp_file(
        "profile",
        "name = \"poster\"\nfeatures = [\"publish\"]\nwarning_days = 30\n",
    );
    let profile = profile.display().to_string();
    let out = sim
        .diagnose(ADA_TOKEN)
        .args(&["--profile", &profile])
        .run()
        .await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();
    let l = login(&r);
    assert_eq!(status(l), "at_risk");
    assert_eq!(findings(l), sorted(&[("token_expiring", "")]));
    let f = finding(l, "token_expiring", "");
    assert_eq!(f["until"], "2026-12-13T09:00:00Z");
    assert_eq!(feature_names(f), ["publish"]);
    for a in r["assets"].as_array().unwrap() {
        assert_eq!(verdicts(a).keys().collect::<Vec<_>>(), ["publish"], "{a:#}");
        assert_eq!(status(a), "at_risk", "{a:#}");
    }
    let _ = std::fs::remove_file(&profile);
}

#[tokio::test]
async fn profile_file_with_an_unknown_feature_is_refused() {
    let sim = TestSim::agency();
    let profile = temp_file("profile", "name = \"x\"\nfeatures = [\"publish_reels\"]\n");
    let profile = profile.display().to_string();
    let out = sim
        .diagnose(ADA_TOKEN)
        .args(&["--profile", &profile])
        .run()
        .await;
    out.assert_could_not_run(&["invalid profile file", "publish_reels"]);
    assert_eq!(sim.stats().http_requests, 0, "refused before any call");
    let _ = std::fs::remove_file(&profile);
}

#[tokio::test]
async fn thirty_logins_share_two_batches_and_keep_the_input_order() {
    let sim = TestSim::from_world(tether_sim::World::synthetic(30, 2));
    let tokens: Vec<String> = (0..30).rev().map(|i| format!("tok-user-{i}")).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let out = sim
        .diagnose_many(&refs)
        .args(&["--profile", "scheduler"])
        .run()
        .await;
    let lines = out.lines();
    assert_eq!(lines.len(), 30, "{out}");
    for (k, line) in lines.iter().enumerate() {
        let expected = format!("{}", 200_000_000_000_000u64 + (29 - k) as u64);
        assert_eq!(user_id(line), &Value::String(expected), "line {k}");
        assert_eq!(line["login"]["token"]["valid"], true, "line {k}");
    }
    // 25 logins (50 calls) fill a batch; the other 5 go in a second one.
    let stats = sim.stats();
    assert_eq!(
        (stats.batch_requests, stats.platform_calls),
        (2, 60),
        "{stats:?}"
    );
}
