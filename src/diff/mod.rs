//! What changes between two versions of the rendered output: one model for every kind of
//! comparison (`diff --base` compares two compilations; a live diff compares a compilation
//! with the cluster). Each environment's [`ArtifactTree`]s are compared whole: Kubernetes
//! objects (manifests, Secrets, delivery objects) are matched by group, kind, namespace and
//! name — the API version is ignored — and every other file (node files, the
//! kustomization) by its path. An object is added, removed, changed (the fields that
//! differ and a unified diff of its canonical YAML) or moved (the same content under a new
//! name or namespace). Secrets are compared by key and by value, and only key names ever
//! leave this module ([`secret`]). [`text`], [`markdown`] and [`json`] print a [`Diff`].
//!
//! Architecture invariant: pure. The trees, the identities that open SOPS files and the
//! names of both versions are handed in; nothing is read, printed or decided here. Files
//! whose bytes are equal on both sides are never parsed, so comparing two large, nearly
//! equal trees costs about one byte comparison per file.

pub mod json;
pub mod markdown;
pub mod secret;
pub mod text;

use std::collections::{BTreeMap, HashMap};

use age::x25519;
use serde_json::Value;

use crate::model::artifact::{Artifact, ArtifactKind, ArtifactTree};
use crate::model::{Object, field_path, group, namespace_of};
use secret::{SecretChange, SecretContent, Values};

/// What happened to one object or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Add,
    Change,
    Move,
    Remove,
}

impl Action {
    /// The word for it in summaries: `add`, `change`, `move`, `remove`.
    pub fn word(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Change => "change",
            Action::Move => "move",
            Action::Remove => "remove",
        }
    }

    /// The mark in front of a line: `+`, `~`, `>`, `-`.
    pub fn mark(self) -> char {
        match self {
            Action::Add => '+',
            Action::Change => '~',
            Action::Move => '>',
            Action::Remove => '-',
        }
    }
}

/// What changed: a Kubernetes object or, for anything else, a file of the tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Object {
        group: String,
        kind: String,
        /// `""` for cluster-scoped objects.
        namespace: String,
        name: String,
    },
    File {
        path: String,
        kind: ArtifactKind,
    },
}

impl Subject {
    /// The kind as summaries count it: the object's kind, or what the file is.
    pub fn kind(&self) -> String {
        match self {
            Subject::Object { kind, .. } => kind.clone(),
            Subject::File { kind, .. } => file_kind(*kind).to_owned(),
        }
    }

    /// The name as summaries list it: `namespace/name`, the name of a cluster-scoped object,
    /// or a file's path.
    pub fn name(&self) -> String {
        match self {
            Subject::Object {
                namespace, name, ..
            } if !namespace.is_empty() => format!("{namespace}/{name}"),
            Subject::Object { name, .. } => name.clone(),
            Subject::File { path, .. } => path.clone(),
        }
    }

    /// The namespace, for grouping (`""`: cluster scope or a file).
    pub fn namespace(&self) -> &str {
        match self {
            Subject::Object { namespace, .. } => namespace,
            Subject::File { .. } => "",
        }
    }

    /// `Kind namespace/name`, or `Kind path`.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind(), self.name())
    }
}

/// What a file that is not a Kubernetes object is, in summaries.
pub fn file_kind(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::Manifest => "file",
        ArtifactKind::Secret => "Secret file",
        ArtifactKind::NodeSecret => "node Secret file",
        ArtifactKind::Kustomization => "kustomization",
        ArtifactKind::Script => "node script",
        ArtifactKind::CloudInit => "node file",
        ArtifactKind::Delivery => "delivery file",
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub action: Action,
    pub subject: Subject,
    /// The file in the tree: the new one, or the old one of a removed subject.
    pub path: String,
    /// Where a moved subject was.
    pub from: Option<Subject>,
    /// The fields that differ (dotted paths), for a changed object.
    pub fields: Vec<String>,
    /// A unified diff of the canonical YAML (or the file's text); empty for Secrets, whose
    /// values never appear.
    pub diff: String,
    /// For a Secret: which keys were added, removed or changed.
    pub secret: Option<SecretChange>,
    /// For a live diff: the changed fields another field manager set last (field → the
    /// manager: `kubectl-edit`, a controller), so an apply would take them back.
    pub managers: BTreeMap<String, String>,
}

/// The differences of one environment of one blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub blueprint: String,
    pub env: String,
    pub changes: Vec<Change>,
}

impl Environment {
    /// `blueprint/env`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.blueprint, self.env)
    }

    /// How many changes of each action, per kind, in kind order.
    pub fn by_kind(&self) -> BTreeMap<String, Counts> {
        let mut kinds: BTreeMap<String, Counts> = BTreeMap::new();
        for change in &self.changes {
            kinds
                .entry(change.subject.kind())
                .or_default()
                .count(change.action);
        }
        kinds
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for change in &self.changes {
            counts.count(change.action);
        }
        counts
    }
}

/// How many objects and files are added, changed, moved and removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub moved: usize,
    pub remove: usize,
}

impl Counts {
    fn count(&mut self, action: Action) {
        match action {
            Action::Add => self.add += 1,
            Action::Change => self.change += 1,
            Action::Move => self.moved += 1,
            Action::Remove => self.remove += 1,
        }
    }

    fn plus(self, other: Counts) -> Counts {
        Counts {
            add: self.add + other.add,
            change: self.change + other.change,
            moved: self.moved + other.moved,
            remove: self.remove + other.remove,
        }
    }

    pub fn get(&self, action: Action) -> usize {
        match action {
            Action::Add => self.add,
            Action::Change => self.change,
            Action::Move => self.moved,
            Action::Remove => self.remove,
        }
    }

    /// `2 to add, 1 to change, 0 to move, 0 to remove`.
    pub fn plan(&self) -> String {
        format!(
            "{} to add, {} to change, {} to move, {} to remove",
            self.add, self.change, self.moved, self.remove
        )
    }
}

/// Every difference between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// The version compared from (`main (1a2b3c4)`).
    pub base: String,
    /// The version compared to (`the work tree`).
    pub head: String,
    /// Environments with differences, by blueprint and environment name.
    pub environments: Vec<Environment>,
    /// What could not be compared (Secret values without an identity).
    pub notes: Vec<String>,
    /// What only a comparison with a cluster knows; `None` for two versions of the output.
    pub live: Option<Live>,
}

/// What a live diff adds to the model: the objects found equal, and the objects the
/// cluster cannot take at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    /// Objects an apply would leave as they are, per environment label (`blueprint/env`).
    pub in_sync: BTreeMap<String, usize>,
    /// Objects whose kind the cluster does not serve (and the render defines no CRD for):
    /// `Kind namespace/name (group/version)`, per environment label.
    pub not_served: BTreeMap<String, Vec<String>>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.environments.is_empty()
    }

    /// Whether there is anything to report as a difference (exit 1): a change, or, live,
    /// an object the cluster cannot take.
    pub fn different(&self) -> bool {
        !self.is_empty()
            || self
                .live
                .as_ref()
                .is_some_and(|live| live.not_served.values().any(|v| !v.is_empty()))
    }

    /// The lines a live diff adds under the plan: objects in sync, what `remove` means,
    /// kinds not served. Empty for a diff of two versions.
    pub fn live_lines(&self) -> Vec<String> {
        let Some(live) = &self.live else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        for (env, n) in &live.in_sync {
            lines.push(format!("{env}: {n} objects in sync"));
        }
        if self.counts().remove > 0 {
            lines.push(
                "to remove: prune candidates, live objects labelled app.kubernetes.io/managed-by=kforge and part-of the blueprint that the render no longer holds"
                    .to_owned(),
            );
        }
        for (env, objects) in &live.not_served {
            for object in objects {
                lines.push(format!(
                    "{env}: {object}: the cluster does not serve this kind, and the render defines no CRD for it"
                ));
            }
        }
        lines
    }

    pub fn counts(&self) -> Counts {
        self.environments
            .iter()
            .fold(Counts::default(), |sum, env| sum.plus(env.counts()))
    }
}

/// One environment's tree on one side.
#[derive(Clone, Copy)]
pub struct Tree<'a> {
    pub blueprint: &'a str,
    pub env: &'a str,
    pub tree: &'a ArtifactTree,
}

/// Compares the trees of two versions, environment by environment (an environment on one
/// side only is added or removed whole). `identities` open SOPS-encrypted Secrets, whose
/// values are compared only then.
pub fn compare(
    base: &[Tree<'_>],
    head: &[Tree<'_>],
    identities: &[x25519::Identity],
    names: (&str, &str),
) -> Diff {
    let empty = ArtifactTree::new();
    let mut pairs: BTreeMap<(&str, &str), (&ArtifactTree, &ArtifactTree)> = BTreeMap::new();
    for t in base {
        pairs
            .entry((t.blueprint, t.env))
            .or_insert((&empty, &empty))
            .0 = t.tree;
    }
    for t in head {
        pairs
            .entry((t.blueprint, t.env))
            .or_insert((&empty, &empty))
            .1 = t.tree;
    }
    let mut values = Values::default();
    for t in base.iter().chain(head) {
        values.collect(t.tree);
    }
    let mut notes = Vec::new();
    let mut environments = Vec::new();
    for ((blueprint, env), (old, new)) in pairs {
        let mut changes = compare_trees(old, new, identities, &values, &mut notes);
        if changes.is_empty() {
            continue;
        }
        changes.sort_by(|a, b| {
            (a.subject.kind(), a.action, &a.subject).cmp(&(b.subject.kind(), b.action, &b.subject))
        });
        environments.push(Environment {
            blueprint: blueprint.to_owned(),
            env: env.to_owned(),
            changes,
        });
    }
    notes.sort();
    notes.dedup();
    Diff {
        base: names.0.to_owned(),
        head: names.1.to_owned(),
        environments,
        notes,
        live: None,
    }
}

/// One side's file that has no equal twin on the other side.
struct Entry<'a> {
    path: &'a str,
    artifact: &'a Artifact,
    subject: Subject,
    /// The object, for artifacts that hold one.
    value: Option<Value>,
}

impl Entry<'_> {
    fn text(&self) -> &str {
        self.artifact.text().unwrap_or("")
    }

    fn is_secret(&self) -> bool {
        matches!(&self.subject, Subject::Object { group, kind, .. } if group.is_empty() && kind == "Secret")
    }
}

/// Reads an artifact: an object when it is a manifest, Secret or delivery file holding one
/// Kubernetes object, else a file.
fn entry<'a>(path: &'a str, artifact: &'a Artifact) -> Entry<'a> {
    let file = || Subject::File {
        path: path.to_owned(),
        kind: artifact.kind,
    };
    let object = (artifact.kind.holds_object())
        .then(|| artifact.text())
        .flatten()
        .and_then(|text| crate::model::manifest::objects(text).ok())
        .filter(|objects| objects.len() == 1)
        .and_then(|mut objects| objects.pop())
        .filter(|o| !o.kind.is_empty() && !o.name.is_empty());
    match object {
        Some(object) => {
            let subject = subject_of(&object);
            Entry {
                path,
                artifact,
                subject,
                value: Some(object.body),
            }
        }
        None => Entry {
            path,
            artifact,
            subject: file(),
            value: None,
        },
    }
}

fn subject_of(object: &Object) -> Subject {
    Subject::Object {
        group: group(&object.api_version).to_owned(),
        kind: object.kind.clone(),
        namespace: namespace_of(object).to_owned(),
        name: object.name.clone(),
    }
}

/// The entries of one side whose path is missing on the other side or holds other bytes.
fn unmatched<'a>(side: &'a ArtifactTree, other: &ArtifactTree) -> Vec<Entry<'a>> {
    side.iter()
        .filter(|(path, artifact)| other.get(path) != Some(*artifact))
        .map(|(path, artifact)| entry(path, artifact))
        .collect()
}

fn compare_trees(
    old: &ArtifactTree,
    new: &ArtifactTree,
    identities: &[x25519::Identity],
    values: &Values,
    notes: &mut Vec<String>,
) -> Vec<Change> {
    let old_entries = unmatched(old, new);
    let new_entries = unmatched(new, old);
    let mut by_subject: HashMap<Subject, Entry<'_>> = HashMap::new();
    let mut removed = Vec::new();
    for e in old_entries {
        if let Some(twin) = by_subject.insert(e.subject.clone(), e) {
            removed.push(twin);
        }
    }
    let mut changes = Vec::new();
    let mut added = Vec::new();
    for new_entry in new_entries {
        match by_subject.remove(&new_entry.subject) {
            Some(old_entry) => {
                if let Some(change) = changed(&old_entry, &new_entry, identities, values, notes) {
                    changes.push(change);
                }
            }
            None => added.push(new_entry),
        }
    }
    removed.extend(by_subject.into_values());
    removed.sort_by(|a, b| a.path.cmp(b.path));
    // Moves: an added object whose content, name and namespace aside, equals a removed one's.
    let mut gone: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, e) in removed.iter().enumerate() {
        if let Some(key) = move_key(e, identities) {
            gone.entry(key).or_default().push(i);
        }
    }
    let mut moved_from = vec![false; removed.len()];
    for e in added {
        let twin = move_key(&e, identities)
            .and_then(|key| gone.get_mut(&key))
            .and_then(|candidates| candidates.pop());
        match twin {
            Some(i) => {
                moved_from[i] = true;
                changes.push(Change {
                    action: Action::Move,
                    from: Some(removed[i].subject.clone()),
                    path: e.path.to_owned(),
                    subject: e.subject,
                    fields: Vec::new(),
                    diff: String::new(),
                    secret: None,
                    managers: BTreeMap::new(),
                });
            }
            None => changes.push(whole(Action::Add, &e, identities, values)),
        }
    }
    for (e, moved) in removed.iter().zip(moved_from) {
        if !moved {
            changes.push(whole(Action::Remove, e, identities, values));
        }
    }
    changes
}

/// What identifies an object's content apart from its name and namespace: its kind and
/// the rest of it, as text. Secrets whose values cannot be read never count as moved.
fn move_key(e: &Entry<'_>, identities: &[x25519::Identity]) -> Option<(String, String)> {
    let mut value = e.value.clone()?;
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("name");
        metadata.remove("namespace");
    }
    if e.is_secret() {
        let content = SecretContent::read(e.text(), &value, identities);
        if !content.is_known() {
            return None;
        }
        secret::strip(&mut value);
        return Some((
            e.subject.kind(),
            format!("{}{}", content.fingerprint(), value),
        ));
    }
    value.as_object_mut()?.remove("apiVersion");
    Some((e.subject.kind(), crate::json::pretty(&value)))
}

/// An added or removed subject, its whole text as the diff (a Secret: its keys only).
fn whole(
    action: Action,
    e: &Entry<'_>,
    identities: &[x25519::Identity],
    values: &Values,
) -> Change {
    let (diff, secret) = if e.is_secret() {
        let value = e.value.as_ref().unwrap_or(&Value::Null);
        let keys = SecretContent::read(e.text(), value, identities).keys();
        let change = match action {
            Action::Remove => SecretChange::removed(keys),
            _ => SecretChange::added(keys),
        };
        (String::new(), Some(change))
    } else {
        let (old, new) = match action {
            Action::Remove => (e.text(), ""),
            _ => ("", e.text()),
        };
        (values.redact(&unified(e.path, old, new, e.artifact)), None)
    };
    Change {
        action,
        subject: e.subject.clone(),
        path: e.path.to_owned(),
        from: None,
        fields: Vec::new(),
        diff,
        secret,
        managers: BTreeMap::new(),
    }
}

/// A subject on both sides with other bytes: a change, unless only what does not count
/// differs (comments, the ciphertext of an unchanged Secret).
fn changed(
    old: &Entry<'_>,
    new: &Entry<'_>,
    identities: &[x25519::Identity],
    values: &Values,
    notes: &mut Vec<String>,
) -> Option<Change> {
    let mode_changed = old.artifact.mode != new.artifact.mode;
    let mut fields = Vec::new();
    let (diff, secret) = match (&old.value, &new.value) {
        (Some(a), Some(b)) if new.is_secret() => {
            let before = SecretContent::read(old.text(), a, identities);
            let after = SecretContent::read(new.text(), b, identities);
            let keys = before.compare(&after);
            if !before.is_known() || !after.is_known() {
                notes.push(format!(
                    "{}: Secret values not compared (no age identity opens them; set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)",
                    new.subject.label()
                ));
            }
            let (mut a, mut b) = (a.clone(), b.clone());
            secret::strip(&mut a);
            secret::strip(&mut b);
            field_changes(&a, &b, &mut String::new(), &mut fields);
            if keys.is_empty() && fields.is_empty() && !mode_changed {
                return None;
            }
            (String::new(), Some(keys))
        }
        (Some(a), Some(b)) => {
            field_changes(a, b, &mut String::new(), &mut fields);
            if fields.is_empty() && !mode_changed {
                return None;
            }
            let diff = unified(new.path, old.text(), new.text(), new.artifact);
            (values.redact(&diff), None)
        }
        _ => {
            let diff = unified(new.path, old.text(), new.text(), new.artifact);
            (values.redact(&diff), None)
        }
    };
    if mode_changed {
        fields.push(format!(
            "mode {:o} -> {:o}",
            old.artifact.mode.bits(),
            new.artifact.mode.bits()
        ));
    }
    Some(Change {
        action: Action::Change,
        subject: new.subject.clone(),
        path: new.path.to_owned(),
        from: None,
        fields,
        diff,
        secret,
        managers: BTreeMap::new(),
    })
}

/// The dotted paths of the fields where `a` and `b` differ: per map key, per item of lists
/// of equal length, else the field itself.
fn field_changes(a: &Value, b: &Value, pointer: &mut String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let len = pointer.len();
                pointer.push('/');
                crate::json::push_escaped(pointer, key);
                match (x.get(key), y.get(key)) {
                    (Some(v), Some(w)) => field_changes(v, w, pointer, out),
                    _ => out.push(field_path(pointer)),
                }
                pointer.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                field_changes(v, w, pointer, out);
                pointer.truncate(len);
            }
        }
        _ if a == b => {}
        _ => out.push(field_path(pointer)),
    }
}

/// A unified diff of two texts, three lines of context, headed by the path.
fn unified(path: &str, old: &str, new: &str, artifact: &Artifact) -> String {
    if artifact.text().is_none() {
        return format!("Binary file {path} differs\n");
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests;
