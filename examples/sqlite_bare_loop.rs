//! The database's own speed for `scripts/bench.sh` on SQLite: the API's SELECT of one
//! organisation by id run in a bare loop through sqlx (no HTTP, no token, no JSON), by as many
//! tasks as the benchmark has connections, for as long as it runs wrk.
//!
//!     cargo run --release --example sqlite_bare_loop -- FILE IDS SECONDS CONNECTIONS SQL
//!
//! FILE is the SQLite database, IDS a file of organisation ids (one per line), SQL the SELECT
//! with `$1` for the id. Prints the queries per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, ids, seconds, connections, sql] = args.as_slice() else {
        return Err("usage: sqlite_bare_loop FILE IDS SECONDS CONNECTIONS SQL".into());
    };
    let ids: Vec<uuid::Uuid> = std::fs::read_to_string(ids)?
        .lines()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let connections: u32 = connections.parse()?;
    let options = SqliteConnectOptions::new()
        .filename(file)
        .journal_mode(SqliteJournalMode::Wal)
        .read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        .min_connections(connections)
        .connect_with(options)
        .await?;
    let sql: &'static str = sql.clone().leak();
    let ids = Arc::new(ids);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..connections as usize)
        .map(|task| {
            let (pool, ids, done, stop) = (pool.clone(), ids.clone(), done.clone(), stop.clone());
            tokio::spawn(async move {
                let mut next = task;
                while !stop.load(Ordering::Relaxed) {
                    let row = sqlx::query(sql).bind(ids[next % ids.len()]).fetch_optional(&pool).await;
                    assert!(matches!(row, Ok(Some(_))), "the organisation is read: {row:?}");
                    done.fetch_add(1, Ordering::Relaxed);
                    next += connections as usize;
                }
            })
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds.parse()?)).await;
    stop.store(true, Ordering::Relaxed);
    let count = done.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    for task in tasks {
        task.await?;
    }
    println!("{:.0}", count as f64 / elapsed);
    Ok(())
}
