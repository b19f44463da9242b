//! Every `catalog/<network>/` directory is a built-in catalog: its `catalog.toml` (what each
//! feature needs) and `remedies.toml` (the words people read) are compiled in. Adding a network's
//! data is adding a directory; no code names it.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut networks: Vec<String> = std::fs::read_dir(&root)
        .expect("catalog/ exists at the repository root")
        .map(|e| e.expect("readable catalog entry").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    networks.sort();
    let mut out = String::from("pub(crate) const BUILTIN: &[Builtin] = &[\n");
    for net in &networks {
        for file in ["catalog.toml", "remedies.toml"] {
            let path = root.join(net).join(file);
            assert!(path.exists(), "catalog/{net}/{file} is missing");
            println!("cargo::rerun-if-changed={}", path.display());
        }
        let dir = root.join(net).canonicalize().unwrap();
        let dir = dir.display();
        writeln!(
            out,
            "    Builtin {{ network: {net:?}, catalog: include_str!({c:?}), remedies: include_str!({r:?}) }},",
            c = format!("{dir}/catalog.toml"),
            r = format!("{dir}/remedies.toml"),
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_catalogs.rs");
    std::fs::write(dest, out).unwrap();
}
