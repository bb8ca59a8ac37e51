//! Every rule of SPEC.md is cited by at least one model test and one core test, by name
//! (`r7_...`, `r9_r14_...`), so a rule without a check cannot go unnoticed.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The rule numbers SPEC.md defines (`**R7. ...`).
fn rules(spec: &str) -> BTreeSet<u32> {
    spec.lines()
        .filter_map(|l| l.strip_prefix("**R"))
        .filter_map(|l| l.split('.').next()?.parse().ok())
        .collect()
}

/// The rule numbers cited by test function names (`fn r9_r14_...`) in the Rust files of `dir`.
fn cited(dir: &Path) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)
            .expect("readable source directory")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            for name in text.split("fn r").skip(1) {
                let name = name.split('(').next().unwrap_or_default();
                let parts = std::iter::once(name).chain(name.split("_r"));
                out.extend(parts.map_while(|p| p.split('_').next()?.parse::<u32>().ok()));
            }
        }
    }
    out
}

#[test]
fn every_rule_is_tested_by_the_model_and_by_the_core() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = fs::read_to_string(root.join("SPEC.md")).expect("SPEC.md");
    let rules = rules(&spec);
    assert!(rules.len() >= 20, "SPEC.md lost its rules: {rules:?}");
    for (crate_dir, what) in [("model/src", "model"), ("impl/src/core", "core")] {
        let cited = cited(&root.join(crate_dir));
        let missing: Vec<_> = rules.difference(&cited).collect();
        assert!(
            missing.is_empty(),
            "rules no {what} test cites: {missing:?}"
        );
    }
}
