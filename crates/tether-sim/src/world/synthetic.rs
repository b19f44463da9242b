//! Generated worlds for benchmarks: many healthy logins with several Pages each.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::{
    ALL_TASKS, App, ClockSpec, Grant, Instagram, Page, Parts, Permission, PermissionStatus, Token,
    TokenKind, TokenState, User, World,
};

const PERMISSIONS: &[&str] = &[
    "public_profile",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "publish_video",
    "pages_manage_metadata",
    "pages_messaging",
    "read_insights",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "business_management",
];

pub(super) fn build(users: usize, pages_per_user: usize) -> World {
    let start = Timestamp::now();
    let app = App {
        id: "1000000000000001".into(),
        name: "Tether Synthetic".into(),
        secret: "synthetic-app-secret".into(),
        require_appsecret_proof: true,
        redirect_uris: Vec::new(),
    };
    let mut parts = Parts::default();
    for i in 0..users {
        let user_id = format!("{}", 200_000_000_000_000u64 + i as u64);
        parts.users.insert(
            user_id.clone(),
            User {
                id: user_id.clone(),
                name: format!("Synthetic Person {i}"),
                data_access_expires_at: start + SignedDuration::from_hours(90 * 24),
                app_installed: true,
                checkpoint: false,
                unconfirmed: false,
            },
        );
        parts.grants.insert(
            (user_id.clone(), app.id.clone()),
            Grant {
                user: user_id.clone(),
                app_id: app.id.clone(),
                permissions: PERMISSIONS
                    .iter()
                    .map(|p| Permission {
                        name: p.to_string(),
                        status: PermissionStatus::Granted,
                        target_ids: None,
                    })
                    .collect(),
            },
        );
        let token = format!("tok-user-{i}");
        parts.tokens.insert(
            token.clone(),
            Token {
                token,
                user: user_id.clone(),
                app_id: app.id.clone(),
                kind: TokenKind::User,
                issued_at: start,
                expires_at: Some(start + SignedDuration::from_hours(60 * 24)),
                state: TokenState::Valid,
                auth_type: None,
            },
        );
        for j in 0..pages_per_user {
            let page_id = format!(
                "{}",
                300_000_000_000_000u64 + (i * pages_per_user + j) as u64
            );
            let instagram = if j % 2 == 0 {
                let ig_id = format!(
                    "{}",
                    17_841_400_000_000_000u64 + (i * pages_per_user + j) as u64
                );
                parts.instagram.insert(
                    ig_id.clone(),
                    Instagram {
                        id: ig_id.clone(),
                        username: format!("synthetic_{i}_{j}"),
                        professional: true,
                        product_tag_eligible: true,
                    },
                );
                Some(ig_id)
            } else {
                None
            };
            let mut tasks = BTreeMap::new();
            tasks.insert(
                user_id.clone(),
                ALL_TASKS.iter().map(|t| t.to_string()).collect(),
            );
            parts.pages.push(Page {
                id: page_id,
                name: format!("Synthetic Page {i}-{j}"),
                category: "Brand".into(),
                tasks,
                instagram,
            });
        }
    }
    let clock = ClockSpec {
        start,
        frozen: false,
    };
    World::assemble(app, clock, 100, parts)
}
