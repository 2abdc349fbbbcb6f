//! `talentflow gen`: a deterministic, realistic synthetic dataset for load tests. Company sizes
//! follow a power law, some companies have parents, careers are chains of moves over ten
//! years, and projects have rosters. Names look like real ones ([`names`]), so search meets
//! the crowds real data has. Every record is marked synthetic all the same: companies' and
//! projects' web addresses and researchers' homepages are under `synthetic.invalid` (a name
//! that can never resolve, RFC 2606) and moves carry a note; and the generator refuses a
//! database that holds other records, so synthetic data never mixes with real or demo data.
//! Rows are written with COPY, without audit history.

mod names;

use std::{collections::HashSet, time::Duration};

use anyhow::{Result, bail};
use chrono::{Days, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sqlx::{PgPool, postgres::PgPoolCopyExt};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub companies: usize,
    pub researchers: usize,
    pub moves: usize,
    pub projects: usize,
    pub seed: u64,
}

const CHUNK: usize = 20_000;
/// Company kinds in turn; the list's mix is the dataset's.
const KINDS: [&str; 6] = [
    "big_tech", "ai_lab", "ai_lab", "startup", "startup", "academia",
];
const TITLES: [&str; 6] = [
    "Research Scientist",
    "Research Engineer",
    "Member of Technical Staff",
    "Principal Scientist",
    "Director of Research",
    "Chief Scientist",
];

pub async fn generate(pool: &PgPool, sizes: Sizes) -> Result<()> {
    if sizes.companies < 2 || sizes.researchers < 1 {
        bail!("gen needs at least 2 companies and 1 researcher");
    }
    let existing: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM companies) + (SELECT count(*) FROM researchers)",
    )
    .fetch_one(pool)
    .await?;
    if existing > 0 {
        bail!(
            "this database already holds {existing} companies and researchers; generate into an empty one (synthetic data is never mixed with other data)"
        );
    }
    let total = (sizes.companies + sizes.researchers + sizes.moves + sizes.projects) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{spinner} generating {pos}/{len} records {wide_bar} {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut rng = StdRng::seed_from_u64(sizes.seed);
    let mut id = || -> Uuid { uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid() };

    // Companies: the first 50 are top-level; a tenth of the rest belong to one of them.
    let companies: Vec<Uuid> = (0..sizes.companies).map(|_| id()).collect();
    let mut rng = StdRng::seed_from_u64(sizes.seed ^ 0xC0);
    let mut rows = Vec::new();
    let mut taken = HashSet::new();
    let mut slugs = names::Slugs::default();
    for (i, company) in companies.iter().enumerate() {
        let parent = (i >= 50 && rng.gen_ratio(1, 10))
            .then(|| companies[rng.gen_range(0..50.min(companies.len()))]);
        let kind = KINDS[i % KINDS.len()];
        let name = names::company(kind, &mut rng, &mut taken);
        let slug = slugs.next(&name);
        rows.push(format!(
            "{company},{slug},{name},{kind},{},https://{slug}.synthetic.invalid/\n",
            parent.map(|p| p.to_string()).unwrap_or_default()
        ));
    }
    copy(
        pool,
        "COPY companies (id, slug, name, kind, parent_id, website) FROM STDIN WITH (FORMAT csv)",
        &rows,
        &bar,
    )
    .await?;

    let mut rng = StdRng::seed_from_u64(sizes.seed ^ 0x5E);
    let mut id = || -> Uuid { uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid() };
    let researchers: Vec<Uuid> = (0..sizes.researchers).map(|_| id()).collect();
    let person_names = names::PersonNames::new();
    let mut slugs = names::Slugs::default();
    let mut rng = StdRng::seed_from_u64(sizes.seed ^ 0x4A);
    let rows: Vec<String> = researchers
        .iter()
        .map(|r| {
            let name = person_names.draw(&mut rng);
            let slug = slugs.next(&name);
            format!("{r},{slug},{name},https://synthetic.invalid/researchers/{slug}\n")
        })
        .collect();
    copy(
        pool,
        "COPY researchers (id, slug, name, homepage) FROM STDIN WITH (FORMAT csv)",
        &rows,
        &bar,
    )
    .await?;

    // Power-law company sizes: company i is picked with weight 1 / (i + 1)^1.1.
    let cumulative: Vec<f64> = companies
        .iter()
        .enumerate()
        .scan(0.0, |sum, (i, _)| {
            *sum += 1.0 / ((i + 1) as f64).powf(1.1);
            Some(*sum)
        })
        .collect();
    let total_weight = *cumulative.last().unwrap_or(&1.0);
    let mut rng = StdRng::seed_from_u64(sizes.seed ^ 0x30);
    let pick = |rng: &mut StdRng| -> usize {
        let x = rng.r#gen::<f64>() * total_weight;
        cumulative
            .partition_point(|c| *c < x)
            .min(companies.len() - 1)
    };

    // Careers: each researcher gets a chain of moves; the next one leaves where the last arrived.
    let start = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or_default();
    let mut rows = Vec::with_capacity(CHUNK);
    let mut written = 0usize;
    let per_researcher = sizes.moves.div_ceil(sizes.researchers.max(1));
    let note = format!("synthetic: talentflow gen --seed {}", sizes.seed);
    'researchers: for researcher in &researchers {
        let mut at: Option<usize> = None;
        let mut days: Vec<u64> = (0..per_researcher)
            .map(|_| rng.gen_range(0..3653))
            .collect();
        days.sort_unstable();
        for day in days {
            if written == sizes.moves {
                break 'researchers;
            }
            let date = start.checked_add_days(Days::new(day)).unwrap_or(start);
            let departing = at.is_some() && rng.gen_ratio(1, 20);
            let (kind, to) = if departing {
                ("departure", None)
            } else {
                let mut to = pick(&mut rng);
                while Some(to) == at {
                    to = (to + 1) % companies.len();
                }
                let kind = match rng.gen_range(0..100) {
                    0..=1 => "founding",
                    2 => "acquihire",
                    _ => "hire",
                };
                (kind, Some(to))
            };
            let title = TITLES[rng.gen_range(0..TITLES.len())];
            let move_id = uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid();
            rows.push(format!(
                "{move_id},{researcher},{},{},{kind},{title},{date},day,reported,\"{note}\"\n",
                at.map(|c| companies[c].to_string()).unwrap_or_default(),
                to.map(|c| companies[c].to_string()).unwrap_or_default(),
            ));
            written += 1;
            at = to;
            if rows.len() == CHUNK {
                copy_moves(pool, &rows, &bar).await?;
                rows.clear();
            }
        }
    }
    copy_moves(pool, &rows, &bar).await?;

    // Projects at the larger companies, with rosters of 5 to 70 researchers.
    let mut projects = Vec::new();
    let mut roster_rows = Vec::new();
    let mut slugs = names::Slugs::default();
    for p in 0..sizes.projects {
        let project = uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid();
        let company = companies[pick(&mut rng)];
        let released = start
            .checked_add_days(Days::new(rng.gen_range(0..3000)))
            .unwrap_or(start);
        let name = names::project(p);
        let slug = slugs.next(&name);
        projects.push(format!(
            "{project},{slug},{name},{company},{released},day,https://synthetic.invalid/projects/{slug}\n"
        ));
        let size = rng.gen_range(5..=70.min(sizes.researchers));
        let mut chosen: Vec<usize> = Vec::with_capacity(size);
        while chosen.len() < size {
            let r = rng.gen_range(0..researchers.len());
            if !chosen.contains(&r) {
                chosen.push(r);
            }
        }
        for (position, r) in chosen.into_iter().enumerate() {
            roster_rows.push(format!("{project},{},{position},author\n", researchers[r]));
        }
    }
    copy(pool, "COPY projects (id, slug, name, company_id, released_on, released_precision, url) FROM STDIN WITH (FORMAT csv)", &projects, &bar).await?;
    let quiet = ProgressBar::hidden();
    copy(pool, "COPY project_contributors (project_id, researcher_id, position, role) FROM STDIN WITH (FORMAT csv)", &roster_rows, &quiet).await?;
    bar.finish_and_clear();
    sqlx::query("ANALYZE").execute(pool).await?;
    tracing::info!(
        companies = sizes.companies,
        researchers = sizes.researchers,
        moves = written,
        projects = sizes.projects,
        "synthetic data written"
    );
    Ok(())
}

async fn copy_moves(pool: &PgPool, rows: &[String], bar: &ProgressBar) -> Result<()> {
    copy(
        pool,
        "COPY moves (id, researcher_id, from_company_id, to_company_id, kind, title, effective_on, effective_precision, confidence, notes) FROM STDIN WITH (FORMAT csv)",
        rows,
        bar,
    )
    .await
}

async fn copy(pool: &PgPool, statement: &str, rows: &[String], bar: &ProgressBar) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut copy = pool.copy_in_raw(statement).await?;
        copy.send(chunk.concat().into_bytes()).await?;
        copy.finish().await?;
        bar.inc(chunk.len() as u64);
    }
    Ok(())
}
