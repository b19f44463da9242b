//! Which catalog each network is judged by: the build's own, or a change recorded by `tether
//! catalog apply --apply` whose revision is above it. A recorded change is what every process
//! started after it judges (and its network's client calls) by, so the accounts it moved stay
//! moved without a new build; a build whose own catalog reaches the change's revision carries it
//! (or a later one) and wins.

use anyhow::Context;
use jiff::Timestamp;
use std::collections::BTreeMap;
use tether_core::{Catalog, Network};
use tether_store::{CatalogStore, SqlStore, StoreError, StoredCatalog};

/// The recorded changes that replace the build's catalogs, by network.
pub async fn recorded_catalogs(store: &SqlStore) -> anyhow::Result<BTreeMap<Network, Catalog>> {
    let mut out = BTreeMap::new();
    for stored in store.latest_catalogs().await? {
        if let Some(catalog) = replacing(&stored)? {
            out.insert(stored.network, catalog);
        }
    }
    Ok(out)
}

/// A recorded change, loaded, when its revision is above the build's own catalog's.
fn replacing(stored: &StoredCatalog) -> anyhow::Result<Option<Catalog>> {
    let builtin = Catalog::builtin(stored.network)?;
    if stored.revision <= builtin.revision {
        tracing::info!(
            network = %stored.network,
            recorded = stored.revision,
            build = builtin.revision,
            "this build's catalog is at least as new as the recorded change: judging by the build's"
        );
        return Ok(None);
    }
    let origin = format!(
        "the recorded {} catalog change, revision {} (\"{}\")",
        stored.network, stored.revision, stored.summary
    );
    Catalog::from_toml_str(&stored.catalog, &origin)
        .ok()
        .filter(|c| c.network == stored.network && c.revision == stored.revision)
        .with_context(|| {
            format!(
                "{origin} does not load with this build: apply a corrected catalog with a higher revision, or run a build whose {} catalog is revision {} or higher",
                stored.network, stored.revision
            )
        })
        .map(Some)
}

/// The catalog `network` is judged by now, and the recorded change it comes from, if any.
async fn judged_by(
    store: &SqlStore,
    network: Network,
) -> anyhow::Result<(Catalog, Option<StoredCatalog>)> {
    let stored = store
        .latest_catalogs()
        .await?
        .into_iter()
        .find(|c| c.network == network);
    let recorded = match &stored {
        Some(s) => replacing(s)?,
        None => None,
    };
    match recorded {
        Some(c) => Ok((c, stored)),
        None => Ok((Catalog::builtin(network)?, None)),
    }
}

/// The catalog `network` is judged by now.
pub async fn current_catalog(store: &SqlStore, network: Network) -> anyhow::Result<Catalog> {
    Ok(judged_by(store, network).await?.0)
}

/// Refuses a change that does not raise the revision of the catalog judged by now: recorded, it
/// would be ignored (or replace the change it means to follow). The change recorded last, given
/// again as it was, is allowed: re-judging records only what is not there yet.
pub async fn check_revision(
    store: &SqlStore,
    changed: &Catalog,
    text: &str,
) -> anyhow::Result<Catalog> {
    let (current, recorded) = judged_by(store, changed.network).await?;
    let again = recorded.is_some_and(|c| c.revision == changed.revision && c.catalog == text);
    if changed.revision <= current.revision && !again {
        anyhow::bail!(
            "{}: revision {}: the {} catalog judged by now is revision {} ({}); a change needs a higher `revision`",
            changed.origin,
            changed.revision,
            changed.network,
            current.revision,
            current.origin
        );
    }
    Ok(current)
}

/// Records an applied change: `text` is the changed catalog as given.
pub async fn record_change(
    store: &SqlStore,
    changed: &Catalog,
    text: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    let note = changed
        .change
        .as_ref()
        .with_context(|| format!("{}: a recorded change needs its [change]", changed.origin))?;
    store
        .record_catalog(&StoredCatalog {
            network: changed.network,
            revision: changed.revision,
            catalog: text.to_owned(),
            summary: note.summary.clone(),
            applied_at: now,
        })
        .await?;
    Ok(())
}

/// The networks whose catalog a change recorded after this process started has replaced, with
/// that change's revision. Judged by the rules it started with, a check would move back the
/// accounts the change moved and tell everyone twice: such a network waits for a restart.
pub async fn outdated_catalogs(
    store: &SqlStore,
    checker: &super::Checker,
) -> Result<BTreeMap<Network, u32>, StoreError> {
    Ok(store
        .catalog_revisions()
        .await?
        .into_iter()
        .filter(|(network, revision)| {
            checker
                .network(*network)
                .is_some_and(|n| *revision > n.catalog().revision)
        })
        .collect())
}

/// Why a check of `network` did not run: its rules changed after this process started.
pub fn outdated_reason(network: Network, revision: u32) -> String {
    format!(
        "Tether's rules for {network} changed (catalog revision {revision}) after this server \
         started; it checks {network} again once it is restarted"
    )
}
