//! Set-based writing for batches: many rows per INSERT, ids reserved up front. One helper for
//! both backends, so a batch of gifts and the bare-insert baseline of the bench write rows the
//! same way.

use crate::{Backend, Result};
use sqlx::AnyConnection;

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Int(i64),
    Text(String),
    /// NULL in an integer column.
    Null,
    /// NULL in a text column (PostgreSQL wants the type right).
    NullText,
}

impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(v.to_string())
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(v)
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Cell {
        v.map(Cell::Text).unwrap_or(Cell::NullText)
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Cell {
        v.map(Cell::Int).unwrap_or(Cell::Null)
    }
}

/// Values per statement. SQLite gets plain `?` placeholders: sqlx looks `$n` names up one by
/// one, which makes a statement cost O(params²) there, while `?` binds by position.
const MAX_PARAMS: usize = 960;

/// Inserts `rows` (each with one value per column) in as few statements as the parameter limit
/// allows.
pub async fn insert(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
) -> Result<()> {
    insert_with::<i64>(conn, backend, table, columns, rows, "", None).await?;
    Ok(())
}

/// The same, leaving out rows that would break the unique key `conflict_target`; answers how
/// many were inserted.
pub async fn insert_new(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    conflict_target: &str,
    rows: &[Vec<Cell>],
) -> Result<u64> {
    let suffix = format!(" ON CONFLICT ({conflict_target}) DO NOTHING");
    Ok(
        insert_with::<i64>(conn, backend, table, columns, rows, &suffix, None)
            .await?
            .0,
    )
}

/// The same, answering with the expression `returning` of each row actually inserted.
pub async fn insert_new_returning<T>(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    conflict_target: &str,
    returning: &str,
    rows: &[Vec<Cell>],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    let suffix = format!(" ON CONFLICT ({conflict_target}) DO NOTHING");
    Ok(insert_with(
        conn,
        backend,
        table,
        columns,
        rows,
        &suffix,
        Some(returning),
    )
    .await?
    .1)
}

/// The one insert loop: how many rows went in, and the `returning` column of each, if asked.
async fn insert_with<T>(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
    suffix: &str,
    returning: Option<&str>,
) -> Result<(u64, Vec<T>)>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    let (mut count, mut returned) = (0u64, Vec::new());
    let per_statement = (MAX_PARAMS / columns.len()).max(1);
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for chunk in rows.chunks(per_statement) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "({})",
                    in_list(backend, i * columns.len() + 1, columns.len())
                )
            })
            .collect();
        let mut sql = format!("{head}{}{suffix}", tuples.join(", "));
        if let Some(column) = returning {
            sql.push_str(&format!(" RETURNING {column}"));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            debug_assert_eq!(row.len(), columns.len());
            for cell in row {
                q = match cell {
                    Cell::Int(v) => q.bind(*v),
                    Cell::Text(v) => q.bind(v.as_str()),
                    Cell::Null => q.bind(None::<i64>),
                    Cell::NullText => q.bind(None::<String>),
                };
            }
        }
        if returning.is_some() {
            for r in q.fetch_all(&mut *conn).await? {
                returned.push(sqlx::Row::try_get(&r, 0)?);
            }
            count = returned.len() as u64;
        } else {
            count += q.execute(&mut *conn).await?.rows_affected();
        }
    }
    Ok((count, returned))
}

/// `n` new ids for `table`, inside the caller's write transaction: on SQLite the write lock
/// makes MAX(id) safe; on PostgreSQL the identity sequence hands them out.
pub async fn reserve_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    n: usize,
) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    Ok(match backend {
        Backend::Sqlite => {
            let max: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}"
            )))
            .fetch_one(&mut *conn)
            .await?;
            (max + 1..=max + n as i64).collect()
        }
        Backend::Postgres => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) \
                 FROM generate_series(1, $1)"
            )))
            .bind(n as i64)
            .fetch_all(&mut *conn)
            .await?
        }
    })
}

/// Placeholders for an `IN (…)` list of `n` values starting at `$first`.
pub fn in_list(backend: Backend, first: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => crate::placeholders(first, n),
    }
}

/// `(SELECT ? AS a, ? AS b UNION ALL SELECT ?, ? …)`: a literal table of `rows` × `columns`
/// placeholders to join against, starting at `$first`.
pub fn values_table(backend: Backend, first: usize, rows: usize, columns: &[&str]) -> String {
    let selects: Vec<String> = (0..rows)
        .map(|r| {
            let start = first + r * columns.len();
            let cells = in_list(backend, start, columns.len());
            if r == 0 {
                // The first row names the columns.
                let named: Vec<String> = cells
                    .split(", ")
                    .zip(columns)
                    .map(|(p, c)| format!("{p} AS {c}"))
                    .collect();
                format!("SELECT {}", named.join(", "))
            } else {
                format!("SELECT {cells}")
            }
        })
        .collect();
    format!("({})", selects.join(" UNION ALL "))
}
