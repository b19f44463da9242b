//! [`RejudgeStore`] on both engines. Reads: a page of logins, then their assets, two queries a
//! page. Writes: the batch's rows are built once in Rust, then each table takes one statement
//! per batch: PostgreSQL reads them from arrays (`unnest`); SQLite, which has no array
//! parameters, from multi-row `VALUES` (as many rows as its parameter limit allows).

use super::checks::as_listed;
use super::history::event_of;
use super::rows::*;
use super::words::mask_of;
use super::{BeginWrite, Pool, SqlStore};
use crate::rejudge::{RejudgeStore, Rejudged, StoredLogin};
use crate::*;
use serde_json::Value;
use std::collections::HashMap;
use tether_core::vocab::{AssetKind, Network, Status};
use tether_core::{AssetFacts, LoginFacts};
use uuid::Uuid;

/// `+l.network`: SQLite would otherwise take the (network, platform_user_id) index and sort every
/// login of the network for each page; the primary key walks them in order.
const PAGE_LOGINS: &str = "SELECT l.workspace_id, l.id, l.status, f.facts FROM logins l \
     JOIN facts f ON f.subject_id = l.id AND f.workspace_id = l.workspace_id \
     WHERE +l.network = $1 AND l.disconnected_at IS NULL AND l.id > $2 ORDER BY l.id LIMIT $3";
const PAGE_LOGINS_PG: &str = "SELECT l.workspace_id, l.id, l.status, f.facts::text FROM logins l \
     JOIN facts f ON f.subject_id = l.id AND f.workspace_id = l.workspace_id \
     WHERE l.network = $1 AND l.disconnected_at IS NULL AND l.id > $2 ORDER BY l.id LIMIT $3";
/// The assets of the logins in (`$1`, `$2`]: `assets`' unique (login_id, kind, platform_id)
/// index serves the range; logins outside the page (another network's) are dropped by the caller.
const PAGE_ASSETS: &str = "SELECT a.login_id, a.id, a.kind, a.platform_id, a.name, a.status, \
     f.facts FROM assets a LEFT JOIN facts f ON f.subject_id = a.id AND f.workspace_id = a.workspace_id \
     WHERE a.login_id > $1 AND a.login_id <= $2";
const PAGE_ASSETS_PG: &str = "SELECT a.login_id, a.id, a.kind, a.platform_id, a.name, a.status, \
     f.facts::text FROM assets a LEFT JOIN facts f ON f.subject_id = a.id AND f.workspace_id = a.workspace_id \
     WHERE a.login_id > $1 AND a.login_id <= $2";

type LoginRow = (Uuid, Uuid, String, String);
type AssetRow = (Uuid, Uuid, String, String, String, String, Option<String>);

impl RejudgeStore for SqlStore {
    async fn stored_logins(
        &self,
        network: Network,
        after: Option<LoginId>,
        limit: u32,
    ) -> Result<Vec<StoredLogin>> {
        let after = after.map_or(Uuid::nil(), |l| l.0);
        let logins_sql = self.dialect(PAGE_LOGINS, PAGE_LOGINS_PG);
        let logins: Vec<LoginRow> = on_pool!(&self.pool, |p| sqlx::query_as(logins_sql)
            .bind(network.as_str())
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)?;
        let Some(last) = logins.last().map(|l| l.1) else {
            return Ok(Vec::new());
        };
        let assets_sql = self.dialect(PAGE_ASSETS, PAGE_ASSETS_PG);
        let assets: Vec<AssetRow> = on_pool!(&self.pool, |p| sqlx::query_as(assets_sql)
            .bind(after)
            .bind(last)
            .fetch_all(p)
            .await)?;
        let mut out = Vec::with_capacity(logins.len());
        let mut at: HashMap<Uuid, usize> = HashMap::with_capacity(logins.len());
        for (ws, id, status, facts) in logins {
            // Facts this version can no longer read: the login waits for its next check.
            let Some(facts) = typed::<LoginFacts>("login", id, &facts) else {
                continue;
            };
            at.insert(id, out.len());
            out.push(StoredLogin {
                workspace_id: WorkspaceId(ws),
                id: LoginId(id),
                status: word("logins.status", &status)?,
                facts,
                assets: Vec::new(),
                stored: Vec::new(),
            });
        }
        for (login, id, kind, platform_id, name, status, facts) in assets {
            let Some(&i) = at.get(&login) else { continue };
            let kind: AssetKind = word("assets.kind", &kind)?;
            let facts = facts
                .and_then(|f| typed::<AssetFacts>("asset", id, &f))
                .unwrap_or_else(|| as_listed(kind, platform_id, Some(name)));
            let status: Status = word("assets.status", &status)?;
            out[i].assets.push(facts);
            out[i].stored.push((AssetId(id), status));
        }
        Ok(out)
    }

    async fn record_rejudged(&self, batch: &[Rejudged<'_>]) -> Result<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let login_ids: Vec<Uuid> = batch.iter().map(|r| r.login.0).collect();
        let asset_ids: Vec<Uuid> = batch
            .iter()
            .flat_map(|r| r.diagnosis.assets.iter().map(|a| a.asset_id.0))
            .collect();
        match &self.pool {
            Pool::Postgres(p) => {
                let mut tx = p.begin_write().await?;
                let logins: Vec<(Uuid, String, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT id, status, last_verified_at, last_changed_at FROM logins \
                     WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                )
                .bind(&login_ids)
                .fetch_all(&mut *tx)
                .await?;
                let assets: Vec<(Uuid, String)> = sqlx::query_as(
                    "SELECT id, status FROM assets WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                )
                .bind(&asset_ids)
                .fetch_all(&mut *tx)
                .await?;
                let mut rows = Rows::build(batch, &logins, &assets)?;
                let workspaces = rows.workspaces();
                let endpoints: Vec<(Uuid, Uuid)> = sqlx::query_as(
                    "SELECT workspace_id, id FROM endpoints WHERE workspace_id = ANY($1) \
                     ORDER BY id FOR KEY SHARE",
                )
                .bind(&workspaces)
                .fetch_all(&mut *tx)
                .await?;
                rows.fan_out(&endpoints);
                pg::write(&mut tx, &rows).await?;
                if !rows.deliveries.is_empty() {
                    sqlx::query(sql::NOTIFY_DELIVERIES_PG)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(rows.transitions.len() as u64)
            }
            Pool::Sqlite(p) => {
                let mut tx = p.begin_write().await?;
                let logins: Vec<(Uuid, String, Option<i64>, Option<i64>)> = sqlite::read(
                    &mut tx,
                    "SELECT id, status, last_verified_at, last_changed_at FROM logins WHERE id IN",
                    &login_ids,
                )
                .await?;
                let assets: Vec<(Uuid, String)> = sqlite::read(
                    &mut tx,
                    "SELECT id, status FROM assets WHERE id IN",
                    &asset_ids,
                )
                .await?;
                let mut rows = Rows::build(batch, &logins, &assets)?;
                let workspaces = rows.workspaces();
                let endpoints: Vec<(Uuid, Uuid)> = sqlite::read(
                    &mut tx,
                    "SELECT workspace_id, id FROM endpoints WHERE workspace_id IN",
                    &workspaces,
                )
                .await?;
                rows.fan_out(&endpoints);
                sqlite::write(&mut tx, &rows).await?;
                tx.commit().await?;
                Ok(rows.transitions.len() as u64)
            }
        }
    }
}

/// One asset's or login's new verdict, as its row takes it.
struct Verdict<'a> {
    ws: Uuid,
    id: Uuid,
    status: Status,
    at: i64,
    report: &'a Value,
    owners: i64,
    unavailable: i64,
    at_risk: i64,
    /// A login whose statuses changed: its last change is stamped.
    changed: bool,
}

/// What one batch writes, a column per field, in the order each statement takes them.
#[derive(Default)]
struct Rows<'a> {
    assets: Vec<Verdict<'a>>,
    /// Assets and logins whose fixes are replaced.
    fixed_assets: Vec<Uuid>,
    fixed_logins: Vec<Uuid>,
    /// ws, login, asset, action, key
    fixes: Vec<(Uuid, Uuid, Option<Uuid>, &'static str, &'a str)>,
    /// Their `report` is the login's diagnosis, written to `diagnoses`.
    logins: Vec<Verdict<'a>>,
    transitions: Vec<Transition>,
    /// id, ws, type, payload, at
    events: Vec<(Uuid, Uuid, &'static str, Value, i64)>,
    /// id, ws, event, endpoint, due
    deliveries: Vec<(Uuid, Uuid, Uuid, Uuid, i64)>,
    /// Per event: when its deliveries are due.
    due: Vec<i64>,
}

impl<'a> Rows<'a> {
    /// The batch against the statuses read in the transaction: a login or asset gone meanwhile
    /// (deleted with its login) is left out.
    fn build(
        batch: &[Rejudged<'a>],
        logins: &[(Uuid, String, Option<i64>, Option<i64>)],
        assets: &[(Uuid, String)],
    ) -> Result<Rows<'a>> {
        let logins: HashMap<Uuid, (&str, i64)> = logins
            .iter()
            .map(|(id, s, verified, changed)| {
                (*id, (s.as_str(), verified.max(changed).unwrap_or(i64::MIN)))
            })
            .collect();
        let assets: HashMap<Uuid, &str> = assets.iter().map(|(id, s)| (*id, s.as_str())).collect();
        let mut rows = Rows::default();
        for r in batch {
            let Some(&(old, last)) = logins.get(&r.login.0) else {
                continue;
            };
            let d = r.diagnosis;
            let ws = r.workspace_id;
            // After the login's last recorded verdict, as a check's recording is.
            let at = us(d.at).max(last.saturating_add(1));
            let stamped = ts("transitions.at", at)?;
            let mut changes: Vec<(Option<AssetId>, Status, Status, &Value)> = Vec::new();
            let old: Status = word("logins.status", old)?;
            if old != d.login_status {
                changes.push((None, old, d.login_status, &d.login_findings));
            }
            for v in &d.assets {
                let Some(old) = assets.get(&v.asset_id.0) else {
                    continue;
                };
                let old: Status = word("assets.status", old)?;
                if old != v.status {
                    changes.push((Some(v.asset_id), old, v.status, &v.findings));
                }
                rows.assets.push(Verdict {
                    ws: ws.0,
                    id: v.asset_id.0,
                    status: v.status,
                    at,
                    report: &v.report,
                    owners: mask_of(&v.owners),
                    unavailable: mask_of(&v.unavailable),
                    at_risk: mask_of(&v.at_risk),
                    changed: false,
                });
                rows.fixed_assets.push(v.asset_id.0);
                for fix in &v.fixes {
                    let key = fix.key.as_str();
                    rows.fixes.push((
                        ws.0,
                        r.login.0,
                        Some(v.asset_id.0),
                        fix.action.as_str(),
                        key,
                    ));
                }
            }
            rows.fixed_logins.push(r.login.0);
            for fix in &d.login_fixes {
                let key = fix.key.as_str();
                rows.fixes
                    .push((ws.0, r.login.0, None, fix.action.as_str(), key));
            }
            rows.logins.push(Verdict {
                ws: ws.0,
                id: r.login.0,
                status: d.login_status,
                at,
                report: &d.report,
                owners: mask_of(&d.login_owners),
                unavailable: mask_of(&d.login_unavailable),
                at_risk: mask_of(&d.login_at_risk),
                changed: !changes.is_empty(),
            });
            for (asset_id, old, new, findings) in changes {
                rows.transitions.push(Transition {
                    id: Uuid::now_v7(),
                    workspace_id: ws,
                    login_id: r.login,
                    asset_id,
                    old_status: Some(old),
                    new_status: new,
                    findings: findings.clone(),
                    at: stamped,
                    cause: d.cause.clone(),
                });
                rows.due.push(us(d.at));
            }
        }
        for t in &rows.transitions {
            let (event_type, payload) = event_of(t);
            rows.events.push((
                Uuid::now_v7(),
                t.workspace_id.0,
                event_type,
                payload,
                us(t.at),
            ));
        }
        Ok(rows)
    }

    /// The workspaces whose events need their endpoints.
    fn workspaces(&self) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = self.events.iter().map(|e| e.1).collect();
        out.sort();
        out.dedup();
        out
    }

    /// One delivery per event per endpoint of its workspace, due at once (the stamp may lie a
    /// moment after the clock).
    fn fan_out(&mut self, endpoints: &[(Uuid, Uuid)]) {
        let mut of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (ws, id) in endpoints {
            of.entry(*ws).or_default().push(*id);
        }
        for (event, due) in self.events.iter().zip(&self.due) {
            for endpoint in of.get(&event.1).into_iter().flatten() {
                self.deliveries
                    .push((Uuid::now_v7(), event.1, event.0, *endpoint, *due));
            }
        }
    }
}

/// Stored facts this version can no longer read are as good as none (as for a check).
fn typed<T: serde::de::DeserializeOwned>(what: &str, id: Uuid, facts: &str) -> Option<T> {
    serde_json::from_str(facts)
        .inspect_err(
            |e| tracing::warn!(%id, error = %e, "stored {what} facts do not read; ignored"),
        )
        .ok()
}

mod pg {
    use super::*;
    use sqlx::{Postgres, Transaction};

    fn text(values: impl Iterator<Item = String>) -> Vec<String> {
        values.collect()
    }

    pub(super) async fn write(
        tx: &mut Transaction<'static, Postgres>,
        rows: &Rows<'_>,
    ) -> Result<()> {
        let a = &rows.assets;
        sqlx::query(
            "UPDATE assets a SET status = v.status, last_verified_at = v.at, updated_at = v.at, \
             report = v.report::jsonb, owners_mask = v.owners, unavailable_mask = v.unavailable, \
             at_risk_mask = v.at_risk, triage = v.triage \
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], \
                         $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[]) \
                  AS v(ws, id, status, at, report, owners, unavailable, at_risk, triage) \
             WHERE a.workspace_id = v.ws AND a.id = v.id",
        )
        .bind(a.iter().map(|r| r.ws).collect::<Vec<_>>())
        .bind(a.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(a.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
        .bind(a.iter().map(|r| r.at).collect::<Vec<_>>())
        .bind(text(a.iter().map(|r| r.report.to_string())))
        .bind(a.iter().map(|r| r.owners).collect::<Vec<_>>())
        .bind(a.iter().map(|r| r.unavailable).collect::<Vec<_>>())
        .bind(a.iter().map(|r| r.at_risk).collect::<Vec<_>>())
        .bind(
            a.iter()
                .map(|r| i64::from(r.status.triage()))
                .collect::<Vec<_>>(),
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM fixes WHERE asset_id = ANY($1)")
            .bind(&rows.fixed_assets)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM fixes WHERE login_id = ANY($1) AND asset_id IS NULL")
            .bind(&rows.fixed_logins)
            .execute(&mut **tx)
            .await?;
        let f = &rows.fixes;
        sqlx::query(
            "INSERT INTO fixes (workspace_id, login_id, asset_id, action, fix_key) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[])",
        )
        .bind(f.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind(f.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind(f.iter().map(|r| r.2).collect::<Vec<_>>())
        .bind(f.iter().map(|r| r.3).collect::<Vec<_>>())
        .bind(f.iter().map(|r| r.4).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        let l = &rows.logins;
        sqlx::query(
            "UPDATE logins l SET status = v.status, last_verified_at = v.at, triage = v.triage, \
             owners_mask = v.owners, unavailable_mask = v.unavailable, at_risk_mask = v.at_risk, \
             last_changed_at = CASE WHEN v.changed THEN v.at ELSE l.last_changed_at END \
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[], \
                         $6::bigint[], $7::bigint[], $8::bigint[], $9::bool[]) \
                  AS v(ws, id, status, at, triage, owners, unavailable, at_risk, changed) \
             WHERE l.workspace_id = v.ws AND l.id = v.id",
        )
        .bind(l.iter().map(|r| r.ws).collect::<Vec<_>>())
        .bind(l.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(l.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
        .bind(l.iter().map(|r| r.at).collect::<Vec<_>>())
        .bind(
            l.iter()
                .map(|r| i64::from(r.status.triage()))
                .collect::<Vec<_>>(),
        )
        .bind(l.iter().map(|r| r.owners).collect::<Vec<_>>())
        .bind(l.iter().map(|r| r.unavailable).collect::<Vec<_>>())
        .bind(l.iter().map(|r| r.at_risk).collect::<Vec<_>>())
        .bind(l.iter().map(|r| r.changed).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO diagnoses (login_id, workspace_id, report, diagnosed_at) \
             SELECT id, ws, report::jsonb, at \
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[]) AS v(id, ws, report, at) \
             ON CONFLICT (login_id) DO UPDATE \
             SET report = excluded.report, diagnosed_at = excluded.diagnosed_at",
        )
        .bind(l.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(l.iter().map(|r| r.ws).collect::<Vec<_>>())
        .bind(text(l.iter().map(|r| r.report.to_string())))
        .bind(l.iter().map(|r| r.at).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        let t = &rows.transitions;
        sqlx::query(
            "INSERT INTO transitions \
             (id, workspace_id, login_id, asset_id, old_status, new_status, findings, at, cause) \
             SELECT id, ws, login, asset, old, new, findings::jsonb, at, cause \
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], \
                         $7::text[], $8::bigint[], $9::text[]) \
                  AS v(id, ws, login, asset, old, new, findings, at, cause)",
        )
        .bind(t.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(t.iter().map(|r| r.workspace_id.0).collect::<Vec<_>>())
        .bind(t.iter().map(|r| r.login_id.0).collect::<Vec<_>>())
        .bind(
            t.iter()
                .map(|r| r.asset_id.map(|a| a.0))
                .collect::<Vec<_>>(),
        )
        .bind(
            t.iter()
                .map(|r| r.old_status.map(Status::as_str))
                .collect::<Vec<_>>(),
        )
        .bind(t.iter().map(|r| r.new_status.as_str()).collect::<Vec<_>>())
        .bind(text(t.iter().map(|r| r.findings.to_string())))
        .bind(t.iter().map(|r| us(r.at)).collect::<Vec<_>>())
        .bind(t.iter().map(|r| r.cause.as_deref()).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        let e = &rows.events;
        sqlx::query(
            "INSERT INTO outbox (id, workspace_id, event_type, payload, created_at) \
             SELECT id, ws, type, payload::jsonb, at \
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bigint[]) \
                  AS v(id, ws, type, payload, at)",
        )
        .bind(e.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.2).collect::<Vec<_>>())
        .bind(text(e.iter().map(|r| r.3.to_string())))
        .bind(e.iter().map(|r| r.4).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        let v = &rows.deliveries;
        if !v.is_empty() {
            sqlx::query(
                "INSERT INTO deliveries \
                 (id, workspace_id, event_id, endpoint_id, next_attempt_at, created_at) \
                 SELECT id, ws, event, endpoint, due, due \
                 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::bigint[]) \
                      AS v(id, ws, event, endpoint, due)",
            )
            .bind(v.iter().map(|r| r.0).collect::<Vec<_>>())
            .bind(v.iter().map(|r| r.1).collect::<Vec<_>>())
            .bind(v.iter().map(|r| r.2).collect::<Vec<_>>())
            .bind(v.iter().map(|r| r.3).collect::<Vec<_>>())
            .bind(v.iter().map(|r| r.4).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

mod sqlite {
    use super::*;
    use sqlx::query_builder::Separated;
    use sqlx::types::Json;
    use sqlx::{QueryBuilder, Sqlite, Transaction};

    /// SQLite takes at most 32,766 parameters a statement.
    const PARAMETERS: usize = 32_766;

    /// `head VALUES (..), (..) tail`, `rows` a statement's worth at a time.
    async fn each_chunk<T>(
        tx: &mut Transaction<'static, Sqlite>,
        head: &str,
        columns: usize,
        tail: &str,
        rows: &[T],
        bind: impl Fn(&mut Separated<'_, Sqlite, &'static str>, &T),
    ) -> Result<()> {
        for chunk in rows.chunks(PARAMETERS / columns) {
            let mut q = QueryBuilder::<Sqlite>::new(head);
            q.push_values(chunk, |mut b, row| bind(&mut b, row));
            q.push(tail);
            q.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// `head (id, id, ...)` for one statement's worth of ids.
    fn in_list(head: &str, ids: &[Uuid]) -> QueryBuilder<Sqlite> {
        let mut q = QueryBuilder::<Sqlite>::new(head);
        q.push(" (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(")");
        q
    }

    /// The ids' rows of `select` (`... WHERE id IN`).
    pub(super) async fn read<T>(
        tx: &mut Transaction<'static, Sqlite>,
        select: &str,
        ids: &[Uuid],
    ) -> Result<Vec<T>>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        let mut out = Vec::new();
        for chunk in ids.chunks(PARAMETERS) {
            let mut q = in_list(select, chunk);
            out.extend(q.build_query_as::<T>().fetch_all(&mut **tx).await?);
        }
        Ok(out)
    }

    async fn delete(
        tx: &mut Transaction<'static, Sqlite>,
        delete: &str,
        ids: &[Uuid],
    ) -> Result<()> {
        for chunk in ids.chunks(PARAMETERS) {
            in_list(delete, chunk).build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(super) async fn write(
        tx: &mut Transaction<'static, Sqlite>,
        rows: &Rows<'_>,
    ) -> Result<()> {
        // The rows first, materialized: each then finds its asset by primary key.
        each_chunk(
            tx,
            "WITH v (ws, id, status, at, report, owners, unavailable, at_risk, triage) \
             AS MATERIALIZED (",
            9,
            ") UPDATE assets SET status = v.status, last_verified_at = v.at, updated_at = v.at, \
                report = v.report, owners_mask = v.owners, unavailable_mask = v.unavailable, \
                at_risk_mask = v.at_risk, triage = v.triage \
             FROM v WHERE assets.id = v.id AND assets.workspace_id = v.ws",
            &rows.assets,
            |b, r| {
                b.push_bind(r.ws)
                    .push_bind(r.id)
                    .push_bind(r.status.as_str())
                    .push_bind(r.at)
                    .push_bind(Json(r.report))
                    .push_bind(r.owners)
                    .push_bind(r.unavailable)
                    .push_bind(r.at_risk)
                    .push_bind(i64::from(r.status.triage()));
            },
        )
        .await?;
        delete(
            tx,
            "DELETE FROM fixes WHERE asset_id IN",
            &rows.fixed_assets,
        )
        .await?;
        delete(
            tx,
            // `+`: SQLite would otherwise look the NULLs up in (asset_id, action), every login-wide
            // fix of the store for each statement, and filter them by login.
            "DELETE FROM fixes WHERE +asset_id IS NULL AND login_id IN",
            &rows.fixed_logins,
        )
        .await?;
        each_chunk(
            tx,
            "INSERT INTO fixes (workspace_id, login_id, asset_id, action, fix_key) ",
            5,
            "",
            &rows.fixes,
            |b, r| {
                b.push_bind(r.0)
                    .push_bind(r.1)
                    .push_bind(r.2)
                    .push_bind(r.3)
                    .push_bind(r.4);
            },
        )
        .await?;
        each_chunk(
            tx,
            "WITH v (ws, id, status, at, triage, owners, unavailable, at_risk, changed) \
             AS MATERIALIZED (",
            9,
            ") UPDATE logins SET status = v.status, last_verified_at = v.at, triage = v.triage, \
                owners_mask = v.owners, unavailable_mask = v.unavailable, at_risk_mask = v.at_risk, \
                last_changed_at = CASE WHEN v.changed THEN v.at ELSE logins.last_changed_at END \
             FROM v WHERE logins.id = v.id AND logins.workspace_id = v.ws",
            &rows.logins,
            |b, r| {
                b.push_bind(r.ws)
                    .push_bind(r.id)
                    .push_bind(r.status.as_str())
                    .push_bind(r.at)
                    .push_bind(i64::from(r.status.triage()))
                    .push_bind(r.owners)
                    .push_bind(r.unavailable)
                    .push_bind(r.at_risk)
                    .push_bind(r.changed);
            },
        )
        .await?;
        each_chunk(
            tx,
            "INSERT INTO diagnoses (login_id, workspace_id, report, diagnosed_at) ",
            4,
            " ON CONFLICT (login_id) DO UPDATE \
             SET report = excluded.report, diagnosed_at = excluded.diagnosed_at",
            &rows.logins,
            |b, r| {
                b.push_bind(r.id)
                    .push_bind(r.ws)
                    .push_bind(Json(r.report))
                    .push_bind(r.at);
            },
        )
        .await?;
        each_chunk(
            tx,
            "INSERT INTO transitions \
             (id, workspace_id, login_id, asset_id, old_status, new_status, findings, at, cause) ",
            9,
            "",
            &rows.transitions,
            |b, t| {
                b.push_bind(t.id)
                    .push_bind(t.workspace_id.0)
                    .push_bind(t.login_id.0)
                    .push_bind(t.asset_id.map(|a| a.0))
                    .push_bind(t.old_status.map(Status::as_str))
                    .push_bind(t.new_status.as_str())
                    .push_bind(Json(&t.findings))
                    .push_bind(us(t.at))
                    .push_bind(t.cause.as_deref());
            },
        )
        .await?;
        each_chunk(
            tx,
            "INSERT INTO outbox (id, workspace_id, event_type, payload, created_at) ",
            5,
            "",
            &rows.events,
            |b, e| {
                b.push_bind(e.0)
                    .push_bind(e.1)
                    .push_bind(e.2)
                    .push_bind(Json(&e.3))
                    .push_bind(e.4);
            },
        )
        .await?;
        each_chunk(
            tx,
            "INSERT INTO deliveries \
             (id, workspace_id, event_id, endpoint_id, next_attempt_at, created_at) ",
            6,
            "",
            &rows.deliveries,
            |b, d| {
                b.push_bind(d.0)
                    .push_bind(d.1)
                    .push_bind(d.2)
                    .push_bind(d.3)
                    .push_bind(d.4)
                    .push_bind(d.4);
            },
        )
        .await?;
        Ok(())
    }
}
