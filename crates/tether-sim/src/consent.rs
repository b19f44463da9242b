//! Playing the person in the simulator's Login dialog, for tests and demos that drive a real
//! OAuth flow without a browser. It reads the dialog's own form (its field names are documented
//! in the README), so every caller answers it the same way a browser would.

use reqwest::StatusCode;
use url::Url;

/// What the person chooses on the consent page.
#[derive(Debug, Clone, Copy)]
pub struct Consent<'a> {
    /// Who signs in (a world user id).
    pub user: &'a str,
    /// Permissions left unticked.
    pub untick: &'a [&'a str],
    /// Pages and Instagram accounts left unselected.
    pub unselect: &'a [&'a str],
    /// Continue (`true`) or Cancel.
    pub allow: bool,
}

impl<'a> Consent<'a> {
    /// Signs in as `user` and allows everything offered.
    pub fn allow_all(user: &'a str) -> Consent<'a> {
        Consent {
            user,
            untick: &[],
            unselect: &[],
            allow: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("the dialog could not be reached: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the dialog URL is not absolute: {0}")]
    Url(#[from] url::ParseError),
    #[error("the dialog answered {status} to {step}")]
    Status {
        step: &'static str,
        status: StatusCode,
    },
    #[error("the dialog page holds no consent form")]
    NoForm,
}

/// Opens `dialog_url` as the chosen person, answers the form and returns where the dialog sends
/// the browser (the app's redirect URI with `code` or `error`). Not followed.
pub async fn answer_dialog(
    http: &reqwest::Client,
    dialog_url: &str,
    consent: Consent<'_>,
) -> Result<String, ConsentError> {
    let mut url = Url::parse(dialog_url)?;
    url.query_pairs_mut().append_pair("as_user", consent.user);
    let page = http.get(url.clone()).send().await?;
    if page.status() != StatusCode::OK {
        return Err(ConsentError::Status {
            step: "opening the consent page",
            status: page.status(),
        });
    }
    let html = page.text().await?;
    let form = html
        .split("<form method=\"post\"")
        .skip(1)
        .last()
        .ok_or(ConsentError::NoForm)?;
    let action = attr(form, "action").ok_or(ConsentError::NoForm)?;
    let mut fields: Vec<(String, String)> = Vec::new();
    for tag in form.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let (Some(name), Some(value)) = (attr(tag, "name"), attr(tag, "value")) else {
            continue;
        };
        if attr(tag, "type").as_deref() == Some("checkbox") {
            let left_out = (name == "perm" && consent.untick.contains(&value.as_str()))
                || ((name == "page" || name == "instagram")
                    && consent.unselect.contains(&value.as_str()));
            if left_out || tag.contains("disabled") {
                continue;
            }
        }
        fields.push((name, value));
    }
    let choice = if consent.allow { "allow" } else { "cancel" };
    fields.push(("action".into(), choice.into()));
    let r = http.post(url.join(&action)?).form(&fields).send().await?;
    if r.status() != StatusCode::FOUND {
        return Err(ConsentError::Status {
            step: "the consent form",
            status: r.status(),
        });
    }
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or(ConsentError::Status {
            step: "the consent form (no Location)",
            status: r.status(),
        })?;
    Ok(location.to_owned())
}

/// An attribute's (unescaped) value in an HTML tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
