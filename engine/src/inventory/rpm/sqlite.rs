//! `rpmdb.sqlite`: one row per package in table `Packages(hnum, blob)`.
//!
//! The file is opened from memory (SQLite's deserialize interface), read-only, so nothing is
//! written to disk and no `-wal`/`-shm` files appear. A `-wal` file beside it in the image is not
//! read: rpm checkpoints on close, so installed images leave it empty.

use super::{DbError, Format, Sink, header};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, MAIN_DB, OpenFlags};
use std::io::Read;

/// The first bytes of every SQLite 3 database.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Offset of the file format write/read version bytes (2 = WAL, 1 = rollback journal).
const FORMAT_VERSIONS: usize = 18;
/// Size of the SQLite file header.
const FILE_HEADER: usize = 100;

/// Read every header blob of an rpm SQLite database held in `db`.
pub fn read(db: &[u8], sink: &mut Sink<'_>) -> Result<(), DbError> {
    let conn = open(db)?;
    // A hostile file could make `Packages` a view that computes rows forever, or a virtual
    // table; only an ordinary stored table is read.
    let sql: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'Packages'",
            [],
            |row| row.get(0),
        )
        .ok();
    if !sql.is_some_and(|s| {
        s.trim_start()
            .to_ascii_uppercase()
            .starts_with("CREATE TABLE")
    }) {
        return Err(DbError::malformed(
            Format::Sqlite,
            "no ordinary `Packages` table",
        ));
    }
    // Generated columns are computed on read, so their cost is not bounded by the file.
    let generated: i64 = conn.query_row(
        "SELECT count(*) FROM pragma_table_xinfo('Packages') WHERE hidden != 0",
        [],
        |row| row.get(0),
    )?;
    if generated != 0 {
        return Err(DbError::malformed(
            Format::Sqlite,
            "`Packages` has generated columns",
        ));
    }
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let hnum = row
            .get_ref(0)
            .ok()
            .and_then(|v| v.as_i64().ok())
            .unwrap_or(-1);
        match row.get_ref(1)? {
            ValueRef::Blob(b) | ValueRef::Text(b) => sink(Ok(b)),
            other => sink(Err(format!(
                "row {hnum}: blob is of type {}",
                other.data_type()
            ))),
        }
    }
    Ok(())
}

/// A read-only in-memory connection to a copy of `db`.
fn open(db: &[u8]) -> Result<Connection, DbError> {
    if db.len() < FILE_HEADER || !db.starts_with(MAGIC) {
        return Err(DbError::malformed(Format::Sqlite, "not a SQLite 3 file"));
    }
    let mut conn = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The schema comes from the file; don't let it call functions with side effects, and
    // cap every value at what an rpm header may be.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
        false,
    )?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    let max = i32::try_from(header::MAX_BLOB).unwrap_or(i32::MAX);
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, max)?;
    // rpm puts its database in WAL mode, which an in-memory database cannot open; the same
    // bytes read as a rollback-journal database (there is no WAL to replay from memory anyway).
    let (head, rest) = db
        .split_at_checked(FORMAT_VERSIONS)
        .ok_or_else(|| DbError::malformed(Format::Sqlite, "not a SQLite 3 file"))?;
    let versions: &[u8] = match rest {
        [2, 2, ..] => &[1, 1],
        [a, b, ..] => &[*a, *b],
        _ => &[],
    };
    let tail = rest.get(versions.len()..).unwrap_or_default();
    let stream = head.chain(versions).chain(tail);
    conn.deserialize_read_exact(MAIN_DB, stream, db.len(), true)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::rpm::header::testing::package;

    /// An rpm-shaped SQLite database in WAL mode, as bytes.
    fn database(rows: &[Vec<u8>], setup: &str) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        conn.execute_batch(setup).unwrap();
        for r in rows {
            conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [r])
                .unwrap();
        }
        drop(conn);
        std::fs::read(&path).unwrap()
    }

    fn blobs(db: &[u8]) -> Result<(usize, Vec<String>), DbError> {
        let mut n = 0;
        let mut problems = Vec::new();
        read(db, &mut |r: Result<&[u8], String>| match r {
            Ok(_) => n += 1,
            Err(p) => problems.push(p),
        })?;
        Ok((n, problems))
    }

    #[test]
    fn reads_blobs_of_a_wal_mode_database() {
        let db = database(
            &[
                package("a", "1", "1", None),
                package("b", "2", "1", Some(1)),
            ],
            "",
        );
        assert_eq!(db.get(18..20), Some(&[2u8, 2][..]));
        assert_eq!(blobs(&db).unwrap(), (2, vec![]));
    }

    #[test]
    fn refuses_views_and_generated_columns() {
        let db = database(
            &[],
            "DROP TABLE Packages;
             CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
             SELECT x AS hnum, zeroblob(10) AS blob FROM c;",
        );
        assert!(blobs(&db).is_err());
        let db = database(
            &[],
            "DROP TABLE Packages;
             CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, n INT,
                                    blob BLOB GENERATED ALWAYS AS (zeroblob(n)) VIRTUAL);
             INSERT INTO Packages (hnum, n) VALUES (1, 100);",
        );
        assert!(blobs(&db).is_err());
    }

    #[test]
    fn non_blob_rows_are_problems() {
        let db = database(&[], "INSERT INTO Packages (blob) VALUES (42);");
        let (n, problems) = blobs(&db).unwrap();
        assert_eq!(n, 0);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn truncated_and_garbage_files_are_errors() {
        let db = database(&[package("a", "1", "1", None)], "");
        for cut in [0, 50, 100, 4096, db.len() / 2] {
            let _ = blobs(&db[..cut.min(db.len())]);
        }
        let mut garbage = MAGIC.to_vec();
        garbage.extend(std::iter::repeat_n(0xa5, 8192));
        assert!(blobs(&garbage).is_err());
    }
}
