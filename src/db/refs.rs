//! How a row carries a reference to another record: as `ROW(id, slug, name)`, an anonymous
//! record, not a `jsonb_build_object`. Postgres sends a record in binary, field by field, and
//! sqlx decodes the fields as they are; a JSON object is built, escaped and sent as text by
//! Postgres, then parsed again here. On a page of 50 moves (three references each) building
//! and sending the JSON was a quarter of Postgres's time (BENCHMARKS.md, issue 17).
//!
//! A single reference is a record; a list of them (a move's citations, a project's roster)
//! stays a `jsonb_agg` array, which one value carries whatever its length.

use sqlx::{
    Decode, Postgres, Type,
    error::BoxDynError,
    postgres::{PgTypeInfo, PgValueRef},
};
use uuid::Uuid;

use crate::domain::refs::{CompanyRef, ProjectRef, ResearcherRef};

/// The fields of a reference, in the order its `ROW(...)` lists them.
type IdSlugName = (Uuid, String, String);

macro_rules! decoded_from_id_slug_name_record {
    ($($reference:ty),+) => {$(
        impl Type<Postgres> for $reference {
            fn type_info() -> PgTypeInfo {
                <IdSlugName as Type<Postgres>>::type_info()
            }

            fn compatible(ty: &PgTypeInfo) -> bool {
                <IdSlugName as Type<Postgres>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Postgres> for $reference {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let (id, slug, name) = <IdSlugName as Decode<'r, Postgres>>::decode(value)?;
                Ok(Self { id, slug, name })
            }
        }
    )+};
}

decoded_from_id_slug_name_record!(CompanyRef, ResearcherRef, ProjectRef);
