use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::{DbError, DbResult};
use super::{
    Sluggable, Table,
    citations::{self, Cited},
    list::{self, Filter, KeyKind, Keyed, Page, PageRequest, Sort},
    record::{Record, WriteMode},
    resolve_field,
};
use crate::domain::signal::{Signal, SignalDraft};

const SELECT: &str = concat!(
    "SELECT sg.id, sg.kind, ",
    crate::ref_sql!("c"),
    " AS company, sg.description, sg.reported_on, sg.reported_precision, ",
    crate::citations_sql!("signal_sources", "signal_id", "sg.id"),
    " AS sources, sg.version, sg.created_at, sg.updated_at
    FROM signals sg
    JOIN companies c ON c.id = sg.company_id
    WHERE sg.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM signals sg WHERE sg.deleted_at IS NULL";

pub static SORTS: [Sort; 4] = [
    list::sort("-reported_on", "sg.reported_on", KeyKind::Date),
    list::sort("reported_on", "sg.reported_on", KeyKind::Date),
    list::sort("-created_at", "sg.created_at", KeyKind::Timestamp),
    list::sort("created_at", "sg.created_at", KeyKind::Timestamp),
];

impl Keyed for Signal {
    const SORTS: &'static [Sort] = &SORTS;

    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, sort: &Sort) -> String {
        match sort.kind {
            KeyKind::Timestamp => list::timestamp_key(self.created_at),
            _ => list::date_key(self.reported_on),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SignalFilter {
    pub company: Option<Uuid>,
    pub kind: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Filter for SignalFilter {
    type Row = Signal;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<Signal>> {
        let filter = self;
        let filters = |query: &mut QueryBuilder<Postgres>| {
            if let Some(company) = filter.company {
                query.push(" AND sg.company_id = ").push_bind(company);
            }
            if let Some(kind) = &filter.kind {
                query.push(" AND sg.kind = ").push_bind(kind.clone());
            }
            super::list::push_period_overlap(
                query,
                "sg.reported_on",
                "sg.reported_precision",
                filter.since,
                filter.until,
            );
        };
        list::fetch_page(pool, SELECT, COUNT, "sg.id", &filters, page).await
    }
}

impl Record for Signal {
    type Draft = SignalDraft;
    const TABLE: Table = super::SIGNALS;
    const SLUGGED: bool = false;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "sg";

    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: SignalDraft,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        let mut errors = Vec::new();
        let company = resolve_field(
            conn,
            Sluggable::Companies,
            "company",
            &draft.company,
            &mut errors,
        )
        .await?;
        errors.extend(citations::unknown_sources(conn, &draft.sources).await?);
        if !errors.is_empty() {
            return Err(DbError::Invalid(errors));
        }
        let sql = if insert {
            "INSERT INTO signals (id, kind, company_id, description, reported_on, reported_precision)
             VALUES ($1, $2, $3, $4, $5, $6)"
        } else {
            "UPDATE signals SET kind = $2, company_id = $3, description = $4, reported_on = $5, reported_precision = $6,
                 version = version + 1, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(draft.kind.as_str())
            .bind(company)
            .bind(&draft.description)
            .bind(draft.reported.start)
            .bind(draft.reported.precision.as_str())
            .execute(&mut *conn)
            .await?;
        citations::replace(conn, Cited::Signals, id, &draft.sources).await?;
        Ok(())
    }
}
