//! Checks for the free-text fields of records.

/// Trims a name-like field and bounds it; control characters never belong in one.
pub fn name(text: &str, max_chars: usize) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if trimmed.chars().count() > max_chars {
        return Err(format!("must have at most {max_chars} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(trimmed.to_owned())
}

/// Longer prose (notes, quotes): newlines and tabs are fine, other control characters are not.
pub fn prose(text: &str, max_chars: usize) -> Result<String, String> {
    if text.chars().count() > max_chars {
        return Err(format!("must have at most {max_chars} characters"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err("must not contain control characters other than newlines and tabs".to_owned());
    }
    Ok(text.to_owned())
}

/// An absolute http(s) URL, normalised by the `url` crate so that equal URLs compare equal.
pub fn http_url(text: &str) -> Result<String, String> {
    if text.len() > 2000 {
        return Err("must have at most 2000 characters".to_owned());
    }
    let url = url::Url::parse(text.trim()).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an http or https URL with a host".to_owned());
    }
    // Normalising percent-encodes non-ASCII characters, which can triple the length.
    let normalised = url.to_string();
    if normalised.len() > 2000 {
        return Err("must have at most 2000 characters once percent-encoded".to_owned());
    }
    Ok(normalised)
}

/// A free-text query parameter (`q`, `topic`, `role`): bounded, no control characters (Postgres
/// refuses NUL in text, and none belongs in a search).
pub fn query(text: &str) -> Result<String, String> {
    if text.chars().count() > 200 {
        return Err("must have at most 200 characters".to_owned());
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(text.to_owned())
}

/// A list of names (aliases, topics): each checked like a name, duplicates dropped, order kept.
pub fn name_list(
    items: &[String],
    max_items: usize,
    max_chars: usize,
) -> Result<Vec<String>, String> {
    if items.len() > max_items {
        return Err(format!("must have at most {max_items} entries"));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item = name(item, max_chars).map_err(|e| format!("entry {i} {e}"))?;
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

/// A name folded as the database's `tf_fold` folds it for the same purpose (accents, case and
/// punctuation ignored): "Karén-Simonyan" and "karen simonyan" are one name. For comparing
/// names in memory; the database folds its own.
pub fn fold(name: &str) -> String {
    deunicode::deunicode(name)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_ignores_accents_case_and_punctuation() {
        assert_eq!(fold("Karén-Simonyan"), "karen simonyan");
        assert_eq!(fold("  META  Platforms, Inc."), "meta platforms inc");
        assert_eq!(fold("Inria Lille - Nord Europe"), "inria lille nord europe");
    }

    #[test]
    fn name_trims_and_rejects_empty_long_and_control_characters() {
        assert_eq!(name("  Meta ", 10).unwrap(), "Meta");
        assert!(name("   ", 10).is_err());
        assert!(name("abcdefghijk", 10).is_err());
        assert!(name("a\u{0}b", 10).is_err());
        assert_eq!(name("Karén", 5).unwrap(), "Karén");
    }

    #[test]
    fn query_text_refuses_nul_and_control_characters() {
        assert_eq!(query("deepmind").unwrap(), "deepmind");
        assert!(query("a\u{0}b").is_err());
        assert!(query(&"x".repeat(201)).is_err());
    }

    #[test]
    fn http_url_is_bounded_after_percent_encoding() {
        let long = format!("https://a.example/{}", "é".repeat(400));
        assert!(long.len() < 2000);
        assert!(http_url(&long).is_err());
    }

    #[test]
    fn http_url_requires_http_scheme_and_host() {
        assert_eq!(
            http_url("https://ai.meta.com").unwrap(),
            "https://ai.meta.com/"
        );
        assert!(http_url("ftp://example.org").is_err());
        assert!(http_url("javascript:alert(1)").is_err());
        assert!(http_url("not a url").is_err());
    }

    #[test]
    fn name_list_drops_duplicates_and_names_the_bad_entry() {
        let list = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
        assert_eq!(name_list(&list, 5, 10).unwrap(), vec!["a", "b"]);
        let err = name_list(&["ok".to_owned(), " ".to_owned()], 5, 10).unwrap_err();
        assert!(err.starts_with("entry 1"), "{err}");
    }
}
