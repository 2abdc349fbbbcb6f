// `sqlx::migrate!` embeds migrations/ at compile time, and cargo does not watch that folder by
// itself: without this, a new migration is not in the binary until some Rust file changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
