//! The two migration trees stay in step.

/// Both migration trees create the same tables with the same columns, in the same order.
#[test]
fn migration_trees_are_in_step() {
    fn shape(dir: &str) -> Vec<(String, Vec<String>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let sql = std::fs::read_to_string(&f).unwrap();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            out.push((format!("file {name}"), Vec::new()));
            for stmt in sql.split(';') {
                let stmt: String = stmt
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n");
                let s = stmt.trim();
                if let Some(rest) = s.strip_prefix("CREATE TABLE ") {
                    let (table, body) = rest.split_once('(').unwrap();
                    let cols = body
                        .lines()
                        .map(str::trim)
                        .filter(|l| {
                            !l.is_empty() && !l.starts_with(')') && !l.starts_with("UNIQUE")
                        })
                        .map(|l| l.split_whitespace().next().unwrap().to_string())
                        .collect();
                    out.push((format!("table {}", table.trim()), cols));
                } else if let Some(rest) = s.strip_prefix("CREATE INDEX ") {
                    out.push((
                        format!(
                            "index {}",
                            rest.split_whitespace().collect::<Vec<_>>().join(" ")
                        ),
                        Vec::new(),
                    ));
                } else if s.starts_with("INSERT") || s.starts_with("ALTER") {
                    out.push((
                        s.split_whitespace().collect::<Vec<_>>().join(" "),
                        Vec::new(),
                    ));
                }
            }
        }
        out
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let sqlite = shape(&format!("{root}/migrations/sqlite"));
    let postgres = shape(&format!("{root}/migrations/postgres"));
    assert!(sqlite.iter().any(|(n, _)| n == "table org_units"));
    assert_eq!(sqlite, postgres);
}
