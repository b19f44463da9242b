//! [`CheckStore`] on both engines: the facts read in one query (`sql::CHECKED_FACTS`), a check
//! written in the diagnosis's transaction (`history.rs`).

use super::rows::*;
use super::{Pool, SqlStore};
use crate::checks::{CheckStore, CheckedFacts, Seen};
use crate::sql;
use crate::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::types::Json;
use tether_core::{AssetFacts, AssetKind, LoginFacts};
use uuid::Uuid;

type FactsRow = (
    Option<Uuid>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Json<Value>>,
    Option<i64>,
);

impl CheckStore for SqlStore {
    async fn checked_facts(&self, ws: WorkspaceId, login: LoginId) -> Result<CheckedFacts> {
        let rows: Vec<FactsRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::CHECKED_FACTS)
            .bind(ws.0)
            .bind(login.0)
            .fetch_all(p)
            .await)?;
        let mut out = CheckedFacts::default();
        for (id, kind, platform_id, name, facts, seen_at) in rows {
            let Some(id) = id else {
                // The login's own row: no asset columns.
                if let (Some(Json(facts)), Some(at)) = (facts, seen_at) {
                    out.login = typed::<LoginFacts>("login", login.0, facts)
                        .map(|value| {
                            Ok::<_, StoreError>(Stamped {
                                value,
                                at: ts("facts.seen_at", at)?,
                            })
                        })
                        .transpose()?;
                }
                continue;
            };
            let kind: AssetKind = word("assets.kind", kind.as_deref().unwrap_or_default())?;
            let platform_id = platform_id.unwrap_or_default();
            let stored = facts.and_then(|Json(f)| typed::<AssetFacts>("asset", id, f));
            let facts = stored.unwrap_or_else(|| as_listed(kind, platform_id, name));
            out.assets.push((AssetId(id), facts));
        }
        Ok(out)
    }

    async fn record_check(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        seen: Seen<'_>,
        diagnosis: &Diagnosis,
    ) -> Result<Vec<Transition>> {
        self.record(ws, login, Some(seen), diagnosis).await
    }
}

/// An asset stored without facts (or whose facts no longer read) stands as listed under its
/// stored name.
pub(super) fn as_listed(kind: AssetKind, platform_id: String, name: Option<String>) -> AssetFacts {
    AssetFacts {
        kind,
        id: platform_id,
        name,
        listed: true,
        tasks: Vec::new(),
        instagram: None,
        observed: Vec::new(),
    }
}

/// Facts this version wrote and can no longer read (a field renamed since) are as good as none:
/// the next check sees the platform afresh. Said once in the log, never a failed check.
fn typed<T: DeserializeOwned>(what: &str, id: Uuid, facts: Value) -> Option<T> {
    serde_json::from_value(facts)
        .inspect_err(
            |e| tracing::warn!(%id, error = %e, "stored {what} facts do not read; ignored"),
        )
        .ok()
}
