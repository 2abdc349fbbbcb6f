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
    domain::moves::{Confidence, Move, MoveDraft},
    error::FieldError,
};

/// The columns of a move as shown; `m` is the moves (or a narrowed set of them). Its companies
/// and deal are scalar subqueries rather than joins: Postgres then looks them up only for the
/// rows a page keeps (after its sort and limit), where five left joins were made for every
/// candidate row of both sides of a company filter. References are records (`db::refs`).
macro_rules! columns {
    () => {
        concat!(
    "SELECT m.id, ",
    crate::ref_sql!("r"),
    " AS researcher,
    (SELECT ", crate::ref_sql!("f"), " FROM companies f WHERE f.id = m.from_company_id) AS \"from\",
    (SELECT ", crate::ref_sql!("t"), " FROM companies t WHERE t.id = m.to_company_id) AS \"to\",
    m.kind, m.title, m.effective_on, m.effective_precision, m.announced_on, m.announced_precision, m.confidence,
    (SELECT jsonb_build_object('id', d.id, 'kind', d.kind,
        'acquirer', jsonb_build_object('id', da.id, 'slug', da.slug, 'name', da.name),
        'target', jsonb_build_object('id', dt.id, 'slug', dt.slug, 'name', dt.name))
        FROM deals d
        LEFT JOIN companies da ON da.id = d.acquirer_id
        LEFT JOIN companies dt ON dt.id = d.target_id
        WHERE d.id = m.deal_id) AS deal, ",
    crate::citations_sql!("move_sources", "move_id", "m.id"),
    " AS sources, m.notes, m.version, m.created_at, m.updated_at"
)
    };
}
/// What every move is shown with.
macro_rules! joins {
    () => {
        "
    JOIN researchers r ON r.id = m.researcher_id
    WHERE m.deleted_at IS NULL"
    };
}
const COLUMNS: &str = columns!();
const JOINS: &str = joins!();
const SELECT: &str = concat!(columns!(), " FROM moves m", joins!());
const COUNT: &str = "SELECT count(*) FROM moves m WHERE m.deleted_at IS NULL";

/// Newest first is the default: the order people read transfer news in.
/// `effective_on`, oldest first: a career in order.
const BY_EFFECTIVE_ON: usize = 1;

pub static SORTS: [Sort; 4] = [
    list::sort("-effective_on", "m.effective_on", KeyKind::Date),
    list::sort("effective_on", "m.effective_on", KeyKind::Date),
    list::sort("-created_at", "m.created_at", KeyKind::Timestamp),
    list::sort("created_at", "m.created_at", KeyKind::Timestamp),
];

impl Keyed for Move {
    const SORTS: &'static [Sort] = &SORTS;

    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, sort: &Sort) -> String {
        match sort.kind {
            KeyKind::Timestamp => list::timestamp_key(self.created_at),
            _ => list::date_key(self.effective_on),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MoveFilter {
    pub researcher: Option<Uuid>,
    /// Either side.
    pub company: Option<Uuid>,
    pub from: Option<Uuid>,
    pub to: Option<Uuid>,
    pub kind: Option<String>,
    pub confidence: Option<String>,
    /// Moves of this confidence or a stronger one.
    pub min_confidence: Option<Confidence>,
    /// Inclusive bounds on `effective_on`.
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    /// Moves that were part of this deal.
    pub deal: Option<Uuid>,
    /// Moves of this project's contributors.
    pub project: Option<Uuid>,
}

impl Filter for MoveFilter {
    type Row = Move;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<Move>> {
        let filter = self;
        let filters = |query: &mut QueryBuilder<Postgres>| push_filters(query, filter);
        let mut head = QueryBuilder::new(COLUMNS);
        match filter.company {
            // Either side is an OR that no one index answers in order: Postgres would collect every
            // move of the company and sort them for one page. Instead take one page from each side,
            // each in index order, and page over the union of the two (a move never names one
            // company on both sides).
            Some(company) => {
                let side_filter = MoveFilter {
                    company: None,
                    ..filter.clone()
                };
                head.push(" FROM (");
                for (i, side) in ["from_company_id", "to_company_id"].into_iter().enumerate() {
                    if i > 0 {
                        head.push(" UNION ALL ");
                    }
                    head.push(format!(
                        "(SELECT * FROM moves m WHERE m.deleted_at IS NULL AND m.{side} = "
                    ));
                    head.push_bind(company);
                    push_filters(&mut head, &side_filter);
                    list::push_position(&mut head, page, page.sort.expr, "m.id");
                    head.push(")");
                }
                head.push(") m");
            }
            None => {
                head.push(" FROM moves m");
            }
        }
        head.push(JOINS);
        list::fetch_page_with_head(pool, head, COUNT, "m.id", &filters, page).await
    }
}

/// The filter's conditions, each ` AND ...` on `moves m`.
fn push_filters(query: &mut QueryBuilder<Postgres>, filter: &MoveFilter) {
    {
        if let Some(researcher) = filter.researcher {
            query.push(" AND m.researcher_id = ").push_bind(researcher);
        }
        if let Some(company) = filter.company {
            query.push(" AND (m.from_company_id = ").push_bind(company);
            query
                .push(" OR m.to_company_id = ")
                .push_bind(company)
                .push(")");
        }
        if let Some(from) = filter.from {
            query.push(" AND m.from_company_id = ").push_bind(from);
        }
        if let Some(to) = filter.to {
            query.push(" AND m.to_company_id = ").push_bind(to);
        }
        if let Some(kind) = &filter.kind {
            query.push(" AND m.kind = ").push_bind(kind.clone());
        }
        if let Some(confidence) = &filter.confidence {
            query
                .push(" AND m.confidence = ")
                .push_bind(confidence.clone());
        }
        if let Some(floor) = filter.min_confidence {
            query
                .push(" AND m.confidence = ANY(")
                .push_bind(floor.at_least())
                .push(")");
        }
        super::list::push_period_overlap(
            query,
            "m.effective_on",
            "m.effective_precision",
            filter.since,
            filter.until,
        );
        if let Some(deal) = filter.deal {
            query.push(" AND m.deal_id = ").push_bind(deal);
        }
        if let Some(project) = filter.project {
            query
                .push(" AND m.researcher_id IN (SELECT researcher_id FROM project_contributors WHERE project_id = ")
                .push_bind(project)
                .push(")");
        }
    }
}

impl Record for Move {
    type Draft = MoveDraft;
    const TABLE: Table = super::MOVES;
    const SLUGGED: bool = false;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "m";

    /// Resolves every reference, reporting all unknown ones together, then writes the move and
    /// replaces its citations.
    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: MoveDraft,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        let mut errors = Vec::new();
        let researcher = resolve_field(
            conn,
            Sluggable::Researchers,
            "researcher",
            &draft.researcher,
            &mut errors,
        )
        .await?;
        let mut side = async |field: &str,
                              key: &Option<crate::domain::id_or_slug::IdOrSlug>|
               -> DbResult<Option<Uuid>> {
            let Some(key) = key else { return Ok(None) };
            Ok(resolve_field(conn, Sluggable::Companies, field, key, &mut errors).await?)
        };
        let from = side("from", &draft.from).await?;
        let to = side("to", &draft.to).await?;
        if from.is_some() && from == to {
            errors.push(FieldError::new("to", "must differ from `from`"));
        }
        if let Some(deal) = draft.deal {
            let live: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM deals WHERE id = $1 AND deleted_at IS NULL FOR KEY SHARE",
            )
            .bind(deal)
            .fetch_optional(&mut *conn)
            .await?;
            if live.is_none() {
                errors.push(FieldError::new("deal", format!("no deal `{deal}`")));
            }
        }
        errors.extend(citations::unknown_sources(conn, &draft.sources).await?);
        if !errors.is_empty() {
            return Err(DbError::Invalid(errors));
        }

        let sql = if insert {
            "INSERT INTO moves (id, researcher_id, from_company_id, to_company_id, kind, title, effective_on,
                 effective_precision, announced_on, announced_precision, confidence, notes, deal_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        } else {
            "UPDATE moves SET researcher_id = $2, from_company_id = $3, to_company_id = $4, kind = $5, title = $6,
                 effective_on = $7, effective_precision = $8, announced_on = $9, announced_precision = $10,
                 confidence = $11, notes = $12, deal_id = $13, version = version + 1, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(researcher)
            .bind(from)
            .bind(to)
            .bind(draft.kind.as_str())
            .bind(&draft.title)
            .bind(draft.effective.start)
            .bind(draft.effective.precision.as_str())
            .bind(draft.announced.map(|d| d.start))
            .bind(draft.announced.map(|d| d.precision.as_str()))
            .bind(draft.confidence.as_str())
            .bind(&draft.notes)
            .bind(draft.deal)
            .execute(&mut *conn)
            .await?;
        citations::replace(conn, Cited::Moves, id, &draft.sources).await?;
        Ok(())
    }
}

/// Every live move of a researcher, oldest first, read page by page as the list reads them.
pub async fn of_researcher(
    pool: &PgPool,
    researcher: Uuid,
    min_confidence: Confidence,
) -> DbResult<Vec<Move>> {
    let filter = MoveFilter {
        researcher: Some(researcher),
        min_confidence: Some(min_confidence),
        ..MoveFilter::default()
    };
    let mut page = PageRequest {
        sort: &SORTS[BY_EFFECTIVE_ON],
        limit: list::MAX_LIMIT,
        after: None,
        include_total: false,
    };
    let mut moves = Vec::new();
    loop {
        let found = filter.list(pool, &page).await?;
        page.after = found
            .data
            .last()
            .map(|last| (list::Key::Date(last.effective_on), last.id));
        moves.extend(found.data);
        if found.next_cursor.is_none() {
            return Ok(moves);
        }
    }
}

/// A move the import creates in bulk, its references already resolved.
pub struct NewMove<'a> {
    pub id: Uuid,
    pub researcher_id: Uuid,
    pub from_company_id: Option<Uuid>,
    pub to_company_id: Option<Uuid>,
    pub draft: &'a MoveDraft,
}

/// Inserts many moves and their citations with two statements, as [`Record::write`] inserts
/// one.
pub async fn insert_many(conn: &mut PgConnection, rows: &[NewMove<'_>]) -> sqlx::Result<()> {
    let mut columns = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut cited = Vec::new();
    for row in rows {
        let draft = row.draft;
        columns.0.push(row.id);
        columns.1.push(row.researcher_id);
        columns.2.push(row.from_company_id);
        columns.3.push(row.to_company_id);
        columns.4.push(draft.kind.as_str());
        columns.5.push(draft.title.clone());
        columns.6.push(draft.effective.start);
        columns.7.push(draft.effective.precision.as_str());
        columns.8.push(draft.announced.map(|d| d.start));
        columns
            .9
            .push(draft.announced.map(|d| d.precision.as_str()));
        columns.10.push(draft.confidence.as_str());
        columns.11.push(draft.notes.clone());
        columns.12.push(draft.deal);
        cited.push((row.id, draft.sources.as_slice()));
    }
    sqlx::query(
        "INSERT INTO moves (id, researcher_id, from_company_id, to_company_id, kind, title, effective_on,
             effective_precision, announced_on, announced_precision, confidence, notes, deal_id)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::date[],
             $8::text[], $9::date[], $10::text[], $11::text[], $12::text[], $13::uuid[])",
    )
    .bind(columns.0)
    .bind(columns.1)
    .bind(columns.2)
    .bind(columns.3)
    .bind(columns.4)
    .bind(columns.5)
    .bind(columns.6)
    .bind(columns.7)
    .bind(columns.8)
    .bind(columns.9)
    .bind(columns.10)
    .bind(columns.11)
    .bind(columns.12)
    .execute(&mut *conn)
    .await?;
    citations::insert_many(conn, Cited::Moves, &cited).await
}
