//! The pages the service shows a person outside the dashboard (OAuth results, reconnect links,
//! data-deletion status): askama templates with the dashboard's stylesheet, no script, nothing
//! fetched from elsewhere.

use crate::dashboard::Chrome;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// One account a page reports on.
pub struct Account {
    pub name: String,
    pub kind: String,
    pub status: &'static str,
    pub status_word: &'static str,
    /// Who must do what, when something is missing.
    pub todo: Option<String>,
}

#[derive(Template)]
#[template(path = "public.html")]
pub struct Page {
    chrome: Chrome,
    title: String,
    paragraphs: Vec<String>,
    accounts: Vec<Account>,
    hint: Option<String>,
    back: Option<String>,
}

impl Page {
    pub fn new(title: impl Into<String>) -> Page {
        Page {
            chrome: Chrome::bare(),
            title: title.into(),
            paragraphs: Vec::new(),
            accounts: Vec::new(),
            hint: None,
            back: None,
        }
    }

    pub fn say(mut self, text: impl Into<String>) -> Page {
        self.paragraphs.push(text.into());
        self
    }

    pub fn accounts(mut self, accounts: Vec<Account>) -> Page {
        self.accounts = accounts;
        self
    }

    pub fn hint(mut self, text: impl Into<String>) -> Page {
        self.hint = Some(text.into());
        self
    }

    /// A link back to where the flow started (a path of this server or the product's URL).
    pub fn back(mut self, to: Option<&str>) -> Page {
        self.back = to.map(str::to_owned);
        self
    }

    pub fn respond(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "rendering a page failed");
                (status, self.title).into_response()
            }
        }
    }
}
