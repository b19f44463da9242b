//! Settings' destructive buttons ask first: revoking an API key (an integration using it is
//! refused from then on), removing a webhook endpoint, removing a person.

use super::{Chrome, DashError, DashResult, Member, PathId, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use tether_store::{ApiKeyId, EndpointId, Store, UserId};

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub action: String,
    pub button: &'static str,
    pub back: &'static str,
}

/// `GET /app/settings/endpoints/{id}/delete`: asks first.
pub async fn delete_endpoint(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    PathId(id): PathId,
) -> DashResult<Response> {
    member.require_owner("remove webhook endpoints")?;
    let id = EndpointId(id);
    let endpoint = s
        .store
        .list_endpoints(member.ws())
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(DashError::NotFound)?;
    let page = ConfirmPage {
        chrome: Chrome::new(&member, &headers, "settings"),
        title: "Remove this webhook endpoint?".into(),
        paragraphs: vec![
            format!(
                "{} gets no more events once it is removed, and its delivery log goes with it.",
                endpoint.url
            ),
            "Events it has not received yet are not sent.".into(),
        ],
        action: format!("/app/settings/endpoints/{}/delete", endpoint.id),
        button: "Remove endpoint",
        back: "/app/settings#webhooks",
    };
    render(&page, &page.chrome)
}

/// `GET /app/settings/keys/{id}/revoke`: asks first.
pub async fn revoke_key(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    PathId(id): PathId,
) -> DashResult<Response> {
    member.require_owner("revoke API keys")?;
    let id = ApiKeyId(id);
    let key = s
        .store
        .list_api_keys(member.ws())
        .await?
        .into_iter()
        .find(|k| k.id == id && k.revoked_at.is_none())
        .ok_or(DashError::NotFound)?;
    let page = ConfirmPage {
        chrome: Chrome::new(&member, &headers, "settings"),
        title: format!("Revoke the key {}…?", key.prefix),
        paragraphs: vec![
            "Every integration that uses this key is refused from the moment it is revoked. A revoked key cannot be brought back: the integration needs a new key.".into(),
        ],
        action: format!("/app/settings/keys/{}/revoke", key.id),
        button: "Revoke key",
        back: "/app/settings#keys",
    };
    render(&page, &page.chrome)
}

/// `GET /app/settings/members/{id}/remove`: asks first.
pub async fn remove_member(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    PathId(id): PathId,
) -> DashResult<Response> {
    member.require_owner("remove people")?;
    let id = UserId(id);
    let user = s
        .store
        .get_user(member.ws(), id)
        .await?
        .ok_or(DashError::NotFound)?;
    let page = ConfirmPage {
        chrome: Chrome::new(&member, &headers, "settings"),
        title: format!("Remove {}?", user.email),
        paragraphs: vec![format!(
            "{} is signed out at once and cannot sign in to this workspace again. The accounts they connected stay.",
            user.email
        )],
        action: format!("/app/settings/members/{}/remove", user.id),
        button: "Remove person",
        back: "/app/settings#members",
    };
    render(&page, &page.chrome)
}
