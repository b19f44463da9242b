//! Storing a login from a working token: inspect it, check who it is, store it (a reconnect keeps
//! the login's id and history), diagnose every asset it reaches. The OAuth callback ends here, and
//! so do imports of tokens obtained elsewhere (the demo).

use crate::state::AppState;
use secrecy::SecretString;
use tether_core::{Network, Report, TokenValidity};
use tether_platform::{CheckError, Issued, LoginToCheck, Needs, TokenDates};
use tether_store::{
    GrantStore, Login, LoginId, NewGrant, NewLogin, Store, StoreError, WorkspaceId,
};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the platform could not be asked about the new connection: {0}")]
    Platform(#[from] CheckError),
    #[error("{0} is not configured on this server")]
    NotConfigured(Network),
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

/// Stores a Meta login from a token obtained elsewhere (the demo's imports).
pub async fn connect_token(
    s: &AppState,
    ws: WorkspaceId,
    token: SecretString,
    expect: Expect<'_>,
) -> Result<Connected, ConnectError> {
    let issued = Issued {
        access_token: token,
        expires_at: None,
        refresh_token: None,
        refresh_expires_at: None,
        user_id: None,
        granted: None,
    };
    connect_issued(s, ws, Network::Meta, issued, expect).await
}

/// Stores a login from what a network just issued (the OAuth callback of every network).
#[tracing::instrument(skip_all, fields(workspace_id = %ws, network = %network))]
pub async fn connect_issued(
    s: &AppState,
    ws: WorkspaceId,
    network: Network,
    issued: Issued,
    expect: Expect<'_>,
) -> Result<Connected, ConnectError> {
    let Expect {
        reconnect,
        allow_other_person,
        name_hint,
    } = expect;
    let net = s
        .checker
        .network(network)
        .ok_or(ConnectError::NotConfigured(network))?;
    let now = s.clock.now();
    let judge = s.checker.judge_for_network(&s.store, ws, network).await?;
    let dates = TokenDates {
        issued_at: now,
        expires_at: issued.expires_at,
        refresh_expires_at: issued.refresh_expires_at,
    };
    let to_check = LoginToCheck {
        dates: Some(dates),
        granted: issued.granted.clone(),
        ..LoginToCheck::token(issued.access_token.clone())
    };
    let needs = Needs {
        conditions: judge.profile.conditions(net.catalog()),
        ..Needs::at(now)
    };
    let snapshot = net
        .inspect(std::slice::from_ref(&to_check), &needs)
        .await
        .pop()
        .expect("one result per login")?;
    let user_id = snapshot
        .login
        .user_id
        .clone()
        .or_else(|| issued.user_id.clone())
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
                    .find_logins_by_platform_user(network, &user_id)
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
            snapshot.login.token.expires_at.or(issued.expires_at),
            snapshot.login.token.data_access_expires_at,
        ),
        TokenValidity::Broken { .. } => (None, None),
    };
    let login = s
        .store
        .upsert_login(
            ws,
            NewLogin {
                network,
                platform_user_id: user_id,
                person_name,
                token: issued.access_token.clone(),
                expires_at,
                data_access_expires_at,
            },
            now,
        )
        .await?;
    s.store
        .put_grant(
            ws,
            login.id,
            &NewGrant {
                access_token: issued.access_token,
                refresh_token: issued.refresh_token,
                issued_at: now,
                // The access token's own end, which its refresh is timed by; the login's end
                // (above) can be later, when a refresh token outlives it (LinkedIn's year).
                expires_at: issued.expires_at.or(expires_at),
                refresh_expires_at: issued.refresh_expires_at,
                granted: issued.granted,
            },
        )
        .await?;
    let (report, _) =
        crate::check::record_snapshot(&s.store, &s.checker, &login, snapshot, now).await?;
    s.events_written();
    s.index.sync(&s.store).await?;
    tracing::info!(login_id = %login.id, reconnect = reconnect.is_some(),
        assets = report.assets.len(), "login connected");
    Ok(Connected { login, report })
}
