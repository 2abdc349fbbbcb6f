use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::{DbError, DbResult, OnUnique};
use super::{
    Sluggable, Table, audit,
    list::{self, Filter, KeyKind, Keyed, Page, PageRequest, Sort},
    record::{Record, WriteMode},
    resolve_for_reference, unique_slug,
};
use crate::{
    domain::{
        key::Actor,
        project::{Contributor, ContributorDraft, Project, ProjectDraft},
        slug::Slug,
    },
    error::FieldError,
};

const SELECT: &str = concat!(
    "SELECT p.id, p.slug, p.name, ",
    crate::ref_sql!("c"),
    " AS company, p.released_on, p.released_precision, p.url,
    (SELECT count(*) FROM project_contributors pc WHERE pc.project_id = p.id) AS contributor_count,
    p.version, p.created_at, p.updated_at
    FROM projects p LEFT JOIN companies c ON c.id = p.company_id
    WHERE p.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM projects p WHERE p.deleted_at IS NULL";

pub static SORTS: [Sort; 4] = [
    list::sort("name", "p.name", KeyKind::Text),
    list::sort("-name", "p.name", KeyKind::Text),
    list::sort("created_at", "p.created_at", KeyKind::Timestamp),
    list::sort("-created_at", "p.created_at", KeyKind::Timestamp),
];

impl Keyed for Project {
    const SORTS: &'static [Sort] = &SORTS;

    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, sort: &Sort) -> String {
        match sort.kind {
            KeyKind::Timestamp => list::timestamp_key(self.created_at),
            _ => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub q: Option<String>,
    pub company: Option<Uuid>,
    /// Projects this researcher contributed to.
    pub researcher: Option<Uuid>,
}

impl Filter for ProjectFilter {
    type Row = Project;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<Project>> {
        let filter = self;
        let filters = |query: &mut QueryBuilder<Postgres>| {
            if let Some(q) = &filter.q {
                query
                    .push(" AND p.search_text LIKE '% ' || tf_fold(")
                    .push_bind(q.clone())
                    .push(") || '%'");
            }
            if let Some(company) = filter.company {
                query.push(" AND p.company_id = ").push_bind(company);
            }
            if let Some(researcher) = filter.researcher {
                query
                    .push(" AND p.id IN (SELECT project_id FROM project_contributors WHERE researcher_id = ")
                    .push_bind(researcher)
                    .push(")");
            }
        };
        list::fetch_page(pool, SELECT, COUNT, "p.id", &filters, page).await
    }
}

impl Record for Project {
    type Draft = ProjectDraft;
    const TABLE: Table = super::PROJECTS;
    const SLUGGED: bool = true;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "p";

    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: ProjectDraft,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        let company = match &draft.company {
            None => None,
            Some(key) => Some(
                resolve_for_reference(conn, Sluggable::Companies, key)
                    .await?
                    .ok_or_else(|| {
                        DbError::Invalid(vec![FieldError::new(
                            "company",
                            format!("no company `{key}`"),
                        )])
                    })?,
            ),
        };
        let slug = match draft.slug {
            Some(slug) => slug,
            None => {
                unique_slug(
                    conn,
                    Sluggable::Projects,
                    Slug::from_name(&draft.name),
                    (!insert).then_some(id),
                )
                .await?
            }
        };
        let sql = if insert {
            "INSERT INTO projects (id, slug, name, company_id, released_on, released_precision, url)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        } else {
            "UPDATE projects SET slug = $2, name = $3, company_id = $4, released_on = $5, released_precision = $6,
                 url = $7, version = version + 1, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(slug.as_str())
            .bind(&draft.name)
            .bind(company)
            .bind(draft.released.map(|d| d.start))
            .bind(draft.released.map(|d| d.precision.as_str()))
            .bind(&draft.url)
            .execute(&mut *conn)
            .await
            .on_unique(&[(
                "projects_slug_key",
                "slug",
                format!("`{slug}` is taken by another project"),
            )])?;
        Ok(())
    }

    async fn check_unreferenced(&self, conn: &mut PgConnection) -> DbResult<()> {
        let reports: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM project_reports WHERE deleted_at IS NULL AND project_id = $1",
        )
        .bind(self.id)
        .fetch_one(&mut *conn)
        .await?;
        if reports > 0 {
            return Err(DbError::Conflict {
                detail: format!(
                    "project `{}` still has {reports} press report(s); delete those first",
                    self.slug
                ),
                errors: vec![],
            });
        }
        Ok(())
    }
}

pub async fn contributors(
    conn: &mut PgConnection,
    project: Uuid,
) -> Result<Vec<Contributor>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        crate::ref_sql!("r"),
        " AS researcher, pc.role
         FROM project_contributors pc JOIN researchers r ON r.id = pc.researcher_id
         WHERE pc.project_id = $1 ORDER BY pc.position"
    ))
    .bind(project)
    .fetch_all(conn)
    .await
}

/// Replaces the roster as a whole: every researcher must exist (all unknown ones are named),
/// otherwise nothing changes. The project's version moves on and its history records the
/// roster before and after.
pub async fn replace_contributors(
    conn: &mut PgConnection,
    actor: &Actor,
    project: &Project,
    roster: &[ContributorDraft],
) -> DbResult<Vec<Contributor>> {
    let mut ids = Vec::with_capacity(roster.len());
    let mut errors = Vec::new();
    for (i, contributor) in roster.iter().enumerate() {
        match resolve_for_reference(conn, Sluggable::Researchers, &contributor.researcher).await? {
            Some(id) if ids.contains(&id) => errors.push(FieldError::new(
                format!("[{i}].researcher"),
                "is on the roster twice",
            )),
            Some(id) => ids.push(id),
            None => errors.push(FieldError::new(
                format!("[{i}].researcher"),
                format!("no researcher `{}`", contributor.researcher),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(DbError::Invalid(errors));
    }
    let before = contributors(conn, project.id).await?;
    sqlx::query("DELETE FROM project_contributors WHERE project_id = $1")
        .bind(project.id)
        .execute(&mut *conn)
        .await?;
    for (position, (id, contributor)) in ids.iter().zip(roster).enumerate() {
        sqlx::query("INSERT INTO project_contributors (project_id, researcher_id, position, role) VALUES ($1, $2, $3, $4)")
            .bind(project.id)
            .bind(id)
            .bind(position as i32)
            .bind(&contributor.role)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE projects SET version = version + 1, updated_at = now() WHERE id = $1")
        .bind(project.id)
        .execute(&mut *conn)
        .await?;
    let after = contributors(conn, project.id).await?;
    let snapshot = |roster: &[Contributor]| serde_json::json!({ "contributors": roster });
    audit::record(
        conn,
        actor,
        audit::AuditAction::Update,
        "projects",
        project.id,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}
