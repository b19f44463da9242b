//! The mistakes a new user makes first, each refused with exit 2 and a message that says what to
//! do: no keys, a ring that is not one, a nameless workspace, a file that is not a database, a
//! database URL with a password in it, a profile that does not exist.

use crate::harness::Outcome;
use crate::process::{free_port, run};
use crate::service::Setup;
use std::path::Path;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// `tether serve` as `s` would run it, with another key ring (or none), database and profile.
async fn serve(s: &Setup, keys: Option<&str>, db: &str, profile: &str) -> Outcome {
    // Port 0: should a refusal regress into a start, the run's time limit catches it.
    let mut args = s.serve_args(keys.unwrap_or("unused"), 0);
    let mut set = |flag: &str, value: &str| {
        let at = args.iter().position(|a| a == flag).expect("the flag") + 1;
        value.clone_into(&mut args[at]);
    };
    set("--database", db);
    set("--profile", profile);
    if keys.is_none() {
        let at = args.iter().position(|a| a == "--keys").expect("--keys");
        args.drain(at..at + 2);
    }
    run(&args, &[], LIMIT).await
}

async fn migrate(db: &str, extra: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut args = vec!["migrate", "--database", db];
    args.extend(extra);
    run(&args, env, LIMIT).await
}

#[tokio::test]
async fn missing_or_malformed_keys_are_refused_before_anything_is_created() {
    let s = Setup::new("keys").await;
    let fresh = s.dir.path("never.db");

    let out = serve(&s, None, &fresh, "scheduler").await;
    out.assert_could_not_run(&["TETHER_KEYS", "--key-file", "tether keys generate"]);

    // A ring that is not one, a key of the wrong size, an id given twice: said plainly, and the
    // text given (a secret, when it is nearly right) is never echoed.
    let twice = format!("{},{}", s.k1, s.k1);
    for (ring, needle) in [
        ("garbage-ring-text", "ID:BASE64KEY"),
        ("1:c2hvcnQ=", "AES-256 needs 32"),
        (twice.as_str(), "appears twice"),
    ] {
        let out = serve(&s, Some(ring), &fresh, "scheduler").await;
        out.assert_could_not_run(&["TETHER_KEYS / --keys is not a valid key ring", needle]);
        assert!(
            !out.stderr.contains(&ring[2..]),
            "the ring is echoed:\n{out}"
        );
    }
    let out = run(&["keys", "generate", "--id", "0"], &[], LIMIT).await;
    out.assert_could_not_run(&["1..=255"]);

    let missing = s.dir.path("no-such-keys.txt");
    let out = migrate(&fresh, &["--key-file", &missing], &[]).await;
    out.assert_could_not_run(&["key file", &missing]);
    assert!(
        !Path::new(&fresh).exists(),
        "no database without keys:\n{out}"
    );

    // The two other ways to give the ring work as well as --keys.
    let file = s.dir.path("keys.txt");
    std::fs::write(&file, format!("{}\n", s.k1)).expect("write the key file");
    let out = migrate(&s.db, &["--key-file", &file], &[]).await;
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("is up to date (sqlite)"), "{out}");
    let out = migrate(&s.db, &[], &[("TETHER_KEYS", &s.k1)]).await;
    assert_eq!(out.status, 0, "{out}");
}

#[tokio::test]
async fn a_bad_name_database_or_profile_is_refused_with_what_to_fix() {
    let s = Setup::new("refusals").await;

    for name in ["", "   "] {
        let out = run(
            &[
                "workspace",
                "create",
                name,
                "--database",
                &s.db,
                "--keys",
                &s.k1,
            ],
            &[],
            LIMIT,
        )
        .await;
        out.assert_could_not_run(&["the workspace needs a name"]);
    }

    // A file that is not a database: named, whichever command opens it.
    let junk = s.dir.path("junk.db");
    let bytes = b"this is not a database at all, just junk bytes\n".repeat(100);
    std::fs::write(&junk, bytes).expect("write junk");
    let out = serve(&s, Some(&s.k1), &junk, "scheduler").await;
    out.assert_could_not_run(&["cannot open the database", &junk, "not a database"]);
    let out = migrate(&junk, &["--keys", &s.k1], &[]).await;
    out.assert_could_not_run(&["cannot open the database", &junk]);

    // A directory that does not exist.
    let nowhere = s.dir.path("missing-dir/tether.db");
    let out = migrate(&nowhere, &["--keys", &s.k1], &[]).await;
    out.assert_could_not_run(&["cannot open the database", &nowhere]);

    // An engine tether does not speak: the URL is named without its password.
    let out = migrate(
        "mysql://tether:hunter2@127.0.0.1/x",
        &["--keys", &s.k1],
        &[],
    )
    .await;
    out.assert_could_not_run(&["unsupported database URL scheme `mysql`", "tether:***@"]);
    assert!(!out.stderr.contains("hunter2"), "{out}");

    let out = serve(&s, Some(&s.k1), &s.db, "nope").await;
    out.assert_could_not_run(&["`nope`", "default", "scheduler", "listening", "messenger"]);
}

/// A PostgreSQL server that is not there: the message names it, never with its password. (Takes
/// the store's connect timeout, about five seconds.)
#[tokio::test]
async fn an_unreachable_postgres_is_named_without_its_password() {
    let keys = crate::service::generate_key(1).await;
    let url = format!("postgres://tether:hunter2@127.0.0.1:{}/tether", free_port());
    let out = migrate(&url, &["--keys", &keys], &[]).await;
    out.assert_could_not_run(&["cannot open the database postgres://tether:***@127.0.0.1:"]);
    assert!(!out.stderr.contains("hunter2"), "{out}");
}
