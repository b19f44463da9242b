//! `sqlx::migrate!` embeds the migration files at compile time; without this a new `.sql` file
//! would not trigger a rebuild (STACK.md G10).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
