//! A platform change as a data change (`tether catalog apply`): a changed catalog re-judges every
//! stored login of its network from the facts its last check stored, with no platform call. The
//! dry run says which assets move between which statuses and in which workspaces, judged by the
//! built-in catalog and by the changed one at the same instant (so only the catalog's difference
//! shows, never a token that expired meanwhile); applying records each changed login as a check
//! would, so its transitions and events are written once: a second run finds the statuses
//! already there and records nothing.

use super::checker::load_profile;
use super::record::{Judged, record_because};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tether_core::{Catalog, Engine, EngineOptions, Profile, Status};
use tether_store::{CheckStore, SqlStore, Store, Workspace};

/// What a changed catalog does to the stored logins of its network.
#[derive(Debug, Default)]
pub struct Impact {
    /// Assets whose status moves, by (from, to).
    pub assets_moved: BTreeMap<(Status, Status), u64>,
    /// Logins whose own status moves, by (from, to).
    pub logins_moved: BTreeMap<(Status, Status), u64>,
    /// Assets that move, per workspace name.
    pub workspaces: BTreeMap<String, u64>,
    pub logins_judged: u64,
    pub assets_judged: u64,
    /// Status changes recorded (each one event): only when applied.
    pub transitions: u64,
    /// Judging alone (both catalogs), and the whole run with the store.
    pub engine: Duration,
    pub total: Duration,
}

/// The profile a workspace is judged with on `catalog`: its own, else the deployment's
/// (`default_profile`), as the service falls back when a profile does not load.
fn profile_for(
    catalog: &Catalog,
    ws: &Workspace,
    default_profile: &str,
) -> anyhow::Result<Profile> {
    let name = ws.profile.as_deref().unwrap_or(default_profile);
    let mut profile =
        load_profile(catalog, name).or_else(|_| load_profile(catalog, default_profile))?;
    if let Some(days) = ws.warning_days {
        profile.warning_days = Some(days);
    }
    Ok(profile)
}

/// Judges every stored login of `changed.network` by the built-in catalog and by `changed`;
/// with `apply`, records the changed ones.
pub async fn catalog_change(
    store: &SqlStore,
    changed: &Catalog,
    default_profile: &str,
    apply: bool,
    now: Timestamp,
) -> anyhow::Result<Impact> {
    let started = Instant::now();
    let network = changed.network;
    let builtin = Catalog::builtin(network)?;
    let mut impact = Impact::default();
    for ws in store.list_workspaces().await? {
        let before = Engine::new(
            &builtin,
            network,
            &profile_for(&builtin, &ws, default_profile)?,
            EngineOptions::default(),
        );
        let after = Engine::new(
            changed,
            network,
            &profile_for(changed, &ws, default_profile)?,
            EngineOptions::default(),
        );
        for login in store.list_logins(ws.id).await? {
            // A login disconnected in Tether stays as it is (only a reconnect brings it back).
            if login.network != network || login.disconnected_at.is_some() {
                continue;
            }
            let stored = store.checked_facts(ws.id, login.id).await?;
            let Some(facts) = stored.login.as_ref().map(|f| f.value.clone()) else {
                continue;
            };
            let assets: Vec<_> = stored.assets.iter().map(|(_, f)| f.clone()).collect();
            let judging = Instant::now();
            let old = before.diagnose(&facts, &assets, now);
            let new = after.diagnose(&facts, &assets, now);
            impact.engine += judging.elapsed();
            impact.logins_judged += 1;
            impact.assets_judged += new.assets.len() as u64;
            let mut moved = false;
            if old.login.status != new.login.status {
                *impact
                    .logins_moved
                    .entry((old.login.status, new.login.status))
                    .or_default() += 1;
                moved = true;
            }
            for (o, n) in old.assets.iter().zip(&new.assets) {
                if o.status != n.status {
                    *impact.assets_moved.entry((o.status, n.status)).or_default() += 1;
                    *impact.workspaces.entry(ws.name.clone()).or_default() += 1;
                    moved = true;
                }
            }
            if moved && apply {
                let judged = Judged {
                    facts: &facts,
                    assets: &assets,
                    report: &new,
                    known: None,
                };
                let cause = changed.change.as_ref().map(|c| c.summary.clone());
                let t = record_because(store, &login, &stored, judged, now, cause).await?;
                impact.transitions += t.len() as u64;
            }
        }
    }
    impact.total = started.elapsed();
    Ok(impact)
}
