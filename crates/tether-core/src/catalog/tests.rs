use super::*;

const HEAD: &str = r#"
network = "meta"
[[permission]]
name = "pages_show_list"
[[permission]]
name = "publish_to_groups"
retired = true
retired_source = "changelog v19.0"
[[task]]
name = "ANALYZE"
label = "Insights"
[[asset_kind]]
kind = "facebook_page"
label = "Facebook Page"
[[asset_kind]]
kind = "facebook_group"
label = "Facebook group"
unsupported = true
unsupported_source = "changelog v19.0"
"#;

fn load(rules: &str) -> Result<Catalog, CatalogError> {
    Catalog::from_toml_str(&format!("{HEAD}{rules}"), "custom.toml")
}

fn rule(body: &str) -> String {
    format!(
        "[[rule]]\nfeature = \"analytics\"\nasset_kind = \"facebook_page\"\nsource = \"doc\"\n{body}\n"
    )
}

#[test]
fn builtin_catalog_loads_and_every_rule_has_a_source() {
    let c = Catalog::builtin(crate::vocab::Network::Meta).unwrap();
    assert_eq!(c.network, Network::Meta);
    assert!(c.rules.iter().all(|r| !r.source.trim().is_empty()));
    assert_eq!(c.features(), Feature::ALL.to_vec());
    for retired in [
        "publish_to_groups",
        "groups_access_member_info",
        "manage_pages",
        "publish_pages",
        "publish_actions",
    ] {
        assert!(c.permission(retired).unwrap().retired(), "{retired}");
    }
    let group = c.asset_kind(AssetKind::FacebookGroup).unwrap();
    assert_eq!(
        group.unsupported.as_ref().unwrap().since.as_deref(),
        Some("2024-04-22")
    );
    assert!(
        c.asset_kind(AssetKind::InstagramAccount)
            .unwrap()
            .tasks_from_linked_page
    );
    let ads = c.rule(Feature::Ads, AssetKind::FacebookPage).unwrap();
    assert_eq!(ads.permissions_any, ["ads_management", "ads_read"]);
    let tasks: Vec<_> = c.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        tasks,
        [
            "MANAGE",
            "CREATE_CONTENT",
            "MODERATE",
            "MESSAGING",
            "ADVERTISE",
            "ANALYZE"
        ]
    );
    assert!(c.needs_condition(
        &[Feature::ProductTagging],
        Condition::InstagramProductTagEligible
    ));
    assert!(!c.needs_condition(&[Feature::Publish], Condition::InstagramProductTagEligible));
}

#[test]
fn a_valid_small_catalog_loads() {
    let c = load(&rule(
        "permissions = [\"pages_show_list\"]\ntasks = [\"ANALYZE\"]",
    ))
    .unwrap();
    assert_eq!(c.rules.len(), 1);
    assert_eq!(c.origin, "custom.toml");
}

#[test]
fn unknown_permission_names_file_rule_and_word() {
    let err = load(&rule("permissions = [\"read_insight\"]")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "custom.toml: rule #1 (analytics on facebook_page): unknown permission `read_insight` (declare it in [[permission]])"
    );
}

#[test]
fn unknown_task_is_rejected() {
    let err = load(&rule("tasks_any = [\"ANALYSE\"]")).unwrap_err();
    assert!(
        matches!(&err, CatalogError::UnknownTask { word, .. } if word == "ANALYSE"),
        "{err}"
    );
    assert!(err.to_string().contains("custom.toml"));
}

#[test]
fn unknown_feature_is_rejected() {
    let text =
        "[[rule]]\nfeature = \"publish_reels\"\nasset_kind = \"facebook_page\"\nsource = \"doc\"\n";
    let err = load(text).unwrap_err();
    assert!(
        matches!(&err, CatalogError::UnknownFeature { word, .. } if word == "publish_reels"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("rule #1 (publish_reels on facebook_page)"),
        "{err}"
    );
}

#[test]
fn unknown_asset_kind_is_rejected() {
    let text =
        "[[rule]]\nfeature = \"publish\"\nasset_kind = \"facebook_story\"\nsource = \"doc\"\n";
    let err = load(text).unwrap_err();
    assert!(
        matches!(&err, CatalogError::UnknownAssetKind { word, .. } if word == "facebook_story"),
        "{err}"
    );
}

#[test]
fn undeclared_asset_kind_is_rejected() {
    let text =
        "[[rule]]\nfeature = \"publish\"\nasset_kind = \"instagram_account\"\nsource = \"doc\"\n";
    let err = load(text).unwrap_err();
    assert!(
        matches!(err, CatalogError::UndeclaredAssetKind { .. }),
        "{err}"
    );
}

#[test]
fn rule_for_unsupported_kind_is_rejected() {
    let text =
        "[[rule]]\nfeature = \"publish\"\nasset_kind = \"facebook_group\"\nsource = \"doc\"\n";
    let err = load(text).unwrap_err();
    assert!(
        matches!(err, CatalogError::RuleForUnsupportedKind { .. }),
        "{err}"
    );
}

#[test]
fn unknown_condition_is_rejected() {
    let err = load(&rule("conditions = [\"instagram_business\"]")).unwrap_err();
    assert!(
        matches!(&err, CatalogError::UnknownCondition { word, .. } if word == "instagram_business"),
        "{err}"
    );
    assert!(err.to_string().contains("instagram_professional"), "{err}");
}

#[test]
fn rule_without_source_is_rejected() {
    let text = "[[rule]]\nfeature = \"analytics\"\nasset_kind = \"facebook_page\"\n";
    assert_eq!(
        load(text).unwrap_err(),
        CatalogError::MissingSource {
            origin: "custom.toml".into(),
            rule: "#1 (analytics on facebook_page)".into()
        }
    );
    let blank =
        "[[rule]]\nfeature = \"analytics\"\nasset_kind = \"facebook_page\"\nsource = \" \"\n";
    assert!(matches!(
        load(blank).unwrap_err(),
        CatalogError::MissingSource { .. }
    ));
}

#[test]
fn duplicate_rule_is_rejected() {
    let err = load(&format!("{}{}", rule(""), rule(""))).unwrap_err();
    assert_eq!(
        err,
        CatalogError::DuplicateRule {
            origin: "custom.toml".into(),
            rule: "#2 (analytics on facebook_page)".into()
        }
    );
}

#[test]
fn rule_requiring_a_retired_permission_is_rejected() {
    for field in ["permissions", "permissions_any"] {
        let err = load(&rule(&format!("{field} = [\"publish_to_groups\"]"))).unwrap_err();
        assert!(
            matches!(&err, CatalogError::RetiredPermission { word, .. } if word == "publish_to_groups"),
            "{err}"
        );
    }
}

#[test]
fn retired_permission_needs_its_source() {
    let text = HEAD.replace("retired_source = \"changelog v19.0\"\n", "");
    let err = Catalog::from_toml_str(&text, "custom.toml").unwrap_err();
    assert!(
        matches!(err, CatalogError::RetiredWithoutSource { .. }),
        "{err}"
    );
}

#[test]
fn duplicate_vocabulary_words_and_typos_in_keys_are_rejected() {
    let err = load("[[task]]\nname = \"ANALYZE\"\nlabel = \"x\"\n").unwrap_err();
    assert!(
        matches!(err, CatalogError::DuplicateWord { what: "task", .. }),
        "{err}"
    );
    let err = load(&rule("permission = [\"pages_show_list\"]")).unwrap_err();
    assert!(matches!(err, CatalogError::Parse { .. }), "{err}");
    let err = load(&rule("tasks = [\"ANALYZE\", \"ANALYZE\"]")).unwrap_err();
    assert!(matches!(err, CatalogError::RepeatedWord { .. }), "{err}");
}

#[test]
fn every_builtin_network_loads_with_its_own_words() {
    let networks = Catalog::builtin_networks();
    assert!(
        networks.contains(&crate::vocab::Network::Meta),
        "{networks:?}"
    );
    for n in networks {
        let c = Catalog::builtin(n).unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(
            c.network, n,
            "catalog/{n}/catalog.toml names another network"
        );
    }
}

#[test]
fn an_api_version_names_its_sunset_day_its_notice_and_its_source() {
    let table = |body: &str| load(&format!("[api_version]\n{body}\n"));
    let ok = table(
        "version = \"202603\"\nsunset = \"2027-03-16\"\nnotice_days = 60\nsource = \"versioning page\"",
    )
    .unwrap();
    let v = ok.api_version.unwrap();
    assert_eq!(v.sunset, "2027-03-16T00:00:00Z".parse().unwrap());
    assert_eq!(v.notice, jiff::SignedDuration::from_hours(24 * 60));
    let day = jiff::SignedDuration::from_hours(24);
    assert_eq!(v.ending(v.sunset - v.notice - day), None);
    assert_eq!(v.ending(v.sunset - v.notice), Some(v.sunset));
    assert_eq!(
        v.ending(v.sunset + day * 400),
        Some(v.sunset),
        "past it too"
    );

    for (body, says) in [
        (
            "version = \"202603\"\nsunset = \"16 March 2027\"\nnotice_days = 60\nsource = \"s\"",
            "sunset `16 March 2027` is not a date (YYYY-MM-DD",
        ),
        (
            "version = \" 202603\"\nsunset = \"2027-03-16\"\nnotice_days = 60\nsource = \"s\"",
            "without blanks",
        ),
        (
            "version = \"202603\"\nsunset = \"2027-03-16\"\nnotice_days = 0\nsource = \"s\"",
            "notice_days 0 must be between 1 and 366",
        ),
        (
            "version = \"202603\"\nsunset = \"2027-03-16\"\nnotice_days = 60\nsource = \" \"",
            "needs a `source`",
        ),
        (
            "version = \"202603\"\nsunset = \"2027-03-16\"\nsource = \"s\"",
            "missing field `notice_days`",
        ),
    ] {
        let err = table(body).unwrap_err().to_string();
        assert!(err.starts_with("custom.toml: "), "{err}");
        assert!(err.contains(says), "{body}: {err}");
    }
    let linkedin = Catalog::builtin(Network::Linkedin).unwrap();
    assert!(
        linkedin.api_version.is_some(),
        "every LinkedIn call sends the version"
    );
    // Moving the version forward is a change of how accounts are judged.
    let mut moved = linkedin.clone();
    assert!(linkedin.judges_like(&moved));
    moved.api_version.as_mut().unwrap().version = "202609".into();
    assert!(!linkedin.judges_like(&moved));
}

#[test]
fn a_catalog_has_a_revision_from_one() {
    assert_eq!(load("").unwrap().revision, 1, "absent: the first");
    let raised = Catalog::from_toml_str(
        &HEAD.replacen(
            "network = \"meta\"\n",
            "network = \"meta\"\nrevision = 3\n",
            1,
        ),
        "raised.toml",
    )
    .unwrap();
    assert_eq!(raised.revision, 3);
    let err = Catalog::from_toml_str(
        &HEAD.replacen(
            "network = \"meta\"\n",
            "network = \"meta\"\nrevision = 0\n",
            1,
        ),
        "zero.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "zero.toml: not a valid catalog file: revision 0: revisions start at 1"
    );
}
