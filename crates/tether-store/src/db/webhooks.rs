//! Outbound webhooks: events fanned out to one delivery per endpoint, endpoints with sealed
//! signing secrets, and the deliverer's leases.

use super::rows::*;
use super::{BeginWrite, Pool, SqlStore};
use crate::seal::EndpointAad;
use crate::sql;
use crate::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::types::Json;
use std::collections::BTreeSet;
use std::time::Duration;
use uuid::Uuid;

pub(super) fn endpoint_aad(endpoint: Uuid, ws: Uuid) -> EndpointAad {
    EndpointAad {
        endpoint_id: endpoint,
        workspace_id: ws,
    }
}

impl SqlStore {
    pub(super) async fn enqueue(
        &self,
        ws: WorkspaceId,
        event_type: &str,
        payload: &Value,
        now: Timestamp,
    ) -> Result<EventId> {
        let id = EventId::new();
        let fan_out = self.dialect(sql::FAN_OUT_ENDPOINTS_SQLITE, sql::FAN_OUT_ENDPOINTS_PG);
        let notify = self.dialect(sql::NOTIFY_DELIVERIES_SQLITE, sql::NOTIFY_DELIVERIES_PG);
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query(sql::INSERT_EVENT)
                .bind(id.0)
                .bind(ws.0)
                .bind(event_type)
                .bind(Json(payload))
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            let endpoints: Vec<(Uuid,)> = sqlx::query_as(fan_out)
                .bind(ws.0)
                .fetch_all(&mut *tx)
                .await?;
            for (endpoint,) in &endpoints {
                sqlx::query(sql::INSERT_DELIVERY)
                    .bind(Uuid::now_v7())
                    .bind(ws.0)
                    .bind(id.0)
                    .bind(endpoint)
                    .bind(us(now))
                    .execute(&mut *tx)
                    .await?;
            }
            if !endpoints.is_empty() {
                sqlx::query(notify).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(id)
    }

    pub(super) async fn enqueue_for(
        &self,
        ws: WorkspaceId,
        endpoint: EndpointId,
        event_type: &str,
        payload: &Value,
        now: Timestamp,
    ) -> Result<bool> {
        let id = EventId::new();
        let find = self.dialect(sql::ONE_ENDPOINT_SQLITE, sql::ONE_ENDPOINT_PG);
        let notify = self.dialect(sql::NOTIFY_DELIVERIES_SQLITE, sql::NOTIFY_DELIVERIES_PG);
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let found: Option<(Uuid,)> = sqlx::query_as(find)
                .bind(ws.0)
                .bind(endpoint.0)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Ok(false);
            }
            sqlx::query(sql::INSERT_EVENT)
                .bind(id.0)
                .bind(ws.0)
                .bind(event_type)
                .bind(Json(payload))
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql::INSERT_DELIVERY)
                .bind(Uuid::now_v7())
                .bind(ws.0)
                .bind(id.0)
                .bind(endpoint.0)
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
            sqlx::query(notify).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(true)
        })
    }

    pub(super) async fn new_endpoint(
        &self,
        ws: WorkspaceId,
        url: &str,
        description: &str,
        now: Timestamp,
    ) -> Result<(Endpoint, SecretString)> {
        let mut bytes = [0u8; 24];
        rand::fill(&mut bytes);
        let secret = SecretString::from(format!("whsec_{}", STANDARD.encode(bytes)));
        let endpoint = Endpoint {
            id: EndpointId::new(),
            workspace_id: ws,
            url: url.to_owned(),
            description: description.to_owned(),
            created_at: now,
        };
        let sealed = self.keys.seal(&secret, &endpoint_aad(endpoint.id.0, ws.0));
        on_pool!(&self.pool, |p| sqlx::query(sql::INSERT_ENDPOINT)
            .bind(endpoint.id.0)
            .bind(ws.0)
            .bind(&endpoint.url)
            .bind(&endpoint.description)
            .bind(&sealed)
            .bind(i64::from(self.keys.active_id()))
            .bind(us(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok((endpoint, secret))
    }
}

/// Deliveries in flight at once to one endpoint (so a burst still flows, in near order).
pub const PER_ENDPOINT: u32 = 4;
/// About how many deliveries of one workspace are in flight at once, whatever its endpoints.
pub const PER_WORKSPACE: u32 = 8;

impl SqlStore {
    pub(super) async fn claim_jobs(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
        endpoint: Option<EndpointId>,
    ) -> Result<Vec<DeliveryJob>> {
        let until = us(now).saturating_add(micros_of(lease));
        let q = match endpoint {
            None => self.dialect(sql::CLAIM_DELIVERIES_SQLITE, sql::CLAIM_DELIVERIES_PG),
            Some(_) => self.dialect(
                sql::CLAIM_ENDPOINT_DELIVERIES_SQLITE,
                sql::CLAIM_ENDPOINT_DELIVERIES_PG,
            ),
        };

        let (claimed, rows): (Vec<(Uuid,)>, Vec<LeasedRow>) = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let claim = sqlx::query_as(q)
                .bind(owner)
                .bind(until)
                .bind(us(now))
                .bind(i64::from(limit));
            // The fair claim's caps, or the one endpoint.
            let claimed: Vec<(Uuid,)> = match endpoint {
                None => claim
                    .bind(i64::from(PER_ENDPOINT))
                    .bind(i64::from(PER_WORKSPACE)),
                Some(e) => claim.bind(e.0),
            }
            .fetch_all(&mut *tx)
            .await?;
            let rows: Vec<LeasedRow> = if claimed.is_empty() {
                Vec::new()
            } else {
                sqlx::query_as(sql::LEASED_DELIVERIES)
                    .bind(owner)
                    .bind(until)
                    .fetch_all(&mut *tx)
                    .await?
            };
            tx.commit().await?;
            Ok::<_, StoreError>((claimed, rows))
        })?;
        // The lease query may also match rows this owner took earlier under the same lease end;
        // hand out only what this claim took.
        let claimed: BTreeSet<Uuid> = claimed.into_iter().map(|(id,)| id).collect();
        let mut jobs = Vec::with_capacity(claimed.len());
        for r in rows
            .into_iter()
            .filter(|r| claimed.contains(&r.delivery_id))
        {
            let secret = self
                .keys
                .open(
                    &r.secret_sealed,
                    &endpoint_aad(r.endpoint_id, r.workspace_id),
                )
                .map_err(|source| StoreError::EndpointSeal {
                    endpoint: r.endpoint_id,
                    source,
                })?;
            let due = opt_ts("deliveries.next_attempt_at", r.next_attempt_at)?;
            jobs.push((
                due,
                DeliveryJob {
                    id: DeliveryId(r.delivery_id),
                    event: OutboxEvent {
                        id: EventId(r.event_id),
                        workspace_id: WorkspaceId(r.workspace_id),
                        event_type: r.event_type,
                        payload: r.payload.0,
                        created_at: ts("outbox.created_at", r.event_created_at)?,
                    },
                    endpoint: Endpoint {
                        id: EndpointId(r.endpoint_id),
                        workspace_id: WorkspaceId(r.workspace_id),
                        url: r.url,
                        description: r.description,
                        created_at: ts("endpoints.created_at", r.endpoint_created_at)?,
                    },
                    secret,
                    attempts: count(r.attempts),
                },
            ));
        }
        // Most overdue first, as claimed (RETURNING has no defined order).
        jobs.sort_by_key(|(due, job)| (*due, job.id));
        Ok(jobs.into_iter().map(|(_, job)| job).collect())
    }

    pub(super) async fn delivery_ok(
        &self,
        id: DeliveryId,
        owner: &str,
        status: u16,
        now: Timestamp,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::DELIVERY_SUCCEEDED)
            .bind(id.0)
            .bind(owner)
            .bind(i64::from(status))
            .bind(us(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub(super) async fn delivery_err(
        &self,
        id: DeliveryId,
        owner: &str,
        status: Option<u16>,
        error: &str,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::DELIVERY_FAILED)
            .bind(id.0)
            .bind(owner)
            .bind(status.map(i64::from))
            .bind(clip(error))
            .bind(next_attempt_at.map(us))
            .bind(us(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
