//! What a login holds, as its page and each account's tab show it: until when it works, the
//! access token Tether renews, and the permissions given, switched off and expired.

use super::asset::Named;
use super::words;
use jiff::Timestamp;
use tether_core::{LoginReport, Status};
use tether_store::Login;

/// What a login holds, as the login's page and each account's tab show it.
pub struct Access {
    /// When the person must sign in again: where the network issues a refresh token, Tether
    /// renews the short access token itself until the refresh token ends.
    pub token_expires: String,
    /// The access token Tether renews, where it renews one.
    pub renewed_token: Option<String>,
    /// Only where the network dates it (Facebook Login's 90-day data access): a network without
    /// the notion shows no line rather than "Never".
    pub data_access_expires: Option<String>,
    /// The login no longer works: what follows is what it held when it last did.
    pub dead: bool,
    pub granted: Vec<Named>,
    pub declined: Vec<Named>,
    pub expired: Vec<Named>,
}

pub fn access(login: &Login, report: Option<&LoginReport>, now: Timestamp) -> Access {
    let dead = login.status == Status::Disconnected;
    let known = login.last_verified_at.is_some();
    let expiry = |t: Option<Timestamp>| match (t, known, dead) {
        (_, _, true) => "Not in use: this login no longer works".to_owned(),
        (Some(t), _, _) if t > now => {
            format!("{} ({})", words::date_time(t), words::until(t, now))
        }
        (Some(t), _, _) => format!("{} (passed)", words::date_time(t)),
        (None, true, _) => "Never".to_owned(),
        (None, false, _) => "Unknown until the first check".to_owned(),
    };
    let perms = report.map(|r| r.permissions.clone()).unwrap_or_default();
    let named = |p: &String| Named {
        label: words::permission(p),
        code: p.clone(),
    };
    Access {
        // Renewed until the refresh token ends, a login lasts until the later of the two ends
        // (an access token issued near the refresh token's end can outlive it).
        token_expires: expiry(login.refresh_expires_at.max(login.expires_at)),
        renewed_token: login
            .refresh_expires_at
            .filter(|end| !dead && *end > now)
            .map(|_| match login.expires_at {
                Some(t) => format!(
                    "Renewed by Tether until then; this one ends {}",
                    expiry(Some(t))
                ),
                None => "Renewed by Tether until then".to_owned(),
            }),
        data_access_expires: login.data_access_expires_at.map(|t| expiry(Some(t))),
        dead,
        granted: perms.granted.iter().map(named).collect(),
        declined: perms.declined.iter().map(named).collect(),
        expired: perms.expired.iter().map(named).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_core::vocab::Network;
    use tether_store::{LoginId, WorkspaceId};

    const DAY: i64 = 86_400;

    fn login(now: Timestamp, access_days: i64, refresh_days: Option<i64>) -> Login {
        let at = |days: i64| Timestamp::from_second(now.as_second() + days * DAY).unwrap();
        Login {
            id: LoginId(uuid::Uuid::nil()),
            workspace_id: WorkspaceId(uuid::Uuid::nil()),
            network: Network::Linkedin,
            platform_user_id: "aLi5Ada0001".into(),
            person_name: "Ada Park".into(),
            token_key_id: 1,
            expires_at: Some(at(access_days)),
            data_access_expires_at: None,
            refresh_expires_at: refresh_days.map(at),
            status: Status::Connected,
            last_verified_at: Some(now),
            next_check_at: now,
            lease_owner: None,
            lease_until: None,
            consecutive_failures: 0,
            created_at: now,
            last_error: None,
            last_failed_at: None,
            last_changed_at: None,
            known_token: None,
            disconnected_at: None,
            connected_at: now,
        }
    }

    #[test]
    fn a_login_lasts_until_the_later_of_its_tokens_and_is_renewed_only_while_it_can_be() {
        let now = Timestamp::from_second(1_796_029_200).unwrap();
        // Renewable: the year's end, and the access token Tether renews.
        let a = access(&login(now, 60, Some(365)), None, now);
        assert!(
            a.token_expires.contains("(in 365 days)"),
            "{}",
            a.token_expires
        );
        let renewed = a.renewed_token.unwrap();
        assert!(renewed.contains("(in 60 days)"), "{renewed}");
        // The refresh token has ended, the last access token has not: it lasts to its own end,
        // and nothing is renewed any more.
        let a = access(&login(now, 20, Some(-5)), None, now);
        assert!(
            a.token_expires.contains("(in 20 days)"),
            "{}",
            a.token_expires
        );
        assert_eq!(a.renewed_token, None);
        // No refresh token: the access token's end, nothing renewed.
        let a = access(&login(now, 60, None), None, now);
        assert!(
            a.token_expires.contains("(in 60 days)"),
            "{}",
            a.token_expires
        );
        assert_eq!(a.renewed_token, None);
    }
}
