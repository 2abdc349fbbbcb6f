//! Identifiers in the open registers that records are matched by: ROR for organisations,
//! OpenAlex for authors and institutions, Wikidata for both. (ORCID iDs, with their check
//! digit, are in `researcher.rs`.) Each accepts its URL form and returns the bare id.

/// A ROR id `05x2bcf33`: `0`, six letters or digits, two digits; also accepted as
/// `https://ror.org/05x2bcf33`.
pub fn parse_ror(text: &str) -> Result<String, String> {
    let bare = text
        .trim()
        .trim_start_matches("https://ror.org/")
        .trim_start_matches("http://ror.org/");
    let bytes = bare.as_bytes();
    let shaped = bytes.len() == 9
        && bytes[0] == b'0'
        && bytes[1..7]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes[7..].iter().all(u8::is_ascii_digit);
    if shaped {
        Ok(bare.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a ROR id (0, six lower-case letters or digits, two digits)"
        ))
    }
}

/// An OpenAlex id of one kind of entity, `letter` followed by digits (`A5023888391` for an
/// author, `I4210090411` for an institution); also accepted as its `https://openalex.org/` URL.
pub fn parse_openalex(text: &str, letter: char, what: &str) -> Result<String, String> {
    let bare = text.trim().trim_start_matches("https://openalex.org/");
    let digits = bare.strip_prefix(letter).unwrap_or("");
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{text}` is not an OpenAlex {what} id ({letter} followed by digits)"
        ));
    }
    Ok(bare.to_owned())
}

/// A Wikidata item `Q42`; also accepted as `https://www.wikidata.org/wiki/Q42` or
/// `http://www.wikidata.org/entity/Q42`.
pub fn parse_wikidata(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let bare = [
        "https://www.wikidata.org/wiki/",
        "http://www.wikidata.org/entity/",
    ]
    .iter()
    .find_map(|prefix| trimmed.strip_prefix(prefix))
    .unwrap_or(trimmed);
    let digits = bare.strip_prefix('Q').unwrap_or("");
    if digits.is_empty()
        || digits.len() > 12
        || digits.starts_with('0')
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!(
            "`{text}` is not a Wikidata item id (Q followed by digits)"
        ));
    }
    Ok(bare.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ror_ids_are_read_bare_or_as_urls() {
        assert_eq!(parse_ror("05x2bcf33").unwrap(), "05x2bcf33");
        assert_eq!(parse_ror("https://ror.org/00njsd438").unwrap(), "00njsd438");
        for bad in [
            "5x2bcf33",
            "05x2bcf3",
            "05X2BCF33",
            "05x2bcfab",
            "",
            "https://ror.org/",
        ] {
            assert!(parse_ror(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn openalex_ids_are_checked_for_their_kind() {
        assert_eq!(
            parse_openalex("https://openalex.org/I4210090411", 'I', "institution").unwrap(),
            "I4210090411"
        );
        assert!(parse_openalex("A123", 'I', "institution").is_err());
        assert!(parse_openalex("I", 'I', "institution").is_err());
    }

    #[test]
    fn wikidata_items_are_read_bare_or_as_urls() {
        assert_eq!(parse_wikidata("Q95").unwrap(), "Q95");
        assert_eq!(
            parse_wikidata("http://www.wikidata.org/entity/Q21708200").unwrap(),
            "Q21708200"
        );
        assert_eq!(
            parse_wikidata("https://www.wikidata.org/wiki/Q42").unwrap(),
            "Q42"
        );
        for bad in ["P108", "Q", "Q01", "q42", "Q4x"] {
            assert!(parse_wikidata(bad).is_err(), "{bad:?}");
        }
    }
}
