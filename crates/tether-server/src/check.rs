//! One path from platform facts to stored verdicts, shared by the worker, the OAuth callback,
//! push signals and "check now": facts (fresh, or stored ones a signal amended) go through the
//! pure engine, and the report, facts and status changes are recorded together.

use crate::config::{MetaApp, NetworkApp};
use crate::fixes;
use anyhow::Context;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tether_core::{
    Action, AssetFacts, AssetKind, AssetReport, Catalog, Engine, EngineOptions, Feature,
    FeatureVerdict, LoginFacts, Network, Owner, Profile, Report, TokenValidity,
};
use tether_meta::{GraphClient, GraphConfig, InspectOptions, MetaNetwork};
use tether_platform::Snapshot;
use tether_store::{
    AssetFilter, AssetId, AssetVerdict, Diagnosis, FactsSubject, Login, LoginId, NewAsset,
    SqlStore, Store, StoreError, Transition, Workspace, WorkspaceId,
};

/// The catalog, the deployment's default profile and a Graph client for the service's Meta app.
/// Each workspace is judged by its own [`Judge`]: its chosen profile and warning window.
pub struct Checker {
    pub catalog: Catalog,
    /// The deployment's profile: what a workspace that chose none uses.
    pub profile: Profile,
    /// The default profile's judge (what `tether diagnose`-style callers without a workspace use).
    pub engine: Engine,
    pub client: GraphClient,
    /// The client's settings, for building dialog URLs.
    pub graph: GraphConfig,
    product_tag_eligibility: bool,
    judges: Mutex<HashMap<JudgeKey, Arc<Judge>>>,
    /// Every network this deployment connects, Meta included, each behind the seam.
    pub networks: BTreeMap<Network, Arc<dyn tether_platform::Network>>,
}

/// A network, a workspace's profile name and warning window: what a [`Judge`] is built from.
type JudgeKey = (Network, String, Option<u32>);

/// How one workspace's logins are judged: its profile (with its warning window) compiled into
/// an engine, and the permissions its connect dialog asks for.
pub struct Judge {
    pub profile: Profile,
    pub engine: Engine,
    pub scopes: Vec<String>,
}

impl Checker {
    pub fn new(
        app: &MetaApp,
        others: &[NetworkApp],
        profile_spec: &str,
    ) -> anyhow::Result<Checker> {
        let catalog = Catalog::builtin(tether_core::Network::Meta)
            .context("the built-in catalog is invalid")?;
        let profile = load_profile(&catalog, profile_spec)?;
        let engine = Engine::new(&catalog, Network::Meta, &profile, EngineOptions::default());
        let mut config = GraphConfig::new(app.app_id.clone(), app.app_secret.clone());
        config.base_url = app.graph_url.clone();
        config.dialog_base_url = app.dialog_url.clone();
        let client =
            GraphClient::new(config.clone()).context("cannot build the Graph API client")?;
        let mut networks: BTreeMap<Network, Arc<dyn tether_platform::Network>> = BTreeMap::new();
        networks.insert(
            Network::Meta,
            Arc::new(MetaNetwork::from_client(client.clone(), catalog.clone())),
        );
        for other in others {
            let registration = crate::networks::registration(other.network).with_context(|| {
                format!(
                    "network `{}` is configured but not registered",
                    other.network
                )
            })?;
            let network = (registration.build)(other.app.clone())
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("cannot build the {} client", other.network))?;
            // The profile must make sense on every network the deployment connects.
            load_profile(network.catalog(), profile_spec)
                .with_context(|| format!("profile `{profile_spec}` on {}", other.network))?;
            networks.insert(other.network, network);
        }
        Ok(Checker {
            networks,
            graph: config,
            product_tag_eligibility: profile.needs_product_tag_eligibility(&catalog),
            catalog,
            profile,
            engine,
            client,
            judges: Mutex::new(HashMap::new()),
        })
    }

    // The eligibility field is asked for on every batch when the deployment's profile needs it;
    // a workspace that chose a profile needing it under a deployment whose profile does not will
    // not see product-tag findings (documented in the settings page's profile list).
    pub fn inspect_options(&self) -> InspectOptions {
        InspectOptions {
            product_tag_eligibility: self.product_tag_eligibility,
            ..InspectOptions::default()
        }
    }

    /// The permissions to ask for under the deployment's profile.
    pub fn scopes(&self) -> Vec<String> {
        scopes_for(&self.catalog, &self.profile)
    }

    /// A network this deployment connects.
    pub fn network(&self, n: Network) -> Option<&Arc<dyn tether_platform::Network>> {
        self.networks.get(&n)
    }

    /// Counters summed over every network.
    pub fn stats(&self) -> tether_platform::CallStats {
        let mut total = tether_platform::CallStats::default();
        for n in self.networks.values() {
            let s = n.stats();
            total.http_requests += s.http_requests;
            total.platform_calls += s.platform_calls;
            total.token_facts_reused += s.token_facts_reused;
            total.oauth_requests += s.oauth_requests;
        }
        total
    }

    /// The most platform calls one login's check can cost on any configured network: what the
    /// call budget reserves per login.
    pub fn worst_calls_per_login(&self) -> u32 {
        self.networks
            .values()
            .map(|n| n.calls_per_check())
            .max()
            .unwrap_or(1)
    }

    /// The judge for a workspace's settings on Meta (cached per profile and warning window).
    /// Fails only if the workspace names a profile this build does not have.
    pub fn judge(&self, ws: &Workspace) -> anyhow::Result<Arc<Judge>> {
        self.judge_on(ws, Network::Meta)
    }

    /// The judge for a workspace's settings on one network: that network's catalog, the
    /// workspace's profile and warning window.
    pub fn judge_on(&self, ws: &Workspace, network: Network) -> anyhow::Result<Arc<Judge>> {
        let catalog = self
            .networks
            .get(&network)
            .map(|n| n.catalog())
            .with_context(|| format!("network `{network}` is not configured here"))?;
        let name = ws.profile.as_deref().unwrap_or(&self.profile.name);
        let key = (network, name.to_owned(), ws.warning_days);
        let mut judges = self.judges.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(j) = judges.get(&key) {
            return Ok(j.clone());
        }
        let mut profile = if network == Network::Meta && name == self.profile.name {
            self.profile.clone()
        } else {
            load_profile(catalog, name)
                .with_context(|| format!("workspace {} uses profile `{name}`", ws.id))?
        };
        if let Some(days) = ws.warning_days {
            profile.warning_days = Some(days);
        }
        let engine = Engine::new(catalog, network, &profile, EngineOptions::default());
        let judge = Arc::new(Judge {
            scopes: scopes_for(catalog, &profile),
            profile,
            engine,
        });
        judges.insert(key, judge.clone());
        Ok(judge)
    }

    /// The Meta judge of a workspace.
    pub async fn judge_for(
        &self,
        store: &SqlStore,
        ws: WorkspaceId,
    ) -> Result<Arc<Judge>, StoreError> {
        self.judge_for_network(store, ws, Network::Meta).await
    }

    /// The judge of a workspace on one network.
    pub async fn judge_for_network(
        &self,
        store: &SqlStore,
        ws: WorkspaceId,
        network: Network,
    ) -> Result<Arc<Judge>, StoreError> {
        let workspace = store.get_workspace(ws).await?.ok_or(StoreError::NotFound {
            what: "workspace",
            id: ws.0,
        })?;
        // A profile name this build lacks (a downgrade) falls back to the deployment's profile
        // rather than stopping every check of the workspace.
        Ok(self.judge_on(&workspace, network).unwrap_or_else(|e| {
            tracing::error!(error = %e, "unknown workspace profile; using the default");
            let mut fallback = workspace.clone();
            fallback.profile = None;
            self.judge_on(&fallback, network)
                .expect("the default profile loads on every configured network")
        }))
    }
}

/// The permissions to ask for: everything the profile's features need on any asset kind (for an
/// any-of requirement, its first, preferred permission). Retired scopes are never asked for: the
/// dialog would reject them.
fn scopes_for(catalog: &Catalog, profile: &Profile) -> Vec<String> {
    let features = profile.features(catalog);
    let mut out: Vec<String> = Vec::new();
    let mut push = |p: &String| {
        let retired = catalog.permission(p).is_some_and(|d| d.retired());
        if !retired && !out.contains(p) {
            out.push(p.clone());
        }
    };
    for rule in catalog
        .rules
        .iter()
        .filter(|r| features.contains(&r.feature))
    {
        rule.permissions.iter().for_each(&mut push);
        if let Some(first) = rule.permissions_any.first() {
            push(first);
        }
    }
    out
}

impl Judge {
    /// Diagnoses `fresh` facts of a login against what the store already knows: an asset seen
    /// before but missing now is still judged (no longer listed while the token works, or cut off
    /// with the login when the token is broken), so it never silently keeps an old green.
    pub fn diagnose(
        &self,
        login: &LoginFacts,
        fresh: Vec<AssetFacts>,
        stored: Vec<AssetFacts>,
        now: Timestamp,
    ) -> (Vec<AssetFacts>, Report) {
        let assets = merge_assets(login, fresh, stored);
        let report = self.engine.diagnose(login, &assets, now);
        (assets, report)
    }
}

/// Resolves a profile spec: a built-in name, or a path to the product's own profile file.
pub fn load_profile(catalog: &Catalog, spec: &str) -> anyhow::Result<Profile> {
    let path = std::path::Path::new(spec);
    if path.exists() || spec.ends_with(".toml") || spec.contains('/') {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read profile file {}", path.display()))?;
        return Profile::from_toml_str(&text, spec, catalog)
            .with_context(|| format!("invalid profile file {}", path.display()));
    }
    if spec == "all" {
        return Ok(Profile::all(catalog));
    }
    // The error itself names the built-in profiles.
    Profile::builtin(spec).with_context(|| {
        format!("unknown profile `{spec}`: give a built-in name or the path to a profile file")
    })
}

/// What the check knows about each asset: the fresh facts, and every stored asset they no longer
/// mention. A broken token lists nothing (its assets come only from per-asset grants, without
/// names), so for an asset already known the stored facts stand: a Page keeps its name and its
/// Instagram link at the moment its login breaks, in the overview, the history and the messages.
fn merge_assets(
    login: &LoginFacts,
    mut fresh: Vec<AssetFacts>,
    stored: Vec<AssetFacts>,
) -> Vec<AssetFacts> {
    let token_works = matches!(login.token.validity, TokenValidity::Valid);
    let mut stored: Vec<Option<AssetFacts>> = stored.into_iter().map(Some).collect();
    let index: HashMap<(AssetKind, String), usize> = stored
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.as_ref().map(|a| ((a.kind, a.id.clone()), i)))
        .collect();
    for new in &mut fresh {
        let Some(old) = index
            .get(&(new.kind, new.id.clone()))
            .and_then(|&i| stored[i].take())
        else {
            continue;
        };
        if token_works {
            if new.name.is_none() {
                new.name = old.name;
            }
        } else {
            *new = old;
        }
    }
    for mut old in stored.into_iter().flatten() {
        if token_works {
            // The platform no longer lists it for this person: access was lost or the Page was
            // left out of the grant. What was seen on it before no longer applies.
            old.listed = false;
            old.tasks.clear();
            old.observed.clear();
        }
        fresh.push(old);
    }
    fresh
}

/// The login's stored facts and its assets' stored facts, as last seen.
pub async fn stored_facts(
    store: &SqlStore,
    login: &Login,
) -> Result<(Option<LoginFacts>, Vec<AssetFacts>), StoreError> {
    let ws = login.workspace_id;
    let login_facts = store
        .get_facts(ws, FactsSubject::Login(login.id))
        .await?
        .and_then(|s| serde_json::from_value::<LoginFacts>(s.value).ok());
    let filter = AssetFilter {
        login: Some(login.id),
        limit: u32::MAX,
        ..AssetFilter::default()
    };
    let mut assets = Vec::new();
    for asset in store.list_assets(ws, &filter).await? {
        let facts = store
            .get_facts(ws, FactsSubject::Asset(asset.id))
            .await?
            .and_then(|s| serde_json::from_value::<AssetFacts>(s.value).ok())
            .unwrap_or_else(|| AssetFacts {
                kind: asset.kind,
                id: asset.platform_id.clone(),
                name: Some(asset.name.clone()),
                listed: true,
                tasks: Vec::new(),
                instagram: None,
                observed: Vec::new(),
            });
        assets.push(facts);
    }
    Ok((login_facts, assets))
}

/// Stores a diagnosed login: its assets (created on first sight), the facts they were judged on,
/// and the report with every status change and its events in one transaction.
pub async fn record(
    store: &SqlStore,
    login: &Login,
    facts: &LoginFacts,
    assets: &[AssetFacts],
    report: &Report,
    now: Timestamp,
) -> Result<Vec<Transition>, StoreError> {
    let ws = login.workspace_id;
    let mut verdicts = Vec::with_capacity(report.assets.len());
    for (asset_facts, asset_report) in assets.iter().zip(&report.assets) {
        let asset = store
            .upsert_asset(
                ws,
                login.id,
                NewAsset {
                    kind: asset_facts.kind,
                    platform_id: asset_facts.id.clone(),
                    name: asset_facts
                        .name
                        .clone()
                        .unwrap_or_else(|| asset_facts.id.clone()),
                },
            )
            .await?;
        store
            .put_facts(
                ws,
                login.id,
                FactsSubject::Asset(asset.id),
                &json(asset_facts),
                now,
            )
            .await?;
        verdicts.push(verdict(login.id, asset.id, Some(asset_facts), asset_report));
    }
    store
        .put_facts(
            ws,
            login.id,
            FactsSubject::Login(login.id),
            &json(facts),
            now,
        )
        .await?;
    store
        .record_diagnosis(ws, login.id, &diagnosis(login.id, report, verdicts, now))
        .await
        .inspect(|_| crate::dashboard::overview::forget_counts(ws))
}

/// What the store keeps of one asset's report: its status and findings for history and events,
/// the report itself, who must act and what breaks for filtering, and the fixes it calls for.
/// `facts` name the Page an Instagram account's fixes go through.
pub fn verdict(
    login: LoginId,
    asset_id: AssetId,
    facts: Option<&AssetFacts>,
    report: &AssetReport,
) -> AssetVerdict {
    let mut owners: Vec<Owner> = Vec::new();
    for f in &report.findings {
        if !owners.contains(&f.owner) {
            owners.push(f.owner);
        }
    }
    let of = |v: FeatureVerdict| {
        report
            .features
            .iter()
            .filter(|(_, verdict)| **verdict == v)
            .map(|(f, _)| *f)
            .collect::<Vec<_>>()
    };
    AssetVerdict {
        asset_id,
        status: report.status,
        findings: json(&report.findings),
        report: json(report),
        owners,
        unavailable: of(FeatureVerdict::Unavailable),
        at_risk: of(FeatureVerdict::AtRisk),
        fixes: fixes::fixes(
            login,
            Some(&fixes::Subject::of(report, facts)),
            &report.findings,
        ),
    }
}

/// A login's report with its assets' verdicts, ready for `Store::record_diagnosis`.
pub fn diagnosis(
    login: LoginId,
    report: &Report,
    assets: Vec<AssetVerdict>,
    at: Timestamp,
) -> Diagnosis {
    let findings = &report.login.findings;
    let mut owners: Vec<Owner> = findings.iter().map(|f| f.owner).collect();
    owners.sort();
    owners.dedup();
    // A dated finding endangers its features; any other finding on the login blocks them.
    let features = |at_risk: bool| {
        let mut out: Vec<Feature> = findings
            .iter()
            .filter(|f| (f.code.action() == Action::Renew) == at_risk)
            .flat_map(|f| f.features.iter().copied())
            .collect();
        out.sort();
        out.dedup();
        out
    };
    Diagnosis {
        report: json(report),
        login_status: report.login.status,
        login_findings: json(findings),
        login_owners: owners,
        login_unavailable: features(false),
        login_at_risk: features(true),
        login_fixes: fixes::fixes(login, None, findings),
        assets,
        at,
    }
}

/// Writes the fixes of verdicts recorded before fixes were kept (store migration 0005), from the
/// stored reports and facts, without judging anything again: a database upgraded while a login
/// is broken counts it at once, not after its next check. Returns how many logins it wrote.
pub async fn backfill_fixes(store: &SqlStore) -> Result<usize, StoreError> {
    let mut done: HashSet<LoginId> = HashSet::new();
    loop {
        let batch = store.logins_missing_fixes(100).await?;
        let todo: Vec<Login> = batch
            .into_iter()
            .filter(|l| !done.contains(&l.id))
            .collect();
        if todo.is_empty() {
            return Ok(done.len());
        }
        for login in todo {
            let ws = login.workspace_id;
            let report: Option<Report> = store
                .get_diagnosis(ws, login.id)
                .await?
                .and_then(|d| serde_json::from_value(d.value).ok());
            let login_fixes = report
                .as_ref()
                .map(|r| fixes::fixes(login.id, None, &r.login.findings))
                .unwrap_or_default();
            let mut assets = Vec::new();
            for r in store.list_login_records(ws, login.id).await? {
                let Some(rep) = r
                    .report
                    .and_then(|v| serde_json::from_value::<AssetReport>(v).ok())
                else {
                    continue;
                };
                let facts: Option<AssetFacts> = store
                    .get_facts(ws, FactsSubject::Asset(r.asset.id))
                    .await?
                    .and_then(|f| serde_json::from_value(f.value).ok());
                let subject = fixes::Subject::of(&rep, facts.as_ref());
                assets.push((
                    r.asset.id,
                    fixes::fixes(login.id, Some(&subject), &rep.findings),
                ));
            }
            store.put_fixes(ws, login.id, &login_fixes, &assets).await?;
            done.insert(login.id);
        }
    }
}

/// Diagnoses what the platform just said about a login against what the store knows, records it,
/// and keeps what the network wants back at the next check: the worker's and connect's one path.
pub async fn record_snapshot(
    store: &SqlStore,
    checker: &Checker,
    login: &Login,
    snapshot: Snapshot,
    now: Timestamp,
) -> Result<(Report, Vec<Transition>), StoreError> {
    let known = snapshot.known;
    let (_, stored) = stored_facts(store, login).await?;
    let judge = checker
        .judge_for_network(store, login.workspace_id, login.network)
        .await?;
    let (assets, report) = judge.diagnose(&snapshot.login, snapshot.assets, stored, now);
    let transitions = record(store, login, &snapshot.login, &assets, &report, now).await?;
    remember_token(store, login, known).await?;
    Ok((report, transitions))
}

/// Keeps what token inspection said so the next routine check can skip it.
async fn remember_token(
    store: &SqlStore,
    login: &Login,
    known: Option<serde_json::Value>,
) -> Result<(), StoreError> {
    if let Some(known) = known {
        store
            .set_known_token(login.workspace_id, login.id, &known)
            .await?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    // Our own report and fact types always serialize: they hold no maps with non-string keys.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
