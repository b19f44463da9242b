//! The report for people: a table of assets with coloured statuses, then the findings grouped by
//! who must act, each with its remedy. JSON is the contract; this is a view of it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use tether_core::{Finding, FindingCode, Owner, Report, Status};

/// ANSI colours only when writing to a terminal and NO_COLOR is unset (no-color.org).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn for_stdout() -> Style {
        Style {
            color: std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// The status word padded for the table column.
    fn status(&self, status: Status) -> String {
        self.status_word(status, 15)
    }

    fn status_word(&self, status: Status, width: usize) -> String {
        // The word is always printed: colour is never the only signal.
        let code = match status {
            Status::Connected => "1;32",
            Status::AtRisk => "1;33",
            Status::ActionRequired => "1;38;5;208",
            Status::Disconnected => "1;31",
            Status::Pending | Status::Unsupported => "1;90",
        };
        self.paint(code, &format!("{:<width$}", status_label(status)))
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Connected => "connected",
        Status::AtRisk => "at risk",
        Status::ActionRequired => "action required",
        Status::Disconnected => "disconnected",
        Status::Pending => "pending",
        Status::Unsupported => "unsupported",
    }
}

fn owner_heading(owner: Owner) -> &'static str {
    match owner {
        Owner::ConnectingUser => "You (the person who connected this account) can fix",
        Owner::AssetAdmin => "A Page admin must act",
        Owner::BusinessAdmin => "A Business Portfolio admin must act",
        Owner::AccountOwner => "The owner of the Instagram account must act",
        Owner::AppOwner => "The app's owner (not the customer) must act",
        Owner::Platform => "Nobody can fix this: the platform no longer offers it",
    }
}

fn kind_label(kind: tether_core::AssetKind) -> &'static str {
    use tether_core::AssetKind::*;
    match kind {
        FacebookPage => "Facebook Page",
        InstagramAccount => "Instagram",
        FacebookGroup => "Facebook Group",
        LinkedinOrganization => "LinkedIn org",
        PinterestAccount => "Pinterest",
        TiktokAccount => "TikTok",
    }
}

/// The subject a finding is about, for its heading ("read_insights", "task CREATE_CONTENT").
fn subject(f: &Finding) -> String {
    if let Some(p) = &f.permission {
        format!(" `{p}`")
    } else if let Some(t) = &f.task {
        format!(" {t}")
    } else if let Some(r) = &f.role {
        format!(" {r}")
    } else {
        String::new()
    }
}

/// One finding as told once, with every place it applies to.
type Grouped = (Finding, Vec<String>);

pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let login = &report.login;
    let who = match (&login.user_name, &login.user_id) {
        (Some(n), Some(id)) => format!("{n} ({id})"),
        (None, Some(id)) => id.clone(),
        (Some(n), None) => n.clone(),
        (None, None) => "unknown person".into(),
    };
    // The login's own status says nothing about task or link problems on single assets, so
    // the headline also counts the assets that need attention.
    let attention = report
        .assets
        .iter()
        .filter(|a| a.status != Status::Connected)
        .count();
    let assets_line = match (report.assets.len(), attention) {
        (0, _) => String::new(),
        (n, 0) => format!("; all {n} accounts connected"),
        (n, k) => format!("; {k} of {n} accounts need attention"),
    };
    let _ = writeln!(
        out,
        "{} login of {}: login {}{}",
        style.bold(&report.network.to_string()),
        who,
        style.status_word(login.status, 0),
        assets_line
    );
    let expiry = match login.token.expires_at {
        Some(t) => format!("token expires {}", day(t)),
        None if login.token.valid => "token never expires".into(),
        None => "token is not valid".into(),
    };
    let data = match login.token.data_access_expires_at {
        Some(t) => format!(", data access until {}", day(t)),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{}",
        style.dim(&format!(
            "{expiry}{data}; checked {}",
            report.checked_at.strftime("%Y-%m-%d %H:%M UTC")
        ))
    );
    out.push('\n');

    if report.assets.is_empty() && login.status == Status::Disconnected {
        let _ = writeln!(
            out,
            "The login is broken, so the accounts it reaches cannot be listed until it works again."
        );
    } else if report.assets.is_empty() {
        let _ = writeln!(
            out,
            "No Pages or Instagram accounts are reachable through this login."
        );
    } else {
        let name_w = report
            .assets
            .iter()
            .map(|a| a.name.as_deref().unwrap_or("(unnamed)").chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 40);
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!(
                "{:<15}  {:<14}  {:<name_w$}  {:<18}  FEATURES",
                "STATUS", "KIND", "NAME", "ID"
            ))
        );
        for a in &report.assets {
            let total = a.features.len();
            // At-risk features still work today; the dated finding below says until when.
            let ok = a
                .features
                .values()
                .filter(|v| **v != tether_core::FeatureVerdict::Unavailable)
                .count();
            let broken: Vec<&str> = a
                .features
                .iter()
                .filter(|(_, v)| **v == tether_core::FeatureVerdict::Unavailable)
                .map(|(f, _)| f.as_str())
                .collect();
            let features = if total == 0 {
                "none apply".to_owned()
            } else if broken.is_empty() {
                format!("{ok}/{total} work")
            } else {
                format!("{ok}/{total} work; not: {}", broken.join(", "))
            };
            let name: String = a
                .name
                .as_deref()
                .unwrap_or("(unnamed)")
                .chars()
                .take(40)
                .collect();
            let _ = writeln!(
                out,
                "{}  {:<14}  {:<name_w$}  {:<18}  {}",
                style.status(a.status),
                kind_label(a.kind),
                name,
                a.id,
                features
            );
        }
    }

    // Group every finding (login-level and per asset) by owner, then by (code, subject), so one
    // declined permission that blocks ten Pages is one instruction, not ten.
    // Only findings that say exactly the same thing merge (asset findings name their asset, so
    // they stay apart); the serialized finding is the key, after code and subject for order.
    let mut groups: BTreeMap<Owner, BTreeMap<(FindingCode, String, String), Grouped>> =
        BTreeMap::new();
    let mut add = |f: &Finding, where_: String| {
        let exact = serde_json::to_string(f).unwrap_or_default();
        let entry = groups
            .entry(f.owner)
            .or_default()
            .entry((f.code, subject(f), exact))
            .or_insert_with(|| (f.clone(), Vec::new()));
        if !entry.1.contains(&where_) {
            entry.1.push(where_);
        }
    };
    for f in &login.findings {
        add(f, "the whole login".into());
    }
    for a in &report.assets {
        let label = format!(
            "{} {}",
            kind_label(a.kind),
            a.name.clone().unwrap_or_else(|| a.id.clone())
        );
        for f in &a.findings {
            // Login findings repeat on each asset (so each asset stands alone in JSON);
            // here they were already listed once for the whole login.
            if login
                .findings
                .iter()
                .any(|l| l.code == f.code && subject(l) == subject(f))
            {
                continue;
            }
            add(f, label.clone());
        }
    }

    if groups.is_empty() {
        let _ = writeln!(out, "\nEverything works. Nothing to do.");
        return out;
    }
    for (owner, findings) in groups {
        let _ = writeln!(out, "\n{}", style.bold(owner_heading(owner)));
        for ((code, subj, _), (f, places)) in findings {
            let _ = writeln!(out, "  • {}{}: {}", code, subj, f.remedy.summary);
            if !f.features.is_empty() {
                let feats: Vec<&str> = f.features.iter().map(|x| x.as_str()).collect();
                let _ = writeln!(out, "    breaks: {}", feats.join(", "));
            }
            if let Some(until) = f.until {
                let _ = writeln!(out, "    on: {}", day(until));
            }
            let _ = writeln!(out, "    where: {}", places.join("; "));
            for (i, step) in f.remedy.steps.iter().enumerate() {
                let _ = writeln!(out, "    {}. {}", i + 1, step);
            }
            if let Some(link) = &f.remedy.link {
                let _ = writeln!(out, "    link: {link}");
            }
            if let Some(e) = &f.platform_error {
                let _ = writeln!(
                    out,
                    "    {}",
                    style.dim(&format!("platform said ({}): {}", e.code_text(), e.message))
                );
            }
        }
    }
    out
}

fn day(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}
