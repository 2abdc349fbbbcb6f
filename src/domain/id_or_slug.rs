//! Paths and reference fields accept either a record's id or its slug.

use uuid::Uuid;

use super::slug::Slug;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdOrSlug {
    Id(Uuid),
    Slug(Slug),
}

impl IdOrSlug {
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Ok(id) = Uuid::parse_str(text) {
            return Ok(Self::Id(id));
        }
        Slug::parse(text)
            .map(Self::Slug)
            .map_err(|_| format!("`{text}` is neither an id (UUID) nor a slug"))
    }

    /// The two bind values for `WHERE id = $1 OR slug = $2` style lookups.
    pub fn as_parts(&self) -> (Option<Uuid>, Option<&str>) {
        match self {
            Self::Id(id) => (Some(*id), None),
            Self::Slug(slug) => (None, Some(slug.as_str())),
        }
    }
}

impl std::fmt::Display for IdOrSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Slug(slug) => write!(f, "{slug}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_text_is_an_id_and_anything_slug_shaped_is_a_slug() {
        let id = Uuid::now_v7();
        assert_eq!(IdOrSlug::parse(&id.to_string()).unwrap(), IdOrSlug::Id(id));
        assert_eq!(
            IdOrSlug::parse("meta").unwrap(),
            IdOrSlug::Slug(Slug::parse("meta").unwrap())
        );
        assert!(IdOrSlug::parse("Not A Slug").is_err());
    }
}
