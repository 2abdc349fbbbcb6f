//! Which researcher and which company a record means: found by an identifier in an open
//! register first (the record's own fields, then the identifiers it is otherwise known by,
//! `known_ids`), companies then by a pinned mapping or by name or alias, and otherwise planned
//! as new records. Everything here reads; the writes are planned for `write`.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::PgConnection;
use uuid::Uuid;

use super::career::{OrgRef, PersonRef};
use crate::{
    db,
    domain::{
        company::{Company, CompanyInput, CompanyKind, parse_country},
        external_id,
        id_or_slug::IdOrSlug,
        researcher::{Researcher, ResearcherInput, parse_openalex_id, parse_orcid},
        slug::Slug,
        text::{self, fold},
    },
    error::FieldError,
};

/// A register an identifier belongs to, as `known_ids.scheme` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    Ror,
    Orcid,
    Openalex,
    Wikidata,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ror => "ror",
            Self::Orcid => "orcid",
            Self::Openalex => "openalex",
            Self::Wikidata => "wikidata",
        }
    }
}

/// An identifier: register and bare value.
pub type ExternalId = (Scheme, String);

/// An organisation's identifiers, most trusted first (ROR, OpenAlex, Wikidata), each checked:
/// a value that is not of its register's form is left out.
pub fn org_ids(org: &OrgRef) -> Vec<ExternalId> {
    let mut ids = Vec::new();
    if let Some(ror) = org
        .ror
        .as_deref()
        .and_then(|r| external_id::parse_ror(r).ok())
    {
        ids.push((Scheme::Ror, ror));
    }
    if let Some(id) = org
        .openalex
        .as_deref()
        .and_then(|o| external_id::parse_openalex(o, 'I', "institution").ok())
    {
        ids.push((Scheme::Openalex, id));
    }
    if let Some(id) = org
        .wikidata
        .as_deref()
        .and_then(|w| external_id::parse_wikidata(w).ok())
    {
        ids.push((Scheme::Wikidata, id));
    }
    ids
}

/// A person's identifiers, most trusted first (ORCID, OpenAlex, Wikidata), each checked.
pub fn person_ids(person: &PersonRef) -> Vec<ExternalId> {
    let mut ids = Vec::new();
    if let Some(id) = person.orcid.as_deref().and_then(|o| parse_orcid(o).ok()) {
        ids.push((Scheme::Orcid, id));
    }
    if let Some(id) = person
        .openalex
        .as_deref()
        .and_then(|o| parse_openalex_id(o).ok())
    {
        ids.push((Scheme::Openalex, id));
    }
    if let Some(id) = person
        .wikidata
        .as_deref()
        .and_then(|w| external_id::parse_wikidata(w).ok())
    {
        ids.push((Scheme::Wikidata, id));
    }
    ids
}

/// How an organisation is told apart within one file: its most trusted identifier, else its
/// folded name.
pub fn org_key(org: &OrgRef) -> Option<String> {
    match org_ids(org).first() {
        Some((scheme, value)) => Some(format!("{}:{value}", scheme.as_str())),
        None => org
            .name
            .as_deref()
            .map(|name| format!("name:{}", fold(name))),
    }
}

/// The `--map` file: identifiers pinned to companies, matched before anything else.
#[derive(Debug, Default, Clone)]
pub struct CompanyMap {
    pins: HashMap<ExternalId, IdOrSlug>,
}

impl CompanyMap {
    /// CSV lines `external id,company` (a ROR id or URL, an OpenAlex institution id `I…` or
    /// URL, or a Wikidata item `Q…` or URL; then the company's id or slug). A header line whose
    /// first cell is not an identifier, blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<Self, Vec<FieldError>> {
        let mut pins = HashMap::new();
        let mut errors = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = line
                .split(',')
                .map(|c| c.trim().trim_matches('"'))
                .collect();
            let id = identify(cells[0]);
            if id.is_none() && n == 0 {
                continue;
            }
            let mut error = |message: String| {
                let mut error = FieldError::new("map", message);
                error.line = Some(n as u64 + 1);
                errors.push(error);
            };
            let (Some(id), [_, company]) = (id, cells.as_slice()) else {
                error(format!(
                    "`{line}` is not `external id,company` (a ROR, OpenAlex institution or Wikidata id, then a company's id or slug)"
                ));
                continue;
            };
            match IdOrSlug::parse(company) {
                Ok(company) => {
                    pins.insert(id, company);
                }
                Err(problem) => error(format!("company: {problem}")),
            }
        }
        if errors.is_empty() {
            Ok(Self { pins })
        } else {
            Err(errors)
        }
    }
}

/// An organisation identifier of any of the three registers, by its form.
fn identify(text: &str) -> Option<ExternalId> {
    if let Ok(ror) = external_id::parse_ror(text) {
        return Some((Scheme::Ror, ror));
    }
    if let Ok(id) = external_id::parse_openalex(text, 'I', "institution") {
        return Some((Scheme::Openalex, id));
    }
    external_id::parse_wikidata(text)
        .ok()
        .map(|id| (Scheme::Wikidata, id))
}

/// Live records of `table` holding any of `ids`, in their own fields or as known ids:
/// identifier → record.
async fn holders(
    conn: &mut PgConnection,
    table: &'static str,
    ids: &HashSet<ExternalId>,
) -> Result<HashMap<ExternalId, Uuid>, sqlx::Error> {
    let columns: &[(Scheme, &str)] = if table == "companies" {
        &[
            (Scheme::Ror, "ror"),
            (Scheme::Openalex, "openalex_id"),
            (Scheme::Wikidata, "wikidata_id"),
        ]
    } else {
        &[
            (Scheme::Orcid, "orcid"),
            (Scheme::Openalex, "openalex_id"),
            (Scheme::Wikidata, "wikidata_id"),
        ]
    };
    let mut found = HashMap::new();
    for (scheme, column) in columns {
        let values: Vec<&str> = ids
            .iter()
            .filter(|(s, _)| s == scheme)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT t.{column}, t.id FROM unnest($1::text[]) AS wanted (value)
             JOIN {table} t ON t.{column} = wanted.value AND t.deleted_at IS NULL"
        );
        let rows: Vec<(String, Uuid)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&values)
            .fetch_all(&mut *conn)
            .await?;
        found.extend(rows.into_iter().map(|(v, id)| ((*scheme, v), id)));
    }
    let (schemes, values): (Vec<&str>, Vec<&str>) =
        ids.iter().map(|(s, v)| (s.as_str(), v.as_str())).unzip();
    // Joined on the key, so that a long list is looked up in the index, not compared row by row.
    let sql = format!(
        "SELECT k.scheme, k.value, k.record_id
         FROM unnest($1::text[], $2::text[]) AS wanted (scheme, value)
         JOIN known_ids k ON k.collection = '{table}' AND k.scheme = wanted.scheme AND k.value = wanted.value
         JOIN {table} t ON t.id = k.record_id AND t.deleted_at IS NULL"
    );
    let known: Vec<(String, String, Uuid)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&schemes)
        .bind(&values)
        .fetch_all(&mut *conn)
        .await?;
    for (scheme, value, id) in known {
        let scheme = columns
            .iter()
            .map(|(s, _)| *s)
            .find(|s| s.as_str() == scheme);
        if let Some(scheme) = scheme {
            // A record's own field wins over a known id held by another.
            found.entry((scheme, value)).or_insert(id);
        }
    }
    Ok(found)
}

/// Slugs for new records: the name's, or, where that is taken (in the database or by another
/// new record), the name's with the record's first identifier (`wei-zhang-a5023888391`),
/// which no other record can have; `None` leaves it to the importer's generator.
async fn allot_slugs(
    conn: &mut PgConnection,
    table: &'static str,
    wanted: &[(String, Option<String>)],
) -> Result<Vec<Option<Slug>>, sqlx::Error> {
    let plain: Vec<Slug> = wanted
        .iter()
        .map(|(name, _)| Slug::from_name(name))
        .collect();
    let suffixed: Vec<Option<Slug>> = wanted
        .iter()
        .zip(&plain)
        .map(|((_, id), base)| {
            let id = id.as_deref()?;
            let tail: String = id
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let keep = base.as_str().len().min(99 - tail.len().min(60));
            Slug::parse(&format!(
                "{}-{tail}",
                base.as_str()[..keep].trim_end_matches('-')
            ))
            .ok()
        })
        .collect();
    let candidates: Vec<String> = plain
        .iter()
        .chain(suffixed.iter().flatten())
        .map(|s| s.as_str().to_owned())
        .collect();
    let sql = format!(
        "SELECT t.slug FROM unnest($1::text[]) AS wanted (slug)
         JOIN {table} t ON t.slug = wanted.slug AND t.deleted_at IS NULL"
    );
    let taken: HashSet<String> = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
        .bind(&candidates)
        .fetch_all(conn)
        .await?
        .into_iter()
        .collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut slugs = Vec::with_capacity(wanted.len());
    for (base, suffixed) in plain.into_iter().zip(suffixed) {
        let choice = [Some(base), suffixed]
            .into_iter()
            .flatten()
            .find(|slug| !taken.contains(slug.as_str()) && !used.contains(slug.as_str()));
        if let Some(slug) = &choice {
            used.insert(slug.as_str().to_owned());
        }
        slugs.push(choice);
    }
    Ok(slugs)
}

/// `Meta (United States)` → `Meta`: OpenAlex names companies with their country in brackets.
fn without_country(name: &str) -> Option<String> {
    let stripped = name.trim_end().strip_suffix(')')?;
    let (head, _) = stripped.rsplit_once(" (")?;
    let head = head.trim();
    (!head.is_empty()).then(|| head.to_owned())
}

/// What the source's kind of organisation says of its company kind.
fn company_kind(kind: Option<&str>) -> CompanyKind {
    match kind {
        Some("education") => CompanyKind::Academia,
        Some("government") => CompanyKind::Government,
        _ => CompanyKind::Other,
    }
}

/// A company whose name or alias is a name asked for: (that name, id, ROR, OpenAlex and
/// Wikidata ids).
type NamedCompany = (String, Uuid, Option<String>, Option<String>, Option<String>);

/// The companies a file's organisations are.
#[derive(Debug, Default)]
pub struct Companies {
    /// Organisation key (`org_key`) → company.
    pub by_key: HashMap<String, Uuid>,
    /// New companies, parents before the companies under them.
    pub created: Vec<(Uuid, CompanyInput)>,
    /// Companies found that learn identifiers they lacked.
    pub updated: Vec<(Uuid, CompanyInput)>,
    pub matched: u64,
    /// Why organisations were left out or not matched by name.
    pub notes: Vec<String>,
}

/// Finds or plans a company for every organisation of the file, and for every parent of one
/// that the file names (a parent known only by an identifier is only looked up).
pub async fn companies(
    conn: &mut PgConnection,
    orgs: &[&OrgRef],
    pins: &CompanyMap,
) -> Result<Companies, db::error::DbError> {
    let named_parents: Vec<&OrgRef> = orgs
        .iter()
        .flat_map(|org| org.parents.iter())
        .filter(|parent| parent.name.is_some())
        .collect();
    // One entry per organisation: what every reference to it says.
    let mut distinct: BTreeMap<String, OrgRef> = BTreeMap::new();
    for org in orgs.iter().chain(&named_parents) {
        let Some(key) = org_key(org) else { continue };
        let entry = distinct.entry(key).or_insert_with(|| (*org).clone());
        for (field, value) in [
            (&mut entry.ror, &org.ror),
            (&mut entry.openalex, &org.openalex),
            (&mut entry.wikidata, &org.wikidata),
            (&mut entry.name, &org.name),
            (&mut entry.country, &org.country),
            (&mut entry.kind, &org.kind),
        ] {
            if field.is_none() {
                field.clone_from(value);
            }
        }
        if entry.parents.is_empty() {
            entry.parents.clone_from(&org.parents);
        }
    }
    let mut wanted: HashSet<ExternalId> = HashSet::new();
    for org in distinct.values() {
        wanted.extend(org_ids(org));
        for parent in &org.parents {
            wanted.extend(org_ids(parent));
        }
    }
    let held = holders(conn, "companies", &wanted).await?;
    let mut out = Companies::default();
    let mut pinned: HashMap<ExternalId, Uuid> = HashMap::new();
    for (id, company) in &pins.pins {
        let found = db::resolve_for_reference(conn, db::Sluggable::Companies, company).await?;
        let found = found.ok_or_else(|| {
            db::error::DbError::Invalid(vec![FieldError::new(
                "map",
                format!("no company `{company}` (mapped from `{}`)", id.1),
            )])
        })?;
        pinned.insert(id.clone(), found);
    }

    // By identifier: pinned first, then held.
    let mut unresolved: Vec<(&String, &OrgRef)> = Vec::new();
    for (key, org) in &distinct {
        let ids = org_ids(org);
        let found = ids
            .iter()
            .find_map(|id| pinned.get(id))
            .or_else(|| ids.iter().find_map(|id| held.get(id)));
        match found {
            Some(company) => {
                out.by_key.insert(key.clone(), *company);
                out.matched += 1;
            }
            None => unresolved.push((key, org)),
        }
    }

    // By name or alias, when exactly one company has it and none of its identifiers
    // contradicts the organisation's (two universities of one name, a renamed one); failing
    // that, by the name without the country OpenAlex appends ("Meta (United States)").
    let names: Vec<String> = unresolved
        .iter()
        .filter_map(|(_, org)| org.name.as_deref())
        .flat_map(|name| [Some(name.to_owned()), without_country(name)])
        .flatten()
        .collect();
    let rows: Vec<NamedCompany> =
        sqlx::query_as(
            "WITH wanted AS (SELECT DISTINCT n AS name, tf_fold(n) AS folded FROM unnest($1::text[]) n),
             known AS (
                 SELECT c.id, c.ror, c.openalex_id, c.wikidata_id, tf_fold(x) AS folded
                 FROM companies c, unnest(array_prepend(c.name, c.aliases)) x
                 WHERE c.deleted_at IS NULL
             )
             SELECT DISTINCT w.name, k.id, k.ror, k.openalex_id, k.wikidata_id
             FROM wanted w JOIN known k ON k.folded = w.folded",
        )
        .bind(&names)
        .fetch_all(&mut *conn)
        .await?;
    let mut by_name: HashMap<&str, Vec<&NamedCompany>> = HashMap::new();
    for row in &rows {
        by_name.entry(row.0.as_str()).or_default().push(row);
    }
    let mut to_create: Vec<(&String, &OrgRef)> = Vec::new();
    for (key, org) in unresolved {
        let named = |name: Option<&str>| -> Vec<Uuid> {
            name.and_then(|name| by_name.get(name))
                .into_iter()
                .flatten()
                .filter(|(_, _, ror, openalex, wikidata)| {
                    org_ids(org).iter().all(|(scheme, value)| {
                        let theirs = match scheme {
                            Scheme::Ror => ror,
                            Scheme::Openalex => openalex,
                            _ => wikidata,
                        };
                        theirs.as_ref().is_none_or(|theirs| theirs == value)
                    })
                })
                .map(|row| row.1)
                .collect::<HashSet<_>>()
                .into_iter()
                .collect()
        };
        let mut candidates = named(org.name.as_deref());
        if candidates.is_empty() {
            candidates = named(org.name.as_deref().and_then(without_country).as_deref());
        }
        match candidates.as_slice() {
            [company] => {
                out.by_key.insert(key.clone(), *company);
                out.matched += 1;
            }
            [] => to_create.push((key, org)),
            _ => {
                out.notes.push(format!(
                    "{} companies are called `{}`: none was chosen, a new one was made (pin one with a map)",
                    candidates.len(),
                    org.name.as_deref().unwrap_or_default()
                ));
                to_create.push((key, org));
            }
        }
    }

    // New companies. Those of one file with the same folded name and no identifier that
    // tells them apart are one.
    let mut new_by_name: HashMap<String, Uuid> = HashMap::new();
    let mut planned: Vec<(Uuid, &OrgRef, String)> = Vec::new();
    for (key, org) in to_create {
        let Some(name) = org.name.as_deref().and_then(|n| text::name(n, 200).ok()) else {
            out.notes.push(format!(
                "the organisation `{}` has no name in the file: its stints were left out",
                key.split_once(':').map_or(key.as_str(), |(_, v)| v)
            ));
            continue;
        };
        let folded = fold(&name);
        if org_ids(org).is_empty()
            && let Some(id) = new_by_name.get(&folded)
        {
            out.by_key.insert(key.clone(), *id);
            continue;
        }
        let id = Uuid::now_v7();
        new_by_name.entry(folded).or_insert(id);
        out.by_key.insert(key.clone(), id);
        planned.push((id, org, name));
    }
    let slugs = allot_slugs(
        conn,
        "companies",
        &planned
            .iter()
            .map(|(_, org, name)| (name.clone(), org_ids(org).first().map(|(_, v)| v.clone())))
            .collect::<Vec<_>>(),
    )
    .await?;
    let new_ids: HashSet<Uuid> = planned.iter().map(|(id, _, _)| *id).collect();
    let mut parent_of: HashMap<Uuid, Uuid> = HashMap::new();
    let mut inputs: HashMap<Uuid, CompanyInput> = HashMap::new();
    for ((id, org, name), slug) in planned.iter().zip(slugs) {
        let parent = org.parents.iter().find_map(|parent| {
            let ids = org_ids(parent);
            ids.iter()
                .find_map(|pid| held.get(pid))
                .copied()
                .or_else(|| {
                    let key = org_key(parent)?;
                    out.by_key.get(&key).copied()
                })
        });
        if let Some(parent) = parent.filter(|p| p != id) {
            parent_of.insert(*id, parent);
        }
        let ids = org_ids(org);
        let id_of = |scheme: Scheme| {
            ids.iter()
                .find(|(s, _)| *s == scheme)
                .map(|(_, v)| v.clone())
        };
        inputs.insert(
            *id,
            CompanyInput {
                name: Some(name.clone()),
                slug: slug.map(|s| s.as_str().to_owned()),
                kind: Some(company_kind(org.kind.as_deref()).as_str().to_owned()),
                country: org.country.as_deref().and_then(|c| parse_country(c).ok()),
                ror: id_of(Scheme::Ror),
                openalex_id: id_of(Scheme::Openalex),
                wikidata_id: id_of(Scheme::Wikidata),
                ..CompanyInput::default()
            },
        );
    }
    // Parents first; a parent link that would close a loop among new companies is dropped.
    let mut placed: HashSet<Uuid> = HashSet::new();
    for (id, _, _) in &planned {
        let mut chain = vec![*id];
        let mut at = *id;
        while let Some(parent) = parent_of.get(&at).copied() {
            if !new_ids.contains(&parent) || placed.contains(&parent) {
                break;
            }
            if chain.contains(&parent) {
                parent_of.remove(&at);
                break;
            }
            chain.push(parent);
            at = parent;
        }
        for company in chain.into_iter().rev() {
            if placed.insert(company)
                && let Some(mut input) = inputs.remove(&company)
            {
                input.parent = parent_of.get(&company).map(Uuid::to_string);
                out.created.push((company, input));
            }
        }
    }

    // Companies found that lack an identifier the file gives them, when no one else holds it.
    let mut learned: HashMap<Uuid, Vec<ExternalId>> = HashMap::new();
    for (key, org) in &distinct {
        let Some(company) = out.by_key.get(key) else {
            continue;
        };
        if new_ids.contains(company) {
            continue;
        }
        for id in org_ids(org) {
            if !held.contains_key(&id) {
                learned.entry(*company).or_default().push(id);
            }
        }
    }
    let ids: Vec<Uuid> = learned.keys().copied().collect();
    let found = db::record::by_ids::<Company>(conn, &ids).await?;
    let mut claimed: HashSet<ExternalId> = HashSet::new();
    for company in found {
        let mut input = CompanyInput::from(&company);
        let mut changed = false;
        for (scheme, value) in &learned[&company.id] {
            let field = match scheme {
                Scheme::Ror => &mut input.ror,
                Scheme::Openalex => &mut input.openalex_id,
                _ => &mut input.wikidata_id,
            };
            if field.is_none() && claimed.insert((*scheme, value.clone())) {
                *field = Some(value.clone());
                changed = true;
            }
        }
        if changed {
            out.updated.push((company.id, input));
        }
    }
    Ok(out)
}

/// The researchers a file's people are.
#[derive(Debug, Default)]
pub struct People {
    /// For each person given, in order, the researcher (None: no name to create one with).
    pub researchers: Vec<Option<Uuid>>,
    pub created: Vec<(Uuid, ResearcherInput)>,
    /// Researchers found that learn names or identifiers.
    pub updated: Vec<(Uuid, ResearcherInput)>,
    /// Identifiers a researcher is known by besides their own fields.
    pub known: Vec<(Uuid, ExternalId)>,
    pub matched: u64,
    pub notes: Vec<String>,
}

/// Finds or plans a researcher for every person given. People of one file who share an
/// identifier (the same ORCID under two OpenAlex ids) are one researcher. A person without any
/// identifier (an author OpenAlex did not match) is the one researcher of `by_name` whose name
/// or alias is theirs, when there is one (the roster the work is setting), else new.
pub async fn people(
    conn: &mut PgConnection,
    persons: &[&PersonRef],
    by_name: &[(Uuid, Vec<String>)],
) -> Result<People, db::error::DbError> {
    // Groups of people sharing an identifier (union-find over the persons).
    let mut group: Vec<usize> = (0..persons.len()).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    let mut first_with: HashMap<ExternalId, usize> = HashMap::new();
    let mut wanted: HashSet<ExternalId> = HashSet::new();
    for (i, person) in persons.iter().enumerate() {
        for id in person_ids(person) {
            wanted.insert(id.clone());
            match first_with.get(&id) {
                Some(&j) => {
                    let (a, b) = (root(&mut group, i), root(&mut group, j));
                    group[a.max(b)] = a.min(b);
                }
                None => {
                    first_with.insert(id, i);
                }
            }
        }
    }
    let held = holders(conn, "researchers", &wanted).await?;
    // Each group: its identifiers (most trusted first) and names, in the order met.
    let mut groups: BTreeMap<usize, (Vec<ExternalId>, Vec<String>)> = BTreeMap::new();
    for (i, person) in persons.iter().enumerate() {
        let r = root(&mut group, i);
        let (ids, names) = groups.entry(r).or_default();
        for id in person_ids(person) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        for name in &person.names {
            if let Ok(name) = text::name(name, 200)
                && !names.iter().any(|n| fold(n) == fold(&name))
            {
                names.push(name);
            }
        }
    }
    let mut out = People::default();
    let mut researcher_of: HashMap<usize, Option<Uuid>> = HashMap::new();
    let mut found_ids: HashMap<Uuid, usize> = HashMap::new();
    let mut new_people: Vec<(usize, Uuid)> = Vec::new();
    for (r, (ids, names)) in &mut groups {
        ids.sort_by_key(|(scheme, _)| *scheme);
        let named = || {
            let mine: HashSet<String> = names.iter().map(|n| fold(n)).collect();
            let found: Vec<Uuid> = by_name
                .iter()
                .filter(|(_, theirs)| theirs.iter().any(|n| mine.contains(&fold(n))))
                .map(|(id, _)| *id)
                .collect();
            match found.as_slice() {
                [one] if ids.is_empty() => Some(*one),
                _ => None,
            }
        };
        match ids
            .iter()
            .find_map(|id| held.get(id))
            .copied()
            .or_else(named)
            .as_ref()
        {
            Some(researcher) => {
                researcher_of.insert(*r, Some(*researcher));
                found_ids.insert(*researcher, *r);
                out.matched += 1;
            }
            None if names.is_empty() => {
                out.notes.push(format!(
                    "a person ({}) has no name in the file and was left out",
                    ids.first().map_or("no identifier", |(_, v)| v.as_str())
                ));
                researcher_of.insert(*r, None);
            }
            None => {
                let id = Uuid::now_v7();
                researcher_of.insert(*r, Some(id));
                new_people.push((*r, id));
            }
        }
    }
    let slugs = allot_slugs(
        conn,
        "researchers",
        &new_people
            .iter()
            .map(|(r, _)| {
                let (ids, names) = &groups[r];
                (names[0].clone(), ids.first().map(|(_, v)| v.clone()))
            })
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut claimed: HashSet<ExternalId> = HashSet::new();
    for ((r, id), slug) in new_people.iter().zip(slugs) {
        let (ids, names) = &groups[r];
        let mut input = ResearcherInput {
            name: Some(names[0].clone()),
            slug: slug.map(|s| s.as_str().to_owned()),
            aliases: Some(names[1..].iter().take(50).cloned().collect()),
            ..ResearcherInput::default()
        };
        for (scheme, value) in ids {
            let field = match scheme {
                Scheme::Orcid => &mut input.orcid,
                Scheme::Openalex => &mut input.openalex_id,
                _ => &mut input.wikidata_id,
            };
            if field.is_none() && claimed.insert((*scheme, value.clone())) {
                *field = Some(value.clone());
            } else {
                out.known.push((*id, (*scheme, value.clone())));
            }
        }
        out.created.push((*id, input));
    }
    // Researchers found: names they were not known by become aliases, identifiers they lack
    // become theirs (or known ids, when their field holds another).
    let ids: Vec<Uuid> = found_ids.keys().copied().collect();
    let found = db::record::by_ids::<Researcher>(conn, &ids).await?;
    for researcher in found {
        let (ids, names) = &groups[&found_ids[&researcher.id]];
        let mut input = ResearcherInput::from(&researcher);
        let mut changed = false;
        let mut aliases = researcher.aliases.clone();
        for name in names {
            let known = fold(&researcher.name) == fold(name)
                || aliases.iter().any(|a| fold(a) == fold(name));
            if !known && aliases.len() < 50 {
                aliases.push(name.clone());
                changed = true;
            }
        }
        input.aliases = Some(aliases);
        for (scheme, value) in ids {
            if held.contains_key(&(*scheme, value.clone())) {
                continue;
            }
            let field = match scheme {
                Scheme::Orcid => &mut input.orcid,
                Scheme::Openalex => &mut input.openalex_id,
                _ => &mut input.wikidata_id,
            };
            if field.is_none() && claimed.insert((*scheme, value.clone())) {
                *field = Some(value.clone());
                changed = true;
            } else if field.as_deref() != Some(value.as_str()) {
                out.known.push((researcher.id, (*scheme, value.clone())));
            }
        }
        if changed {
            out.updated.push((researcher.id, input));
        }
    }
    out.researchers = (0..persons.len())
        .map(|i| researcher_of.get(&root(&mut group, i)).copied().flatten())
        .collect();
    Ok(out)
}
