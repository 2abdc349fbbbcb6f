//! The records in one file of an open source, whatever form it was saved in: gzipped or not
//! (recognised by its first bytes, not its name), JSON Lines with one record a line (OpenAlex
//! snapshot partitions), one JSON document (an ORCID response, a Wikidata EntityData file), or
//! an API page whose `results` are the records (a saved OpenAlex `/authors?…` answer). JSON
//! Lines are read a line at a time, so a snapshot partition is never held whole in memory.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::BadRecord;

/// A record and where it is in its file, or why it could not be read.
pub type Located = Result<(String, Value), BadRecord>;

/// The records of a file, as they are read.
pub type Records = Box<dyn Iterator<Item = Located> + Send>;

/// Every record of the file, each with where it is (`FILE line 12`, `FILE result 3`,
/// `FILE line 2 result 3` for pages saved one a line), or the reason one could not be read.
pub fn records(name: &str, reader: impl Read + Send + 'static) -> std::io::Result<Records> {
    let mut reader = BufReader::new(reader);
    let gzipped = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn BufRead + Send> = if gzipped {
        // Multi-member: large gzip files are often concatenated members.
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    };

    // The first line that is not blank decides: a whole JSON value on its own means JSON Lines.
    let mut first = String::new();
    let mut line_number = 0;
    loop {
        first.clear();
        if reader.read_line(&mut first)? == 0 {
            return Ok(Box::new(std::iter::empty()));
        }
        line_number += 1;
        if !first.trim().is_empty() {
            break;
        }
    }
    let name = name.to_owned();
    if let Ok(value) = serde_json::from_str::<Value>(first.trim()) {
        let head = expand(&format!("{name} line {line_number}"), value);
        let rest = reader.lines().enumerate().filter_map(move |(n, line)| {
            let place = format!("{name} line {}", line_number + n + 1);
            match line {
                Err(err) => Some(vec![Err(BadRecord::new(
                    place,
                    format!("unreadable: {err}"),
                ))]),
                Ok(line) if line.trim().is_empty() => None,
                Ok(line) => Some(match serde_json::from_str::<Value>(&line) {
                    Ok(value) => expand(&place, value),
                    Err(err) => vec![Err(BadRecord::new(place, format!("not JSON: {err}")))],
                }),
            }
        });
        return Ok(Box::new(head.into_iter().chain(rest.flatten())));
    }
    // One document over several lines: small by nature (a response or an entity file).
    let mut text = first;
    reader.read_to_string(&mut text)?;
    Ok(Box::new(
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => expand(&name, value),
            Err(err) => vec![Err(BadRecord::new(name, format!("not JSON: {err}")))],
        }
        .into_iter(),
    ))
}

/// A page's `results` are its records; anything else is one record.
fn expand(place: &str, value: Value) -> Vec<Located> {
    match value {
        Value::Object(mut page) if page.get("results").is_some_and(Value::is_array) => {
            let Some(Value::Array(results)) = page.remove("results") else {
                unreachable!("checked to be an array")
            };
            results
                .into_iter()
                .enumerate()
                .map(|(n, record)| Ok((format!("{place} result {}", n + 1), record)))
                .collect()
        }
        value => vec![Ok((place.to_owned(), value))],
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn read(name: &str, bytes: Vec<u8>) -> Vec<Located> {
        records(name, std::io::Cursor::new(bytes))
            .unwrap()
            .collect()
    }

    fn places(read: &[Located]) -> Vec<String> {
        read.iter()
            .map(|r| match r {
                Ok((place, _)) => place.clone(),
                Err(bad) => format!("bad: {bad}"),
            })
            .collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn json_lines_are_read_a_line_at_a_time_gzipped_or_not() {
        let lines =
            b"\n{\"id\": \"A1\"}\n\n{\"id\": \"A2\"}\nnot json\n{\"id\": \"A3\"}\n".to_vec();
        for bytes in [lines.clone(), gzip(&lines)] {
            let read = read("part_000", bytes);
            assert_eq!(
                places(&read)[..2],
                ["part_000 line 2".to_owned(), "part_000 line 4".to_owned()]
            );
            assert!(
                places(&read)[2].starts_with("bad: part_000 line 5: not JSON"),
                "{:?}",
                places(&read)
            );
            assert_eq!(places(&read)[3], "part_000 line 6");
            assert_eq!(read[3].as_ref().unwrap().1["id"], "A3");
        }
    }

    #[test]
    fn a_document_over_several_lines_is_one_record_and_a_page_is_its_results() {
        let document = b"{\n  \"entities\": {\n    \"Q1\": {}\n  }\n}\n".to_vec();
        assert_eq!(places(&read("Q1.json", document)), ["Q1.json"]);
        let page =
            br#"{"meta": {"count": 2}, "results": [{"id": "A1"}, {"id": "A2"}], "group_by": []}"#;
        assert_eq!(
            places(&read("authors.json", gzip(page))),
            [
                "authors.json line 1 result 1",
                "authors.json line 1 result 2"
            ]
        );
        let pretty_page = b"{\n \"results\": [{\"id\": \"A1\"}]\n}".to_vec();
        assert_eq!(
            places(&read("page.json", pretty_page)),
            ["page.json result 1"]
        );
        assert!(
            places(&read("broken.json", b"{\n \"a\": \n".to_vec()))[0]
                .starts_with("bad: broken.json: not JSON")
        );
        assert!(read("empty.json", Vec::new()).is_empty());
    }
}
