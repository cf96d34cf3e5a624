//! `shanwang backup FILE` and `shanwang restore FILE`: a consistent copy of the embedded
//! database, taken while the server runs (SQLite's `VACUUM INTO` reads one snapshot), and put
//! back in place. The data key is never in a backup: keep it apart (README). On PostgreSQL the
//! database server's own tools do this (pg_dump / pg_restore).

use crate::{CliError, DbArgs};
use std::path::{Path, PathBuf};

const POSTGRES_HOW: &str = "PostgreSQL 请用数据库自带的工具备份和恢复：\
     pg_dump -Fc -f 善网.dump <数据库> ；恢复：pg_restore --clean -d <数据库> 善网.dump";

/// Where the SQLite database of these arguments lives, or why it is not SQLite.
fn sqlite_file(args: &DbArgs) -> Result<PathBuf, CliError> {
    match &args.database_url {
        Some(url) if url.starts_with("postgres") => Err(CliError::Refused(POSTGRES_HOW.into())),
        Some(url) => {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .ok_or_else(|| CliError::Refused("无法识别的数据库地址。".into()))?;
            Ok(PathBuf::from(path.split('?').next().unwrap_or(path)))
        }
        None => Ok(args.data_dir.join("shanwang.db")),
    }
}

pub async fn backup(args: &DbArgs, file: &Path) -> Result<(), CliError> {
    let source = sqlite_file(args)?;
    if !source.exists() {
        return Err(CliError::Refused(format!(
            "没有找到数据库 {}。",
            source.display()
        )));
    }
    if file.exists() {
        return Err(CliError::Refused(format!(
            "{} 已存在：备份不会覆盖已有文件，请换一个文件名。",
            file.display()
        )));
    }
    let db = args.connect().await?;
    let target = file.to_string_lossy().replace('\'', "''");
    // One statement, one snapshot: writers go on while it copies.
    sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'")))
        .execute(db.pool())
        .await
        .map_err(|e| CliError::Unavailable(format!("备份失败：{e}")))?;
    db.close().await;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "已备份到 {}（{:.1} MB）。备份里没有数据密钥：请把密钥另外妥善保管，恢复时需要同一把密钥。",
        file.display(),
        size as f64 / 1_048_576.0
    );
    Ok(())
}

/// Whether a database file holds anything of an installation.
async fn holds_data(file: &Path) -> Result<bool, CliError> {
    if !file.exists() {
        return Ok(false);
    }
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", file.display());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .map_err(|e| CliError::Unavailable(format!("无法打开 {}：{e}", file.display())))?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'org_units'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| CliError::Unavailable(format!("无法读取 {}：{e}", file.display())))?;
    if tables == 0 {
        return Ok(false);
    }
    let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_units")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| CliError::Unavailable(format!("无法读取 {}：{e}", file.display())))?;
    Ok(units > 0)
}

pub async fn restore(args: &DbArgs, file: &Path, force: bool) -> Result<(), CliError> {
    let target = sqlite_file(args)?;
    if !file.exists() {
        return Err(CliError::Refused(format!(
            "没有找到备份文件 {}。",
            file.display()
        )));
    }
    if !holds_data(file).await? {
        return Err(CliError::Refused(format!(
            "{} 不是善网的备份（里面没有单位数据）。",
            file.display()
        )));
    }
    // The backup's ID numbers and partner secrets open only with the key they were sealed
    // with: it must be in place before the database is (a new one would be made otherwise).
    if std::env::var("SHANWANG_DATA_KEY").is_err() && !args.data_dir.join("data.key").exists() {
        return Err(CliError::Refused(format!(
            "恢复前请先放回数据密钥：设置 SHANWANG_DATA_KEY，或把 data.key 放到 {}（权限 600）。",
            args.data_dir.display()
        )));
    }
    if holds_data(&target).await? && !force {
        return Err(CliError::Refused(format!(
            "{} 里已经有数据：恢复会替换它。确认要替换，请加 --force 再执行一次（先停止使用这个数据库的服务）。",
            target.display()
        )));
    }
    if let Some(dir) = target.parent() {
        store::private_dir(dir).map_err(CliError::io("创建数据目录", dir))?;
    }
    // Copied beside the target, then moved over it in one step; the old write-ahead log goes.
    let staging = target.with_extension("db.restoring");
    std::fs::copy(file, &staging).map_err(CliError::io("复制备份到", &staging))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(CliError::io("清理", &side))?;
        }
    }
    std::fs::rename(&staging, &target).map_err(CliError::io("放置数据库", &target))?;
    // Brought up to this version's schema.
    let db = args.connect().await?;
    db.close().await;
    println!(
        "已把 {} 恢复为 {}。可运行 shanwang ledger verify 与 shanwang audit verify 检查。",
        file.display(),
        target.display()
    );
    Ok(())
}
