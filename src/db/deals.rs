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
use crate::{
    domain::deal::{Deal, DealDraft},
    error::FieldError,
};

const SELECT: &str = concat!(
    "SELECT d.id, d.kind, ",
    crate::ref_sql!("a"),
    " AS acquirer, ",
    crate::ref_sql!("t"),
    " AS target, d.announced_on, d.announced_precision, d.people_moved, d.value_usd, ",
    crate::citations_sql!("deal_sources", "deal_id", "d.id"),
    " AS sources,
    (SELECT count(*) FROM moves m WHERE m.deal_id = d.id AND m.deleted_at IS NULL) AS move_count,
    d.notes, d.version, d.created_at, d.updated_at
    FROM deals d
    JOIN companies a ON a.id = d.acquirer_id
    JOIN companies t ON t.id = d.target_id
    WHERE d.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM deals d WHERE d.deleted_at IS NULL";

pub static SORTS: [Sort; 2] = [
    list::sort("-created_at", "d.created_at", KeyKind::Timestamp),
    list::sort("created_at", "d.created_at", KeyKind::Timestamp),
];

impl Keyed for Deal {
    const SORTS: &'static [Sort] = &SORTS;

    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, _sort: &Sort) -> String {
        list::timestamp_key(self.created_at)
    }
}

#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    /// Either party.
    pub company: Option<Uuid>,
    pub acquirer: Option<Uuid>,
    pub target: Option<Uuid>,
    pub kind: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Filter for DealFilter {
    type Row = Deal;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<Deal>> {
        let filter = self;
        let filters = |query: &mut QueryBuilder<Postgres>| {
            if let Some(company) = filter.company {
                query.push(" AND (d.acquirer_id = ").push_bind(company);
                query
                    .push(" OR d.target_id = ")
                    .push_bind(company)
                    .push(")");
            }
            if let Some(acquirer) = filter.acquirer {
                query.push(" AND d.acquirer_id = ").push_bind(acquirer);
            }
            if let Some(target) = filter.target {
                query.push(" AND d.target_id = ").push_bind(target);
            }
            if let Some(kind) = &filter.kind {
                query.push(" AND d.kind = ").push_bind(kind.clone());
            }
            super::list::push_period_overlap(
                query,
                "d.announced_on",
                "d.announced_precision",
                filter.since,
                filter.until,
            );
        };
        list::fetch_page(pool, SELECT, COUNT, "d.id", &filters, page).await
    }
}

impl Record for Deal {
    type Draft = DealDraft;
    const TABLE: Table = super::DEALS;
    const SLUGGED: bool = false;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "d";

    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: DealDraft,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        let mut errors = Vec::new();
        let companies = Sluggable::Companies;
        let acquirer =
            resolve_field(conn, companies, "acquirer", &draft.acquirer, &mut errors).await?;
        let target = resolve_field(conn, companies, "target", &draft.target, &mut errors).await?;
        if acquirer.is_some() && acquirer == target {
            errors.push(FieldError::new("target", "must differ from `acquirer`"));
        }
        errors.extend(citations::unknown_sources(conn, &draft.sources).await?);
        if !errors.is_empty() {
            return Err(DbError::Invalid(errors));
        }
        let sql = if insert {
            "INSERT INTO deals (id, kind, acquirer_id, target_id, announced_on, announced_precision, people_moved, value_usd, notes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        } else {
            "UPDATE deals SET kind = $2, acquirer_id = $3, target_id = $4, announced_on = $5, announced_precision = $6,
                 people_moved = $7, value_usd = $8, notes = $9, version = version + 1, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(draft.kind.as_str())
            .bind(acquirer)
            .bind(target)
            .bind(draft.announced.map(|d| d.start))
            .bind(draft.announced.map(|d| d.precision.as_str()))
            .bind(draft.people_moved)
            .bind(draft.value_usd)
            .bind(&draft.notes)
            .execute(&mut *conn)
            .await?;
        citations::replace(conn, Cited::Deals, id, &draft.sources).await?;
        Ok(())
    }

    async fn check_unreferenced(&self, _conn: &mut PgConnection) -> DbResult<()> {
        if self.move_count > 0 {
            return Err(DbError::Conflict {
                detail: format!(
                    "deal `{}` still has {} move(s); unlink or delete them first",
                    self.id, self.move_count
                ),
                errors: vec![],
            });
        }
        Ok(())
    }
}

/// Whether a live deal has this id (for filters).
pub async fn is_live(pool: &PgPool, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM deals WHERE id = $1 AND deleted_at IS NULL)")
        .bind(id)
        .fetch_one(pool)
        .await
}
