//! `docs/wechatpy-parity.tsv` against the registry: one row per public wechatpy method; a row
//! is `ported` exactly when a registered endpoint names that method, and then its `rust` column
//! names the endpoints. The README's parity counts are the table's.
//!
//! After declaring endpoints, refresh both with:
//!
//! ```text
//! UPDATE_PARITY=1 cargo test -p wechat-core --all-features --test parity
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use wechat_core::api::registry::{self, Product};

const HEADER: &str = "family\twechatpy\tstatus\trust\tnote";
const FAMILIES: &[&str] = &[
    "mp",
    "work",
    "oauth",
    "component",
    "component_oauth",
    "service",
    "pay",
    "pay_v3",
];
const STATUSES: &[&str] = &["ported", "helper", "retired", "todo"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    family: String,
    wechatpy: String,
    status: String,
    rust: String,
    note: String,
}

fn parse(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(HEADER), "the table's header");
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split('\t').collect();
            assert_eq!(cells.len(), 5, "line {}: 5 tab-separated cells: {line:?}", i + 2);
            Row {
                family: cells[0].into(),
                wechatpy: cells[1].into(),
                status: cells[2].into(),
                rust: cells[3].into(),
                note: cells[4].into(),
            }
        })
        .collect()
}

fn render(rows: &[Row]) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            r.family, r.wechatpy, r.status, r.rust, r.note
        ));
    }
    out
}

/// The family a registry entry's wechatpy name belongs to: `family:name`, or its product's.
fn family_and_name(product: Product, name: &str) -> (String, String) {
    if let Some((family, name)) = name.split_once(':') {
        return (family.into(), name.into());
    }
    let family = match product {
        Product::Mp | Product::Wxa => "mp",
        Product::Work => "work",
        Product::Component => "component",
        Product::Suite => "service",
        _ => "pay",
    };
    (family.into(), name.into())
}

/// (family, wechatpy name) → the registry names that serve it.
fn claims() -> BTreeMap<(String, String), BTreeSet<&'static str>> {
    let mut claims: BTreeMap<_, BTreeSet<_>> = BTreeMap::new();
    for e in registry::all() {
        for py in e.wechatpy {
            claims.entry(family_and_name(e.product, py)).or_default().insert(e.name);
        }
    }
    claims
}

fn counts_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| family | wechatpy methods | ported | helper | retired | todo |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for family in FAMILIES {
        let of: Vec<_> = rows.iter().filter(|r| r.family == *family).collect();
        let n = |s: &str| of.iter().filter(|r| r.status == s).count();
        out.push_str(&format!(
            "| `{family}` | {} | {} | {} | {} | {} |\n",
            of.len(),
            n("ported"),
            n("helper"),
            n("retired"),
            n("todo")
        ));
    }
    out
}

#[test]
fn the_parity_table_matches_the_registry_and_the_readme() {
    let tsv_path = root().join("docs/wechatpy-parity.tsv");
    let readme_path = root().join("README.md");
    let text = std::fs::read_to_string(&tsv_path).expect("docs/wechatpy-parity.tsv");
    let rows = parse(&text);
    let claims = claims();

    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    let mut updated = rows.clone();
    for r in &mut updated {
        assert!(FAMILIES.contains(&r.family.as_str()), "unknown family {:?}", r.family);
        assert!(
            STATUSES.contains(&r.status.as_str()),
            "{}: unknown status {:?}",
            r.wechatpy,
            r.status
        );
        assert!(
            seen.insert((r.family.clone(), r.wechatpy.clone())),
            "{} {} twice",
            r.family,
            r.wechatpy
        );
        let key = (r.family.clone(), r.wechatpy.clone());
        match (claims.get(&key), r.status.as_str()) {
            (Some(names), "todo" | "ported") => {
                r.status = "ported".into();
                r.rust = names.iter().copied().collect::<Vec<_>>().join(", ");
            }
            (Some(names), other) => problems.push(format!(
                "{} {}: {other} in the table, but {names:?} declare it",
                r.family, r.wechatpy
            )),
            (None, "ported") => {
                r.status = "todo".into();
                r.rust.clear();
            }
            (None, "helper") if r.rust.is_empty() => {
                problems.push(format!("{} {}: a helper names its Rust path", r.family, r.wechatpy))
            }
            (None, "retired") if !r.note.contains("https://") => problems.push(format!(
                "{} {}: retired without the official notice's URL",
                r.family, r.wechatpy
            )),
            (None, _) => {}
        }
    }
    for (family, name) in claims.keys() {
        if !seen.contains(&(family.clone(), name.clone())) {
            problems.push(format!(
                "the registry names {family} {name}, which wechatpy does not have"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));

    let readme = std::fs::read_to_string(&readme_path).expect("README.md");
    let (start, end) = ("<!-- parity:start -->\n", "<!-- parity:end -->");
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!("README.md has no {start:?} … {end:?} block");
    };
    let counts = counts_table(&updated);
    let new_readme = format!("{}{start}{counts}{}", &readme[..a], &readme[b..]);
    let new_tsv = render(&updated);

    if std::env::var_os("UPDATE_PARITY").is_some() {
        std::fs::write(&tsv_path, &new_tsv).unwrap();
        std::fs::write(&readme_path, &new_readme).unwrap();
        return;
    }
    assert!(
        new_tsv == text,
        "docs/wechatpy-parity.tsv is out of date with the registry; run\n  UPDATE_PARITY=1 cargo test -p wechat-core --all-features --test parity"
    );
    assert!(
        new_readme == readme,
        "the README's parity counts are out of date; run\n  UPDATE_PARITY=1 cargo test -p wechat-core --all-features --test parity"
    );
}
