//! Every real response sample under `fixtures/<network>/` names its source: a file that its
//! directory's SOURCES.md does not mention fails here, and so does a SOURCES.md that names a file
//! which is gone. The samples are read by each network's own fixture tables; this only keeps the
//! provenance honest.

use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_fixture_is_named_in_its_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut networks = 0;
    for dir in std::fs::read_dir(&root).expect("fixtures/ exists in the repository") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        networks += 1;
        let sources = std::fs::read_to_string(dir.join("SOURCES.md"))
            .unwrap_or_else(|e| panic!("{} has no SOURCES.md: {e}", dir.display()));
        let files: BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f != "SOURCES.md")
            .collect();
        for f in &files {
            assert!(
                sources.contains(&format!("`{f}`")),
                "{}/{f} is not named in its SOURCES.md",
                dir.display()
            );
        }
        // Every `name.ext` cell of the first column must still be a file.
        for line in sources.lines().filter(|l| l.starts_with("| `")) {
            let name = line[3..].split('`').next().unwrap();
            assert!(
                files.contains(name),
                "{}/SOURCES.md names {name}, which is not there",
                dir.display()
            );
        }
    }
    assert!(networks >= 1, "no network directories under fixtures/");
}
