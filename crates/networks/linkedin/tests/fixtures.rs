//! Every LinkedIn sample in fixtures/linkedin (at the repository's root), parsed with the right
//! reader and classified as docs/PLATFORMS-2.md 2.5 says. A file the table does not name fails
//! the test, so new samples cannot be skipped silently.

use std::collections::BTreeSet;
use tether_core::BrokenReason;
use tether_linkedin::classify::{Class, classify};
use tether_linkedin::wire::{
    parse_acls, parse_error, parse_introspection, parse_token_reply, scopes,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../fixtures/linkedin");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The class of an error body that came with `status` (the file name's HTTP status).
fn class(body: &str, status: u16) -> Class {
    classify(&parse_error(body).expect("an error body"), Some(status))
}

type Check = fn(&str);

const TABLE: &[(&str, Check)] = &[
    ("linkedin_revoked_token_401.json", |b| {
        assert_eq!(class(b, 401), Class::Revoked);
        let pe = parse_error(b).unwrap().to_platform_error(Some(401));
        assert_eq!(pe.code_text(), "REVOKED_ACCESS_TOKEN/65601");
    }),
    ("linkedin_invalid_access_token_65600_401.json", |b| {
        assert_eq!(
            class(b, 401),
            Class::Broken(BrokenReason::SessionInvalidated)
        );
        // The older shape has no word: the number is the code.
        let pe = parse_error(b).unwrap().to_platform_error(Some(401));
        assert_eq!(pe.code_text(), "65600");
    }),
    ("linkedin_expired_access_token_65602_401.json", |b| {
        assert_eq!(class(b, 401), Class::Broken(BrokenReason::Expired));
    }),
    ("linkedin_v1_token_expired_401_legacy.json", |b| {
        assert_eq!(class(b, 401), Class::Broken(BrokenReason::Expired));
    }),
    // No token sent: our bug, never the member's.
    (
        "linkedin_empty_oauth2_access_token_401_sdk_test.json",
        |b| {
            assert_eq!(class(b, 401), Class::Other);
        },
    ),
    ("linkedin_empty_oauth2_access_token_401_doc.json", |b| {
        assert_eq!(class(b, 401), Class::Other);
    }),
    ("linkedin_access_denied_100_me_403.json", |b| {
        assert_eq!(class(b, 403), Class::AccessDenied);
    }),
    ("linkedin_access_denied_100_get_me_403_legacy.json", |b| {
        assert_eq!(class(b, 403), Class::AccessDenied);
    }),
    ("linkedin_nonexistent_version_426.json", |b| {
        assert_eq!(class(b, 426), Class::VersionRetired);
    }),
    ("linkedin_throttle_limit_101_429.json", |b| {
        assert_eq!(class(b, 429), Class::RateLimited);
    }),
    (
        "linkedin_code_exchange_invalid_redirect_uri_400.json",
        |b| {
            assert_eq!(class(b, 400), Class::CodeRejected);
        },
    ),
    ("linkedin_code_exchange_invalid_request_400.json", |b| {
        assert_eq!(class(b, 400), Class::CodeRejected);
    }),
    ("linkedin_code_exchange_200_doc.json", |b| {
        let t = parse_token_reply(b).unwrap();
        assert_eq!(t.expires_in, Some(5184000));
        assert_eq!(t.refresh_token, None);
        assert_eq!(scopes(t.scope.as_deref().unwrap()), ["r_basicprofile"]);
    }),
    (
        "linkedin_code_exchange_with_refresh_token_200_doc.json",
        |b| {
            // The doc's own numbers (a day, and a year in minutes): read as sent, never assumed.
            let t = parse_token_reply(b).unwrap();
            assert_eq!(t.expires_in, Some(86400));
            assert!(t.refresh_token.is_some());
            assert_eq!(t.refresh_token_expires_in, Some(525600));
        },
    ),
    ("linkedin_refresh_token_exchange_200_doc.json", |b| {
        let t = parse_token_reply(b).unwrap();
        assert_eq!(t.refresh_token_expires_in, Some(439200));
    }),
    ("linkedin_introspect_token_active_200_doc.json", |b| {
        let i = parse_introspection(b).unwrap();
        assert!(i.active);
        assert_eq!(i.status.as_deref(), Some("active"));
        assert_eq!(i.expires_at, Some(1497497620));
        assert_eq!(
            scopes(i.scope.as_deref().unwrap()),
            ["r_liteprofile", "r_emailaddress", "w_member_social"]
        );
    }),
    (
        "linkedin_introspect_token_active_3l_200_recorded.json",
        |b| {
            let i = parse_introspection(b).unwrap();
            assert!(i.active);
            assert_eq!(i.auth_type.as_deref(), Some("3L"));
            assert_eq!(i.expires_at, Some(1736443038));
        },
    ),
    (
        "linkedin_organization_acls_role_assignee_200_postman.json",
        |b| {
            let page = parse_acls(b, 0).unwrap();
            assert!(!page.more);
            assert_eq!(page.entries.len(), 1);
            let e = &page.entries[0];
            assert_eq!(e.organization, "11223344");
            assert_eq!(e.person.as_deref(), Some("BcLKbjuipL"));
            assert_eq!(e.role, "LEAD_GEN_FORMS_MANAGER");
            assert_eq!(e.state, "APPROVED");
        },
    ),
    (
        "linkedin_organization_acls_role_assignee_revoked_200_postman.json",
        |b| {
            let page = parse_acls(b, 0).unwrap();
            let states: Vec<&str> = page.entries.iter().map(|e| e.state.as_str()).collect();
            assert_eq!(states, ["APPROVED", "REVOKED"]);
        },
    ),
    ("linkedin_organization_acls_changelog_event_doc.json", |b| {
        // An ACL element inside a changelog event: the same fields the finder returns.
        let v: serde_json::Value = serde_json::from_str(b).unwrap();
        let wrapped = serde_json::json!({"elements": [v["activity"]]}).to_string();
        let page = parse_acls(&wrapped, 0).unwrap();
        assert_eq!(page.entries[0].organization, "82318779");
        assert_eq!(page.entries[0].role, "CONTENT_ADMINISTRATOR");
    }),
    (
        "linkedin_authorize_user_cancelled_authorize_redirect.txt",
        |b| {
            assert!(b.contains("error=user_cancelled_authorize"), "{b}");
        },
    ),
    (
        "linkedin_authorize_user_cancelled_login_redirect.txt",
        |b| {
            assert!(b.contains("error=user_cancelled_login"), "{b}");
        },
    ),
];

#[test]
fn every_sample_reads_and_classifies() {
    for (name, check) in TABLE {
        check(&read(name));
    }
}

#[test]
fn the_table_names_every_sample() {
    let named: BTreeSet<&str> = TABLE.iter().map(|(n, _)| *n).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SOURCES.md")
        .collect();
    let missing: Vec<&String> = on_disk
        .iter()
        .filter(|n| !named.contains(n.as_str()))
        .collect();
    assert!(missing.is_empty(), "samples no row reads: {missing:?}");
}

#[test]
fn the_content_admin_spelling_reads_as_the_acl_spelling() {
    let body = r#"{"elements":[{"organization":"urn:li:organization:1","role":"CONTENT_ADMIN","state":"APPROVED"}]}"#;
    assert_eq!(
        parse_acls(body, 0).unwrap().entries[0].role,
        "CONTENT_ADMINISTRATOR"
    );
}
