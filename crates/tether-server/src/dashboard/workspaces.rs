//! The master view for a person in several workspaces (an agency with one workspace per brand):
//! every workspace's counts side by side, each a way into it.

use super::overview::{ATTENTION, counts};
use super::session::{SESSION, cookie};
use super::{Chrome, DashError, DashResult, Member, PathId, render, words};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use tether_store::{Store, WorkspaceId};

pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub current: bool,
    pub role: &'static str,
    pub attention: u64,
    /// Rows per status, worst first: (class, words).
    pub statuses: Vec<(&'static str, String)>,
    /// What there is to do, first few.
    pub fixes: Vec<String>,
    pub more_fixes: usize,
}

#[derive(Template)]
#[template(path = "workspaces.html")]
pub struct WorkspacesPage {
    pub chrome: Chrome,
    pub rows: Vec<WorkspaceRow>,
}

/// `GET /app/workspaces`
pub async fn all(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
) -> DashResult<Response> {
    let mut rows = Vec::with_capacity(member.workspaces.len());
    for w in &member.workspaces {
        let c = counts(&s, w.workspace_id).await?;
        let attention = c.not_green();
        let fixes: Vec<String> = c
            .fixes
            .iter()
            .map(|(a, n)| words::action_count(*a, *n))
            .collect();
        rows.push(WorkspaceRow {
            id: w.workspace_id.to_string(),
            name: w.workspace_name.clone(),
            current: w.workspace_id == member.ws(),
            role: super::session::role_word(w.role),
            attention,
            statuses: c
                .statuses
                .iter()
                .map(|(st, n)| {
                    (
                        st.as_str(),
                        format!("{n} {}", words::status(*st).to_lowercase()),
                    )
                })
                .collect(),
            more_fixes: fixes.len().saturating_sub(3),
            fixes: fixes.into_iter().take(3).collect(),
        });
    }
    // What needs attention first, as on each workspace's own list.
    rows.sort_by(|a, b| b.attention.cmp(&a.attention).then(a.name.cmp(&b.name)));
    let page = WorkspacesPage {
        chrome: Chrome::new(&member, &headers, "workspaces"),
        rows,
    };
    render(&page, &page.chrome)
}

/// `POST /app/workspaces/{id}/open`: looks at another workspace of this person's; its list of
/// what needs attention.
pub async fn open(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    PathId(id): PathId,
) -> DashResult<Response> {
    let secret = cookie(&headers, SESSION).ok_or(DashError::NotFound)?;
    if !s
        .store
        .switch_session(secret, WorkspaceId(id), s.clock.now())
        .await?
    {
        // Not theirs: as for any other workspace's ids, nothing is there.
        return Err(DashError::NotFound);
    }
    tracing::info!(user_id = %member.user.id, workspace_id = %id, "switched workspace");
    Ok(Redirect::to(&format!("/app?status={ATTENTION}")).into_response())
}
