//! A lexical mask of literal secret values, for the one kind of diagnostic that is made
//! before the document has a tree to redact by pointer: a YAML syntax error. Inside every
//! `secrets:` and `secretEnv:` block (found by indentation) it hides what follows `value:`,
//! block scalars under it, and any line that does not start like a key (a continuation of
//! a multi-line scalar). Over-masking is fine here; showing a secret is not.

use std::ops::Range;

/// Byte ranges of `text` that may hold a literal secret value.
pub fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut block: Option<usize> = None;
    let mut scalar: Option<usize> = None;
    let mut open_quote: Option<char> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let indent = content.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line_range = start + indent..start + content.len();
        if let Some(q) = open_quote {
            // Still inside a quoted value that began on an earlier line.
            ranges.push(line_range);
            if content.contains(q) {
                open_quote = None;
            }
            continue;
        }
        if let Some(at) = scalar {
            if indent > at {
                ranges.push(line_range);
                continue;
            }
            scalar = None;
        }
        if block.is_some_and(|at| indent <= at) {
            block = None;
        }
        let body = trimmed.trim_start_matches("- ");
        let opens = ["secrets:", "secretEnv:"]
            .iter()
            .any(|k| body.starts_with(k));
        if block.is_none() && !opens {
            continue;
        }
        if block.is_some() && !looks_like_key(body) {
            ranges.push(line_range);
            continue;
        }
        if opens && block.is_none() {
            block = Some(indent);
        }
        for value in literal_values(content) {
            let text = content[value.clone()].trim();
            if text.starts_with(['|', '>']) {
                scalar = Some(indent);
            }
            if let Some(q) = text.chars().next().filter(|c| matches!(c, '"' | '\''))
                && (text.len() == 1 || !text.ends_with(q))
            {
                open_quote = Some(q);
            }
            ranges.push(start + value.start..start + value.end);
        }
    }
    ranges
}

/// Whether a line (list marker removed) starts like `key:` or a flow collection.
fn looks_like_key(body: &str) -> bool {
    if body.starts_with(['{', '[', '}', ']']) {
        return true;
    }
    body.split_once(':').is_some_and(|(key, rest)| {
        let key = key.trim_matches(['"', '\'']);
        !key.is_empty()
            && !key.contains(char::is_whitespace)
            && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    })
}

/// The ranges after each `value:` key of a line: to the end of the line in block style,
/// to the next `,` or `}` outside quotes in flow style.
fn literal_values(line: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(found) = line[search..].find("value:") {
        let key = search + found;
        search = key + "value:".len();
        let before = line[..key].chars().next_back();
        if !matches!(before, None | Some(' ' | '{' | ',')) {
            continue;
        }
        let flow = line[..key].contains('{');
        let mut end = line.len();
        if flow {
            let mut quote = None;
            for (i, c) in line[search..].char_indices() {
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (None, '"' | '\'') => quote = Some(c),
                    (None, ',' | '}') => {
                        end = search + i;
                        break;
                    }
                    _ => {}
                }
            }
        }
        out.push(search..end);
        search = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for range in secret_ranges(text) {
            for b in &mut bytes[range] {
                if *b != b'\n' {
                    *b = b'*';
                }
            }
        }
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn values_in_secret_blocks_are_hidden_and_the_rest_stays() {
        let text = "spec:\n  secrets:\n    - name: db\n      data:\n        a: {value: hunter2, x: 1}\n        b:\n          value: \"two words\"\n        c:\n          value: |\n            line one\n            line two\n  apps:\n    - name: web\n      image: nginx\n      secretEnv: {T: {value: tok}}\n      env: {value: shown}\n";
        let out = masked(text);
        for secret in ["hunter2", "two words", "line one", "line two", "tok"] {
            assert!(!out.contains(secret), "{secret} in\n{out}");
        }
        assert!(out.contains("name: db") && out.contains("x: 1"), "{out}");
        assert!(out.contains("env: {value: shown}"), "{out}");
    }

    #[test]
    fn continuation_lines_of_a_broken_value_are_hidden() {
        let text =
            "  secrets:\n    - name: db\n      data: {p: {value: \"unterminated\n  still secret\n";
        let out = masked(text);
        assert!(
            !out.contains("unterminated") && !out.contains("still secret"),
            "{out}"
        );
    }
}
