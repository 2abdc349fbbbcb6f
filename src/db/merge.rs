//! Merging a researcher or a company into another: the duplicate an ingest made, or two
//! records an editor found to be one. Everything that referred to the merged record refers to
//! the target afterwards, each change written through its record's own write (rules, history,
//! counts) as a PATCH would be; the merged record's names become the target's aliases, its
//! identifiers the target's (or identifiers it is known by); the merged record is deleted and
//! says where it went (migration 0017), so its old slug leads there.
//!
//! A move the two both had (same researcher and companies once merged, dates that overlap)
//! is kept once: the target's, which gains the other's sources. What cannot be resolved is
//! refused, naming it: a move or a deal between the two companies, a target under the merged
//! company, more than 50 names and aliases.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    Table, audit,
    error::{DbError, DbResult},
    record::{self, Record, WriteMode},
};
use crate::{
    domain::text::fold,
    domain::{
        company::{Company, CompanyInput},
        compensation::{CompensationInput, CompensationReport},
        deal::{Deal, DealInput},
        form::Form,
        id_or_slug::IdOrSlug,
        key::Actor,
        moves::{Move, MoveInput},
        partial_date::PartialDate,
        project::{Project, ProjectInput},
        refs::CitationInput,
        researcher::{Researcher, ResearcherInput},
        signal::{Signal, SignalInput},
    },
    error::FieldError,
};

const MAX_ALIASES: usize = 50;
const MAX_CITATIONS: usize = 50;

/// The target's aliases with the merged record's name and aliases added, each name once.
fn merged_aliases(
    target_name: &str,
    target: &[String],
    source_name: &str,
    source: &[String],
) -> DbResult<Vec<String>> {
    let mut aliases: Vec<String> = target.to_vec();
    for name in std::iter::once(source_name).chain(source.iter().map(String::as_str)) {
        let known =
            fold(name) == fold(target_name) || aliases.iter().any(|a| fold(a) == fold(name));
        if !known {
            aliases.push(name.to_owned());
        }
    }
    if aliases.len() > MAX_ALIASES {
        return Err(DbError::Conflict {
            detail: format!(
                "together the two have {} names and aliases; a record keeps at most {MAX_ALIASES}: remove some first",
                aliases.len() + 1
            ),
            errors: vec![],
        });
    }
    Ok(aliases)
}

/// For each kind of identifier (the target's field, the merged record's, the kind): one the
/// target lacks becomes its own; one where it has another becomes an identifier it is known by
/// (returned).
fn merged_ids(
    fields: [(&mut Option<String>, &Option<String>, &'static str); 3],
) -> Vec<(&'static str, String)> {
    let mut known = Vec::new();
    for (target, source, scheme) in fields {
        match (target.as_ref(), source) {
            (_, None) => {}
            (None, Some(value)) => *target = Some(value.clone()),
            (Some(mine), Some(value)) if mine != value => known.push((scheme, value.clone())),
            _ => {}
        }
    }
    known
}

/// A record cannot be merged into itself.
fn not_itself(source: Uuid, target: Uuid, what: &str) -> DbResult<()> {
    if source == target {
        return Err(DbError::Invalid(vec![FieldError::new(
            "into",
            format!("is the {what} itself"),
        )]));
    }
    Ok(())
}

/// Marks the merged record deleted and merged, audits the merge on both, and writes the
/// target's new draft (its history gets one `merge` entry, not an update).
/// `source` and `target` come with their references (`{id, slug, name}`) for the histories.
async fn finish_merge<R: Record + Serialize>(
    conn: &mut PgConnection,
    actor: &Actor,
    table: Table,
    (source, source_ref): (&R, Value),
    (target, target_ref): (&R, Value),
    draft: R::Draft,
    known: Vec<(&'static str, String)>,
) -> DbResult<R> {
    // The merged record goes first, so that the identifiers it held are free for the target.
    let sql = format!(
        "UPDATE {} SET deleted_at = now(), updated_at = now(), version = version + 1, merged_into = $2 WHERE id = $1",
        table.name
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(source.id())
        .bind(target.id())
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE known_ids SET record_id = $2 WHERE collection = $3 AND record_id = $1")
        .bind(source.id())
        .bind(target.id())
        .bind(table.collection)
        .execute(&mut *conn)
        .await?;
    for (scheme, value) in known {
        sqlx::query(
            "INSERT INTO known_ids (collection, scheme, value, record_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (collection, scheme, value) DO UPDATE SET record_id = excluded.record_id",
        )
        .bind(table.collection)
        .bind(scheme)
        .bind(value)
        .bind(target.id())
        .execute(&mut *conn)
        .await?;
    }
    R::write(conn, target.id(), draft, WriteMode::Update).await?;
    let after: R = record::get(conn, &IdOrSlug::Id(target.id()))
        .await?
        .ok_or_else(|| DbError::not_found(table.what, target.id()))?;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Merge,
        table.collection,
        source.id(),
        Some(&serde_json::to_value(source).unwrap_or(Value::Null)),
        Some(&json!({ "merged_into": target_ref })),
    )
    .await?;
    let mut after_json = serde_json::to_value(&after).unwrap_or(Value::Null);
    after_json["merged_from"] = source_ref;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Merge,
        table.collection,
        target.id(),
        Some(&serde_json::to_value(target).unwrap_or(Value::Null)),
        Some(&after_json),
    )
    .await?;
    Ok(after)
}

fn reference(id: Uuid, slug: &str, name: &str) -> Value {
    json!({"id": id, "slug": slug, "name": name})
}

/// Rewrites every live record of type `R` that `select` finds (it takes the merged record's
/// id as `$1`) so that its `fields` naming `from` name `to`, through the record's own write.
async fn retarget<R, I>(
    conn: &mut PgConnection,
    actor: &Actor,
    select: &'static str,
    fields: &[&str],
    from: Uuid,
    to: Uuid,
) -> DbResult<()>
where
    R: Record + Serialize,
    I: for<'a> From<&'a R> + Serialize + DeserializeOwned + Form<Draft = R::Draft>,
{
    let ids: Vec<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(select))
        .bind(from)
        .fetch_all(&mut *conn)
        .await?;
    for id in ids {
        let before = record::lock::<R>(conn, &IdOrSlug::Id(id)).await?;
        let mut input = serde_json::to_value(I::from(&before)).map_err(anyhow::Error::from)?;
        for field in fields {
            if input[*field] == json!(from.to_string()) {
                input[*field] = json!(to.to_string());
            }
        }
        let input: I = serde_json::from_value(input).map_err(anyhow::Error::from)?;
        let draft = input
            .validate()
            .map_err(|invalid| DbError::Invalid(invalid.0))?;
        record::update(conn, actor, &before, draft).await?;
    }
    Ok(())
}

fn date_of(m: &Move) -> PartialDate {
    PartialDate {
        start: m.effective_on,
        precision: m.effective_precision,
    }
}

/// Moves `moved` (the merged record's, already rewritten to name the target) into the
/// target's: one that another live move already is (same researcher, companies and kind,
/// overlapping dates) gives that move its sources and is deleted; the rest stay as they are.
async fn fold_duplicate_moves(
    conn: &mut PgConnection,
    actor: &Actor,
    moved: &[Uuid],
) -> DbResult<()> {
    for id in moved {
        let Some(m) = record::try_lock::<Move>(conn, &IdOrSlug::Id(*id)).await? else {
            continue;
        };
        let others: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM moves WHERE deleted_at IS NULL AND id <> $1 AND researcher_id = $2
               AND kind = $3 AND from_company_id IS NOT DISTINCT FROM $4
               AND to_company_id IS NOT DISTINCT FROM $5 AND NOT (id = ANY($6))
             ORDER BY id",
        )
        .bind(m.id)
        .bind(m.researcher.id)
        .bind(m.kind.as_str())
        .bind(m.from.as_ref().map(|c| c.id))
        .bind(m.to.as_ref().map(|c| c.id))
        .bind(moved)
        .fetch_all(&mut *conn)
        .await?;
        for other in others {
            let kept = record::lock::<Move>(conn, &IdOrSlug::Id(other)).await?;
            let (a, b) = (date_of(&kept), date_of(&m));
            if !(a.start <= b.end() && b.start <= a.end()) {
                continue;
            }
            let mut input = MoveInput::from(&kept);
            let sources = input.sources.get_or_insert_with(Vec::new);
            for citation in &m.sources {
                if sources.len() < MAX_CITATIONS
                    && !sources.iter().any(|c| c.source == Some(citation.source.id))
                {
                    sources.push(CitationInput {
                        source: Some(citation.source.id),
                        quote: citation.quote.clone(),
                    });
                }
            }
            let draft = input
                .validate()
                .map_err(|invalid| DbError::Invalid(invalid.0))?;
            record::update(conn, actor, &kept, draft).await?;
            record::delete(conn, actor, &m).await?;
            break;
        }
    }
    Ok(())
}

/// Merges researcher `source` into `target` (both locked by the caller's transaction).
pub async fn researchers(
    conn: &mut PgConnection,
    actor: &Actor,
    source: &Researcher,
    target: &Researcher,
) -> DbResult<Researcher> {
    not_itself(source.id, target.id, "researcher")?;
    let mut input = ResearcherInput::from(target);
    input.aliases = Some(merged_aliases(
        &target.name,
        &target.aliases,
        &source.name,
        &source.aliases,
    )?);
    let known = merged_ids([
        (&mut input.orcid, &source.orcid, "orcid"),
        (&mut input.openalex_id, &source.openalex_id, "openalex"),
        (&mut input.wikidata_id, &source.wikidata_id, "wikidata"),
    ]);
    let draft = input
        .validate()
        .map_err(|invalid| DbError::Invalid(invalid.0))?;

    let moved: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM moves WHERE deleted_at IS NULL AND researcher_id = $1")
            .bind(source.id)
            .fetch_all(&mut *conn)
            .await?;
    retarget::<Move, MoveInput>(
        conn,
        actor,
        "SELECT id FROM moves WHERE deleted_at IS NULL AND researcher_id = $1",
        &["researcher"],
        source.id,
        target.id,
    )
    .await?;
    fold_duplicate_moves(conn, actor, &moved).await?;
    move_roster_places(conn, actor, source.id, target.id).await?;
    finish_merge(
        conn,
        actor,
        super::RESEARCHERS,
        (source, reference(source.id, &source.slug, &source.name)),
        (target, reference(target.id, &target.slug, &target.name)),
        draft,
        known,
    )
    .await
}

/// The merged researcher's places on rosters become the target's; where the target is on the
/// roster already, the merged one's place goes. Each roster changed is audited on its project.
async fn move_roster_places(
    conn: &mut PgConnection,
    actor: &Actor,
    source: Uuid,
    target: Uuid,
) -> DbResult<()> {
    let projects: Vec<Uuid> = sqlx::query_scalar(
        "SELECT pc.project_id FROM project_contributors pc JOIN projects p ON p.id = pc.project_id
         WHERE pc.researcher_id = $1 AND p.deleted_at IS NULL ORDER BY pc.project_id",
    )
    .bind(source)
    .fetch_all(&mut *conn)
    .await?;
    for project in projects {
        let before = super::projects::contributors(conn, project).await?;
        sqlx::query(
            "DELETE FROM project_contributors WHERE project_id = $1 AND researcher_id = $2
               AND EXISTS (SELECT 1 FROM project_contributors WHERE project_id = $1 AND researcher_id = $3)",
        )
        .bind(project)
        .bind(source)
        .bind(target)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE project_contributors SET researcher_id = $3 WHERE project_id = $1 AND researcher_id = $2",
        )
        .bind(project)
        .bind(source)
        .bind(target)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE projects SET version = version + 1, updated_at = now() WHERE id = $1")
            .bind(project)
            .execute(&mut *conn)
            .await?;
        let after = super::projects::contributors(conn, project).await?;
        audit::record(
            conn,
            actor,
            audit::AuditAction::Update,
            "projects",
            project,
            Some(&json!({ "contributors": before })),
            Some(&json!({ "contributors": after })),
        )
        .await?;
    }
    Ok(())
}

/// Merges company `source` into `target` (both locked by the caller's transaction).
pub async fn companies(
    conn: &mut PgConnection,
    actor: &Actor,
    source: &Company,
    target: &Company,
) -> DbResult<Company> {
    not_itself(source.id, target.id, "company")?;
    let (between, deals, under): (Vec<Uuid>, i64, bool) = sqlx::query_as(
        "SELECT
            coalesce((SELECT array_agg(id ORDER BY effective_on, id) FROM moves WHERE deleted_at IS NULL
               AND ((from_company_id = $1 AND to_company_id = $2) OR (from_company_id = $2 AND to_company_id = $1))), '{}'),
            (SELECT count(*) FROM deals WHERE deleted_at IS NULL
               AND ((acquirer_id = $1 AND target_id = $2) OR (acquirer_id = $2 AND target_id = $1))),
            EXISTS (WITH RECURSIVE up AS (
                SELECT parent_id FROM companies WHERE id = $2
                UNION SELECT c.parent_id FROM companies c JOIN up ON c.id = up.parent_id
            ) SELECT 1 FROM up WHERE parent_id = $1)",
    )
    .bind(source.id)
    .bind(target.id)
    .fetch_one(&mut *conn)
    .await?;
    let mut problems = Vec::new();
    if !between.is_empty() {
        let listed: Vec<String> = between.iter().take(5).map(Uuid::to_string).collect();
        problems.push(format!(
            "{} move(s) go between the two ({}{}): a move cannot leave a company for itself; delete or change them first",
            between.len(),
            listed.join(", "),
            if between.len() > 5 { ", …" } else { "" }
        ));
    }
    if deals > 0 {
        problems.push(format!(
            "{deals} deal(s) are between the two: a company cannot acquire itself; delete or change them first"
        ));
    }
    if under {
        problems.push(format!(
            "`{}` is under `{}`: merge the other way, or give it another parent first",
            target.slug, source.slug
        ));
    }
    if !problems.is_empty() {
        return Err(DbError::Conflict {
            detail: format!(
                "`{}` cannot be merged into `{}`: {}",
                source.slug,
                target.slug,
                problems.join("; ")
            ),
            errors: vec![],
        });
    }
    let mut input = CompanyInput::from(target);
    input.aliases = Some(merged_aliases(
        &target.name,
        &target.aliases,
        &source.name,
        &source.aliases,
    )?);
    let known = merged_ids([
        (&mut input.ror, &source.ror, "ror"),
        (&mut input.openalex_id, &source.openalex_id, "openalex"),
        (&mut input.wikidata_id, &source.wikidata_id, "wikidata"),
    ]);
    let draft = input
        .validate()
        .map_err(|invalid| DbError::Invalid(invalid.0))?;

    let moved: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM moves WHERE deleted_at IS NULL AND (from_company_id = $1 OR to_company_id = $1)",
    )
    .bind(source.id)
    .fetch_all(&mut *conn)
    .await?;
    retarget::<Move, MoveInput>(
        conn,
        actor,
        "SELECT id FROM moves WHERE deleted_at IS NULL AND (from_company_id = $1 OR to_company_id = $1)",
        &["from", "to"],
        source.id,
        target.id,
    )
    .await?;
    fold_duplicate_moves(conn, actor, &moved).await?;
    retarget::<Company, CompanyInput>(
        conn,
        actor,
        "SELECT id FROM companies WHERE deleted_at IS NULL AND parent_id = $1",
        &["parent"],
        source.id,
        target.id,
    )
    .await?;
    retarget::<Project, ProjectInput>(
        conn,
        actor,
        "SELECT id FROM projects WHERE deleted_at IS NULL AND company_id = $1",
        &["company"],
        source.id,
        target.id,
    )
    .await?;
    retarget::<Deal, DealInput>(
        conn,
        actor,
        "SELECT id FROM deals WHERE deleted_at IS NULL AND (acquirer_id = $1 OR target_id = $1)",
        &["acquirer", "target"],
        source.id,
        target.id,
    )
    .await?;
    retarget::<CompensationReport, CompensationInput>(
        conn,
        actor,
        "SELECT id FROM compensation_reports WHERE deleted_at IS NULL AND company_id = $1",
        &["company"],
        source.id,
        target.id,
    )
    .await?;
    retarget::<Signal, SignalInput>(
        conn,
        actor,
        "SELECT id FROM signals WHERE deleted_at IS NULL AND company_id = $1",
        &["company"],
        source.id,
        target.id,
    )
    .await?;
    finish_merge(
        conn,
        actor,
        super::COMPANIES,
        (source, reference(source.id, &source.slug, &source.name)),
        (target, reference(target.id, &target.slug, &target.name)),
        draft,
        known,
    )
    .await
}

/// Where a merged record went: the live record at the end of its merges, found by the merged
/// record's id or old slug (the latest merged record of that slug). `table` is `companies` or
/// `researchers`.
pub async fn merged_into(
    conn: &mut PgConnection,
    table: &'static str,
    key: &str,
) -> Result<Option<String>, sqlx::Error> {
    let sql = format!(
        "WITH RECURSIVE chain AS (
             (SELECT id, slug, merged_into, deleted_at, 0 AS depth FROM {table}
              WHERE merged_into IS NOT NULL AND (slug = $1 OR id::text = $1)
              ORDER BY deleted_at DESC LIMIT 1)
             UNION ALL
             SELECT t.id, t.slug, t.merged_into, t.deleted_at, c.depth + 1
             FROM {table} t JOIN chain c ON t.id = c.merged_into WHERE c.depth < 50
         )
         SELECT slug FROM chain WHERE deleted_at IS NULL LIMIT 1"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(conn)
        .await
}
