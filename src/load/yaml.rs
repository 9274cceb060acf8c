//! YAML text -> JSON value plus a span for every field, so that any later stage can point at
//! the line a value came from. Reads yaml-rust2's parser events directly (see ARCHITECTURE.md
//! for why).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::ops::{Bound, Range};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use crate::diagnostic::{Diagnostic, SourceFile, Span};
use crate::json::push_escaped;

/// Where a field's key and value stand in the source.
#[derive(Debug, Clone)]
pub struct FieldSpan {
    /// Index into [`SpanMap`]'s files: a merged blueprint has fields from several files.
    file: usize,
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
}

/// Spans of every node of one document, keyed by JSON pointer (`/spec/apps/0/name`). After an
/// overlay is merged, each field points into the file that set it.
///
/// The loader hands over its spans in document order; they are indexed only when first asked
/// for. A render that reports nothing never asks. Lookups (placing a finding) hash them, which
/// costs a fraction of sorting them (at 10,000 objects about 29 M instructions, split over
/// the cores, against 120 M; the sort was most of what placing 2,700 findings cost); only
/// subtrees (grafting an overlay, removing) need them sorted.
#[derive(Debug)]
pub struct SpanMap {
    /// The document's own file first, then any file grafted in.
    files: Vec<Arc<SourceFile>>,
    /// The spans in document order, until the first of the two views below takes them.
    unsorted: Mutex<Option<Vec<(String, FieldSpan)>>>,
    /// For lookups, when the map was not sorted first; `None` when the sorted view took them.
    hashed: OnceLock<Option<Hashed>>,
    /// In pointer order, for subtrees.
    sorted: OnceLock<BTreeMap<String, FieldSpan>>,
}

/// The spans in document order, found through a hash table of their positions: a lookup is
/// one probe and one pointer comparison. A sorted index of the hashes (binary search) took
/// about twenty cache misses a lookup once the spans outgrew the caches, and its sort grew
/// faster than the blueprint: placing 13,600 findings at 50,000 objects cost seven times
/// what 2,700 did at 10,000. The table holds a `u32` a field (5 bytes with its control
/// byte), less than the index's 16.
#[derive(Debug)]
struct Hashed {
    fields: Vec<(String, FieldSpan)>,
    /// Positions in `fields`, by the hash of their pointer; of two fields with one pointer,
    /// the later.
    table: hashbrown::HashTable<u32>,
}

impl Hashed {
    fn new(fields: Vec<(String, FieldSpan)>) -> Hashed {
        use rayon::prelude::*;
        // The hashes on every core (the first finding waits for this, and a run without
        // findings never builds it); the table is filled in document order.
        let hashes: Vec<u64> = fields
            .par_iter()
            .map(|(pointer, _)| hash(pointer))
            .collect();
        let mut table = hashbrown::HashTable::with_capacity(fields.len());
        let rehash = |&i: &u32| hashes[i as usize];
        for (i, (pointer, _)) in fields.iter().enumerate() {
            // A span map beyond 4 billion fields is a 100 GB document; such fields are not
            // found, rather than found wrong.
            let Ok(position) = u32::try_from(i) else {
                break;
            };
            let wanted = hashes[i];
            let same = |&j: &u32| hashes[j as usize] == wanted && fields[j as usize].0 == *pointer;
            match table.entry(wanted, same, rehash) {
                hashbrown::hash_table::Entry::Occupied(mut slot) => *slot.get_mut() = position,
                hashbrown::hash_table::Entry::Vacant(slot) => {
                    slot.insert(position);
                }
            }
        }
        Hashed { fields, table }
    }

    /// The span of exactly `pointer`; of two fields with one pointer, the later (as a map
    /// built in document order would keep).
    fn get(&self, pointer: &str) -> Option<&FieldSpan> {
        let fields = &self.fields;
        self.table
            .find(hash(pointer), |&i| fields[i as usize].0 == pointer)
            .map(|&i| &fields[i as usize].1)
    }

    fn iter(&self) -> impl Iterator<Item = &(String, FieldSpan)> {
        self.fields.iter()
    }
}

/// A fixed hash of a pointer (the same in every run). FxHash: the pointers are the user's
/// own field paths, not an adversary's keys, and SipHash cost five times as much per
/// pointer (a third of placing 2,700 findings at 10,000 objects).
fn hash(pointer: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    pointer.hash(&mut hasher);
    hasher.finish()
}

impl Clone for SpanMap {
    fn clone(&self) -> Self {
        SpanMap {
            files: self.files.clone(),
            unsorted: Mutex::new(None),
            hashed: OnceLock::new(),
            sorted: OnceLock::from(self.fields().clone()),
        }
    }
}

impl SpanMap {
    fn from_document_order(file: Arc<SourceFile>, fields: Vec<(String, FieldSpan)>) -> Self {
        SpanMap {
            files: vec![file],
            unsorted: Mutex::new(Some(fields)),
            hashed: OnceLock::new(),
            sorted: OnceLock::new(),
        }
    }

    /// The spans in document order, to the one view that asks first.
    fn take_unsorted(&self) -> Option<Vec<(String, FieldSpan)>> {
        self.unsorted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The spans by pointer, sorted on first use.
    fn fields(&self) -> &BTreeMap<String, FieldSpan> {
        self.sorted.get_or_init(|| match self.take_unsorted() {
            Some(fields) => fields.into_iter().collect(),
            // Lookups took them first; this waits until they are hashed.
            None => self
                .hashed
                .get_or_init(|| None)
                .iter()
                .flat_map(Hashed::iter)
                .map(|(pointer, field)| (pointer.clone(), field.clone()))
                .collect(),
        })
    }

    /// The span of exactly `pointer`: from the sorted map when there is one, else hashed.
    fn find(&self, pointer: &str) -> Option<&FieldSpan> {
        if let Some(sorted) = self.sorted.get() {
            return sorted.get(pointer);
        }
        let hashed = self
            .hashed
            .get_or_init(|| self.take_unsorted().map(Hashed::new));
        match hashed {
            Some(hashed) => hashed.get(pointer),
            // The sorted view took them first; this waits until they are sorted.
            None => self.fields().get(pointer),
        }
    }

    /// The map to change: taken out, and put back by [`SpanMap::put`].
    fn take(&mut self) -> BTreeMap<String, FieldSpan> {
        self.fields();
        // What is put back is the one view.
        self.hashed = OnceLock::new();
        self.sorted.take().unwrap_or_default()
    }

    fn put(&mut self, fields: BTreeMap<String, FieldSpan>) {
        self.sorted = OnceLock::from(fields);
    }

    /// The document's own file (the blueprint's, for a merged blueprint).
    pub fn file(&self) -> &Arc<SourceFile> {
        &self.files[0]
    }

    /// The span of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn value(&self, pointer: &str) -> Option<Span> {
        self.nearest(pointer)
            .map(|f| self.span(f.file, f.value.clone()))
    }

    /// The span of the key at `pointer` (the value's for list items), or of its nearest ancestor.
    pub fn key(&self, pointer: &str) -> Option<Span> {
        self.nearest(pointer)
            .map(|f| self.span(f.file, f.key.clone().unwrap_or_else(|| f.value.clone())))
    }

    /// Masks the values of every field whose pointer matches `secret` in the source text the
    /// diagnostics show.
    pub fn redact(&mut self, secret: impl Fn(&str) -> bool) {
        let mut ranges: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.files.len()];
        let mut add = |pointer: &str, field: &FieldSpan| {
            if secret(pointer) {
                ranges[field.file].push(field.value.clone());
            }
        };
        // Any form will do: this runs on every blueprint and need not sort.
        if let Some(fields) = self.sorted.get() {
            fields.iter().for_each(|(p, f)| add(p, f));
        } else if let Some(Some(fields)) = self.hashed.get() {
            fields.iter().for_each(|(p, f)| add(p, f));
        } else if let Some(fields) = self
            .unsorted
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
        {
            fields.iter().for_each(|(p, f)| add(p, f));
        }
        for (file, ranges) in self.files.iter_mut().zip(&ranges) {
            if !ranges.is_empty() {
                *file = file.redacted(ranges);
            }
        }
    }

    /// Whether the document has a node exactly at `pointer`.
    pub fn contains(&self, pointer: &str) -> bool {
        self.find(pointer).is_some()
    }

    /// Copies the spans of `source`'s subtree at `from` to this map's subtree at `to`,
    /// replacing whatever this map held there.
    pub fn graft(&mut self, to: &str, source: &SpanMap, from: &str) {
        let files: Vec<usize> = source.files.iter().map(|f| self.file_index(f)).collect();
        let mut fields = self.take();
        remove_subtree(&mut fields, to);
        for (pointer, field) in subtree(source.fields(), from) {
            let rest = &pointer[from.len()..];
            fields.insert(
                format!("{to}{rest}"),
                FieldSpan {
                    file: files[field.file],
                    key: field.key.clone(),
                    value: field.value.clone(),
                },
            );
        }
        self.put(fields);
    }

    /// Gives each `to` pointer the span of its `from` field (or of that field's nearest
    /// ancestor): fields kforge made from another field point at it.
    pub fn alias(&mut self, pairs: &[(String, String)]) {
        let found: Vec<(String, FieldSpan)> = pairs
            .iter()
            .filter_map(|(to, from)| self.nearest(from).map(|f| (to.clone(), f.clone())))
            .collect();
        let mut fields = self.take();
        fields.extend(found);
        self.put(fields);
    }

    /// Forgets the spans of the subtree at `pointer`.
    pub fn remove_subtree(&mut self, pointer: &str) {
        let mut fields = self.take();
        remove_subtree(&mut fields, pointer);
        self.put(fields);
    }

    fn file_index(&mut self, file: &Arc<SourceFile>) -> usize {
        if let Some(i) = self.files.iter().position(|f| Arc::ptr_eq(f, file)) {
            return i;
        }
        self.files.push(file.clone());
        self.files.len() - 1
    }

    fn nearest(&self, pointer: &str) -> Option<&FieldSpan> {
        let mut current = pointer;
        loop {
            if let Some(field) = self.find(current) {
                return Some(field);
            }
            let cut = current.rfind('/')?;
            current = &current[..cut];
        }
    }

    fn span(&self, file: usize, range: Range<usize>) -> Span {
        Span {
            file: self.files[file].clone(),
            range,
        }
    }
}

fn remove_subtree(fields: &mut BTreeMap<String, FieldSpan>, pointer: &str) {
    let doomed: Vec<String> = subtree(fields, pointer).map(|(p, _)| p.clone()).collect();
    for p in doomed {
        fields.remove(&p);
    }
}

/// The entries at `pointer` and below it.
fn subtree<'a>(
    fields: &'a BTreeMap<String, FieldSpan>,
    pointer: &'a str,
) -> impl Iterator<Item = (&'a String, &'a FieldSpan)> {
    fields
        .range::<str, _>((Bound::Included(pointer), Bound::Unbounded))
        .take_while(move |(p, _)| p.starts_with(pointer))
        .filter(move |(p, _)| p.len() == pointer.len() || p.as_bytes()[pointer.len()] == b'/')
}

/// Deeper nesting than this is refused: no blueprint needs it, and it bounds the loader's
/// stack of open collections.
const MAX_DEPTH: usize = 128;

/// Parses one YAML document whose top level is a mapping.
///
/// yaml-rust2's scanner and parser take about two thirds of the time; they run on a thread of
/// their own and hand their events over in batches, while this thread builds the value and the
/// spans. A large blueprint then parses in about the time of the scanner alone, instead of
/// leaving the second core idle.
pub fn parse(file: &Arc<SourceFile>) -> Result<(Value, SpanMap), Vec<Diagnostic>> {
    let mut loader = Loader::new(file);
    let scanned = std::thread::scope(|scope| {
        let (sender, batches) = std::sync::mpsc::sync_channel(EVENT_BATCHES);
        scope.spawn(|| read_events(&file.text, sender));
        // Returning early drops `batches`, which stops the reading thread at its next batch.
        for batch in batches {
            for event in batch {
                let (event, mark) = event?;
                if loader.event(event, mark) {
                    return Ok(());
                }
            }
        }
        Ok(())
    });
    scanned.map_err(|e| vec![scan_error(file, &e)])?;
    let (value, fields) = loader.finish().map_err(|e| vec![load_error(file, e)])?;
    Ok((value, SpanMap::from_document_order(file.clone(), fields)))
}

/// Events per batch, and batches in flight between the two threads of [`parse`].
const EVENT_BATCH: usize = 1024;
const EVENT_BATCHES: usize = 8;

type EventBatch = Vec<Result<(Event, Marker), ScanError>>;

/// Reads `text` event by event (yaml-rust2's own `load` recurses once per nesting level) up to
/// the end of the stream or the first error, and sends the events on in batches. Stops early
/// when the receiving side is gone.
fn read_events(text: &str, sender: std::sync::mpsc::SyncSender<EventBatch>) {
    let mut parser = Parser::new_from_str(text);
    let mut batch = Vec::with_capacity(EVENT_BATCH);
    loop {
        let event = parser.next_token();
        let last = matches!(event, Ok((Event::StreamEnd, _)) | Err(_));
        batch.push(event);
        if last || batch.len() == EVENT_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(EVENT_BATCH));
            if sender.send(full).is_err() || last {
                return;
            }
        }
    }
}

/// Why a document that is valid YAML is not a blueprint document.
enum LoadError {
    TopLevelMustBeMapping(Marker),
    UnexpectedAnchor(Marker),
    UnexpectedTag(Marker),
    MappingKeyMustBeScalar(Marker),
    SecondDocument(Marker),
    TooDeep(Marker),
    /// Where the two definitions' keys start, and the key.
    DuplicateKey {
        first: Option<usize>,
        second: usize,
        key: String,
    },
}

/// A collection being read, with the pointer length that is its own pointer.
enum Frame {
    Mapping {
        map: Map<String, Value>,
        start: usize,
        /// Where the first key starts: a block mapping's own mark sits at its first `:`.
        first_key: Option<usize>,
        /// The key whose value is being read.
        key: Option<(String, Range<usize>)>,
        pointer_len: usize,
    },
    Sequence {
        items: Vec<Value>,
        start: usize,
        pointer_len: usize,
    },
}

/// Builds the JSON value and the span of every node from yaml-rust2's events.
struct Loader<'f> {
    file: &'f SourceFile,
    /// Markers count characters; in an all-ASCII file that is the byte offset.
    ascii: bool,
    /// The pointer of the node being read.
    pointer: String,
    stack: Vec<Frame>,
    fields: Vec<(String, FieldSpan)>,
    root: Option<Value>,
    error: Option<LoadError>,
}

impl<'f> Loader<'f> {
    fn new(file: &'f SourceFile) -> Self {
        Loader {
            file,
            ascii: file.text.is_ascii(),
            pointer: String::new(),
            stack: Vec::new(),
            fields: Vec::new(),
            root: None,
            error: None,
        }
    }

    fn offset(&self, mark: Marker) -> usize {
        if self.ascii {
            mark.index().min(self.file.text.len())
        } else {
            offset(self.file, mark)
        }
    }

    /// Takes one event; true when the document is complete (or refused) and reading stops.
    fn event(&mut self, event: Event, mark: Marker) -> bool {
        if self.error.is_some() {
            // Like a failed document, read to its end: a syntax error further on is the
            // one to report.
            return matches!(event, Event::DocumentEnd | Event::StreamEnd);
        }
        match event {
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
            Event::DocumentStart => {
                if self.root.is_some() {
                    self.error = Some(LoadError::SecondDocument(mark));
                    return true;
                }
            }
            Event::StreamEnd => {
                if self.root.is_none() {
                    // An empty file is an empty mapping.
                    let at = self.offset(mark);
                    self.complete(Value::Object(Map::new()), at, at);
                }
                return true;
            }
            Event::Alias(_) => self.error = Some(LoadError::UnexpectedAnchor(mark)),
            Event::Scalar(text, style, anchor, tag) => {
                if tag.is_some() {
                    self.error = Some(LoadError::UnexpectedTag(mark));
                } else if anchor != 0 {
                    self.error = Some(LoadError::UnexpectedAnchor(mark));
                } else {
                    self.scalar(text, style, mark);
                }
            }
            Event::MappingStart(anchor, ref tag) | Event::SequenceStart(anchor, ref tag) => {
                let mapping = matches!(event, Event::MappingStart(..));
                if tag.is_some() {
                    self.error = Some(LoadError::UnexpectedTag(mark));
                } else if anchor != 0 {
                    self.error = Some(LoadError::UnexpectedAnchor(mark));
                } else {
                    self.open(mapping, mark);
                }
            }
            Event::MappingEnd | Event::SequenceEnd => self.close(mark),
        }
        false
    }

    fn scalar(&mut self, text: String, style: TScalarStyle, mark: Marker) {
        let start = self.offset(mark);
        let end = scalar_end(&self.file.text, start, &text);
        match self.stack.last_mut() {
            None => self.error = Some(LoadError::TopLevelMustBeMapping(mark)),
            Some(Frame::Mapping {
                key: key @ None,
                first_key,
                ..
            }) => {
                first_key.get_or_insert(start);
                self.pointer.push('/');
                push_escaped(&mut self.pointer, &text);
                *key = Some((text, start..end));
            }
            Some(_) => {
                self.enter_item();
                let value = if style == TScalarStyle::Plain {
                    plain_scalar(&text)
                } else {
                    Value::String(text)
                };
                self.complete(value, start, end);
            }
        }
    }

    fn open(&mut self, mapping: bool, mark: Marker) {
        match self.stack.last() {
            None if !mapping => {
                self.error = Some(LoadError::TopLevelMustBeMapping(mark));
                return;
            }
            Some(Frame::Mapping { key: None, .. }) => {
                self.error = Some(LoadError::MappingKeyMustBeScalar(mark));
                return;
            }
            _ if self.stack.len() >= MAX_DEPTH => {
                self.error = Some(LoadError::TooDeep(mark));
                return;
            }
            _ => {}
        }
        self.enter_item();
        let start = self.offset(mark);
        let pointer_len = self.pointer.len();
        self.stack.push(if mapping {
            Frame::Mapping {
                map: Map::new(),
                start,
                first_key: None,
                key: None,
                pointer_len,
            }
        } else {
            Frame::Sequence {
                items: Vec::new(),
                start,
                pointer_len,
            }
        });
    }

    fn close(&mut self, mark: Marker) {
        let end = self.offset(mark);
        match self.stack.pop() {
            Some(Frame::Mapping {
                map,
                start,
                first_key,
                ..
            }) => {
                let start = first_key.map_or(start, |k| k.min(start));
                self.complete(Value::Object(map), start, end);
            }
            Some(Frame::Sequence { items, start, .. }) => {
                self.complete(Value::Array(items), start, end);
            }
            None => {}
        }
    }

    /// A sequence's next item: its index joins the pointer.
    fn enter_item(&mut self) {
        if let Some(Frame::Sequence { items, .. }) = self.stack.last() {
            let index = items.len();
            // Writing to a String cannot fail.
            let _ = write!(self.pointer, "/{index}");
        }
    }

    /// Records the span of the node just read and hands its value to its parent.
    fn complete(&mut self, value: Value, start: usize, end: usize) {
        let key = match self.stack.last_mut() {
            Some(Frame::Mapping { key, .. }) => key.take(),
            _ => None,
        };
        self.fields.push((
            self.pointer.clone(),
            FieldSpan {
                file: 0,
                key: key.as_ref().map(|(_, range)| range.clone()),
                value: start..end.max(start),
            },
        ));
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Mapping {
                map, pointer_len, ..
            }) => {
                let (name, range) = key.unwrap_or_default();
                if map.contains_key(&name) {
                    // The first definition is the first node recorded at the same pointer.
                    let first = self
                        .fields
                        .iter()
                        .find(|(p, _)| *p == self.pointer)
                        .and_then(|(_, f)| f.key.as_ref().map(|k| k.start));
                    self.error = Some(LoadError::DuplicateKey {
                        first,
                        second: range.start,
                        key: name,
                    });
                } else {
                    map.insert(name, value);
                }
                self.pointer.truncate(*pointer_len);
            }
            Some(Frame::Sequence {
                items, pointer_len, ..
            }) => {
                items.push(value);
                self.pointer.truncate(*pointer_len);
            }
        }
    }

    fn finish(self) -> Result<(Value, Vec<(String, FieldSpan)>), LoadError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok((self.root.unwrap_or_default(), self.fields)),
        }
    }
}
/// The byte offset of a marker (yaml-rust2 counts lines from 1, columns in characters from 0).
fn offset(file: &SourceFile, mark: Marker) -> usize {
    file.offset(mark.line(), mark.col() + 1)
}

/// A one-character span at `start`.
fn point_at(file: &Arc<SourceFile>, start: usize) -> Span {
    let end = file.text[start..]
        .char_indices()
        .nth(1)
        .map_or(file.text.len(), |(i, _)| start + i);
    Span {
        file: file.clone(),
        range: start..end,
    }
}

fn point(file: &Arc<SourceFile>, mark: Marker) -> Span {
    point_at(file, offset(file, mark))
}

fn scan_error(file: &Arc<SourceFile>, error: &ScanError) -> Diagnostic {
    Diagnostic::error("yaml-syntax", format!("invalid YAML: {}", error.info()))
        .at(
            Some(point(file, *error.marker())),
            "the parser stopped here",
        )
        .help("check the indentation and quoting around this line")
}

fn load_error(file: &Arc<SourceFile>, error: LoadError) -> Diagnostic {
    match error {
        LoadError::TopLevelMustBeMapping(mark) => {
            Diagnostic::error("yaml-syntax", "the document must be a mapping")
                .at(Some(point(file, mark)), "expected `apiVersion: ...` here")
        }
        LoadError::UnexpectedAnchor(mark) => Diagnostic::error(
            "yaml-syntax",
            "YAML anchors and aliases are not supported in blueprints",
        )
        .at(Some(point(file, mark)), "anchor or alias")
        .help("write the value out, or use an overlay for repeated settings"),
        LoadError::UnexpectedTag(mark) => {
            Diagnostic::error("yaml-syntax", "YAML tags are not supported in blueprints")
                .at(Some(point(file, mark)), "tag")
                .help("remove the `!tag`; quote the value if it is a string")
        }
        LoadError::MappingKeyMustBeScalar(mark) => {
            Diagnostic::error("yaml-syntax", "mapping keys must be plain scalars")
                .at(Some(point(file, mark)), "complex key")
        }
        LoadError::SecondDocument(mark) => Diagnostic::error(
            "yaml-syntax",
            "a blueprint file holds one YAML document; this `---` starts a second",
        )
        .at(Some(point(file, mark)), "second document")
        .help("move the second blueprint into a file of its own under blueprints/"),
        LoadError::TooDeep(mark) => Diagnostic::error(
            "yaml-syntax",
            format!("the document nests more than {MAX_DEPTH} levels deep"),
        )
        .at(Some(point(file, mark)), "too deep"),
        LoadError::DuplicateKey { first, second, key } => {
            Diagnostic::error("duplicate-key", format!("the key `{key}` appears twice"))
                .at(Some(point_at(file, second)), "second definition")
                .also(first.map(|f| point_at(file, f)), "first definition")
                .help("YAML mappings need unique keys; remove or merge one of them")
        }
    }
}

/// The end of a scalar that starts at `start`: its text when written plainly, else the rest
/// of the line (quoted and block scalars), at least one character.
fn scalar_end(text: &str, start: usize, value: &str) -> usize {
    let rest = &text[start.min(text.len())..];
    if !value.is_empty() && rest.starts_with(value) && !value.contains('\n') {
        return start + value.len();
    }
    let line = rest.split('\n').next().unwrap_or("");
    let line = line.trim_end();
    start + line.len().max(1).min(rest.len())
}

/// YAML 1.2 core-schema resolution of an unquoted scalar.
fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = text.parse::<i64>()
    {
        return Value::Number(n.into());
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(n) = i64::from_str_radix(hex, 16)
    {
        return Value::Number(n.into());
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(n) = i64::from_str_radix(oct, 8)
    {
        return Value::Number(n.into());
    }
    let looks_float = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_float && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
        return Value::Number(n);
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(text: &str) -> (Value, SpanMap) {
        parse(&SourceFile::new("t.yaml", text)).unwrap()
    }

    #[test]
    fn plain_scalars_resolve_like_yaml_1_2() {
        let (value, _) = load("a: 1\nb: '1'\nc: true\nd: 'true'\ne: 1.5\nf: ~\ng: on\nh: 1.33\n");
        assert_eq!(
            value,
            json!({"a": 1, "b": "1", "c": true, "d": "true", "e": 1.5, "f": null, "g": "on", "h": 1.33})
        );
    }

    #[test]
    fn a_map_looked_up_first_still_sorts_grafts_and_clones_the_same() {
        let text = "spec:\n  apps:\n    - name: web\n      replicas: 2\n    - name: db\n";
        let all = [
            "/spec",
            "/spec/apps",
            "/spec/apps/0/name",
            "/spec/apps/1/name",
            "/x",
        ];
        let found = |spans: &SpanMap| -> Vec<Option<Range<usize>>> {
            all.iter()
                .map(|p| spans.value(p).map(|s| s.range))
                .collect()
        };
        let (_, fresh) = load(text);
        let expected = found(&fresh.clone());
        // Lookups first (hashed), then a clone and a graft (sorted from the hash).
        let (_, looked_up) = load(text);
        assert_eq!(found(&looked_up), expected);
        assert!(looked_up.contains("/spec/apps/1") && !looked_up.contains("/spec/apps/2"));
        assert_eq!(found(&looked_up.clone()), expected);
        let (_, mut grafted) = load(text);
        assert_eq!(found(&grafted), expected);
        grafted.graft("/spec/apps/1", &looked_up, "/spec/apps/0");
        let web = grafted.value("/spec/apps/1/name").unwrap();
        assert_eq!(&text[web.range], "web");
        // Concurrent first lookups and sorting agree.
        let (_, shared) = load(text);
        std::thread::scope(|scope| {
            let lookups = scope.spawn(|| found(&shared));
            let sorted = scope.spawn(|| found(&shared.clone()));
            assert_eq!(lookups.join().unwrap(), expected);
            assert_eq!(sorted.join().unwrap(), expected);
        });
    }

    #[test]
    fn the_hashed_lookup_finds_every_field_and_the_later_of_two_with_one_pointer() {
        // Built by hand, as a merged document could be: one pointer twice, the later wins.
        let text: String = (0..5000).map(|i| format!("k{i}: v{i}\n")).collect();
        let file = SourceFile::new("t.yaml", text.clone());
        let span = |start: usize, end: usize| FieldSpan {
            file: 0,
            key: None,
            value: start..end,
        };
        let mut fields: Vec<(String, FieldSpan)> = Vec::new();
        let mut at = 0;
        for i in 0..5000 {
            let line = format!("k{i}: v{i}\n");
            let value = at + line.find(' ').unwrap() + 1;
            fields.push((format!("/k{i}"), span(value, at + line.len() - 1)));
            at += line.len();
        }
        fields.push(("/k7".to_owned(), span(0, 2)));
        let spans = SpanMap::from_document_order(file, fields);
        for i in [0, 1, 999, 4999] {
            let found = spans.value(&format!("/k{i}")).unwrap();
            assert_eq!(&text[found.range], format!("v{i}"));
        }
        assert_eq!(&text[spans.value("/k7").unwrap().range], "k0");
        assert!(spans.contains("/k4999") && !spans.contains("/k5000") && !spans.contains("/k"));
    }

    #[test]
    fn every_field_has_a_span() {
        let text = "spec:\n  apps:\n    - name: web\n      replicas: 2\n";
        let (_, spans) = load(text);
        let name = spans.value("/spec/apps/0/name").unwrap();
        assert_eq!(&text[name.range.clone()], "web");
        assert_eq!(name.line_col(), (3, 13));
        let key = spans.key("/spec/apps/0/replicas").unwrap();
        assert_eq!(&text[key.range.clone()], "replicas");
        assert_eq!(key.line_col(), (4, 7));
    }

    #[test]
    fn unknown_pointers_fall_back_to_the_nearest_ancestor() {
        let text = "spec:\n  apps: []\n";
        let (_, spans) = load(text);
        assert_eq!(spans.value("/spec/apps/3/name").unwrap().line_col(), (2, 9));
    }

    #[test]
    fn documents_of_many_event_batches_read_whole_and_fail_at_their_place() {
        // Far more events than one batch between the reading thread and the loader.
        let mut text: String = (0..3000).map(|i| format!("k{i}: [{i}, x]\n")).collect();
        let (value, spans) = load(&text);
        assert_eq!(value.as_object().unwrap().len(), 3000);
        assert_eq!(value["k2999"], serde_json::json!([2999, "x"]));
        assert_eq!(
            spans.value("/k2999/1").unwrap().range.start,
            text.rfind('x').unwrap()
        );
        // A syntax error after all of them is still the one reported, where the scanner finds it.
        text.push_str("bad: [1, 2\nnext: 1\n");
        let error = parse(&SourceFile::new("t.yaml", text))
            .unwrap_err()
            .remove(0);
        assert_eq!(error.code, "yaml-syntax");
        let location = error.location().unwrap();
        assert!(location.starts_with("t.yaml:3002:"), "{location}");
    }

    #[test]
    fn syntax_errors_carry_a_location() {
        let error = parse(&SourceFile::new("t.yaml", "a: [1, 2\nb: c\n"))
            .unwrap_err()
            .remove(0);
        assert_eq!(error.code, "yaml-syntax");
        assert!(error.location().unwrap().starts_with("t.yaml:"));
    }

    #[test]
    fn duplicate_keys_point_at_both() {
        let error = parse(&SourceFile::new("t.yaml", "a: 1\na: 2\n"))
            .unwrap_err()
            .remove(0);
        assert_eq!(error.code, "duplicate-key");
        assert_eq!(error.location().unwrap(), "t.yaml:2:1");
        assert_eq!(error.secondary[0].0.location(), "t.yaml:1:1");
    }

    #[test]
    fn a_second_document_is_refused_not_dropped() {
        let error = parse(&SourceFile::new("t.yaml", "a: 1\n---\nb: 2\n"))
            .unwrap_err()
            .remove(0);
        assert_eq!(error.code, "yaml-syntax");
        assert_eq!(error.location().unwrap(), "t.yaml:2:1");
        assert!(error.message.contains("second"), "{}", error.message);
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_key() {
        let (value, spans) = load("\u{feff}a: 1\n");
        assert_eq!(value, json!({"a": 1}));
        assert_eq!(spans.key("/a").unwrap().line_col(), (1, 1));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!(
            "a: {}{}\n",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let error = parse(&SourceFile::new("t.yaml", text))
            .unwrap_err()
            .remove(0);
        assert!(
            error.message.contains("nests more than"),
            "{}",
            error.message
        );
        let deep_block: String = (0..MAX_DEPTH + 5)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect();
        let error = parse(&SourceFile::new("t.yaml", deep_block))
            .unwrap_err()
            .remove(0);
        assert!(
            error.message.contains("nests more than"),
            "{}",
            error.message
        );
    }

    #[test]
    fn non_ascii_text_keeps_byte_spans() {
        let text = "ü: \"äö\"\nb: [x, é]\n";
        let (value, spans) = load(text);
        assert_eq!(value, json!({"ü": "äö", "b": ["x", "é"]}));
        assert_eq!(&text[spans.value("/b/1").unwrap().range], "é");
        assert_eq!(spans.key("/b").unwrap().line_col(), (2, 1));
    }

    #[test]
    fn anchors_tags_and_complex_keys_are_refused_with_their_place() {
        for (text, at) in [
            ("a: &x 1\nb: *x\n", "t.yaml:1:7"),
            // yaml-rust2 marks a tagged scalar where its value starts.
            ("a: !foo 1\n", "t.yaml:1:9"),
            ("? [a]\n: 1\n", "t.yaml:1:3"),
            ("- a\n", "t.yaml:1:1"),
        ] {
            let error = parse(&SourceFile::new("t.yaml", text))
                .unwrap_err()
                .remove(0);
            assert_eq!(error.code, "yaml-syntax", "{text}");
            assert_eq!(error.location().unwrap(), at, "{text}");
        }
    }
}
