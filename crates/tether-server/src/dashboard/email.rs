//! Email to people, in the dashboard: the workspace's SMTP server (owners, in Settings), a test
//! message, and each person's own choice of alerts and daily summaries (`/app/me`).

use super::{Chrome, DashError, DashResult, Flash, Member, render};
use crate::mail::{Email, Mailer};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use secrecy::SecretString;
use serde::Deserialize;
use tether_store::{MailSecurity, MailStore, NewMailSettings};

/// The SMTP form as Settings shows it (never the password).
pub struct MailForm {
    pub on: bool,
    pub host: String,
    pub port: u16,
    pub security: &'static str,
    pub username: String,
    pub from_address: String,
    pub has_password: bool,
}

pub async fn form(s: &AppState, member: &Member) -> DashResult<MailForm> {
    Ok(match s.store.mail_settings(member.ws()).await? {
        Some(m) => MailForm {
            on: true,
            host: m.host,
            port: m.port,
            security: m.security.as_str(),
            username: m.username,
            from_address: m.from_address,
            has_password: m.has_password,
        },
        None => MailForm {
            on: false,
            host: String::new(),
            port: 587,
            security: MailSecurity::StartTls.as_str(),
            username: String::new(),
            from_address: String::new(),
            has_password: false,
        },
    })
}

#[derive(Deserialize)]
pub struct MailSave {
    host: String,
    port: String,
    security: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    from_address: String,
}

fn address_ok(a: &str) -> bool {
    a.parse::<lettre::message::Mailbox>().is_ok()
}

/// `POST /app/settings/mail`: turns email on (or changes the server). A blank password keeps
/// the stored one.
pub async fn save(
    State(s): State<AppState>,
    member: Member,
    Form(f): Form<MailSave>,
) -> DashResult<Response> {
    member.require_owner("set up email")?;
    let host = f.host.trim();
    if host.is_empty() || host.len() > 253 || host.contains(char::is_whitespace) {
        return Err(DashError::BadRequest(format!(
            "“{host}” is not the name of a mail server."
        )));
    }
    let port: u16 = f
        .port
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| DashError::BadRequest(format!("“{}” is not a port number.", f.port)))?;
    let security: MailSecurity = f.security.parse().map_err(|_| {
        DashError::BadRequest(format!(
            "There is no connection security called “{}”.",
            f.security
        ))
    })?;
    if let Err(e) = crate::mail::public_host(host, port, s.config.allow_private_hosts).await {
        return Err(DashError::BadRequest(format!("{e}.")));
    }
    let from = f.from_address.trim();
    if !address_ok(from) {
        return Err(DashError::BadRequest(format!(
            "“{from}” is not an email address to send from."
        )));
    }
    let settings = NewMailSettings {
        host: host.to_owned(),
        port,
        security,
        username: f.username.trim().to_owned(),
        password: (!f.password.is_empty()).then(|| SecretString::from(f.password.clone())),
        from_address: from.to_owned(),
    };
    s.store
        .put_mail_settings(member.ws(), &settings, s.clock.now())
        .await?;
    tracing::info!(workspace_id = %member.ws(), host, port, "email settings saved");
    Ok(Flash::ok(format!(
        "Email is on: alerts and daily summaries go out through {host}:{port}. Send a test email to check it."
    ))
    .redirect("/app/settings#email"))
}

/// `POST /app/settings/mail/test`: sends one message to the owner now and says what happened.
pub async fn test(State(s): State<AppState>, member: Member) -> DashResult<Response> {
    member.require_owner("test email")?;
    let mailer = match Mailer::of(&s, member.ws()).await {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Ok(
                Flash::problem("Email is off: fill in the mail server first.")
                    .redirect("/app/settings#email"),
            );
        }
        Err(e) => {
            return Ok(
                Flash::problem(format!("These settings cannot be used: {e}."))
                    .redirect("/app/settings#email"),
            );
        }
    };
    let email = Email {
        to: member.user.email.clone(),
        subject: "Tether test email".to_owned(),
        body: "This is a test from Tether: alerts and daily summaries will arrive like this.\n"
            .to_owned(),
    };
    Ok(match mailer.send(&email).await {
        Ok(()) => Flash::ok(format!(
            "Test email sent to {}. If it does not arrive, check its spam folder.",
            member.user.email
        )),
        Err(e) => Flash::problem(format!("The test email was not sent: {e}.")),
    }
    .redirect("/app/settings#email"))
}

/// `POST /app/settings/mail/off`
pub async fn off(State(s): State<AppState>, member: Member) -> DashResult<Response> {
    member.require_owner("turn email off")?;
    s.store.delete_mail_settings(member.ws()).await?;
    Ok(
        Flash::ok("Email is off: nobody in this workspace gets alerts or summaries.")
            .redirect("/app/settings#email"),
    )
}

#[derive(Template)]
#[template(path = "me.html")]
pub struct MePage {
    pub chrome: Chrome,
    pub email: String,
    pub alerts: bool,
    pub digest: bool,
    pub mail_on: bool,
}

/// `GET /app/me`: the person's own email choices.
pub async fn me(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
) -> DashResult<Response> {
    let ws = member.ws();
    let me = s
        .store
        .recipients(ws)
        .await?
        .into_iter()
        .find(|r| r.user.id == member.user.id)
        .ok_or(DashError::NotFound)?;
    let page = MePage {
        chrome: Chrome::new(&member, &headers, "me"),
        email: member.user.email.clone(),
        alerts: me.alerts,
        digest: me.digest,
        mail_on: s.store.mail_settings(ws).await?.is_some(),
    };
    render(&page, &page.chrome)
}

#[derive(Deserialize)]
pub struct Choice {
    #[serde(default)]
    alerts: Option<String>,
    #[serde(default)]
    digest: Option<String>,
}

/// `POST /app/me`
pub async fn save_me(
    State(s): State<AppState>,
    member: Member,
    Form(f): Form<Choice>,
) -> DashResult<Response> {
    let (alerts, digest) = (f.alerts.is_some(), f.digest.is_some());
    s.store
        .set_mail_choice(member.ws(), member.user.id, alerts, digest)
        .await?;
    let said = match (alerts, digest) {
        (true, true) => "You get an email when an account breaks, and a daily summary.",
        (true, false) => "You get an email when an account breaks; no daily summary.",
        (false, true) => "You get a daily summary; no email when an account breaks.",
        (false, false) => "You get no email from Tether.",
    };
    Ok(Flash::ok(said).redirect("/app/me"))
}
