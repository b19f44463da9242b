//! Rendering the User, Page and Instagram nodes and the `permissions` / `accounts` edges with
//! field expansion, as the viewer may see them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use super::errors::GraphError;
use super::token::Viewer;
use crate::fields::{self, Field};
use crate::world::{Instagram, Page, Token, TokenKind, TokenState, User, World};

/// Everything rendering needs besides the world: paging links and minted Page tokens.
pub struct Render<'w> {
    pub world: &'w World,
    pub now: Timestamp,
    pub viewer: Viewer<'w>,
    /// `http://host[/vX.Y]`: the prefix of `paging.next` links.
    pub link_base: String,
    pub access_token: &'w str,
    pub proof: Option<&'w str>,
    /// Page tokens handed out while rendering, stored in the world afterwards.
    pub minted: Vec<Token>,
}

const DEFAULT_LIMIT: usize = 25;

fn field(name: &str) -> Field {
    Field {
        name: name.into(),
        modifiers: Vec::new(),
        children: None,
    }
}

fn defaults(names: &[&str]) -> Vec<Field> {
    names.iter().map(|n| field(n)).collect()
}

fn parse_limit(text: &str) -> Result<usize, GraphError> {
    text.parse::<usize>().map_err(|_| {
        GraphError::invalid_param(format!(
            "The parameter limit must be an integer, got '{text}'"
        ))
    })
}

/// Nodes always carry their `id`, asked for or not, as in the real API.
fn with_id(mut out: Map<String, Value>, id: &str) -> Result<Value, GraphError> {
    out.entry("id").or_insert_with(|| json!(id));
    Ok(Value::Object(out))
}

fn cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

impl<'w> Render<'w> {
    pub fn user(&mut self, user: &'w User, fields: Option<&[Field]>) -> Result<Value, GraphError> {
        let owned;
        let fields = match fields {
            Some(f) => f,
            None => {
                owned = defaults(&["id", "name"]);
                &owned
            }
        };
        let mut out = Map::new();
        for f in fields {
            let v = match f.name.as_str() {
                "id" => json!(user.id),
                "name" => json!(user.name),
                "permissions" => {
                    self.permissions(user, f.children.as_deref(), f.modifier("limit"))?
                }
                "accounts" => self.accounts(
                    user,
                    f.children.as_deref(),
                    f.modifier("limit"),
                    f.modifier("after"),
                )?,
                other => return Err(GraphError::nonexisting_field(other, "User")),
            };
            out.insert(f.name.clone(), v);
        }
        with_id(out, &user.id)
    }

    pub fn permissions(
        &mut self,
        user: &User,
        fields: Option<&[Field]>,
        limit: Option<&str>,
    ) -> Result<Value, GraphError> {
        let limit = limit.map(parse_limit).transpose()?.unwrap_or(usize::MAX);
        let owned;
        let fields = match fields {
            Some(f) => f,
            None => {
                owned = defaults(&["permission", "status"]);
                &owned
            }
        };
        let mut data = Vec::new();
        let grant = self.world.grant(&user.id);
        for p in grant
            .map(|g| g.permissions.as_slice())
            .unwrap_or_default()
            .iter()
            .take(limit)
        {
            let mut item = Map::new();
            for f in fields {
                let v = match f.name.as_str() {
                    "permission" => json!(p.name),
                    "status" => json!(p.status.as_str()),
                    other => return Err(GraphError::nonexisting_field(other, "Permission")),
                };
                item.insert(f.name.clone(), v);
            }
            data.push(Value::Object(item));
        }
        Ok(json!({ "data": data }))
    }

    /// The Pages `/me/accounts` lists: a task on the Page, and `pages_show_list` granted for it.
    fn listed_pages(&self, user: &str) -> Vec<&'w Page> {
        let Some(grant) = self.world.grant(user) else {
            return Vec::new();
        };
        self.world
            .pages_of(user)
            .filter(|p| grant.reaches("pages_show_list", &p.id))
            .collect()
    }

    pub fn accounts(
        &mut self,
        user: &'w User,
        fields: Option<&[Field]>,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<Value, GraphError> {
        let limit = limit
            .map(parse_limit)
            .transpose()?
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, self.world.max_page_size);
        let listed = self.listed_pages(&user.id);
        let start = match after {
            None => 0,
            Some(c) => {
                let id = URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                let pos = id.and_then(|id| listed.iter().position(|p| p.id == id));
                match pos {
                    Some(i) => i + 1,
                    // Simulator wording: the cursor names a Page that is no longer listed.
                    None => {
                        return Err(GraphError::invalid_param(format!(
                            "The after cursor '{c}' is not valid"
                        )));
                    }
                }
            }
        };
        let owned;
        let fields = match fields {
            Some(f) => f,
            None => {
                owned = defaults(&["access_token", "category", "name", "id", "tasks"]);
                &owned
            }
        };
        let end = (start + limit).min(listed.len());
        let slice = &listed[start.min(end)..end];
        let mut data = Vec::with_capacity(slice.len());
        for page in slice {
            data.push(self.page(page, Some(fields))?);
        }
        let mut out = json!({ "data": data });
        if let (Some(first), Some(last)) = (slice.first(), slice.last()) {
            let mut paging =
                json!({"cursors": {"before": cursor(&first.id), "after": cursor(&last.id)}});
            if end < listed.len() {
                paging["next"] = json!(self.next_link(&user.id, fields, limit, &cursor(&last.id)));
            }
            out["paging"] = paging;
        }
        Ok(out)
    }

    fn next_link(&self, user_id: &str, fields: &[Field], limit: usize, after: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("access_token", self.access_token);
        if let Some(p) = self.proof {
            q.append_pair("appsecret_proof", p);
        }
        q.append_pair("fields", &fields::render(fields));
        q.append_pair("limit", &limit.to_string());
        q.append_pair("after", after);
        format!("{}/{user_id}/accounts?{}", self.link_base, q.finish())
    }

    fn viewer_tasks(&self, page: &Page) -> Vec<String> {
        self.viewer
            .user_id()
            .and_then(|u| page.tasks.get(u))
            .cloned()
            .unwrap_or_default()
    }

    pub fn page(&mut self, page: &'w Page, fields: Option<&[Field]>) -> Result<Value, GraphError> {
        let owned;
        let fields = match fields {
            Some(f) => f,
            None => {
                owned = defaults(&["id", "name"]);
                &owned
            }
        };
        let linked = page
            .instagram
            .as_deref()
            .and_then(|id| self.world.instagram.get(id));
        let mut out = Map::new();
        for f in fields {
            let v = match f.name.as_str() {
                "id" => json!(page.id),
                "name" => json!(page.name),
                "category" => json!(page.category),
                "tasks" => json!(self.viewer_tasks(page)),
                "access_token" => match self.page_token(page) {
                    Some(t) => json!(t),
                    None => continue,
                },
                // Absent (not null) when there is no professional account: fixture
                // me_accounts_pages_with_and_without_instagram_business_account.json.
                "instagram_business_account" => match linked {
                    Some(ig) if ig.professional => self.instagram(ig, f.children.as_deref())?,
                    _ => continue,
                },
                "connected_instagram_account" => match linked {
                    Some(ig) => self.instagram(ig, f.children.as_deref())?,
                    None => continue,
                },
                other => return Err(GraphError::nonexisting_field(other, "Page")),
            };
            out.insert(f.name.clone(), v);
        }
        with_id(out, &page.id)
    }

    pub fn instagram(&self, ig: &Instagram, fields: Option<&[Field]>) -> Result<Value, GraphError> {
        let owned;
        let fields = match fields {
            Some(f) => f,
            None => {
                owned = defaults(&["id"]);
                &owned
            }
        };
        let mut out = Map::new();
        for f in fields {
            let v = match f.name.as_str() {
                "id" => json!(ig.id),
                "username" | "name" => json!(ig.username),
                "shopping_product_tag_eligibility" => json!(ig.product_tag_eligible),
                other => return Err(GraphError::nonexisting_field(other, "IGUser")),
            };
            out.insert(f.name.clone(), v);
        }
        with_id(out, &ig.id)
    }

    /// The Page token a user token gets for `page`: reused while it works, minted otherwise.
    /// Derived from a long-lived login it never expires (docs/PLATFORMS.md 1.1).
    fn page_token(&mut self, page: &Page) -> Option<String> {
        let user_token = match self.viewer {
            Viewer::User { token } => token,
            Viewer::Page { token, page: p } if p == page.id => return Some(token.token.clone()),
            _ => return None,
        };
        let long_lived = match user_token.expires_at {
            None => true,
            Some(exp) => exp.duration_since(user_token.issued_at) > SignedDuration::from_hours(2),
        };
        for n in 0.. {
            let candidate = format!("EAATpage{}u{}n{n}", page.id, user_token.user);
            let existing = self
                .world
                .tokens
                .get(&candidate)
                .or_else(|| self.minted.iter().find(|t| t.token == candidate));
            match existing {
                Some(t) if t.state == TokenState::Valid => return Some(candidate),
                Some(_) => continue,
                None => {
                    self.minted.push(Token {
                        token: candidate.clone(),
                        user: user_token.user.clone(),
                        app_id: user_token.app_id.clone(),
                        kind: TokenKind::Page {
                            page: page.id.clone(),
                        },
                        issued_at: self.now,
                        expires_at: if long_lived {
                            None
                        } else {
                            user_token.expires_at
                        },
                        state: TokenState::Valid,
                        auth_type: None,
                    });
                    return Some(candidate);
                }
            }
        }
        None
    }

    /// Whether the viewer may read this Page node.
    pub fn can_see_page(&self, page: &Page) -> bool {
        match self.viewer {
            Viewer::App => true,
            Viewer::Page { page: p, .. } => p == page.id,
            Viewer::User { token } => self
                .listed_pages(&token.user)
                .iter()
                .any(|p| p.id == page.id),
        }
    }

    /// Whether the viewer may read this Instagram account: through a Page it can see, with
    /// `instagram_basic` granted for the account.
    pub fn can_see_instagram(&self, ig: &Instagram) -> bool {
        let Some(page) = self.world.page_linked_to(&ig.id) else {
            return false;
        };
        let Some(user) = self.viewer.user_id() else {
            return false;
        };
        self.can_see_page(page)
            && self
                .world
                .grant(user)
                .is_some_and(|g| g.reaches("instagram_basic", &ig.id))
    }
}
