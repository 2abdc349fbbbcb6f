//! Connection pool, migrations and the embedded server. SQL lives in one module per aggregate.

pub mod analytics;
pub mod audit;
pub mod citations;
pub mod companies;
pub mod compensation;
pub mod deals;
pub mod embedded;
pub mod error;
pub mod events;
pub mod existing;
pub mod idempotency;
pub mod imports;
pub mod keys;
pub mod list;
pub mod merge;
pub mod moves;
pub mod projects;
pub mod rate_limits;
pub mod record;
pub mod refs;
pub mod replication;
pub mod reports;
pub mod researchers;
pub mod search;
pub mod signals;
pub mod sources;

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::{
    Connection, PgConnection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::config::DatabaseArgs;
use embedded::EmbeddedPostgres;
use error::DbResult;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The pool, and the embedded server behind it when there is one (stopped by `close`).
pub struct Database {
    pub pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
    /// True when the embedded database was created by this start: demo data goes in then.
    pub created_now: bool,
}

impl Database {
    /// Connects to `DATABASE_URL`, or starts the embedded server and creates its database.
    pub async fn open(args: &DatabaseArgs) -> Result<Self> {
        if let Some(url) = &args.database_url {
            let pool = connect(url, args.db_max_connections).await?;
            return Ok(Self {
                pool,
                embedded: None,
                created_now: false,
            });
        }
        let dir = args.data_dir_or_default();
        tracing::info!(dir = %dir.display(), "starting the embedded Postgres");
        let server = tokio::task::spawn_blocking(move || {
            EmbeddedPostgres::start(&dir, embedded::DataDir::Kept)
        })
        .await??;
        let created_now =
            create_database_if_missing(&server.url("postgres"), embedded::DATABASE).await?;
        let pool = connect(&server.url(embedded::DATABASE), args.db_max_connections).await?;
        Ok(Self {
            pool,
            embedded: Some(server),
            created_now,
        })
    }

    pub async fn close(self) {
        // Closing waits for every connection to come back; one held by a request cut off at
        // the shutdown deadline never does, so don't wait for it.
        if tokio::time::timeout(Duration::from_millis(500), self.pool.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use at exit; closing them anyway");
        }
        if let Some(server) = self.embedded {
            let stopped = tokio::task::spawn_blocking(move || server.stop()).await;
            match stopped {
                Ok(Ok(embedded::Shutdown::Stopped)) => tracing::info!("embedded Postgres stopped"),
                Ok(Ok(embedded::Shutdown::Detached)) => tracing::info!(
                    "detached from the embedded Postgres; the running server that started it keeps it"
                ),
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "embedded Postgres did not stop cleanly")
                }
                Err(err) => tracing::warn!(error = %err, "embedded Postgres stop task failed"),
            }
        }
    }
}

/// A pool whose waits are bounded: with the database down, requests fail fast with 503
/// instead of hanging until the request timeout.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool> {
    let options: PgConnectOptions = url
        .parse()
        .context("DATABASE_URL is not a PostgreSQL URL")?;
    pool_options(max_connections)
        .min_connections(1)
        .connect_with(session_options(options))
        .await
        .context("cannot connect to the database")
}

/// The session every talentflow connection opens, to the primary or to a replica.
pub fn session_options(options: PgConnectOptions) -> PgConnectOptions {
    // JIT compilation costs more than it saves on these short queries (100+ ms on the analytics
    // queries, whose recursive CTEs the planner overestimates).
    options
        .application_name("talentflow")
        .options([("jit", "off")])
}

/// How every talentflow pool hands out connections.
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // No ping before every checkout: it doubled the round trips of a simple read. A
        // connection that died (a database restart) fails its next query instead, which is
        // answered 503 and the connection is discarded; the next request gets a fresh one.
        .test_before_acquire(false)
}

/// A read-only transaction on one snapshot, for answers made of several queries that must agree
/// under concurrent writes. The isolation level is set by the `BEGIN` itself, so no statement
/// can come between them.
pub async fn read_snapshot(
    pool: &PgPool,
) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
}

pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await.context("migrations failed")
}

/// Returns whether the database had to be created.
pub async fn create_database_if_missing(maintenance_url: &str, name: &str) -> Result<bool> {
    let mut conn = PgConnection::connect(maintenance_url).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(!exists)
}

/// Appends `AND <id> = $n` or `AND <slug> = $n` for a path or reference key.
pub fn push_key_filter(
    query: &mut sqlx::QueryBuilder<sqlx::Postgres>,
    id_column: &str,
    slug_column: &str,
    key: &crate::domain::id_or_slug::IdOrSlug,
) {
    use crate::domain::id_or_slug::IdOrSlug;
    match key {
        IdOrSlug::Id(id) => query.push(format!(" AND {id_column} = ")).push_bind(*id),
        IdOrSlug::Slug(slug) => query
            .push(format!(" AND {slug_column} = "))
            .push_bind(slug.as_str().to_owned()),
    };
}

/// Tables whose live records are referred to by id or slug.
#[derive(Debug, Clone, Copy)]
pub enum Sluggable {
    Companies,
    Researchers,
    Projects,
}

impl Sluggable {
    fn table(self) -> &'static str {
        match self {
            Self::Companies => "companies",
            Self::Researchers => "researchers",
            Self::Projects => "projects",
        }
    }

    /// One record of the table, as messages name it.
    pub fn what(self) -> &'static str {
        match self {
            Self::Companies => "company",
            Self::Researchers => "researcher",
            Self::Projects => "project",
        }
    }
}

/// The id of a live record, share-locked until the transaction ends so that a concurrent
/// delete cannot remove what a write is about to refer to.
pub async fn resolve_for_reference(
    conn: &mut PgConnection,
    table: Sluggable,
    key: &crate::domain::id_or_slug::IdOrSlug,
) -> Result<Option<uuid::Uuid>, sqlx::Error> {
    let mut query = sqlx::QueryBuilder::new(format!(
        "SELECT id FROM {} WHERE deleted_at IS NULL",
        table.table()
    ));
    push_key_filter(&mut query, "id", "slug", key);
    query.push(" FOR KEY SHARE");
    query.build_query_scalar().fetch_optional(conn).await
}

/// [`resolve_for_reference`] for a field of a write: a record that is not there is noted in
/// `errors` (`no company \`meta\``), so that a write reports every unknown reference at once.
pub async fn resolve_field(
    conn: &mut PgConnection,
    table: Sluggable,
    field: &str,
    key: &crate::domain::id_or_slug::IdOrSlug,
    errors: &mut Vec<crate::error::FieldError>,
) -> Result<Option<uuid::Uuid>, sqlx::Error> {
    let found = resolve_for_reference(conn, table, key).await?;
    if found.is_none() {
        errors.push(crate::error::FieldError::new(
            field,
            format!("no {} `{key}`", table.what()),
        ));
    }
    Ok(found)
}

/// The id of a live record, without locking (for filters).
pub async fn resolve(
    pool: &PgPool,
    table: Sluggable,
    key: &crate::domain::id_or_slug::IdOrSlug,
) -> Result<Option<uuid::Uuid>, sqlx::Error> {
    let mut query = sqlx::QueryBuilder::new(format!(
        "SELECT id FROM {} WHERE deleted_at IS NULL",
        table.table()
    ));
    push_key_filter(&mut query, "id", "slug", key);
    query.build_query_scalar().fetch_optional(pool).await
}

/// `base`, or `base-2`, `base-3`… whichever is free among live records other than `except`
/// (the record being renamed). Concurrent writers generating the same base are serialised by
/// a transaction-scoped advisory lock, so two creates of "Acme" get `acme` and `acme-2`
/// instead of one of them a conflict over a slug it never chose.
pub async fn unique_slug(
    conn: &mut PgConnection,
    table: Sluggable,
    base: crate::domain::slug::Slug,
    except: Option<uuid::Uuid>,
) -> Result<crate::domain::slug::Slug, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("{}/{}", table.table(), base.as_str()))
        .execute(&mut *conn)
        .await?;
    let taken: Vec<String> = sqlx::QueryBuilder::new(format!(
        "SELECT slug FROM {} WHERE deleted_at IS NULL AND id IS DISTINCT FROM ",
        table.table()
    ))
    .push_bind(except)
    .push(" AND (slug = ")
    .push_bind(base.as_str().to_owned())
    .push(" OR slug LIKE ")
    .push_bind(format!("{}-%", base.as_str()))
    .push(")")
    .build_query_scalar()
    .fetch_all(conn)
    .await?;
    let free = |slug: &crate::domain::slug::Slug| !taken.iter().any(|t| t == slug.as_str());
    if free(&base) {
        return Ok(base);
    }
    let mut n = 2;
    loop {
        let candidate = base.with_suffix(n);
        if free(&candidate) {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// SQL for the embedded summary (`{id, slug, name}`) of the company, researcher or project
/// aliased as `$alias`: a record `ROW(id, slug, name)` (see `db::refs`), or null when a left
/// join found none.
#[macro_export]
macro_rules! ref_sql {
    ($alias:literal) => {
        concat!(
            "CASE WHEN ",
            $alias,
            ".id IS NULL THEN NULL ELSE ROW(",
            $alias,
            ".id, ",
            $alias,
            ".slug, ",
            $alias,
            ".name) END"
        )
    };
}

/// SQL for the embedded summary of a source (or null) aliased as `$alias`.
#[macro_export]
macro_rules! source_ref_sql {
    ($alias:literal) => {
        concat!(
            "CASE WHEN ",
            $alias,
            ".id IS NULL THEN NULL ELSE jsonb_build_object('id', ",
            $alias,
            ".id, 'url', ",
            $alias,
            ".url, 'publisher', ",
            $alias,
            ".publisher, 'title', ",
            $alias,
            ".title, 'published_on', to_char(",
            $alias,
            ".published_on, 'YYYY-MM-DD'), 'published_precision', ",
            $alias,
            ".published_precision) END"
        )
    };
}

/// SQL for the citations (`[{source, quote}]`, in order) kept in `$table` for the record whose
/// id is `$owner` in column `$column`.
#[macro_export]
macro_rules! citations_sql {
    ($table:literal, $column:literal, $owner:literal) => {
        concat!(
            "COALESCE((SELECT jsonb_agg(jsonb_build_object('source', ",
            $crate::source_ref_sql!("s"),
            ", 'quote', cited.quote) ORDER BY cited.position) FROM ",
            $table,
            " cited JOIN sources s ON s.id = cited.source_id",
            " WHERE cited.",
            $column,
            " = ",
            $owner,
            "), '[]'::jsonb)"
        )
    };
}

/// A table of records: soft-deleted, versioned, and audited under `collection`.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub collection: &'static str,
    /// What one record is called in messages ("no move `…`").
    pub what: &'static str,
}

pub const COMPANIES: Table = Table {
    name: "companies",
    collection: "companies",
    what: "company",
};
pub const RESEARCHERS: Table = Table {
    name: "researchers",
    collection: "researchers",
    what: "researcher",
};
pub const SOURCES: Table = Table {
    name: "sources",
    collection: "sources",
    what: "source",
};
pub const MOVES: Table = Table {
    name: "moves",
    collection: "moves",
    what: "move",
};
pub const PROJECTS: Table = Table {
    name: "projects",
    collection: "projects",
    what: "project",
};
pub const REPORTS: Table = Table {
    name: "project_reports",
    collection: "reports",
    what: "report",
};
pub const DEALS: Table = Table {
    name: "deals",
    collection: "deals",
    what: "deal",
};
pub const COMPENSATION: Table = Table {
    name: "compensation_reports",
    collection: "compensation",
    what: "compensation report",
};
pub const SIGNALS: Table = Table {
    name: "signals",
    collection: "signals",
    what: "signal",
};

/// Soft delete: the row stays (and so does its history); it leaves every read. With its audit row.
pub async fn soft_delete<T: serde::Serialize>(
    conn: &mut PgConnection,
    actor: &crate::domain::key::Actor,
    table: Table,
    id: uuid::Uuid,
    before: &T,
) -> DbResult<()> {
    let sql = format!(
        "UPDATE {} SET deleted_at = now(), updated_at = now(), version = version + 1 WHERE id = $1",
        table.name
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Delete,
        table.collection,
        id,
        Some(before),
        None,
    )
    .await?;
    Ok(())
}

/// A `text[]` value written as Postgres's array literal (`{"a","b \"c\""}`), for columns of
/// arrays passed to `UNNEST` as one text each (UNNEST cannot take an array of ragged arrays):
/// the statement casts it back with `::text[]`.
pub fn array_literal(items: &[String]) -> String {
    let mut literal = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            literal.push(',');
        }
        literal.push('"');
        for c in item.chars() {
            if c == '"' || c == '\\' {
                literal.push('\\');
            }
            literal.push(c);
        }
        literal.push('"');
    }
    literal.push('}');
    literal
}

/// ` AND (<alias>.<column> = value OR <alias>.id IN (the records known by it))`: a filter on
/// an external id finds the record that holds it and the one it is known by besides its own
/// (a second OpenAlex profile, a record merged away; migration 0016). The names are constants
/// of the caller, the value is bound.
pub fn push_known_id_filter(
    query: &mut sqlx::QueryBuilder<sqlx::Postgres>,
    alias: &str,
    collection: &str,
    scheme: &str,
    column: &str,
    value: &str,
) {
    query
        .push(format!(" AND ({alias}.{column} = "))
        .push_bind(value.to_owned())
        .push(format!(
            " OR {alias}.id IN (SELECT record_id FROM known_ids WHERE collection = '{collection}'
               AND scheme = '{scheme}' AND value = "
        ))
        .push_bind(value.to_owned())
        .push("))");
}
