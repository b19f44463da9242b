//! A platform change as a data change (`tether catalog apply`): a changed catalog re-judges every
//! stored login of its network from the facts its last check stored, with no platform call. The
//! dry run says which assets move between which statuses and in which workspaces, judged by the
//! catalog judged by now (`catalogs.rs`) and by the changed one at the same instant (so only the
//! catalog's difference shows, never a token that expired meanwhile); applying records each
//! changed login as a check would, so its transitions and events are written once: a second run
//! finds the statuses already there and records nothing.

use super::checker::load_profile;
use super::record::{diagnosis, verdict};
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tether_core::{Catalog, Engine, EngineOptions, Profile, Status};
use tether_store::{
    Diagnosis, RejudgeStore, Rejudged, SqlStore, Store, StoredLogin, Workspace, WorkspaceId,
};

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

/// How many logins one read fetches and one transaction records: fewer, larger transactions
/// write each touched index page once for more rows (at 1,000,000 assets on SQLite, 5,000 took
/// the commits from 48 s to 29 s against 1,000).
const PAGE: u32 = 5_000;

/// The two engines a workspace's logins are judged by.
struct Judges {
    before: Engine,
    after: Engine,
}

/// What the change does to one login.
#[derive(Default)]
struct Outcome {
    login: Option<(Status, Status)>,
    assets: Vec<(Status, Status)>,
    /// The new verdict to record, when applying and something moved.
    record: Option<Diagnosis>,
}

/// Judges every stored login of `changed.network` by the current catalog and by `changed`;
/// with `apply`, records the changed ones. A page of logins is read, judged on every core and
/// recorded in one transaction.
pub async fn catalog_change(
    store: &SqlStore,
    changed: &Catalog,
    default_profile: &str,
    apply: bool,
    now: Timestamp,
) -> anyhow::Result<Impact> {
    catalog_change_in_pages(store, changed, default_profile, apply, now, PAGE).await
}

/// [`catalog_change`] `page_size` logins at a time (tests take small pages to cross a few).
pub async fn catalog_change_in_pages(
    store: &SqlStore,
    changed: &Catalog,
    default_profile: &str,
    apply: bool,
    now: Timestamp,
    page_size: u32,
) -> anyhow::Result<Impact> {
    let started = Instant::now();
    let network = changed.network;
    let current = super::current_catalog(store, network).await?;
    let mut judges: HashMap<WorkspaceId, Judges> = HashMap::new();
    let mut names: HashMap<WorkspaceId, String> = HashMap::new();
    for ws in store.list_workspaces().await? {
        let before = profile_for(&current, &ws, default_profile)?;
        let after = profile_for(changed, &ws, default_profile)?;
        let options = EngineOptions::default();
        judges.insert(
            ws.id,
            Judges {
                before: Engine::new(&current, network, &before, options),
                after: Engine::new(changed, network, &after, options),
            },
        );
        names.insert(ws.id, ws.name);
    }
    let cause = changed.change.as_ref().map(|c| c.summary.clone());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut impact = Impact::default();
    // The next page is read while this one is judged and written: on another task (and, for
    // SQLite, another connection: its readers run beside its writer), of other logins than the
    // ones being written. At 1,000,000 assets the read is most of a run that moves nothing.
    let read = |after| {
        let store = store.clone();
        tokio::spawn(async move { store.stored_logins(network, after, page_size).await })
    };
    let mut next = read(None);
    loop {
        let page = next.await??;
        let Some(last) = page.last() else { break };
        next = read(Some(last.id));
        let judging = Instant::now();
        let chunk = page.len().div_ceil(threads);
        let outcomes: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = page
                .chunks(chunk)
                .map(|logins| {
                    let (judges, cause) = (&judges, &cause);
                    s.spawn(move || {
                        logins
                            .iter()
                            .map(|l| match judges.get(&l.workspace_id) {
                                Some(j) => judge(l, j, apply, cause, now),
                                None => Outcome::default(),
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("judging a page panicked"))
                .collect()
        });
        impact.engine += judging.elapsed();
        let mut batch = Vec::new();
        for (login, outcome) in page.iter().zip(&outcomes) {
            impact.logins_judged += 1;
            impact.assets_judged += login.assets.len() as u64;
            if let Some(moved) = outcome.login {
                *impact.logins_moved.entry(moved).or_default() += 1;
            }
            for moved in &outcome.assets {
                *impact.assets_moved.entry(*moved).or_default() += 1;
                let name = names.get(&login.workspace_id).cloned().unwrap_or_default();
                *impact.workspaces.entry(name).or_default() += 1;
            }
            if let Some(diagnosis) = &outcome.record {
                batch.push(Rejudged {
                    workspace_id: login.workspace_id,
                    login: login.id,
                    diagnosis,
                });
            }
        }
        impact.transitions += store.record_rejudged(&batch).await?;
        let mut touched: Vec<WorkspaceId> = batch.iter().map(|r| r.workspace_id).collect();
        touched.sort_by_key(|ws| ws.0);
        touched.dedup();
        touched
            .into_iter()
            .for_each(crate::dashboard::overview::forget_counts);
    }
    impact.total = started.elapsed();
    Ok(impact)
}

/// One login by the changed catalog and, only when that differs from what is stored, by the
/// built-in one: a login the changed catalog leaves where it is has nothing to record (and
/// counts as not moved, even if time alone would move it under the built-in catalog). Moves
/// are counted between the two catalogs' verdicts at the same instant, so only the catalog's
/// difference shows, never a token that expired meanwhile.
fn judge(
    login: &StoredLogin,
    judges: &Judges,
    apply: bool,
    cause: &Option<String>,
    now: Timestamp,
) -> Outcome {
    let new = judges.after.diagnose(&login.facts, &login.assets, now);
    let stays = new.login.status == login.status
        && new
            .assets
            .iter()
            .zip(&login.stored)
            .all(|(r, (_, s))| r.status == *s);
    if stays {
        return Outcome::default();
    }
    let old = judges.before.diagnose(&login.facts, &login.assets, now);
    let mut out = Outcome::default();
    if old.login.status != new.login.status {
        out.login = Some((old.login.status, new.login.status));
    }
    for (o, n) in old.assets.iter().zip(&new.assets) {
        if o.status != n.status {
            out.assets.push((o.status, n.status));
        }
    }
    if apply && (out.login.is_some() || !out.assets.is_empty()) {
        // Only the assets whose report the change alters are rewritten: the others stand as
        // their last check left them, as the built-in catalog judges them.
        let verdicts = login
            .stored
            .iter()
            .zip(&login.assets)
            .zip(old.assets.iter().zip(&new.assets))
            .filter(|(_, (o, n))| o != n)
            .map(|(((id, _), facts), (_, r))| verdict(login.id, *id, Some(facts), r))
            .collect();
        out.record = Some(Diagnosis {
            cause: cause.clone(),
            ..diagnosis(login.id, &new, verdicts, now)
        });
    }
    out
}
