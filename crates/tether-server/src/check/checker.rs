//! How logins are judged: the catalog of each configured network, a workspace's profile and
//! warning window compiled into an engine (a [`Judge`], cached per network, profile and window),
//! and the client of each network behind the seam.

use crate::config::{MetaApp, NetworkApp};
use anyhow::Context;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tether_core::{
    AssetFacts, AssetKind, Catalog, Engine, EngineOptions, LoginFacts, Network, Profile, Report,
    TokenValidity,
};
use tether_meta::{GraphClient, GraphConfig, InspectOptions, MetaNetwork};
use tether_store::{SqlStore, Store, StoreError, Workspace, WorkspaceId};

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
    /// `recorded`: the catalog changes that replace the build's (`recorded_catalogs`).
    pub fn new(
        app: &MetaApp,
        others: &[NetworkApp],
        profile_spec: &str,
        recorded: &BTreeMap<Network, Catalog>,
    ) -> anyhow::Result<Checker> {
        let catalog = match recorded.get(&Network::Meta) {
            Some(c) => c.clone(),
            None => Catalog::builtin(tether_core::Network::Meta)
                .context("the built-in catalog is invalid")?,
        };
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
            Arc::new(MetaNetwork::from_client(
                client.clone(),
                catalog.clone(),
                Some(app.webhook_verify_token.clone()),
            )),
        );
        for other in others {
            let registration = crate::networks::registration(other.network).with_context(|| {
                format!(
                    "network `{}` is configured but not registered",
                    other.network
                )
            })?;
            let mut app = other.app.clone();
            app.catalog = recorded.get(&other.network).cloned();
            let network = (registration.build)(app)
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
            self.workspace_profile(catalog, name)
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

    /// A profile a workspace may choose: the one the operator configured (a built-in name or a
    /// file given on the command line) or a built-in one by name. Never a path from a form or
    /// the database: a workspace owner must not make the server read files (`/dev/zero`).
    pub fn workspace_profile(&self, catalog: &Catalog, name: &str) -> anyhow::Result<Profile> {
        if name == self.profile.name || name == "all" || Profile::builtin_names().contains(&name) {
            return load_profile(catalog, name);
        }
        anyhow::bail!(
            "no profile is called `{name}`: a workspace chooses among the built-in profiles ({}, all) and the one this server was started with",
            Profile::builtin_names().join(", ")
        )
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
