//! Mutations of Pages and Instagram accounts: tasks and links.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminError, Reply, not_found, required};
use crate::state::{Inner, SimState};
use crate::world::KNOWN_TASKS;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tasks {
    tasks: Vec<String>,
}

fn page_view(inner: &Inner, page: &str) -> Value {
    json!(inner.world.page(page))
}

pub(super) async fn tasks_set(
    State(s): State<SimState>,
    Path((page, user)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let req: Tasks = required(&bytes)?;
    if let Some(bad) = req
        .tasks
        .iter()
        .find(|t| !KNOWN_TASKS.contains(&t.as_str()))
    {
        return Err(AdminError::Invalid(format!("{bad:?} is not a Page task")));
    }
    let mut g = s.lock();
    if !g.world.users.contains_key(&user) {
        return Err(not_found("user", &user));
    }
    if !g.world.set_tasks(&page, &user, req.tasks) {
        return Err(not_found("page", &page));
    }
    Ok(Json(page_view(&g, &page)))
}

pub(super) async fn tasks_remove(
    State(s): State<SimState>,
    Path((page, user)): Path<(String, String)>,
) -> Reply {
    let mut g = s.lock();
    let has = g
        .world
        .page(&page)
        .ok_or_else(|| not_found("page", &page))?
        .tasks
        .contains_key(&user);
    if !has {
        return Err(not_found("task holder on this page", &user));
    }
    g.world.set_tasks(&page, &user, Vec::new());
    Ok(Json(page_view(&g, &page)))
}

fn ig_view(inner: &Inner, ig: &str) -> Value {
    json!({
        "instagram": inner.world.instagram.get(ig),
        "linked_page": inner.world.page_linked_to(ig).map(|p| &p.id),
    })
}

pub(super) async fn ig_unlink(State(s): State<SimState>, Path(ig): Path<String>) -> Reply {
    let mut g = s.lock();
    if !g.world.instagram.contains_key(&ig) {
        return Err(not_found("instagram account", &ig));
    }
    g.world.unlink_instagram(&ig);
    Ok(Json(ig_view(&g, &ig)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    page: String,
}

pub(super) async fn ig_link(
    State(s): State<SimState>,
    Path(ig): Path<String>,
    bytes: Bytes,
) -> Reply {
    let req: Link = required(&bytes)?;
    let mut g = s.lock();
    if !g.world.instagram.contains_key(&ig) {
        return Err(not_found("instagram account", &ig));
    }
    if g.world.page(&req.page).is_none() {
        return Err(not_found("page", &req.page));
    }
    g.world.link_instagram(&ig, &req.page);
    Ok(Json(ig_view(&g, &ig)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Professional {
    professional: bool,
}

pub(super) async fn ig_professional(
    State(s): State<SimState>,
    Path(ig): Path<String>,
    bytes: Bytes,
) -> Reply {
    let req: Professional = required(&bytes)?;
    let mut g = s.lock();
    let account = g
        .world
        .instagram
        .get_mut(&ig)
        .ok_or_else(|| not_found("instagram account", &ig))?;
    account.professional = req.professional;
    Ok(Json(ig_view(&g, &ig)))
}
