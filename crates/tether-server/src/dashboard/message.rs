//! Messages for the person who makes a fix that is not ours to make: one per Page admin, naming
//! the access to give, the person and the Page, and the path to Page access. Written for that
//! admin: no codes, no buttons of ours (the words are data: `[message.*]` in remedies.toml).

use super::words;
use crate::state::AppState;
use tether_core::remedies::RemedyContext;
use tether_core::{Action, AssetFacts, Finding};
use tether_store::{Asset, Store, StoreError};

pub struct Notice {
    pub subject: String,
    pub body: String,
    pub mailto: String,
}

/// The Page whose admin gives access for an account, as (platform id, name): the account itself,
/// or for an Instagram account the Page it is linked to (Page tasks are granted on the Page),
/// named as the same login reaches it.
pub async fn access_page(
    s: &AppState,
    asset: &Asset,
    facts: Option<&AssetFacts>,
) -> Result<(String, String), StoreError> {
    let linked = facts
        .and_then(|f| f.instagram.as_ref())
        .and_then(|ig| ig.linked_page_id.as_deref());
    let Some(page) = linked else {
        return Ok((asset.platform_id.clone(), asset.name.clone()));
    };
    let name = s
        .store
        .list_account_reach(
            asset.workspace_id,
            tether_core::AssetKind::FacebookPage,
            page,
        )
        .await?
        .into_iter()
        .find(|p| p.asset.login_id == asset.login_id)
        .map(|p| p.asset.name)
        .unwrap_or_else(|| format!("the Facebook Page linked to {}", asset.name));
    Ok((page.to_owned(), name))
}

/// The message for a Page admin of `page_name` about what `person` lacks there, from the
/// findings of one Page (and of the Instagram account reached through it), in the words of the
/// login's network (a LinkedIn Page's Super admin is not told about Facebook); `None` if nothing
/// in them is a Page admin's to fix.
pub fn for_page_admin(
    person: &str,
    page_name: &str,
    findings: &[&Finding],
    network: tether_core::Network,
) -> Option<Notice> {
    let remedies = words::remedies_for(network)?;
    let (action, mine): (Action, Vec<&Finding>) = [Action::GiveTask, Action::RestoreAccess]
        .into_iter()
        .map(|a| {
            (
                a,
                findings
                    .iter()
                    .copied()
                    .filter(|f| f.code.action() == a)
                    .collect::<Vec<_>>(),
            )
        })
        .find(|(_, fs)| !fs.is_empty())?;
    // A choice ("Super admin or Sponsored content poster") one of whose options is asked for on
    // its own anyway is already covered: one request, not two.
    let alone: Vec<&str> = mine
        .iter()
        .filter(|f| f.tasks_any.is_empty())
        .filter_map(|f| f.task.as_deref().or(f.role.as_deref()))
        .collect();
    let mut labels: Vec<String> = Vec::new();
    for f in &mine {
        if f.tasks_any.iter().any(|t| alone.contains(&t.as_str())) {
            continue;
        }
        let l = words::task_label(f);
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    // The template quotes {task_label}: several accesses read "Content" and "Insights".
    let task_label = labels.join("\" and \"");
    let cx = RemedyContext {
        task_label: Some(task_label),
        page_name: Some(page_name),
        asset_name: Some(page_name),
        person: Some(person),
        ..RemedyContext::default()
    };
    let (subject, body) = remedies.message(action, &cx)?;
    // mailto takes percent-encoding, not the form encoding's `+` for spaces.
    let enc = |s: &str| words::query_escape(s).replace('+', "%20");
    Some(Notice {
        mailto: format!("mailto:?subject={}&body={}", enc(&subject), enc(&body)),
        subject,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_core::{Feature, FindingCode, Owner, Remedy};

    fn task(t: &str) -> Finding {
        Finding {
            code: FindingCode::TaskMissing,
            owner: Owner::AssetAdmin,
            features: vec![Feature::Publish],
            remedy: Remedy {
                summary: "Your access … press Refresh".into(),
                steps: vec!["Then press Refresh next to this connection".into()],
                link: None,
            },
            permission: None,
            task: Some(t.into()),
            tasks_any: vec![],
            role: None,
            until: None,
            platform_error: None,
        }
    }

    #[test]
    fn the_admin_reads_what_to_give_to_whom_where_and_nothing_of_ours() {
        let (content, insights) = (task("CREATE_CONTENT"), task("ANALYZE"));
        let n = for_page_admin(
            "Carla Reyes",
            "Riverside Gym",
            &[&content, &insights, &content],
            tether_core::Network::Meta,
        )
        .unwrap();
        assert_eq!(
            n.subject,
            "Please give Carla Reyes \"Content\" and \"Insights\" access to Riverside Gym"
        );
        for want in [
            "Carla Reyes",
            "Riverside Gym",
            "\"Content\" and \"Insights\"",
            "Page access",
        ] {
            assert!(n.body.contains(want), "{want}: {}", n.body);
        }
        for never in [
            "Refresh",
            "CREATE_CONTENT",
            "task_missing",
            "Reconnect",
            "Tether",
        ] {
            assert!(!n.body.contains(never), "{never}: {}", n.body);
        }
        assert!(n.mailto.starts_with("mailto:?subject=Please%20give"));
    }

    #[test]
    fn a_linkedin_super_admin_is_asked_once_in_linkedins_words() {
        let role = |any: &[&str]| Finding {
            code: FindingCode::RoleMissing,
            role: Some(any.first().map_or("ADMINISTRATOR", |r| r).to_owned()),
            task: None,
            tasks_any: if any.len() > 1 {
                any.iter().map(|s| s.to_string()).collect()
            } else {
                Vec::new()
            },
            ..task("ADMINISTRATOR")
        };
        let analytics = role(&["ADMINISTRATOR"]);
        let publish = role(&["ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER"]);
        let n = for_page_admin(
            "Ada Park",
            "Northwind Studio",
            &[&analytics, &publish],
            tether_core::Network::Linkedin,
        )
        .unwrap();
        assert_eq!(
            n.subject,
            "Please give Ada Park the role \"Super admin\" on the LinkedIn Page Northwind Studio"
        );
        assert!(!n.body.contains("Facebook"), "{}", n.body);
        assert!(n.body.contains("Manage admins"), "{}", n.body);
    }
}
