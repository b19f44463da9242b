//! Bulk actions on the overview's list as filtered: every reconnect link to send, every message
//! for a Page admin (one per person and Page, however many accounts it repairs), and a CSV export.

use super::message::{self, Notice};
use super::overview::ListQuery;
use super::rows::todo;
use super::words;
use super::{Chrome, DashResult, Member, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tether_core::{Action, AssetFacts, AssetKind, AssetReport, Finding, Owner, Report};
use tether_store::{FactsSubject, Login, LoginId, OverviewItem, Store, WorkspaceId};

/// The most rows a bulk action reads; an export of more says so in its last line.
pub const MAX_ROWS: usize = 20_000;
const CHUNK: u32 = 500;

/// One matching row with its findings and its login.
struct Item {
    login: Login,
    /// `None` for a login that reaches no account.
    asset: Option<tether_store::AssetRecord>,
    /// The account's findings, or the login's own.
    findings: Vec<Finding>,
}

impl Item {
    /// The account's name and kind, as the words of a fix name it.
    fn account(&self) -> Option<(&str, AssetKind)> {
        self.asset
            .as_ref()
            .map(|r| (r.asset.name.as_str(), r.asset.kind))
    }
}

/// Every row the filters match (up to [`MAX_ROWS`]), in the overview's order; true if cut short.
async fn matching(s: &AppState, ws: WorkspaceId, q: &ListQuery) -> DashResult<(Vec<Item>, bool)> {
    let mut filter = q.filter(CHUNK)?;
    filter.after = None;
    let mut out = Vec::new();
    loop {
        let page = s.store.list_overview(ws, &filter).await?;
        for item in page.items {
            let (login_id, asset, findings) = match item {
                OverviewItem::Asset(r) => {
                    let findings = r
                        .report
                        .as_ref()
                        .and_then(|v| serde_json::from_value::<AssetReport>(v.clone()).ok())
                        .map(|rep| rep.findings)
                        .unwrap_or_default();
                    (r.asset.login_id, Some(r), findings)
                }
                OverviewItem::Login { login_id, report } => {
                    let findings = report
                        .and_then(|v| serde_json::from_value::<Report>(v).ok())
                        .map(|r| r.login.findings)
                        .unwrap_or_default();
                    (login_id, None, findings)
                }
            };
            if let Some(login) = page.logins.iter().find(|l| l.id == login_id) {
                out.push(Item {
                    login: login.clone(),
                    asset,
                    findings,
                });
            }
        }
        if out.len() >= MAX_ROWS {
            out.truncate(MAX_ROWS);
            return Ok((out, page.next.is_some()));
        }
        match page.next {
            Some(c) => filter.after = Some(c),
            None => return Ok((out, false)),
        }
    }
}

pub struct LinkRow {
    pub person: String,
    pub href: String,
    pub todo: String,
    pub accounts: usize,
    pub link: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "bulk_links.html")]
pub struct LinksPage {
    pub chrome: Chrome,
    pub back: String,
    pub links: Vec<LinkRow>,
    pub all: String,
    pub cut: bool,
    pub max: usize,
}

/// `GET /app/bulk/links`: a reconnect link for every person whose fix it is among the rows.
pub async fn links(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> DashResult<Response> {
    let (items, cut) = matching(&s, member.ws(), &q).await?;
    let mut links: Vec<(LoginId, LinkRow)> = Vec::new();
    for it in &items {
        let theirs: Vec<&Finding> = it
            .findings
            .iter()
            .filter(|f| f.owner == Owner::ConnectingUser)
            .collect();
        let Some(first) = theirs.first() else {
            continue;
        };
        if let Some((_, row)) = links.iter_mut().find(|(id, _)| *id == it.login.id) {
            row.accounts += usize::from(it.asset.is_some());
            continue;
        }
        let asset = it.account();
        let (url, expires) = crate::links::reconnect_url(&s, &it.login);
        links.push((
            it.login.id,
            LinkRow {
                person: it.login.person_name.clone(),
                href: format!("/app/logins/{}", it.login.id),
                todo: words::todo(first, &it.login.person_name, it.login.network, asset),
                accounts: usize::from(it.asset.is_some()),
                link: url.to_string(),
                expires: words::date_time(expires),
            },
        ));
    }
    let links: Vec<LinkRow> = links.into_iter().map(|(_, r)| r).collect();
    let all = links
        .iter()
        .map(|l| format!("{}: {}", l.person, l.link))
        .collect::<Vec<_>>()
        .join("\n");
    let page = LinksPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        back: format!("/app{}", q.with(&[])),
        links,
        all,
        cut,
        max: MAX_ROWS,
    };
    render(&page, &page.chrome)
}

pub struct AdminMessage {
    pub id: String,
    pub page: String,
    pub person: String,
    pub accounts: Vec<String>,
    pub notice: Notice,
}

#[derive(Template)]
#[template(path = "bulk_admins.html")]
pub struct AdminsPage {
    pub chrome: Chrome,
    pub back: String,
    pub messages: Vec<AdminMessage>,
    pub cut: bool,
    pub max: usize,
}

/// One person's access to one Page: its name, the accounts it repairs and their findings.
type PageGroup = ((LoginId, String), String, Vec<String>, Vec<Finding>);

/// `GET /app/bulk/admins`: one message per Page admin's fix among the rows (a Page and its
/// Instagram account are one message).
pub async fn admins(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> DashResult<Response> {
    let ws = member.ws();
    let (items, cut) = matching(&s, ws, &q).await?;
    let mut groups: Vec<PageGroup> = Vec::new();
    for it in &items {
        let Some(r) = &it.asset else {
            continue;
        };
        let theirs: Vec<Finding> = it
            .findings
            .iter()
            .filter(|f| matches!(f.code.action(), Action::GiveTask | Action::RestoreAccess))
            .cloned()
            .collect();
        if theirs.is_empty() {
            continue;
        }
        // Only an Instagram account's access comes from another Page: a Page needs no facts.
        let facts = if r.asset.kind == AssetKind::InstagramAccount {
            s.store
                .get_facts(ws, FactsSubject::Asset(r.asset.id))
                .await?
                .and_then(|f| serde_json::from_value::<AssetFacts>(f.value).ok())
        } else {
            None
        };
        let (page_id, page_name) = message::access_page(&s, &r.asset, facts.as_ref()).await?;
        let key = (it.login.id, page_id);
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => {
                g.2.push(r.asset.name.clone());
                g.3.extend(theirs);
            }
            None => groups.push((key, page_name, vec![r.asset.name.clone()], theirs)),
        }
    }
    let mut messages = Vec::new();
    for (i, ((login_id, _), page_name, accounts, findings)) in groups.into_iter().enumerate() {
        let Some(it) = items.iter().find(|it| it.login.id == login_id) else {
            continue;
        };
        let refs: Vec<&Finding> = findings.iter().collect();
        if let Some(notice) =
            message::for_page_admin(&it.login.person_name, &page_name, &refs, it.login.network)
        {
            messages.push(AdminMessage {
                id: format!("m{i}"),
                page: page_name,
                person: it.login.person_name.clone(),
                accounts,
                notice,
            });
        }
    }
    let page = AdminsPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        back: format!("/app{}", q.with(&[])),
        messages,
        cut,
        max: MAX_ROWS,
    };
    render(&page, &page.chrome)
}

/// A CSV field: quoted when it must be, and never read as a formula by a spreadsheet.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// `GET /app/export.csv`: the list as filtered, one line per row.
pub async fn export(
    State(s): State<AppState>,
    member: Member,
    Query(q): Query<ListQuery>,
) -> DashResult<Response> {
    let (items, cut) = matching(&s, member.ws(), &q).await?;
    let base = s
        .config
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let mut out = String::from(
        "Account,Kind,Network,Status,What to do,Who must act,Connected by,Last verified,Stops working,Link\r\n",
    );
    for it in &items {
        let person = &it.login.person_name;
        let (name, kind, status, verified, href) = match &it.asset {
            Some(r) => (
                r.asset.name.clone(),
                words::kind(r.asset.kind).to_owned(),
                r.asset.status,
                r.asset.last_verified_at,
                format!("{base}/app/assets/{}", r.asset.id),
            ),
            None => (
                words::login_name(&it.login),
                format!("{} login", words::network(it.login.network)),
                it.login.status,
                it.login.last_verified_at,
                format!("{base}/app/logins/{}", it.login.id),
            ),
        };
        let (what, more) = todo(&it.findings, person, it.login.network, it.account());
        let what = match (what, more) {
            (Some(w), 0) => w,
            (Some(w), n) => format!("{w} (and {n} more)"),
            (None, _) => String::new(),
        };
        let mut owners: Vec<Owner> = it.findings.iter().map(|f| f.owner).collect();
        owners.sort();
        owners.dedup();
        let who = owners
            .iter()
            .map(|o| words::owner(*o, person))
            .collect::<Vec<_>>()
            .join("; ");
        let until = it.findings.iter().filter_map(|f| f.until).min();
        let line = [
            name,
            kind,
            words::network(it.login.network).to_owned(),
            words::status(status).to_owned(),
            what,
            who,
            person.clone(),
            verified.map(|t| t.to_string()).unwrap_or_default(),
            until.map(words::date).unwrap_or_default(),
            href,
        ]
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    if cut {
        out.push_str(&field(&format!(
            "Only the first {MAX_ROWS} rows are exported; narrow the filters for the rest."
        )));
        out.push_str("\r\n");
    }
    let mut resp = out.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"tether-accounts.csv\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(field("Harbor Bakery"), "Harbor Bakery");
        assert_eq!(field("a, \"b\""), "\"a, \"\"b\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
    }
}
