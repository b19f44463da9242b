//! The pre-flight index: every asset's current verdicts in memory, so "can I publish to this
//! account now?" is answered without touching the database. It follows the store by scanning
//! assets updated since its last look; the worker syncs it after each check, and a background task
//! syncs it every few seconds so changes made by other processes show up too.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tether_core::{AssetReport, Feature, FeatureVerdict, Status};
use tether_store::{AssetId, AssetRecord, LoginId, SqlStore, Store, StoreError, WorkspaceId};
use utoipa::ToSchema;

/// Another process's diagnosis can commit after our scan with an earlier `updated_at` (its clock
/// read before the commit): the background follower rescans this much behind its cursor.
const FOLLOW_OVERLAP: SignedDuration = SignedDuration::from_secs(5);
/// After our own write only rows at or after the cursor can be new.
const OWN_WRITE_OVERLAP: SignedDuration = SignedDuration::from_micros(1);
const PAGE: u32 = 2000;

#[derive(Debug)]
struct Entry {
    workspace: WorkspaceId,
    login: LoginId,
    status: Status,
    verified_at: Option<Timestamp>,
    features: Vec<(Feature, FeatureVerdict)>,
    /// Findings with the features each one affects; empty for a healthy asset.
    findings: Vec<(Vec<Feature>, Value)>,
}

/// The answer to one pre-flight question.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preflight {
    /// Whether the feature can be used now (`at_risk` still works, until its date).
    pub allowed: bool,
    /// The asset's overall status.
    #[schema(example = "action_required")]
    pub status: String,
    #[schema(example = "publish")]
    pub feature: String,
    /// `available`, `at_risk`, `unavailable`, or `not_applicable` for a feature this kind of
    /// asset does not have.
    pub verdict: String,
    /// The findings that affect this feature (docs/REPORT.md `Finding`).
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Value>,
    /// When the platform last confirmed this verdict.
    #[schema(value_type = Option<String>, example = "2026-11-23T09:00:00Z")]
    pub verified_at: Option<Timestamp>,
}

#[derive(Debug, Default)]
pub struct PreflightIndex {
    entries: RwLock<HashMap<AssetId, Arc<Entry>>>,
    cursor: Mutex<Option<Timestamp>>,
    /// Serializes syncs so two never interleave their cursors.
    syncing: tokio::sync::Mutex<()>,
    /// A worker process answers no pre-flight: it keeps no index (at 500,000 assets it held
    /// 150 MB and rescanned every change after each step).
    off: bool,
}

impl PreflightIndex {
    /// An index that never loads: for processes that serve no requests.
    pub fn off() -> PreflightIndex {
        PreflightIndex {
            off: true,
            ..PreflightIndex::default()
        }
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<AssetId, Arc<Entry>>> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    /// `None` when the asset is unknown or belongs to another workspace (the caller says 404).
    pub fn ask(&self, ws: WorkspaceId, asset: AssetId, feature: Feature) -> Option<Preflight> {
        let entry = self.read().get(&asset).cloned()?;
        if entry.workspace != ws {
            return None;
        }
        let verdict = entry
            .features
            .iter()
            .find(|(f, _)| *f == feature)
            .map(|(_, v)| *v);
        let findings = entry
            .findings
            .iter()
            .filter(|(features, _)| features.contains(&feature))
            .map(|(_, f)| f.clone())
            .collect();
        Some(Preflight {
            allowed: matches!(
                verdict,
                Some(FeatureVerdict::Available | FeatureVerdict::AtRisk)
            ),
            status: entry.status.as_str().to_owned(),
            feature: feature.as_str().to_owned(),
            verdict: verdict.map_or("not_applicable", |v| v.as_str()).to_owned(),
            findings,
            verified_at: entry.verified_at,
        })
    }

    /// Drops every asset of an erased login (a data-deletion request): the scan that follows
    /// the store sees only rows that still exist, so an erased asset must leave by name.
    pub fn forget_login(&self, login: LoginId) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, e| e.login != login);
    }

    /// The login an indexed asset belongs to.
    pub fn login_of(&self, ws: WorkspaceId, asset: AssetId) -> Option<LoginId> {
        self.read()
            .get(&asset)
            .filter(|e| e.workspace == ws)
            .map(|e| e.login)
    }

    /// Catches up after this process wrote: reads the assets changed since the last sync.
    /// Returns how many were read.
    pub async fn sync(&self, store: &SqlStore) -> Result<usize, StoreError> {
        self.scan(store, OWN_WRITE_OVERLAP).await
    }

    /// Catches up with writes of other processes (called every few seconds).
    pub async fn follow(&self, store: &SqlStore) -> Result<usize, StoreError> {
        self.scan(store, FOLLOW_OVERLAP).await
    }

    async fn scan(&self, store: &SqlStore, overlap: SignedDuration) -> Result<usize, StoreError> {
        if self.off {
            return Ok(0);
        }
        let _one = self.syncing.lock().await;
        let since = *self.cursor.lock().unwrap_or_else(|e| e.into_inner());
        let since = since.map(|t| t.saturating_sub(overlap).unwrap_or(t));
        let mut after = None;
        let mut read = 0;
        let mut newest = since;
        loop {
            let page = store.scan_assets(since, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.asset.updated_at, last.asset.id));
            read += page.len();
            let full = page.len() as u32 == PAGE;
            let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
            for record in page {
                newest = newest.max(Some(record.asset.updated_at));
                let id = record.asset.id;
                entries.insert(id, Arc::new(entry(record)));
            }
            drop(entries);
            if !full {
                break;
            }
        }
        *self.cursor.lock().unwrap_or_else(|e| e.into_inner()) = newest;
        Ok(read)
    }
}

fn entry(record: AssetRecord) -> Entry {
    let a = record.asset;
    // A report this version cannot read (none yet, or from a future version) answers that no
    // feature applies rather than guessing.
    let report = record
        .report
        .and_then(|r| serde_json::from_value::<AssetReport>(r).ok());
    let (features, findings) = match report {
        Some(r) => (
            r.features.into_iter().collect(),
            r.findings
                .into_iter()
                .map(|f| {
                    let value = serde_json::to_value(&f).unwrap_or(Value::Null);
                    (f.features, value)
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    Entry {
        workspace: a.workspace_id,
        login: a.login_id,
        status: a.status,
        verified_at: a.last_verified_at,
        features,
        findings,
    }
}
