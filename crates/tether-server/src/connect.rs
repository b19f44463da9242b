//! Storing a login from a working token: inspect it, check who it is, store it (a reconnect keeps
//! the login's id and history), diagnose every asset it reaches. The OAuth callback ends here, and
//! so do imports of tokens obtained elsewhere (the demo).

use crate::state::AppState;
use secrecy::SecretString;
use tether_core::{Network, Report, TokenValidity};
use tether_meta::{CheckError, InspectOptions};
use tether_store::{Login, LoginId, NewLogin, Store, StoreError, WorkspaceId};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the platform could not be asked about the new connection: {0}")]
    Platform(#[from] CheckError),
    #[error("the platform did not say who signed in")]
    NoIdentity,
    /// A reconnect came back as someone else and that was not allowed.
    #[error("this connection belongs to {expected}, but {got} signed in")]
    OtherPerson { expected: String, got: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Connected {
    pub login: Login,
    pub report: Report,
}

/// Who a connection is expected to be.
#[derive(Debug, Default, Clone)]
pub struct Expect<'a> {
    /// The login this must be the same person as (a reconnect).
    pub reconnect: Option<LoginId>,
    pub allow_other_person: bool,
    /// The person's name if the platform does not say it (an import of a token that no longer
    /// works cannot ask).
    pub name_hint: Option<&'a str>,
}

pub async fn connect_token(
    s: &AppState,
    ws: WorkspaceId,
    token: SecretString,
    expect: Expect<'_>,
) -> Result<Connected, ConnectError> {
    let Expect {
        reconnect,
        allow_other_person,
        name_hint,
    } = expect;
    let now = s.clock.now();
    let snapshot = s
        .checker
        .client
        .inspect_login(
            &token,
            &InspectOptions {
                now: Some(now),
                ..s.checker.inspect_options()
            },
        )
        .await?;
    let user_id = snapshot
        .login
        .user_id
        .clone()
        .ok_or(ConnectError::NoIdentity)?;
    let target = match reconnect {
        Some(id) => s.store.get_login(ws, id).await?,
        None => None,
    };
    // A token that no longer works cannot say whose it is by name: the name this person had
    // here stays rather than turning into their id.
    let person_name = match snapshot.login.user_name.clone() {
        Some(name) => name,
        None => {
            let known = match &target {
                Some(l) if l.platform_user_id == user_id => Some(l.person_name.clone()),
                _ => s
                    .store
                    .find_logins_by_platform_user(Network::Meta, &user_id)
                    .await?
                    .into_iter()
                    .find(|l| l.workspace_id == ws)
                    .map(|l| l.person_name),
            };
            known
                .or_else(|| name_hint.map(str::to_owned))
                .unwrap_or_else(|| user_id.clone())
        }
    };
    if let Some(existing) = target
        && existing.platform_user_id != user_id
        && !allow_other_person
    {
        return Err(ConnectError::OtherPerson {
            expected: existing.person_name,
            got: person_name,
        });
    }
    let (expires_at, data_access_expires_at) = match &snapshot.login.token.validity {
        TokenValidity::Valid => (
            snapshot.login.token.expires_at,
            snapshot.login.token.data_access_expires_at,
        ),
        TokenValidity::Broken { .. } => (None, None),
    };
    let login = s
        .store
        .upsert_login(
            ws,
            NewLogin {
                network: Network::Meta,
                platform_user_id: user_id,
                person_name,
                token,
                expires_at,
                data_access_expires_at,
            },
            now,
        )
        .await?;
    let (report, _) =
        crate::check::record_snapshot(&s.store, &s.checker, &login, snapshot, now).await?;
    s.index.sync(&s.store).await?;
    tracing::info!(workspace_id = %ws, login_id = %login.id, reconnect = reconnect.is_some(),
        assets = report.assets.len(), "login connected");
    Ok(Connected { login, report })
}
