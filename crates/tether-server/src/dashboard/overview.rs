//! The accounts overview, a triage list: every account, and every login that reaches none (broken
//! before its Pages could be listed), worst first, then by name, with who must do what. Above it,
//! what there is to do, each fix counted once; a search; filters; and bulk actions on the list.

use super::rows::{Row, row};
use super::words;
use super::{Chrome, DashError, DashResult, Member, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use tether_core::{Action, Feature, Network, Owner, Status};
use tether_store::{OverviewCounts, OverviewCursor, OverviewFilter, Store, WorkspaceId};

/// Rows per page.
pub const PAGE: u32 = 50;

/// How long a workspace's counts are reused when nothing this process knows of changed them.
const COUNTS_TTL: std::time::Duration = std::time::Duration::from_secs(3);

/// The overview's counts per workspace, reused for a few seconds: at 100,000 assets counting
/// costs more than reading the page of rows. This process forgets a workspace's counts whenever
/// it records a change there ([`forget_counts`]); a change another process (a separate worker)
/// records shows within [`COUNTS_TTL`]. The rows themselves are always read fresh.
static COUNTS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<WorkspaceId, (std::time::Instant, OverviewCounts)>>,
> = std::sync::LazyLock::new(Default::default);

/// Something in `ws` changed: its next overview counts again.
pub fn forget_counts(ws: WorkspaceId) {
    COUNTS.lock().unwrap_or_else(|e| e.into_inner()).remove(&ws);
}

pub async fn counts(s: &AppState, ws: WorkspaceId) -> DashResult<OverviewCounts> {
    if let Some((at, c)) = COUNTS.lock().unwrap_or_else(|e| e.into_inner()).get(&ws)
        && at.elapsed() < COUNTS_TTL
    {
        return Ok(c.clone());
    }
    let c = s.store.count_overview(ws).await?;
    COUNTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(ws, (std::time::Instant::now(), c.clone()));
    Ok(c)
}

/// The overview's query string: the search, the filters and the page. Every link on the page
/// keeps the ones it does not change.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    /// A status, or `attention` for anything not green.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub network: String,
    #[serde(default)]
    pub feature: String,
    #[serde(default)]
    pub owner: String,
    /// An action: rows one of whose fixes it is.
    #[serde(default)]
    pub todo: String,
    #[serde(default)]
    pub after: String,
}

pub const ATTENTION: &str = "attention";

fn parse<T: std::str::FromStr>(raw: &str, what: &str) -> DashResult<Option<T>> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| DashError::BadRequest(format!("There is no {what} called “{raw}”.")))
}

impl ListQuery {
    /// The store's filter for these words, `limit` rows from the cursor on.
    pub fn filter(&self, limit: u32) -> DashResult<OverviewFilter> {
        let not_green = self.status == ATTENTION;
        let status = if not_green {
            None
        } else {
            parse(&self.status, "status")?
        };
        Ok(OverviewFilter {
            status,
            not_green,
            network: parse(&self.network, "network")?,
            owner: parse(&self.owner, "who must act")?,
            feature: parse(&self.feature, "feature")?,
            action: parse(&self.todo, "thing to do")?,
            search: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
            after: cursor(&self.after)?,
            limit,
        })
    }

    pub fn filtered(&self) -> bool {
        [
            &self.q,
            &self.status,
            &self.network,
            &self.feature,
            &self.owner,
            &self.todo,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }

    /// The query string of these filters with `changes` applied (an empty value drops a key); the
    /// page cursor is dropped unless a change sets it. Starts with `?` unless empty.
    pub fn with(&self, changes: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("q", self.q.trim()),
            ("status", &self.status),
            ("network", &self.network),
            ("feature", &self.feature),
            ("owner", &self.owner),
            ("todo", &self.todo),
        ];
        pairs.retain(|(k, _)| !changes.iter().any(|(c, _)| c == k));
        pairs.extend(changes.iter().copied());
        let qs: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", words::query_escape(v)))
            .collect();
        if qs.is_empty() {
            String::new()
        } else {
            format!("?{}", qs.join("&"))
        }
    }
}

/// A page link's cursor: `status~id~name`, names last since they may hold anything.
fn cursor_text(c: &OverviewCursor) -> String {
    format!("{}~{}~{}", c.status, c.id, c.sort_name)
}

fn cursor(raw: &str) -> DashResult<Option<OverviewCursor>> {
    if raw.is_empty() {
        return Ok(None);
    }
    let damaged =
        || DashError::BadRequest("That page link is damaged; start from the first page.".into());
    let mut parts = raw.splitn(3, '~');
    let (Some(status), Some(id), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(damaged());
    };
    Ok(Some(OverviewCursor {
        status: status.parse().map_err(|_| damaged())?,
        id: id.parse().map_err(|_| damaged())?,
        sort_name: name.to_owned(),
    }))
}

pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

pub struct Count {
    pub text: String,
    pub href: String,
    pub class: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    pub chrome: Chrome,
    /// One button per network this server connects: (network, its button's words).
    pub connects: Vec<(&'static str, String)>,
    pub fixes: Vec<Count>,
    pub statuses: Vec<Count>,
    pub attention: Option<Count>,
    pub total: u64,
    pub q: String,
    pub status_choices: Vec<Choice>,
    pub networks: Vec<Choice>,
    pub features: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub todos: Vec<Choice>,
    pub filtered: bool,
    pub rows: Vec<Row>,
    /// The current filters as a query string (for bulk actions), `?…` or empty.
    pub query: String,
    pub next: Option<String>,
    pub first: Option<String>,
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: impl Fn(T) -> String,
    chosen: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|&v| Choice {
            value: value(v),
            label: label(v),
            selected: chosen == value(v),
        })
        .collect()
}

/// `GET /app`
pub async fn overview(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> DashResult<Response> {
    let ws = member.ws();
    let now = s.clock.now();
    let filter = q.filter(PAGE)?;
    let counts = counts(&s, ws).await?;
    let page = s.store.list_overview(ws, &filter).await?;
    let features = s
        .checker
        .judge_for(&s.store, ws)
        .await?
        .engine
        .features()
        .to_vec();

    let rows = page
        .items
        .iter()
        .filter_map(|item| row(item, &page.logins, now))
        .collect();
    let base = "/app";
    let total = counts.total();
    let not_green = counts.not_green();
    let statuses = counts
        .statuses
        .iter()
        .map(|(st, n)| Count {
            text: format!("{n} {}", words::status(*st).to_lowercase()),
            href: format!("{base}{}", q.with(&[("status", st.as_str())])),
            class: st.as_str(),
            current: q.status == st.as_str(),
        })
        .collect();
    let attention = (not_green > 0).then(|| Count {
        text: format!(
            "{not_green} {} attention",
            if not_green == 1 { "needs" } else { "need" }
        ),
        href: format!("{base}{}", q.with(&[("status", ATTENTION)])),
        class: "attention",
        current: q.status == ATTENTION,
    });
    let fixes = counts
        .fixes
        .iter()
        .map(|(a, n)| Count {
            text: words::action_count(*a, *n),
            href: format!("{base}?todo={}", a.as_str()),
            class: "todo",
            current: q.todo == a.as_str(),
        })
        .collect();
    let next = page
        .next
        .as_ref()
        .map(|c| format!("{base}{}", q.with(&[("after", &cursor_text(c))])));
    let mut status_choices = vec![Choice {
        value: ATTENTION,
        label: "Anything not green".to_owned(),
        selected: q.status == ATTENTION,
    }];
    status_choices.extend(choices(
        Status::TRIAGE,
        Status::as_str,
        |v| words::status(v).to_owned(),
        &q.status,
    ));
    let page = OverviewPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        connects: s
            .checker
            .networks
            .iter()
            .map(|(n, net)| (n.as_str(), net.catalog().connect.clone()))
            .collect(),
        fixes,
        statuses,
        attention,
        total,
        q: q.q.clone(),
        status_choices,
        networks: choices(
            &counts.networks,
            Network::as_str,
            |v| words::network(v).to_owned(),
            &q.network,
        ),
        features: choices(&features, Feature::as_str, words::feature, &q.feature),
        owners: choices(
            Owner::ALL,
            Owner::as_str,
            |v| words::owner_short(v).to_owned(),
            &q.owner,
        ),
        todos: choices(Action::ALL, Action::as_str, words::action_short, &q.todo),
        filtered: q.filtered(),
        rows,
        query: q.with(&[]),
        next,
        first: (!q.after.is_empty()).then(|| format!("{base}{}", q.with(&[]))),
    };
    render(&page, &page.chrome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_other_filters_and_drop_the_page() {
        let q = ListQuery {
            q: " Harbor ".into(),
            status: ATTENTION.into(),
            after: "x".into(),
            ..ListQuery::default()
        };
        assert_eq!(q.with(&[]), "?q=Harbor&status=attention");
        assert_eq!(q.with(&[("status", "")]), "?q=Harbor");
        assert_eq!(
            q.with(&[("todo", "log_in")]),
            "?q=Harbor&status=attention&todo=log_in"
        );
        assert_eq!(ListQuery::default().with(&[]), "");
    }

    #[test]
    fn a_page_cursor_survives_names_with_tildes() {
        let c = OverviewCursor {
            status: Status::AtRisk,
            sort_name: "a~b c".into(),
            id: uuid::Uuid::now_v7(),
        };
        assert_eq!(cursor(&cursor_text(&c)).unwrap(), Some(c));
        assert!(cursor("garbage").is_err());
        assert!(cursor("").unwrap().is_none());
    }
}
