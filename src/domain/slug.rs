//! URL-safe, human-readable identifiers: `google-deepmind`.

use std::fmt;

/// Lowercase ASCII letters and digits in hyphen-separated words. Never shaped like a UUID, so a
/// path segment is unambiguously either an id or a slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

pub const MAX_LEN: usize = 100;

impl Slug {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > MAX_LEN {
            return Err(format!("a slug has 1 to {MAX_LEN} characters"));
        }
        let well_formed = text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !well_formed {
            return Err(format!(
                "`{text}` is not a slug: use lowercase letters, digits and single hyphens between words"
            ));
        }
        if uuid::Uuid::parse_str(text).is_ok() {
            return Err("a slug must not look like a UUID".to_owned());
        }
        Ok(Self(text.to_owned()))
    }

    /// The slug a name suggests: transliterated to ASCII, lowercased, words joined by hyphens,
    /// cut at a word boundary to stay short. Names with nothing to transliterate give `record`.
    pub fn from_name(name: &str) -> Self {
        const TARGET_LEN: usize = 80;
        let ascii = deunicode::deunicode(name).to_ascii_lowercase();
        let mut slug = String::new();
        for word in ascii
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if !slug.is_empty() && slug.len() + 1 + word.len() > TARGET_LEN {
                break;
            }
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(&word[..word.len().min(TARGET_LEN)]);
        }
        match Self::parse(&slug) {
            Ok(slug) => slug,
            Err(_) => Self("record".to_owned()),
        }
    }

    /// `wei-li` → `wei-li-2`: used to make a generated slug unique.
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let keep = self.0.len().min(MAX_LEN - suffix.len());
        let base = self.0[..keep].trim_end_matches('-');
        Self(format!("{base}{suffix}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_words_joined_by_single_hyphens() {
        for good in ["meta", "google-deepmind", "llama-2", "a", "x1-y2-z3"] {
            assert_eq!(Slug::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn rejects_anything_else() {
        let too_long = "a".repeat(MAX_LEN + 1);
        for bad in [
            "",
            "Meta",
            "google_deepmind",
            "-meta",
            "meta-",
            "google--deepmind",
            "méta",
            "a b",
            "0190f3c2-6b1e-7c4e-8a5b-1234567890ab",
            too_long.as_str(),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn from_name_transliterates_and_joins_words() {
        assert_eq!(
            Slug::from_name("Google DeepMind").as_str(),
            "google-deepmind"
        );
        assert_eq!(Slug::from_name("Karén Simonyan").as_str(), "karen-simonyan");
        assert_eq!(
            Slug::from_name("  Mistral AI (Paris) ").as_str(),
            "mistral-ai-paris"
        );
        assert_eq!(Slug::from_name("Llama 2").as_str(), "llama-2");
        assert_eq!(Slug::from_name("!!!").as_str(), "record");
    }

    #[test]
    fn from_name_keeps_long_names_within_bounds() {
        let slug = Slug::from_name(&"word ".repeat(100));
        assert!(slug.as_str().len() <= 80);
        assert!(Slug::parse(slug.as_str()).is_ok());
    }

    #[test]
    fn with_suffix_stays_a_valid_slug() {
        assert_eq!(
            Slug::from_name("Wei Li").with_suffix(2).as_str(),
            "wei-li-2"
        );
        let long = Slug::parse(&"a".repeat(MAX_LEN)).unwrap();
        let suffixed = long.with_suffix(12);
        assert!(Slug::parse(suffixed.as_str()).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn parsing_anything_never_panics_and_accepts_only_slugs(text in ".{0,120}") {
            if let Ok(slug) = Slug::parse(&text) {
                proptest::prop_assert!(slug.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
                proptest::prop_assert!(!slug.as_str().starts_with('-') && !slug.as_str().ends_with('-'));
                proptest::prop_assert!(!slug.as_str().contains("--"));
            }
        }

        /// Whatever the name (any script, emoji, control characters), the slug it suggests is
        /// a valid slug.
        #[test]
        fn every_name_suggests_a_valid_slug(name in "\\PC{0,200}") {
            let slug = Slug::from_name(&name);
            proptest::prop_assert!(Slug::parse(slug.as_str()).is_ok(), "{:?} -> {:?}", name, slug);
            proptest::prop_assert!(Slug::parse(slug.with_suffix(12).as_str()).is_ok());
        }
    }
}
