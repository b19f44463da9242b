//! Real breaks: what the soak changes in the simulator and which assets each must turn.

use super::*;

/// One synthetic person as the world was built: what a break is applied to and which assets it
/// must turn.
pub(crate) struct Person {
    pub(crate) user: String,
    pub(crate) token: String,
    /// Each Page with the person's tasks on it and its linked Instagram account.
    pub(crate) pages: Vec<(String, Vec<String>, Option<String>)>,
}

pub(crate) fn people(world: &World) -> Vec<Person> {
    let mut by_user: BTreeMap<&str, Person> = BTreeMap::new();
    for t in world.tokens.values() {
        by_user.insert(
            &t.user,
            Person {
                user: t.user.clone(),
                token: t.token.clone(),
                pages: Vec::new(),
            },
        );
    }
    for page in &world.pages {
        for (user, tasks) in &page.tasks {
            if let Some(p) = by_user.get_mut(user.as_str()) {
                p.pages
                    .push((page.id.clone(), tasks.clone(), page.instagram.clone()));
            }
        }
    }
    by_user.into_values().collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BreakKind {
    TaskCreateContentRemoved,
    TaskAnalyzeRemoved,
    PagesManagePostsDeclined,
    InstagramBasicDeclined,
    TokenInvalidated,
    AppRemoved,
}

pub(crate) const BREAK_KINDS: &[BreakKind] = &[
    BreakKind::TaskCreateContentRemoved,
    BreakKind::TaskAnalyzeRemoved,
    BreakKind::PagesManagePostsDeclined,
    BreakKind::InstagramBasicDeclined,
    BreakKind::TokenInvalidated,
    BreakKind::AppRemoved,
];

pub(crate) struct Break {
    pub(crate) day: u32,
    pub(crate) kind: BreakKind,
    /// The feature it stops, which pre-flight must refuse on its assets.
    pub(crate) feature: Feature,
    /// Platform ids of the assets that must turn non-green.
    pub(crate) must: Vec<String>,
}

/// Applies a break in the simulator and says which assets it must turn non-green (by the
/// catalog's rules for the soak's features).
pub(crate) async fn inject(
    admin: &AdminClient,
    p: &Person,
    kind: BreakKind,
    rng: &mut StdRng,
) -> anyhow::Result<(Feature, Vec<String>)> {
    let all: Vec<String> = p
        .pages
        .iter()
        .flat_map(|(page, _, ig)| std::iter::once(page.clone()).chain(ig.clone()))
        .collect();
    let feature = match kind {
        BreakKind::TaskAnalyzeRemoved => Feature::Analytics,
        _ => Feature::Publish,
    };
    let must = match kind {
        BreakKind::TaskCreateContentRemoved | BreakKind::TaskAnalyzeRemoved => {
            let task = if kind == BreakKind::TaskAnalyzeRemoved {
                "ANALYZE"
            } else {
                "CREATE_CONTENT"
            };
            let (page, tasks, ig) = p.pages.choose(rng).context("a person with no Page")?;
            let kept: Vec<&str> = tasks
                .iter()
                .map(String::as_str)
                .filter(|t| *t != task)
                .collect();
            admin.set_tasks(page, &p.user, &kept).await?;
            // Instagram publishing also takes MANAGE, which stays; its analytics need ANALYZE.
            match (kind, ig) {
                (BreakKind::TaskAnalyzeRemoved, Some(ig)) => vec![page.clone(), ig.clone()],
                _ => vec![page.clone()],
            }
        }
        BreakKind::PagesManagePostsDeclined => {
            admin
                .set_permission(&p.user, "pages_manage_posts", PermissionStatus::Declined)
                .await?;
            p.pages.iter().map(|(page, _, _)| page.clone()).collect()
        }
        BreakKind::InstagramBasicDeclined => {
            admin
                .set_permission(&p.user, "instagram_basic", PermissionStatus::Declined)
                .await?;
            p.pages.iter().filter_map(|(_, _, ig)| ig.clone()).collect()
        }
        BreakKind::TokenInvalidated => {
            admin.invalidate_token(&p.token).await?;
            all
        }
        BreakKind::AppRemoved => {
            admin.remove_app(&p.user).await?;
            all
        }
    };
    Ok((feature, must))
}
