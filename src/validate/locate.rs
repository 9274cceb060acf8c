//! Where each field of one YAML document stands (line and column of its key and value), found
//! by a second, span-aware pass over a document that has findings. Accepts everything the fast
//! parser accepts (anchors, aliases, flow style, JSON); an alias's fields point at the alias.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};

use crate::json::escape_segment;

/// 1-based line and column (in characters).
pub type Position = (usize, usize);

/// The positions of the fields of one document, keyed by JSON pointer.
#[derive(Debug, Default)]
pub struct Positions {
    fields: HashMap<String, (Option<Position>, Position)>,
    scalars: std::collections::HashSet<String>,
}

impl Positions {
    /// The best place to show a finding about `pointer`: a scalar's value (where a wrong
    /// value stands), else the key naming the field, else the nearest ancestor's key.
    pub fn best(&self, pointer: &str, at_key: bool) -> Option<Position> {
        if !at_key && self.scalars.contains(pointer) {
            return self.value(pointer);
        }
        self.key(pointer)
    }

    /// The key of the field at `pointer` (its value for list items), or of the nearest
    /// ancestor the document has.
    pub fn key(&self, pointer: &str) -> Option<Position> {
        self.nearest(pointer)
            .map(|(key, value)| key.unwrap_or(value))
    }

    /// The value at `pointer`, or the nearest ancestor's.
    pub fn value(&self, pointer: &str) -> Option<Position> {
        self.nearest(pointer).map(|(_, value)| value)
    }

    fn nearest(&self, pointer: &str) -> Option<(Option<Position>, Position)> {
        let mut current = pointer;
        loop {
            if let Some(found) = self.fields.get(current) {
                return Some(*found);
            }
            let cut = current.rfind('/')?;
            current = &current[..cut];
        }
    }
}

enum Frame {
    Mapping {
        pointer: String,
        key: Option<(String, Position)>,
        first: bool,
    },
    Sequence {
        pointer: String,
        next: usize,
    },
}

/// The positions of document number `document` (0-based) of `text`. Stops quietly at a syntax
/// error: whatever was found before it is kept.
pub fn positions(text: &str, document: usize) -> Positions {
    every_document(text)
        .into_iter()
        .nth(document)
        .unwrap_or_default()
}

/// The positions of every document of `text`, in one pass (a file with findings in many of
/// its documents is read once).
pub fn every_document(text: &str) -> Vec<Positions> {
    let mut parser = Parser::new_from_str(text);
    let mut documents: Vec<Positions> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    while let Ok((event, marker)) = parser.next_token() {
        let position = (marker.line(), marker.col() + 1);
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents.push(Positions::default());
                stack.clear();
                continue;
            }
            _ => {}
        }
        let Some(out) = documents.last_mut() else {
            continue;
        };
        match event {
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                continue;
            }
            Event::DocumentEnd => {
                stack.clear();
                continue;
            }
            _ => {}
        }
        // A scalar in key position of a mapping is a key, not a value.
        if let (
            Some(Frame::Mapping {
                key,
                pointer,
                first,
            }),
            Event::Scalar(text, ..),
        ) = (stack.last_mut(), &event)
            && key.is_none()
        {
            *key = Some((text.clone(), position));
            // A block mapping's own mark is not where it starts to read; its first key is.
            if std::mem::take(first)
                && let Some(field) = out.fields.get_mut(pointer.as_str())
            {
                field.1 = position;
            }
            continue;
        }
        let (pointer, key_position) = match stack.last_mut() {
            None => (String::new(), None),
            Some(Frame::Mapping { pointer, key, .. }) => match key.take() {
                Some((name, at)) => (format!("{pointer}/{}", escape_segment(&name)), Some(at)),
                None => (pointer.clone(), None),
            },
            Some(Frame::Sequence { pointer, next }) => {
                let child = format!("{pointer}/{next}");
                *next += 1;
                (child, None)
            }
        };
        out.fields.insert(pointer.clone(), (key_position, position));
        match event {
            Event::MappingStart(..) => stack.push(Frame::Mapping {
                pointer,
                key: None,
                first: true,
            }),
            Event::SequenceStart(..) => stack.push(Frame::Sequence { pointer, next: 0 }),
            _ => {
                out.scalars.insert(pointer);
            }
        }
    }
    documents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_values_in_the_right_document() {
        let text = "a: 1\n---\nkind: Deployment\nspec:\n  replicas: 2\n  list:\n  - name: x\n  - {name: y}\n";
        let found = positions(text, 1);
        assert_eq!(found.key("/spec/replicas"), Some((5, 3)));
        assert_eq!(found.value("/spec/replicas"), Some((5, 13)));
        assert_eq!(found.key("/spec/list/1/name"), Some((8, 6)));
        assert_eq!(found.key("/spec/list/1/missing"), Some((8, 6)));
        assert_eq!(found.best("/spec/replicas", false), Some((5, 13)));
        assert_eq!(found.best("/spec", false), Some((4, 1)));
        assert_eq!(found.best("", false), Some((3, 1)));
        assert_eq!(found.best("/spec/replicas", true), Some((5, 3)));
        assert_eq!(positions(text, 0).key("/a"), Some((1, 1)));
    }
}
