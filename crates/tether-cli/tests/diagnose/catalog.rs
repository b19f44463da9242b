//! `tether catalog apply FILE` as an operator runs it: the real binary on a workspace's SQLite
//! store. What it tells about a file that is not a change (no `[change]`, a typo, no new
//! revision, the rules judged by now), what a dry run prints, that an applied change is
//! recorded, and what a server started before it says. Accounts moving is `tether-server`'s
//! `catalog_change` test.

use crate::process::{Scratch, run};
use crate::service::{Setup, create_workspace, generate_key};
use std::time::Duration;

const LINKEDIN: &str = include_str!("../../../../catalog/linkedin/catalog.toml");
const CHANGE: &str = "\n[change]\nsummary = \"The app now sends LinkedIn API version 202609\"\nsource = \"learn.microsoft.com/linkedin/marketing/versioning\"\n";

async fn apply(dir: &Scratch, keys: &str, name: &str, text: &str) -> crate::harness::Outcome {
    let file = dir.path(name);
    std::fs::write(&file, text).unwrap();
    let db = dir.path("tether.db");
    run(
        &["catalog", "apply", &file, "--database", &db, "--keys", keys],
        &[],
        Duration::from_secs(20),
    )
    .await
}

#[tokio::test]
async fn a_changed_catalog_is_checked_before_anything_is_read_and_a_dry_run_records_nothing() {
    let dir = Scratch::new("catalog-apply");
    let keys = generate_key(1).await;
    create_workspace(&dir.path("tether.db"), &keys).await;

    // No [change]: nobody could be told why their accounts moved.
    let out = apply(&dir, &keys, "no-change.toml", LINKEDIN).await;
    assert_ne!(out.status, 0, "{out}");
    assert!(out.stderr.contains("no-change.toml"), "{out}");
    assert!(out.stderr.contains("[change]"), "{out}");

    // A typo in the vocabulary names the file and the word.
    let typo = LINKEDIN.replacen(
        "\"w_organization_social\"]",
        "\"w_organisation_social\"]",
        1,
    );
    assert_ne!(typo, LINKEDIN);
    let out = apply(&dir, &keys, "typo.toml", &format!("{typo}{CHANGE}")).await;
    assert_ne!(out.status, 0, "{out}");
    assert!(out.stderr.contains("typo.toml"), "{out}");
    assert!(out.stderr.contains("w_organisation_social"), "{out}");

    // The build's own catalog with a [change] but no new revision: it could never be judged by.
    let out = apply(&dir, &keys, "same.toml", &format!("{LINKEDIN}{CHANGE}")).await;
    assert_ne!(out.status, 0, "{out}");
    assert!(
        out.stderr
            .contains("revision 1: the linkedin catalog judged by now is revision 1"),
        "{out}"
    );

    // A new revision with the same rules: nothing can move, and the operator is told why.
    let same = raise(LINKEDIN, 2);
    let out = apply(&dir, &keys, "same-rules.toml", &format!("{same}{CHANGE}")).await;
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stderr.contains("already has these rules"), "{out}");

    // A newer API version is a change of judgement: no such note; a dry run says what it read.
    let moved = raise(LINKEDIN, 2)
        .replacen("version = \"202603\"", "version = \"202609\"", 1)
        .replacen("sunset = \"2027-03-16\"", "sunset = \"2027-09-15\"", 1);
    assert!(moved.contains("202609"), "[api_version] was found");
    let moved = format!("{moved}{CHANGE}");
    let out = apply(&dir, &keys, "moved.toml", &moved).await;
    assert_eq!(out.status, 0, "{out}");
    assert!(!out.stderr.contains("already has these rules"), "{out}");
    for line in [
        "LinkedIn change: The app now sends LinkedIn API version 202609",
        "judged 0 logins and 0 accounts of linkedin from stored facts, no platform call",
        "no account changes status",
        "dry run: nothing recorded (add --apply)",
    ] {
        assert!(out.stdout.contains(line), "{line}:\n{out}");
    }

    // Applied, the change is recorded: the next one must go beyond it.
    let out = apply_for_real(&dir, &keys, "moved.toml").await;
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout
            .contains("recorded as linkedin catalog revision 2"),
        "{out}"
    );
    // The same file again is the same change: it may run again (it records what is missing).
    let out = apply_for_real(&dir, &keys, "moved.toml").await;
    assert_eq!(out.status, 0, "{out}");
    // Another text under the same revision is not.
    let other = moved.replacen("2027-09-15", "2027-09-16", 1);
    let out = apply(&dir, &keys, "moved-again.toml", &other).await;
    assert_ne!(out.status, 0, "{out}");
    assert!(
        out.stderr.contains(
            "the linkedin catalog judged by now is revision 2 (the recorded linkedin catalog change, revision 2"
        ),
        "{out}"
    );
}

fn raise(catalog: &str, revision: u32) -> String {
    let raised = catalog.replacen("revision = 1\n", &format!("revision = {revision}\n"), 1);
    assert_ne!(raised, catalog, "the revision was found");
    raised
}

async fn apply_for_real(dir: &Scratch, keys: &str, name: &str) -> crate::harness::Outcome {
    let (file, db) = (dir.path(name), dir.path("tether.db"));
    run(
        &[
            "catalog",
            "apply",
            &file,
            "--apply",
            "--database",
            &db,
            "--keys",
            keys,
        ],
        &[],
        Duration::from_secs(20),
    )
    .await
}

/// A Meta catalog change recorded while a server runs: its worker stops checking Meta until
/// restarted and says why once, not on every round (a second apart).
#[tokio::test]
async fn a_server_started_before_a_change_says_so_once_not_every_round() {
    let s = Setup::new("catalog-outdated").await;
    let server = s.serve(&s.k1).await;
    let meta = include_str!("../../../../catalog/meta/catalog.toml");
    let at = meta.find("feature = \"publish\"\n").unwrap();
    let rule = "\"pages_read_engagement\", \"pages_manage_posts\"]";
    let changed = format!(
        "{}{}\n[change]\nsummary = \"Publishing a post now takes pages_manage_cta (a test's change)\"\nsource = \"tests/diagnose/catalog.rs\"\n",
        raise(&meta[..at], 2),
        meta[at..].replacen(
            rule,
            "\"pages_read_engagement\", \"pages_manage_posts\", \"pages_manage_cta\"]",
            1
        )
    );
    assert!(
        changed.contains("pages_manage_cta\"]"),
        "the publish rule was found"
    );
    std::fs::write(s.dir.path("meta.toml"), changed).unwrap();
    let out = run(
        &[
            "catalog",
            "apply",
            &s.dir.path("meta.toml"),
            "--apply",
            "--database",
            &s.db,
            "--keys",
            &s.k1,
        ],
        &[],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout.contains("recorded as meta catalog revision 2"),
        "{out}"
    );
    let said = "Tether's rules for meta changed (catalog revision 2) after this server started";
    server.wait_for_log(said).await;
    // Rounds run a second apart when idle: several more pass.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let (status, stderr) = server.interrupt().await;
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches(said).count(), 1, "{stderr}");
}
