//! Email to people: an alert when an account turns red or orange (once per change, never for a
//! check that failed, since a failed check changes no status), and a daily digest per person, in
//! the dashboard's words and without codes. Sent over SMTP with the workspace's own settings; a
//! workspace whose owner set none gets no email.

use crate::dashboard::{rows, words};
use crate::state::AppState;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use tether_core::{Finding, Status};
use tether_store::{
    Login, LoginId, MailSecurity, MailSettings, MailStore, Recipient, Store, Transition,
    WorkspaceId,
};
use uuid::Uuid;

/// Why a message could not be sent. Never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(
        "{host} is a private or local address ({ip}); Tether does not send there unless its operator allows private hosts"
    )]
    PrivateHost { host: String, ip: std::net::IpAddr },
    #[error("the mail server {host} could not be found: {reason}")]
    Resolve { host: String, reason: String },
    #[error("“{0}” is not an email address")]
    Address(String),
    #[error("the SMTP server {host}:{port} refused or failed: {reason}")]
    Smtp {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("the message could not be built: {0}")]
    Build(String),
}

/// One plain-text email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The one way out to an SMTP server: built from a workspace's settings.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
}

impl Mailer {
    pub fn new(
        settings: &MailSettings,
        password: Option<SecretString>,
    ) -> Result<Mailer, MailError> {
        let from: Mailbox = settings
            .from_address
            .parse()
            .map_err(|_| MailError::Address(settings.from_address.clone()))?;
        let smtp_err = |reason: String| MailError::Smtp {
            host: settings.host.clone(),
            port: settings.port,
            reason,
        };
        let tls = || TlsParameters::new(settings.host.clone()).map_err(|e| smtp_err(e.to_string()));
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
                .port(settings.port)
                .timeout(Some(Duration::from_secs(20)))
                .tls(match settings.security {
                    MailSecurity::StartTls => Tls::Required(tls()?),
                    MailSecurity::Tls => Tls::Wrapper(tls()?),
                    MailSecurity::None => Tls::None,
                });
        if !settings.username.is_empty() {
            let password = password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(settings.username.clone(), password));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            host: settings.host.clone(),
            port: settings.port,
        })
    }

    /// The mailer of a workspace, if its owner set one up. Its server is looked up again each
    /// time (DNS can change since it was saved) and refused if private, unless allowed.
    pub async fn of(s: &AppState, ws: WorkspaceId) -> anyhow::Result<Option<Mailer>> {
        let Some(settings) = s.store.mail_settings(ws).await? else {
            return Ok(None);
        };
        public_host(&settings.host, settings.port, s.config.allow_private_hosts).await?;
        let password = s.store.mail_password(ws).await?;
        Ok(Some(Mailer::new(&settings, password)?))
    }

    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| MailError::Address(email.to.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .body(email.body.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Smtp {
                host: self.host.clone(),
                port: self.port,
                reason: e.to_string(),
            })
    }
}

/// Refuses a server that resolves to a loopback, private, link-local, shared or unspecified
/// address, unless `allowed`.
pub async fn public_host(host: &str, port: u16, allowed: bool) -> Result<(), MailError> {
    if allowed {
        return Ok(());
    }
    match crate::outbound::lookup_public(host, port, false).await {
        Ok(_) => Ok(()),
        Err(Refused::Private { host, ip }) => Err(MailError::PrivateHost { host, ip }),
        Err(Refused::Unresolvable { host, reason }) => Err(MailError::Resolve { host, reason }),
        Err(other) => Err(MailError::Resolve {
            host: host.to_owned(),
            reason: other.to_string(),
        }),
    }
}

use crate::outbound::Refused;

/// What one round of the mailer did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailStep {
    pub alerts: usize,
    pub digests: usize,
    pub failures: usize,
}

/// How long a person waits between digests.
pub const DIGEST_PERIOD: Duration = Duration::from_secs(24 * 3600);

/// One round: every workspace with email on, every person who wants alerts or a digest.
pub async fn step(s: &AppState) -> anyhow::Result<MailStep> {
    let mut out = MailStep::default();
    for ws in s.store.mail_workspaces().await? {
        let mailer = match Mailer::of(s, ws).await {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(workspace_id = %ws, error = %e, "email settings unusable");
                out.failures += 1;
                continue;
            }
        };
        for r in s.store.recipients(ws).await? {
            if r.alerts {
                alert(s, ws, &mailer, &r, &mut out).await?;
            }
            if r.digest {
                digest(s, ws, &mailer, &r, &mut out).await?;
            }
        }
    }
    Ok(out)
}

/// One email per status change to red or orange since the person was last told (the assets of
/// one login that changed in one check are one change), then the person's mark moves on.
async fn alert(
    s: &AppState,
    ws: WorkspaceId,
    mailer: &Mailer,
    r: &Recipient,
    out: &mut MailStep,
) -> anyhow::Result<()> {
    let now = s.clock.now();
    let Some(after) = r.alerted else {
        // Email was just turned on: tell them what happens from now on, not the whole history.
        s.store.set_alerted(ws, r.user.id, now, Uuid::max()).await?;
        return Ok(());
    };
    let changes = s.store.transitions_after(ws, Some(after), 500).await?;
    let Some(last) = changes.last() else {
        return Ok(());
    };
    let (last_at, last_id) = (last.at, last.id);
    for group in groups(&changes) {
        let Some(login) = s.store.get_login(ws, group[0].login_id).await? else {
            continue;
        };
        let Some(email) = alert_email(s, &login, &group, &r.user.email).await? else {
            continue;
        };
        match mailer.send(&email).await {
            Ok(()) => out.alerts += 1,
            Err(e) => {
                // Not marked: the next round tries again (at least once, never silently lost).
                tracing::warn!(user_id = %r.user.id, error = %e, "alert email not sent");
                out.failures += 1;
                return Ok(());
            }
        }
    }
    s.store.set_alerted(ws, r.user.id, last_at, last_id).await?;
    Ok(())
}

/// Changes to red or orange, by login and check (one email each).
fn groups(changes: &[Transition]) -> Vec<Vec<&Transition>> {
    let mut out: Vec<Vec<&Transition>> = Vec::new();
    for t in changes.iter().filter(|t| {
        matches!(t.new_status, Status::Disconnected | Status::ActionRequired)
            && t.old_status != Some(t.new_status)
    }) {
        match out
            .iter_mut()
            .find(|g| g[0].login_id == t.login_id && g[0].at == t.at)
        {
            Some(g) => g.push(t),
            None => out.push(vec![t]),
        }
    }
    out
}

/// The first account of an alert: its name, its findings, and what it is.
type First = (
    String,
    Vec<Finding>,
    Option<(String, tether_core::AssetKind)>,
);

async fn alert_email(
    s: &AppState,
    login: &Login,
    group: &[&Transition],
    to: &str,
) -> anyhow::Result<Option<Email>> {
    let ws = login.workspace_id;
    let person = login.person_name.as_str();
    let mut lines: Vec<(String, String, String)> = Vec::new();
    let mut first: Option<First> = None;
    for t in group {
        let findings: Vec<Finding> = serde_json::from_value(t.findings.clone()).unwrap_or_default();
        let (name, kind, href, asset) = match t.asset_id {
            Some(id) => {
                let Some(a) = s.store.get_asset(ws, id).await? else {
                    continue;
                };
                (
                    a.name.clone(),
                    words::kind(a.kind).to_owned(),
                    format!("app/assets/{id}"),
                    Some((a.name, a.kind)),
                )
            }
            // A login's own change is news only when it reaches no account to tell it through.
            None if login_reaches_accounts(s, login).await? => continue,
            None => (
                words::login_name(login),
                format!("{} login", words::network(login.network)),
                format!("app/logins/{}", login.id),
                None,
            ),
        };
        let change = format!(
            "{} → {}",
            t.old_status.map(words::status).unwrap_or("New"),
            words::status(t.new_status)
        );
        lines.push((
            format!("{name} ({kind})"),
            change,
            s.config.url(&href).to_string(),
        ));
        if first.is_none() {
            first = Some((name, findings, asset));
        }
    }
    let Some((name, findings, asset)) = first else {
        return Ok(None);
    };
    let asset_ref = asset.as_ref().map(|(n, k)| (n.as_str(), *k));
    let (todo, more) = rows::todo(&findings, person, login.network, asset_ref);
    let status = words::status(group[0].new_status);
    let subject = match (lines.len(), &todo) {
        (1, Some(t)) => format!("{name} is {status}: {t}"),
        (1, None) => format!("{name} is {status}"),
        (n, _) => format!(
            "{n} accounts through {person}'s {} login are {status}",
            words::network(login.network)
        ),
    };
    let mut body = String::new();
    for (what, change, link) in &lines {
        body.push_str(&format!("{what}: {change}\n{link}\n\n"));
    }
    if let Some(t) = todo {
        body.push_str(&format!("What to do: {t}"));
        if more > 0 {
            body.push_str(&format!(" (and {more} more on the account's page)"));
        }
        body.push('\n');
    }
    if let Some(f) = findings.first() {
        body.push_str(&format!("{}\n", f.remedy.summary));
        for (i, step) in f.remedy.steps.iter().enumerate() {
            body.push_str(&format!("{}. {step}\n", i + 1));
        }
    }
    body.push_str(&footer(s, "alerts"));
    Ok(Some(Email {
        to: to.to_owned(),
        subject,
        body,
    }))
}

async fn login_reaches_accounts(s: &AppState, login: &Login) -> anyhow::Result<bool> {
    Ok(!s
        .store
        .list_login_records(login.workspace_id, login.id)
        .await?
        .is_empty())
}

fn footer(s: &AppState, what: &str) -> String {
    format!(
        "\n--\nYou get these {what} because they are on for you in Tether. Change that here: {}\n",
        s.config.url("app/me")
    )
}

/// Once a day per person: what there is to do, and what changed since the last digest. Nothing
/// to say, nothing sent.
async fn digest(
    s: &AppState,
    ws: WorkspaceId,
    mailer: &Mailer,
    r: &Recipient,
    out: &mut MailStep,
) -> anyhow::Result<()> {
    let now = s.clock.now();
    let since = r.digest_at.unwrap_or_else(|| {
        now.saturating_sub(jiff::SignedDuration::from_hours(24))
            .unwrap_or(now)
    });
    if !s
        .store
        .claim_user_digest(ws, r.user.id, now, DIGEST_PERIOD)
        .await?
    {
        return Ok(());
    }
    let counts = s.store.count_overview(ws).await?;
    let attention = counts.not_green();
    // An account that arrived healthy is no news; every other change is.
    let changes: Vec<Transition> = s
        .store
        .list_transitions_since(ws, since)
        .await?
        .into_iter()
        .filter(|t| !(t.old_status == Some(Status::Pending) && t.new_status == Status::Connected))
        .collect();
    if attention == 0 && changes.is_empty() {
        return Ok(());
    }
    let mut body = String::new();
    if counts.fixes.is_empty() {
        body.push_str("Nothing needs anyone's action.\n");
    } else {
        body.push_str("What there is to do:\n");
        for (a, n) in &counts.fixes {
            body.push_str(&format!("- {}\n", words::action_count(*a, *n)));
        }
    }
    body.push_str(&format!(
        "\nThe list, what needs action first: {}\n",
        s.config.url("app?status=attention")
    ));
    if !changes.is_empty() {
        body.push_str("\nChanged since the last summary:\n");
        let mut names: Vec<(LoginId, Option<tether_store::AssetId>, String)> = Vec::new();
        for t in changes.iter().rev().take(50) {
            let name = match names
                .iter()
                .find(|(l, a, _)| *l == t.login_id && *a == t.asset_id)
            {
                Some((_, _, n)) => n.clone(),
                None => {
                    let n = change_subject(s, ws, t).await?;
                    names.push((t.login_id, t.asset_id, n.clone()));
                    n
                }
            };
            body.push_str(&format!(
                "- {name}: {} → {} ({})\n",
                t.old_status.map(words::status).unwrap_or("New"),
                words::status(t.new_status),
                words::date_time(t.at)
            ));
        }
        if changes.len() > 50 {
            body.push_str(&format!("- and {} more\n", changes.len() - 50));
        }
    }
    body.push_str(&footer(s, "daily summaries"));
    let subject = if attention == 0 {
        "Tether daily summary: every account works".to_owned()
    } else {
        format!(
            "Tether daily summary: {attention} {} attention",
            if attention == 1 {
                "account needs"
            } else {
                "accounts need"
            }
        )
    };
    let email = Email {
        to: r.user.email.clone(),
        subject,
        body,
    };
    match mailer.send(&email).await {
        Ok(()) => out.digests += 1,
        Err(e) => {
            tracing::warn!(user_id = %r.user.id, error = %e, "digest email not sent");
            out.failures += 1;
        }
    }
    Ok(())
}

async fn change_subject(s: &AppState, ws: WorkspaceId, t: &Transition) -> anyhow::Result<String> {
    Ok(match t.asset_id {
        Some(id) => s
            .store
            .get_asset(ws, id)
            .await?
            .map(|a| a.name)
            .unwrap_or_else(|| "An account".to_owned()),
        None => match s.store.get_login(ws, t.login_id).await? {
            Some(l) => words::login_name(&l),
            None => "A login".to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::is_private;

    #[test]
    fn private_and_local_addresses_are_told_apart_from_public_ones() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "100.128.0.1",
        ] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_private_mail_server_is_refused_unless_the_operator_allows_it() {
        let err = public_host("127.0.0.1", 25, false).await.unwrap_err();
        assert!(matches!(err, MailError::PrivateHost { .. }), "{err}");
        assert!(
            err.to_string().contains("unless its operator allows"),
            "{err}"
        );
        assert!(public_host("127.0.0.1", 25, true).await.is_ok());
    }
}
