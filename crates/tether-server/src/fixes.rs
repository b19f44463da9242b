//! The fix each finding calls for, keyed so that one fix shown on several assets is one fix: every
//! asset of a broken login is one log-in, a Page and its Instagram account missing one task are one
//! message to one Page admin. The overview counts these keys; bulk actions send one message each.

use tether_core::{AssetFacts, AssetReport, Finding, FixScope};
use tether_store::{Fix, LoginId};

/// What the asset's fixes are keyed on besides the login: the Page whose access applies (an
/// Instagram account's linked Page) and the account itself.
pub struct Subject<'a> {
    pub page: &'a str,
    pub account: String,
}

impl<'a> Subject<'a> {
    /// `facts`, when known, name the Page an Instagram account is reached through.
    pub fn of(report: &'a AssetReport, facts: Option<&'a AssetFacts>) -> Subject<'a> {
        let page = facts
            .and_then(|f| f.instagram.as_ref())
            .and_then(|ig| ig.linked_page_id.as_deref())
            .unwrap_or(&report.id);
        Subject {
            page,
            account: format!("{}:{}", report.kind, report.id),
        }
    }
}

/// The distinct fixes of one set of findings: an asset's (`subject` set) or a login's own.
pub fn fixes(login: LoginId, subject: Option<&Subject<'_>>, findings: &[Finding]) -> Vec<Fix> {
    let mut out: Vec<Fix> = Vec::new();
    for f in findings {
        let Some(fix) = fix(login, subject, f) else {
            continue;
        };
        if !out.contains(&fix) {
            out.push(fix);
        }
    }
    out
}

fn fix(login: LoginId, subject: Option<&Subject<'_>>, f: &Finding) -> Option<Fix> {
    let action = f.fix()?;
    // A finding on the login itself has no Page or account: its fix is the login's.
    let key = match (action.scope(), subject) {
        (FixScope::App, _) => app_key(f),
        (FixScope::Page, Some(s)) => format!("{login}:{}", s.page),
        (FixScope::Account, Some(s)) => s.account.clone(),
        (FixScope::Login | FixScope::Page | FixScope::Account, _) => login.to_string(),
    };
    Some(Fix { action, key })
}

/// One problem of the app's, whichever login or asset shows it: the code and what it is about.
fn app_key(f: &Finding) -> String {
    let about = f.permission.clone().unwrap_or_else(|| {
        f.features
            .iter()
            .map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(",")
    });
    format!("app:{}:{about}", f.code)
}
