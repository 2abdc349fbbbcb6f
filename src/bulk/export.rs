//! `GET /v1/export` and `talentflow export`: every live record as NDJSON, from one consistent
//! snapshot, parents before the records that refer to them, so that import accepts the output
//! as it is (export → import → export gives the same lines).

use std::collections::HashMap;

use axum::body::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::RecordType;
use crate::{
    db::{
        self,
        record::{Record, by_ids},
    },
    domain::{
        company::{Company, CompanyInput},
        compensation::{CompensationInput, CompensationReport},
        deal::{Deal, DealInput},
        moves::{Move, MoveInput},
        project::{Project, ProjectInput, ProjectReport, ReportInput, roster_inputs},
        researcher::{Researcher, ResearcherInput},
        signal::{Signal, SignalInput},
        source::{Source, SourceInput},
    },
    error::ApiResult,
};

const BATCH: usize = 500;

/// Sends the export in chunks of lines. Returns the number of records, or stops early
/// (returning what was sent) when the receiver is gone.
pub async fn export(pool: &PgPool, out: &crate::stream::Feed) -> ApiResult<u64> {
    let mut tx = db::read_snapshot(pool).await?;
    let mut records = 0;
    for kind in RecordType::ALL {
        let ids = ordered_ids(&mut tx, kind).await?;
        for chunk in ids.chunks(BATCH) {
            let lines = lines(&mut tx, kind, chunk).await?;
            records += chunk.len() as u64;
            if !out.send(Bytes::from(lines)).await {
                return Ok(records);
            }
        }
    }
    tx.rollback().await?;
    Ok(records)
}

/// Live ids in export order: companies by depth below their top-level parent, the rest by id.
async fn ordered_ids(conn: &mut PgConnection, kind: RecordType) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = match kind {
        RecordType::Company => {
            "WITH RECURSIVE tree AS (
                 SELECT c.id, 0 AS depth FROM companies c
                 WHERE c.deleted_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM companies p WHERE p.id = c.parent_id AND p.deleted_at IS NULL)
                 UNION ALL
                 SELECT c.id, t.depth + 1 FROM companies c JOIN tree t ON c.parent_id = t.id
                 WHERE c.deleted_at IS NULL
             )
             SELECT id FROM tree ORDER BY depth, id"
        }
        RecordType::Researcher => "SELECT id FROM researchers WHERE deleted_at IS NULL ORDER BY id",
        RecordType::Source => "SELECT id FROM sources WHERE deleted_at IS NULL ORDER BY id",
        RecordType::Project => "SELECT id FROM projects WHERE deleted_at IS NULL ORDER BY id",
        RecordType::Report => {
            "SELECT r.id FROM project_reports r JOIN projects p ON p.id = r.project_id
             WHERE r.deleted_at IS NULL AND p.deleted_at IS NULL ORDER BY r.id"
        }
        RecordType::Deal => "SELECT id FROM deals WHERE deleted_at IS NULL ORDER BY id",
        RecordType::Move => "SELECT id FROM moves WHERE deleted_at IS NULL ORDER BY id",
        RecordType::Compensation => "SELECT id FROM compensation_reports WHERE deleted_at IS NULL ORDER BY id",
        RecordType::Signal => "SELECT id FROM signals WHERE deleted_at IS NULL ORDER BY id",
    };
    sqlx::query_scalar(sql).fetch_all(conn).await
}

async fn lines(conn: &mut PgConnection, kind: RecordType, ids: &[Uuid]) -> ApiResult<Vec<u8>> {
    let mut out = Vec::with_capacity(ids.len() * 256);
    match kind {
        RecordType::Company => {
            let found = by_ids::<Company>(conn, ids).await?;
            write_in_order(&mut out, kind, ids, found, |c| CompanyInput::from(c));
        }
        RecordType::Researcher => {
            let found = by_ids::<Researcher>(conn, ids).await?;
            write_in_order(&mut out, kind, ids, found, |r| ResearcherInput::from(r));
        }
        RecordType::Source => {
            let found = by_ids::<Source>(conn, ids).await?;
            write_in_order(&mut out, kind, ids, found, |s| SourceInput::from(s));
        }
        RecordType::Move => {
            let found = by_ids::<Move>(conn, ids).await?;
            write_in_order(&mut out, kind, ids, found, |m| MoveInput::from(m));
        }
        RecordType::Project => {
            let found = by_ids::<Project>(conn, ids).await?;
            let mut rosters = HashMap::new();
            for project in &found {
                rosters.insert(
                    project.id,
                    roster_inputs(&db::projects::contributors(conn, project.id).await?),
                );
            }
            write_in_order(&mut out, kind, ids, found, |p| {
                let mut line = serde_json::to_value(ProjectInput::from(p)).unwrap_or(Value::Null);
                line["contributors"] =
                    serde_json::to_value(rosters.get(&p.id)).unwrap_or(Value::Null);
                line
            });
        }
        RecordType::Report => {
            let found = by_ids::<ProjectReport>(conn, ids).await?;
            write_in_order(&mut out, kind, ids, found, |r| {
                let mut line = serde_json::to_value(ReportInput::from(r)).unwrap_or(Value::Null);
                line["project"] = Value::String(r.project.slug.clone());
                line
            });
        }
        RecordType::Deal => {
            let found = by_ids::<Deal>(conn, ids).await?;
            write_in_order(&mut out, kind, ids, found, |d| DealInput::from(d));
        }
        RecordType::Compensation => {
            let found = by_ids::<CompensationReport>(conn, ids).await?;
            write_in_order(&mut out, kind, ids, found, |c| CompensationInput::from(c));
        }
        RecordType::Signal => {
            let found = by_ids::<Signal>(conn, ids).await?;
            write_in_order(&mut out, kind, ids, found, |s| SignalInput::from(s));
        }
    }
    Ok(out)
}

fn write_in_order<R: Record, I: Serialize>(
    out: &mut Vec<u8>,
    kind: RecordType,
    ids: &[Uuid],
    records: Vec<R>,
    input_of: impl Fn(&R) -> I,
) {
    let by_id: HashMap<Uuid, R> = records.into_iter().map(|r| (r.id(), r)).collect();
    for id in ids {
        let Some(record) = by_id.get(id) else {
            continue;
        };
        let mut line = Map::new();
        line.insert("type".to_owned(), Value::String(kind.as_str().to_owned()));
        line.insert("id".to_owned(), Value::String(id.to_string()));
        if let Ok(Value::Object(fields)) = serde_json::to_value(input_of(record)) {
            line.extend(fields);
        }
        if serde_json::to_writer(&mut *out, &line).is_ok() {
            out.push(b'\n');
        }
    }
}
