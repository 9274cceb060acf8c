//! The rendered output of one environment as a tree of artifacts: each file's bytes, its
//! mode and what it is. `emit` lays the tree out, `secrets` seals its Secret artifacts, the
//! writer puts it on disk and `render --check` compares it — every one of them over every
//! artifact alike, whatever its kind.
//!
//! Architecture invariant: pure data. No artifact is written anywhere but by
//! [`crate::write`], and a tree that still holds a plain-text Secret (found by
//! [`ArtifactTree::plaintext_secrets`], which looks at every artifact, not only those
//! marked as Secrets) is refused there.

use std::collections::BTreeMap;

/// What an artifact is, which decides where it is listed and how it is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArtifactKind {
    /// One Kubernetes object, listed in `kustomization.yaml`.
    Manifest,
    /// A Secret object: listed like a manifest, SOPS-encrypted before it is written.
    Secret,
    /// The `kustomization.yaml` of the tree.
    Kustomization,
    /// A shell script run on a node (bootstrap).
    Script,
    /// Cloud-init user data or a kubeadm configuration for a node.
    CloudInit,
    /// The cluster's secret material for its nodes: SOPS-encrypted like a Secret, but not
    /// listed in `kustomization.yaml`.
    NodeSecret,
    /// An object for the GitOps controller (Flux, Argo CD), applied outside the tree's
    /// kustomization.
    Delivery,
}

impl ArtifactKind {
    /// Whether the tree's `kustomization.yaml` lists artifacts of this kind.
    pub fn is_resource(self) -> bool {
        matches!(self, ArtifactKind::Manifest | ArtifactKind::Secret)
    }

    /// Whether an artifact of this kind holds one Kubernetes object (its file may still be
    /// something else when it was written by hand).
    pub fn holds_object(self) -> bool {
        matches!(
            self,
            ArtifactKind::Manifest
                | ArtifactKind::Secret
                | ArtifactKind::NodeSecret
                | ArtifactKind::Delivery
        )
    }

    /// Whether an artifact of this kind holds a Secret, sealed or not.
    pub fn is_secret(self) -> bool {
        matches!(self, ArtifactKind::Secret | ArtifactKind::NodeSecret)
    }
}

/// The file mode an artifact is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `0644`.
    #[default]
    Regular,
    /// `0755`: scripts.
    Executable,
}

impl Mode {
    /// The permission bits.
    pub fn bits(self) -> u32 {
        match self {
            Mode::Regular => 0o644,
            Mode::Executable => 0o755,
        }
    }

    /// The mode a file with these permission bits is taken to have: executable when its
    /// owner may execute it.
    pub fn of_bits(bits: u32) -> Mode {
        if bits & 0o100 != 0 {
            Mode::Executable
        } else {
            Mode::Regular
        }
    }
}

/// One file of a rendered tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub bytes: Vec<u8>,
    pub mode: Mode,
    pub kind: ArtifactKind,
}

impl Artifact {
    pub fn new(kind: ArtifactKind, bytes: impl Into<Vec<u8>>) -> Artifact {
        Artifact {
            bytes: bytes.into(),
            mode: Mode::Regular,
            kind,
        }
    }

    pub fn executable(mut self) -> Artifact {
        self.mode = Mode::Executable;
        self
    }

    /// The bytes as text; every artifact kforge emits is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }
}

/// The artifacts of one rendered tree by path inside it (`web/deployment-web.yaml`,
/// `nodes/cp-1/bootstrap.sh`), in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactTree {
    artifacts: BTreeMap<String, Artifact>,
}

impl ArtifactTree {
    pub fn new() -> ArtifactTree {
        ArtifactTree::default()
    }

    /// A tree of artifacts whose paths are unique and in order (the caller made sure): built
    /// in one pass, where inserting them one by one searches the tree for every path.
    pub fn from_sorted_unique(artifacts: Vec<(String, Artifact)>) -> ArtifactTree {
        debug_assert!(artifacts.windows(2).all(|w| w[0].0 < w[1].0));
        ArtifactTree {
            artifacts: artifacts.into_iter().collect(),
        }
    }

    /// Adds an artifact; returns it back when the path is taken already.
    pub fn insert(&mut self, path: String, artifact: Artifact) -> Result<(), Artifact> {
        match self.artifacts.entry(path) {
            std::collections::btree_map::Entry::Occupied(_) => Err(artifact),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(artifact);
                Ok(())
            }
        }
    }

    pub fn get(&self, path: &str) -> Option<&Artifact> {
        self.artifacts.get(path)
    }

    pub fn get_mut(&mut self, path: &str) -> Option<&mut Artifact> {
        self.artifacts.get_mut(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.artifacts.contains_key(path)
    }

    /// Every artifact in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Artifact)> {
        self.artifacts.iter()
    }

    /// Every path in order.
    pub fn paths(&self) -> impl Iterator<Item = &String> {
        self.artifacts.keys()
    }

    /// The artifacts as a map, for parallel iteration.
    pub fn as_map(&self) -> &BTreeMap<String, Artifact> {
        &self.artifacts
    }

    pub fn len(&self) -> usize {
        self.artifacts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.artifacts.is_empty()
    }

    /// How many Kubernetes objects the tree holds (the artifacts its kustomization lists).
    pub fn objects(&self) -> usize {
        self.artifacts
            .values()
            .filter(|a| a.kind.is_resource())
            .count()
    }

    /// The paths of the artifacts that are a Kubernetes Secret in plain text: a YAML
    /// document with `kind: Secret` at its top level and no `sops:` metadata. Every artifact
    /// is looked at, whatever its kind says, so a Secret that reached the tree by another way
    /// (a raw resource, a future generator) is caught as well.
    pub fn plaintext_secrets(&self) -> Vec<&str> {
        self.artifacts
            .iter()
            .filter(|(_, artifact)| is_plaintext_secret(&artifact.bytes))
            .map(|(path, _)| path.as_str())
            .collect()
    }
}

/// Whether a YAML text is a Secret document without SOPS metadata; a lexical look at the
/// top-level keys, so it costs one pass over the bytes and never fails.
fn is_plaintext_secret(bytes: &[u8]) -> bool {
    let sealed = top_level_lines(bytes).any(|line| line.starts_with(b"sops:"));
    !sealed && document_kind(bytes) == Some(b"Secret".as_slice())
}

/// The lines of a text, without line ends.
fn top_level_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// The value of the last top-level `kind:` of a YAML text (quotes taken off), read
/// lexically: what a manifest or Secret file holds, without parsing it.
pub fn document_kind(bytes: &[u8]) -> Option<&[u8]> {
    top_level_lines(bytes)
        .filter_map(|line| line.strip_prefix(b"kind:"))
        .map(|kind| {
            let kind = kind.trim_ascii();
            kind.strip_prefix(b"\"")
                .and_then(|k| k.strip_suffix(b"\""))
                .or_else(|| kind.strip_prefix(b"'").and_then(|k| k.strip_suffix(b"'")))
                .unwrap_or(kind)
        })
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, ArtifactKind, &str)]) -> ArtifactTree {
        let mut tree = ArtifactTree::new();
        for (path, kind, text) in entries {
            tree.insert((*path).to_owned(), Artifact::new(*kind, *text))
                .unwrap();
        }
        tree
    }

    #[test]
    fn a_path_is_taken_once() {
        let mut tree = ArtifactTree::new();
        let first = Artifact::new(ArtifactKind::Manifest, "a");
        assert!(tree.insert("x.yaml".into(), first).is_ok());
        let second = Artifact::new(ArtifactKind::Manifest, "b");
        assert_eq!(
            tree.insert("x.yaml".into(), second).unwrap_err().bytes,
            b"b"
        );
        assert_eq!(tree.get("x.yaml").unwrap().bytes, b"a");
    }

    #[test]
    fn objects_are_the_artifacts_a_kustomization_lists() {
        let tree = tree(&[
            ("web/deployment-web.yaml", ArtifactKind::Manifest, ""),
            ("web/secret-db.yaml", ArtifactKind::Secret, ""),
            ("kustomization.yaml", ArtifactKind::Kustomization, ""),
            ("nodes/cp-1/bootstrap.sh", ArtifactKind::Script, ""),
        ]);
        assert_eq!(tree.objects(), 2);
        assert_eq!(tree.len(), 4);
    }

    #[test]
    fn a_plain_secret_is_found_in_any_artifact() {
        let plain = "# header\napiVersion: v1\nkind: Secret\ndata:\n  a: YQ==\n";
        let quoted = "apiVersion: v1\nkind: \"Secret\"\nstringData:\n  a: b\n";
        let sealed =
            "apiVersion: v1\nkind: Secret\ndata:\n  a: ENC[...]\nsops:\n  version: 3.9.0\n";
        let config = "apiVersion: v1\nkind: ConfigMap\ndata:\n  kind: Secret\n";
        let script = "#!/bin/bash\ncat <<EOF\nkind: Secret\nEOF\n";
        let tree = tree(&[
            ("a/secret-plain.yaml", ArtifactKind::Secret, plain),
            ("a/secret-quoted.yaml", ArtifactKind::Manifest, quoted),
            ("a/secret-sealed.yaml", ArtifactKind::Secret, sealed),
            ("a/configmap-c.yaml", ArtifactKind::Manifest, config),
            ("nodes/n/bootstrap.sh", ArtifactKind::Script, script),
        ]);
        assert_eq!(
            tree.plaintext_secrets(),
            [
                "a/secret-plain.yaml",
                "a/secret-quoted.yaml",
                "nodes/n/bootstrap.sh"
            ]
        );
    }

    #[test]
    fn modes() {
        assert_eq!(Mode::Executable.bits(), 0o755);
        assert_eq!(Mode::of_bits(0o100755), Mode::Executable);
        assert_eq!(Mode::of_bits(0o100644), Mode::Regular);
        let script = Artifact::new(ArtifactKind::Script, "#!/bin/sh\n").executable();
        assert_eq!(script.mode, Mode::Executable);
    }
}
