//! The documentation a clone carries: every link in the repository's Markdown points at a file
//! that is in the repository (a reader of a clone or a mirror meets no dead link), or at the web.
//! Files under `docs/` link to the rest of the repository from its root (`/src/lib.rs`), never
//! with `../`, so no link even looks like it leaves the clone.

use std::path::{Component, Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files a reader of the repository meets: the root's and those under `docs/`.
fn markdown_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in [root().to_path_buf(), root().join("docs")] {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files
}

/// Targets of inline links and images: `[text](target)`, `![alt](target "title")`.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code_block = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code_block = !in_code_block;
            continue;
        }
        if in_code_block {
            continue;
        }
        for (at, _) in line.match_indices("](") {
            let rest = &line[at + 2..];
            if let Some(end) = rest.find(')') {
                let target = rest[..end].split_whitespace().next().unwrap_or("");
                targets.push(target.trim_matches(|c| c == '<' || c == '>').to_owned());
            }
        }
    }
    targets
}

/// Inside the repository, `..` resolved; `None` when the path climbs out of it.
fn inside_repository(file: &Path, target: &str) -> Option<PathBuf> {
    let relative = file
        .parent()
        .unwrap()
        .strip_prefix(root())
        .unwrap()
        .join(target);
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.iter().collect())
}

#[test]
fn every_link_in_the_docs_stays_inside_the_repository() {
    let files = markdown_files();
    for required in ["README.md", "docs/API.md", "docs/ARCHITECTURE.md"] {
        assert!(root().join(required).exists(), "{required} is missing");
    }
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for target in link_targets(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
                || target.starts_with('#')
            {
                continue;
            }
            let path = target.split('#').next().unwrap();
            assert!(
                !path.starts_with("../"),
                "{name} links with `../` ({target}); link from the repository root (`/…`)"
            );
            // `/x` is the repository's root, as GitHub and other forges read it: a link that
            // starts there cannot climb out of the clone.
            let resolved = match path.strip_prefix('/') {
                Some(from_root) => inside_repository(&root().join("README.md"), from_root),
                None => inside_repository(file, path),
            }
            .unwrap_or_else(|| panic!("{name} links outside the repository: {target}"));
            assert!(
                root().join(&resolved).exists(),
                "{name} links to {target}, which is not in the repository"
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} links checked in {files:?}");
}

#[test]
fn the_link_check_catches_a_link_out_of_the_repository() {
    let readme = root().join("README.md");
    assert_eq!(
        link_targets("see [the contract](../shared/API.md) and ![x](docs/a.png \"t\")"),
        ["../shared/API.md", "docs/a.png"]
    );
    assert_eq!(inside_repository(&readme, "../shared/API.md"), None);
    assert_eq!(
        inside_repository(
            &readme.parent().unwrap().join("docs/API.md"),
            "../README.md"
        ),
        Some(PathBuf::from("README.md"))
    );
    assert!(link_targets("```\n[a](../x)\n```\n").is_empty());
}
