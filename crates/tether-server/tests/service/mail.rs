//! Email to people against a real SMTP server (aiosmtpd, started here on 127.0.0.1): an alert
//! when an account turns red or orange, once per change and never for a failed check; a daily
//! summary per person; each person's own choice; a test message from Settings.

use crate::harness::{Engine, TestApp};
use crate::journey::{ALICE, HARBOR};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tether_server::dashboard::hash_password;
use tether_store::{MailSecurity, MailStore, NewMailSettings, Role, Store, WorkspaceId};

/// The SMTP server, and the messages it received.
struct Receiver {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Receiver {
    fn start() -> Receiver {
        let dir =
            std::env::temp_dir().join(format!("tether-smtp-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/service/smtp_receiver.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 starts the SMTP receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if line.trim() != "ready" {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
            panic!(
                "the SMTP receiver did not start (it needs aiosmtpd: `pip install aiosmtpd`, which scripts/test does): {err}"
            );
        }
        Receiver { child, dir, port }
    }

    /// Every message received so far, oldest first.
    fn messages(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let raw = std::fs::read_to_string(p).unwrap();
                // Unfold and decode enough to read: the bodies are plain text.
                decode(&raw)
            })
            .collect()
    }

    /// Waits (briefly) for the receiver to have written `n` messages.
    fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A message as a person reads it: headers as they are, a quoted-printable body decoded.
fn decode(raw: &str) -> String {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let body = if head.contains("quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let bytes = joined.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    } else {
        body.to_owned()
    };
    format!("{head}\r\n\r\n{body}")
}

async fn with_mail(t: &TestApp, port: u16) -> WorkspaceId {
    let s = &t.app.state;
    let ws = s.store.list_workspaces().await.unwrap()[0].id;
    for (email, role) in [
        ("owner@example.com", Role::Owner),
        ("member@example.com", Role::Member),
    ] {
        let phc = hash_password(&secrecy::SecretString::from(
            "a long enough password".to_owned(),
        ))
        .unwrap();
        s.store
            .create_user(ws, email, role, &phc, s.clock.now())
            .await
            .unwrap();
    }
    s.store
        .put_mail_settings(
            ws,
            &NewMailSettings {
                host: "127.0.0.1".into(),
                port,
                security: MailSecurity::None,
                username: String::new(),
                password: None,
                from_address: "tether@agency.example".into(),
            },
            s.clock.now(),
        )
        .await
        .unwrap();
    ws
}

#[tokio::test]
async fn an_account_that_breaks_is_mailed_once_per_change_and_a_failed_check_never() {
    let rx = Receiver::start();
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = with_mail(&t, rx.port).await;
    // Alerts only: the owner wants them, the member wants no email at all.
    let s = &t.app.state;
    for u in s.store.list_users(ws).await.unwrap() {
        let alerts = u.email == "owner@example.com";
        s.store
            .set_mail_choice(ws, u.id, alerts, false)
            .await
            .unwrap();
    }
    t.connect(ALICE, &[], &[], json!({})).await;
    // The first round only marks where each person starts: no email about the past.
    t.step().await;
    assert!(rx.messages().is_empty(), "{:?}", rx.messages());

    // A check that fails (an outage) changes nothing and sends nothing.
    t.admin
        .add_fault(&serde_json::from_value(json!({"http_status": {"status": 500}})).unwrap())
        .await
        .unwrap();
    t.advance(25 * 3600).await;
    let step = t.step().await;
    assert_eq!(step.failed, 1, "{step:?}");
    assert_eq!(step.alerts, 0, "{step:?}");
    t.admin.clear_faults().await.unwrap();

    // Alice changes her password: one email for the change, to the owner only.
    t.admin.change_password(ALICE).await.unwrap();
    t.advance(25 * 3600).await;
    let step = t.step().await;
    assert_eq!(step.alerts, 1, "{step:?}");
    let got = rx.wait_for(1);
    assert_eq!(got.len(), 1, "{got:?}");
    let m = &got[0];
    assert!(m.starts_with("X-Envelope-To: owner@example.com"), "{m}");
    assert!(m.contains("Alice Moreau"), "{m}");
    assert!(m.contains("Harbor Bakery"), "names the accounts: {m}");
    assert!(
        m.contains("must log in again"),
        "the dashboard's words: {m}"
    );
    for never in ["token_invalidated", "190", "460", "asset_admin"] {
        assert!(!m.contains(never), "no codes in email ({never}): {m}");
    }
    // Later checks of the same broken login change nothing and send nothing.
    t.advance(25 * 3600).await;
    t.step().await;
    t.step().await;
    assert_eq!(rx.messages().len(), 1, "one email per change");
    let _ = HARBOR;
}

#[tokio::test]
async fn each_person_gets_a_daily_summary_and_a_test_email_reaches_the_owner() {
    let rx = Receiver::start();
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = with_mail(&t, rx.port).await;
    t.connect(ALICE, &["read_insights"], &[], json!({})).await;
    t.connect("100000000000005", &[], &[], json!({})).await;
    let step = t.step().await;
    assert_eq!(step.person_digests, 2, "both people: {step:?}");
    let got = rx.wait_for(2);
    let owner = got
        .iter()
        .find(|m| m.starts_with("X-Envelope-To: owner@example.com"))
        .unwrap();
    assert!(owner.contains("Subject: Tether daily summary"), "{owner}");
    assert!(
        owner.contains("must reconnect to allow what is missing"),
        "{owner}"
    );
    // Once a day: the next round sends none.
    t.step().await;
    assert_eq!(rx.messages().len(), 2);
    t.advance(25 * 3600).await;
    t.step().await;
    assert_eq!(rx.wait_for(4).len(), 4, "a day later, the next summaries");

    // The test message: sent through the mailer the worker uses.
    let mailer = tether_server::mail::Mailer::of(&t.app.state, ws)
        .await
        .unwrap()
        .unwrap();
    mailer
        .send(&tether_server::mail::Email {
            to: "owner@example.com".into(),
            subject: "Tether test email".into(),
            body: "test".into(),
        })
        .await
        .unwrap();
    assert!(
        rx.wait_for(5)
            .last()
            .unwrap()
            .contains("Subject: Tether test email")
    );
    // A server that does not answer is a clear error, never a panic.
    let bad = tether_store::MailSettings {
        host: "127.0.0.1".into(),
        port: 1,
        security: MailSecurity::None,
        username: String::new(),
        from_address: "tether@agency.example".into(),
        has_password: false,
        updated_at: jiff::Timestamp::now(),
    };
    let err = tether_server::mail::Mailer::new(&bad, None)
        .unwrap()
        .send(&tether_server::mail::Email {
            to: "owner@example.com".into(),
            subject: "x".into(),
            body: "x".into(),
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}
