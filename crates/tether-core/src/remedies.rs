//! Remedy texts: data (`catalog/<network>/remedies.toml`), one template per finding code, with placeholders
//! the engine fills in. Templates are checked at load so a typo in a placeholder is a load error,
//! not a report that shows `{permision}` to a customer.

use crate::catalog::CatalogError;
use crate::report::Remedy;
use crate::vocab::{Action, Feature, FindingCode};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The placeholders a template may use; anything else in braces is a load error.
const PLACEHOLDERS: &[&str] = &[
    "permission",
    "permission_label",
    "task",
    "task_label",
    "asset_name",
    "page_name",
    "until",
    "features",
    "person",
];

/// The placeholder of a fix's counts.
const COUNT_PLACEHOLDERS: &[&str] = &["n"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyTemplate {
    pub summary: String,
    pub steps: Vec<String>,
    pub link: Option<String>,
}

/// Remedy templates for every finding code, the words used for features inside them, and the
/// words for each kind of fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remedies {
    templates: BTreeMap<FindingCode, RemedyTemplate>,
    feature_labels: BTreeMap<Feature, String>,
    actions: BTreeMap<Action, ActionWords>,
    messages: BTreeMap<Action, Message>,
    escalation: RemedyTemplate,
    /// What `{asset_name}` says for a finding about the whole login ("your Pages and accounts").
    every_asset: String,
    /// What the page after a connection says when it brought no account.
    none_shared: String,
}

/// A message to the person who makes a fix that is not the connecting person's (a Page admin):
/// `[message.*]` in remedies.toml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

/// The fixes a Page admin makes for someone else: each needs a message written for that admin.
const MESSAGED: &[Action] = &[Action::GiveTask, Action::RestoreAccess];

/// Which button takes effect once a fix's owner has acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Button {
    /// Log in again through the platform's dialog.
    Reconnect,
    /// Check again without logging in (after a Page admin or the account's owner acted).
    Refresh,
    /// Nothing a person here can press fixes it.
    None,
}

/// The words for one kind of fix (`[action.*]` in remedies.toml).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionWords {
    pub button: Button,
    /// The fix in a few words, for nobody in particular: "Log in again".
    pub short: String,
    /// A count of one: "{n} person must log in again".
    pub one: String,
    /// A count of several: "{n} people must log in again".
    pub many: String,
    /// What one account needs, who must do it: "{person} must log in again".
    pub row: String,
    /// The same for one fix that covers several findings, listed under it.
    pub group: String,
}

/// Values for one finding's placeholders. A value that does not apply stays `None` and renders as
/// a neutral phrase, never as an empty string or a brace.
#[derive(Debug, Default, Clone)]
pub struct RemedyContext<'a> {
    pub permission: Option<&'a str>,
    pub permission_label: Option<&'a str>,
    pub task: Option<&'a str>,
    pub task_label: Option<String>,
    pub asset_name: Option<&'a str>,
    /// The Page whose access applies: the asset itself for a Page, the linked Page for an
    /// Instagram account (Page tasks are granted on the Page, not on Instagram).
    pub page_name: Option<&'a str>,
    pub until: Option<String>,
    pub features: &'a [Feature],
    /// The person who connected, by name.
    pub person: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemedies {
    /// What `{asset_name}` says when a finding is about the whole login, in the network's words.
    every_asset: Option<String>,
    /// What the page after a connection says when it brought no account: where accounts come
    /// from differs per network (ticked in a dialog, a role on a Page, the account itself).
    none_shared: Option<String>,
    features: BTreeMap<String, String>,
    remedy: BTreeMap<String, RawTemplate>,
    // Absent is reported as the first action missing, after the remedies are checked.
    #[serde(default)]
    action: BTreeMap<String, ActionWords>,
    #[serde(default)]
    message: BTreeMap<String, Message>,
    #[serde(default)]
    escalation: Option<RawTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    summary: String,
    steps: Vec<String>,
    link: Option<String>,
}

impl Remedies {
    /// The words shipped with Tether for `network` (`catalog/<network>/remedies.toml`).
    pub fn builtin(network: crate::vocab::Network) -> Result<Remedies, CatalogError> {
        let data = crate::catalog::builtin_data(network)?;
        Remedies::from_toml_str(
            data.remedies,
            &format!("catalog/{}/remedies.toml", data.network),
        )
    }

    /// Parses and checks a remedies file: every finding code and every feature must be covered,
    /// and templates may only use known placeholders.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Remedies, CatalogError> {
        let raw: RawRemedies = toml::from_str(text).map_err(|e| CatalogError::Parse {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        let mut feature_labels = BTreeMap::new();
        for (word, label) in raw.features {
            let feature = word
                .parse::<Feature>()
                .map_err(|_| CatalogError::UnknownFeature {
                    origin: origin.to_owned(),
                    rule: "[features]".to_owned(),
                    word: word.clone(),
                })?;
            feature_labels.insert(feature, label);
        }
        if let Some(missing) = Feature::ALL
            .iter()
            .find(|f| !feature_labels.contains_key(f))
        {
            return Err(CatalogError::MissingFeatureLabel {
                origin: origin.to_owned(),
                feature: missing.to_string(),
            });
        }
        let mut templates = BTreeMap::new();
        for (word, t) in raw.remedy {
            let code =
                word.parse::<FindingCode>()
                    .map_err(|_| CatalogError::UnknownFindingCode {
                        origin: origin.to_owned(),
                        word: word.clone(),
                    })?;
            let bad = |problem: String| CatalogError::BadRemedy {
                origin: origin.to_owned(),
                code: word.clone(),
                problem,
            };
            if t.summary.trim().is_empty() || t.steps.is_empty() {
                return Err(bad("needs a summary and at least one step".to_owned()));
            }
            for text in std::iter::once(&t.summary).chain(&t.steps) {
                check_placeholders(text, PLACEHOLDERS).map_err(&bad)?;
            }
            let template = RemedyTemplate {
                summary: t.summary,
                steps: t.steps,
                link: t.link,
            };
            templates.insert(code, template);
        }
        if let Some(missing) = FindingCode::ALL.iter().find(|c| !templates.contains_key(c)) {
            return Err(CatalogError::MissingRemedy {
                origin: origin.to_owned(),
                code: missing.to_string(),
            });
        }
        let mut actions = BTreeMap::new();
        for (word, words) in raw.action {
            let bad = |problem: String| CatalogError::BadRemedy {
                origin: origin.to_owned(),
                code: format!("action.{word}"),
                problem,
            };
            let action = word.parse::<Action>().map_err(|e| bad(e.to_string()))?;
            for text in [&words.row, &words.group] {
                check_placeholders(text, PLACEHOLDERS).map_err(&bad)?;
            }
            for count in [&words.one, &words.many] {
                check_placeholders(count, COUNT_PLACEHOLDERS).map_err(&bad)?;
            }
            check_placeholders(&words.short, &[]).map_err(&bad)?;
            actions.insert(action, words);
        }
        if let Some(missing) = Action::ALL.iter().find(|a| !actions.contains_key(a)) {
            return Err(CatalogError::BadRemedy {
                origin: origin.to_owned(),
                code: format!("action.{missing}"),
                problem: "missing: every kind of fix needs its words".to_owned(),
            });
        }
        let mut messages = BTreeMap::new();
        for (word, m) in raw.message {
            let bad = |problem: String| CatalogError::BadRemedy {
                origin: origin.to_owned(),
                code: format!("message.{word}"),
                problem,
            };
            let action = word.parse::<Action>().map_err(|e| bad(e.to_string()))?;
            for text in [&m.subject, &m.body] {
                check_placeholders(text, PLACEHOLDERS).map_err(&bad)?;
            }
            messages.insert(action, m);
        }
        if let Some(missing) = MESSAGED.iter().find(|a| !messages.contains_key(a)) {
            return Err(CatalogError::BadRemedy {
                origin: origin.to_owned(),
                code: format!("message.{missing}"),
                problem: "missing: a Page admin's fix needs a message written for them".to_owned(),
            });
        }
        let e = raw.escalation.ok_or_else(|| CatalogError::BadRemedy {
            origin: origin.to_owned(),
            code: "escalation".to_owned(),
            problem: "missing: what to do when a reconnect changed nothing".to_owned(),
        })?;
        for text in std::iter::once(&e.summary).chain(&e.steps) {
            check_placeholders(text, PLACEHOLDERS).map_err(|problem| CatalogError::BadRemedy {
                origin: origin.to_owned(),
                code: "escalation".to_owned(),
                problem,
            })?;
        }
        let none_shared = raw
            .none_shared
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| CatalogError::BadRemedy {
                origin: origin.to_owned(),
                code: "none_shared".to_owned(),
                problem: "missing: what a connection that brought no account says".to_owned(),
            })?;
        Ok(Remedies {
            none_shared,
            every_asset: raw
                .every_asset
                .unwrap_or_else(|| "every account of this connection".to_owned()),
            templates,
            feature_labels,
            actions,
            messages,
            escalation: RemedyTemplate {
                summary: e.summary,
                steps: e.steps,
                link: e.link,
            },
        })
    }

    /// What to do when a reconnect changed nothing.
    pub fn escalation(&self, cx: &RemedyContext<'_>) -> Remedy {
        Remedy {
            summary: self.fill(&self.escalation.summary, cx),
            steps: self
                .escalation
                .steps
                .iter()
                .map(|s| self.fill(s, cx))
                .collect(),
            link: self.escalation.link.clone(),
        }
    }

    /// The message for whoever makes this fix, filled in (subject, body); `None` for fixes that
    /// are the reader's own.
    pub fn message(&self, action: Action, cx: &RemedyContext<'_>) -> Option<(String, String)> {
        self.messages
            .get(&action)
            .map(|m| (self.fill(&m.subject, cx), self.fill(&m.body, cx)))
    }

    pub fn action(&self, action: Action) -> &ActionWords {
        // Loading guarantees words for every action.
        &self.actions[&action]
    }

    /// "3 people must log in again".
    pub fn action_count(&self, action: Action, n: u64) -> String {
        let w = self.action(action);
        let text = if n == 1 { &w.one } else { &w.many };
        text.replace("{n}", &n.to_string())
    }

    /// What one account needs, who must do it.
    pub fn action_row(&self, action: Action, cx: &RemedyContext<'_>) -> String {
        self.fill(&self.action(action).row, cx)
    }

    /// The same, for a fix that covers several findings.
    pub fn action_group(&self, action: Action, cx: &RemedyContext<'_>) -> String {
        self.fill(&self.action(action).group, cx)
    }

    pub fn template(&self, code: FindingCode) -> &RemedyTemplate {
        // Loading guarantees a template for every code.
        &self.templates[&code]
    }

    /// What the page after a connection says when it brought no account.
    pub fn none_shared(&self) -> &str {
        &self.none_shared
    }

    pub fn feature_label(&self, feature: Feature) -> &str {
        &self.feature_labels[&feature]
    }

    pub fn render(&self, code: FindingCode, cx: &RemedyContext<'_>) -> Remedy {
        let t = self.template(code);
        Remedy {
            summary: self.fill(&t.summary, cx),
            steps: t.steps.iter().map(|s| self.fill(s, cx)).collect(),
            link: t.link.clone(),
        }
    }

    fn fill(&self, text: &str, cx: &RemedyContext<'_>) -> String {
        let mut out = String::with_capacity(text.len() + 32);
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').unwrap_or(after.len());
            self.push_value(&mut out, &after[..close], cx);
            rest = after.get(close + 1..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }

    fn push_value(&self, out: &mut String, name: &str, cx: &RemedyContext<'_>) {
        match name {
            "permission" => out.push_str(cx.permission.unwrap_or("a permission")),
            "permission_label" => out.push_str(
                cx.permission_label
                    .or(cx.permission)
                    .unwrap_or("a permission"),
            ),
            "task" => out.push_str(cx.task.unwrap_or("a task")),
            "task_label" => out.push_str(cx.task_label.as_deref().unwrap_or("the needed access")),
            "asset_name" => out.push_str(cx.asset_name.unwrap_or(&self.every_asset)),
            "page_name" => out.push_str(cx.page_name.or(cx.asset_name).unwrap_or("the Page")),
            "until" => out.push_str(cx.until.as_deref().unwrap_or("soon")),
            "features" => self.push_features(out, cx.features),
            "person" => out.push_str(cx.person.unwrap_or("the person who connected")),
            // Unknown names were rejected at load.
            other => out.push_str(other),
        }
    }

    fn push_features(&self, out: &mut String, features: &[Feature]) {
        if features.is_empty() {
            out.push_str("every feature");
            return;
        }
        for (i, f) in features.iter().enumerate() {
            if i > 0 {
                out.push_str(if i + 1 == features.len() {
                    " and "
                } else {
                    ", "
                });
            }
            out.push_str(self.feature_label(*f));
        }
    }
}

fn check_placeholders(text: &str, known: &[&str]) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("unclosed `{{` in \"{text}\""));
        };
        let name = &after[..close];
        if !known.contains(&name) {
            return Err(format!(
                "unknown placeholder `{{{name}}}` (known: {})",
                known.join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Network;

    fn meta_remedies() -> &'static str {
        crate::catalog::builtin_data(Network::Meta)
            .unwrap()
            .remedies
    }

    #[test]
    fn builtin_covers_every_code_and_fills_placeholders() {
        let r = Remedies::builtin(Network::Meta).unwrap();
        let cx = RemedyContext {
            permission: Some("read_insights"),
            permission_label: Some("Read Page and app insights"),
            asset_name: Some("Riverside Library"),
            features: &[Feature::Analytics, Feature::Publish],
            ..Default::default()
        };
        for code in FindingCode::ALL {
            let remedy = r.render(*code, &cx);
            for text in std::iter::once(&remedy.summary).chain(&remedy.steps) {
                assert!(!text.contains('{'), "{code}: {text}");
                assert!(!text.to_lowercase().contains("something went wrong"));
            }
        }
        let declined = r.render(FindingCode::PermissionDeclined, &cx);
        assert!(declined.summary.contains("\"Read Page and app insights\""));
        assert!(declined.summary.contains("analytics and publishing posts"));
    }

    #[test]
    fn every_fix_has_its_words_and_counts_read_right() {
        let r = Remedies::builtin(Network::Meta).unwrap();
        let cx = RemedyContext {
            asset_name: Some("riversidegym"),
            page_name: Some("Riverside Gym"),
            task_label: Some("Content".into()),
            person: Some("Carla Reyes"),
            ..Default::default()
        };
        for action in Action::ALL {
            let row = r.action_row(*action, &cx);
            assert!(!row.contains('{'), "{action}: {row}");
            assert!(!r.action_count(*action, 2).contains('{'));
        }
        assert_eq!(
            r.action_row(Action::GiveTask, &cx),
            "A Page admin of Riverside Gym must give Carla Reyes \"Content\""
        );
        assert_eq!(
            r.action_count(Action::LogIn, 1),
            "1 person must log in again"
        );
        assert_eq!(
            r.action_count(Action::LogIn, 4),
            "4 people must log in again"
        );
        let (subject, body) = r.message(Action::GiveTask, &cx).unwrap();
        assert_eq!(
            subject,
            "Please give Carla Reyes \"Content\" access to Riverside Gym"
        );
        assert!(
            body.contains("Page access") && !body.contains("Refresh"),
            "{body}"
        );
        assert!(r.message(Action::LogIn, &cx).is_none());
        let without = meta_remedies().replace("[action.renew]", "[action.renewal]");
        let err = Remedies::from_toml_str(&without, "r.toml").unwrap_err();
        assert!(err.to_string().contains("renewal"), "{err}");
        let typo = meta_remedies().replace(
            "{person} must log in again\"",
            "{persn} must log in again\"",
        );
        let err = Remedies::from_toml_str(&typo, "r.toml").unwrap_err();
        assert!(err.to_string().contains("persn"), "{err}");
    }

    #[test]
    fn a_connection_that_brought_no_account_has_words_of_its_own() {
        let r = Remedies::from_toml_str(meta_remedies(), "r.toml").unwrap();
        assert!(
            r.none_shared().contains("choose the Pages"),
            "{}",
            r.none_shared()
        );
        let line = meta_remedies()
            .lines()
            .find(|l| l.starts_with("none_shared = "))
            .unwrap();
        for text in [String::new(), "none_shared = \"  \"".to_owned()] {
            let without = meta_remedies().replace(line, &text);
            let err = Remedies::from_toml_str(&without, "r.toml").unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.contains("r.toml") && msg.contains("none_shared"),
                "{msg}"
            );
        }
    }

    #[test]
    fn unknown_placeholder_is_rejected_with_file_and_code() {
        let text = meta_remedies().replace("{permission_label}", "{permision_label}");
        let err = Remedies::from_toml_str(&text, "my-remedies.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("my-remedies.toml"), "{msg}");
        assert!(msg.contains("permision_label"), "{msg}");
    }

    #[test]
    fn missing_remedy_is_rejected() {
        let start = meta_remedies().find("[remedy.account_restricted]").unwrap();
        let err = Remedies::from_toml_str(&meta_remedies()[..start], "r.toml").unwrap_err();
        assert_eq!(
            err,
            CatalogError::MissingRemedy {
                origin: "r.toml".into(),
                code: "account_restricted".into()
            }
        );
    }
}
