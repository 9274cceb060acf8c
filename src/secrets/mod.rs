//! Secrets in Git: every Secret document of a rendered tree is replaced by its SOPS-encrypted
//! form ([`sops`]) for the age recipients [`recipients`] finds, and the file already on disk
//! is kept byte for byte when it holds the same content for the same recipients, so a
//! re-render does not churn Git although every encryption draws a fresh key and fresh IVs.
//!
//! Architecture invariant: no IO here. The caller (the CLI) hands in the previous files, the
//! identities, the clock and the random source; plain text lives in zeroizing containers and
//! is overwritten as soon as its encrypted form exists.

pub mod recipients;
pub mod sops;

use std::collections::BTreeMap;
use std::path::Path;

use age::x25519;
use rand::{CryptoRng, RngCore};
use yaml_rust2::{Yaml, YamlLoader};
use zeroize::Zeroize;

use crate::diagnostic::{Diagnostic, Span};
use crate::model::artifact::ArtifactTree;
pub use recipients::RecipientSource;
use sops::{Opened, SopsError, zeroize_yaml};

/// A Secret document in a rendered tree and the blueprint field it came from.
#[derive(Debug, Clone)]
pub struct SecretFile {
    /// Path inside the tree, e.g. `web/secret-db.yaml`.
    pub path: String,
    /// Field path of its origin, e.g. `spec.secrets[0]`.
    pub field: String,
    pub origin: Option<Span>,
}

/// What sealing needs besides the tree.
pub struct Sealing<'a> {
    /// The tree's directory as the user named it (`out/platform/base`), for messages.
    pub dir: &'a Path,
    /// The working directory `dir` is relative to, for `.sops.yaml` path rules.
    pub cwd: &'a Path,
    pub recipients: &'a RecipientSource,
    /// Identities that may open existing files (empty: none available).
    pub identities: &'a [x25519::Identity],
    /// The current text of a file of the tree on disk, by path inside the tree.
    pub previous: &'a dyn Fn(&str) -> Option<String>,
    /// `lastmodified` of fresh encryptions (RFC 3339, UTC, seconds).
    pub now: &'a str,
}

/// What happened to one Secret file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Encrypted afresh (new file, changed content, or an unreadable old file).
    Encrypted,
    /// The file on disk opened with an identity and holds the same content: kept.
    Kept,
    /// Same content, other recipients: the data key was re-wrapped, values kept.
    Rewrapped,
    /// No identity opened the file on disk; its keys, plain fields and recipients are
    /// unchanged, so it was kept. These keys may hold other values than the blueprint's.
    Unverified { keys: Vec<String> },
}

/// Replaces the bytes of every Secret artifact of `tree` by its SOPS-encrypted form. Returns
/// what was done per file, or the diagnostics that stop the render (then nothing must be
/// written).
pub fn seal(
    tree: &mut ArtifactTree,
    secrets: &[SecretFile],
    sealing: &Sealing<'_>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<BTreeMap<String, Outcome>, Vec<Diagnostic>> {
    let mut outcomes = BTreeMap::new();
    let mut problems = Vec::new();
    for secret in secrets {
        let Some(artifact) = tree.get_mut(&secret.path) else {
            continue;
        };
        let Some(text) = artifact.text() else {
            continue;
        };
        match seal_one(text, secret, sealing, rng) {
            Ok(Some((sealed, outcome))) => {
                artifact.bytes.zeroize();
                artifact.bytes = sealed.into_bytes();
                outcomes.insert(secret.path.clone(), outcome);
            }
            Ok(None) => {}
            Err(diagnostic) => problems.push(*diagnostic),
        }
    }
    if problems.is_empty() {
        Ok(outcomes)
    } else {
        // Nothing will be written: overwrite every plain Secret still in the tree.
        for secret in secrets {
            if let Some(artifact) = tree.get_mut(&secret.path)
                && !outcomes.contains_key(&secret.path)
            {
                artifact.bytes.zeroize();
            }
        }
        Err(problems)
    }
}

/// A problem with one Secret file (boxed: diagnostics are large and errors rare).
pub type Problem = Box<Diagnostic>;

fn error(secret: &SecretFile, code: &'static str, message: String) -> Diagnostic {
    Diagnostic::error(code, message)
        .path(secret.field.clone())
        .at(secret.origin.clone(), "produces this Secret")
}

/// The recipients of a Secret file that goes to `dir` (relative to `cwd`), or the error that
/// stops it from being written: kforge never writes a Secret it cannot encrypt. `render`
/// meets it sealing, `check` asks it ahead.
pub fn recipients_of(
    secret: &SecretFile,
    dir: &Path,
    cwd: &Path,
    recipients: &RecipientSource,
) -> Result<Vec<x25519::Recipient>, Problem> {
    let display = dir.join(&secret.path);
    recipients
        .for_file(&cwd.join(&display))
        .map_err(|reason| {
            error(
                secret,
                "no-encryption-recipients",
                format!("cannot encrypt `{}`: {reason}", display.display()),
            )
            .help("add `spec.encryption: {age: [age1...]}` (the output of `age-keygen -y KEY`) or a `.sops.yaml` creation rule for this path; kforge never writes a Secret in plain text")
            .into()
        })
}

/// The comment lines a file starts with (kforge's header), and the rest.
fn split_header(text: &str) -> (&str, &str) {
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        if !line.starts_with('#') {
            break;
        }
        end += line.len();
    }
    text.split_at(end)
}

fn parse(text: &str) -> Option<Yaml> {
    let mut docs = YamlLoader::load_from_str(text).ok()?;
    (docs.len() == 1).then(|| docs.remove(0))
}

/// The keys of a Secret's `data` and `stringData`, for messages.
fn secret_keys(plain: &Yaml) -> Vec<String> {
    ["data", "stringData"]
        .iter()
        .filter_map(|field| plain[*field].as_hash())
        .flat_map(|map| map.keys().filter_map(|k| k.as_str().map(str::to_owned)))
        .collect()
}

fn seal_one(
    text: &str,
    secret: &SecretFile,
    sealing: &Sealing<'_>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Option<(String, Outcome)>, Problem> {
    let (header, body) = split_header(text);
    let Some(mut plain) = parse(body) else {
        return Ok(None);
    };
    if !plain[sops::METADATA_KEY].is_badvalue() {
        // Already a SOPS document (a raw resource): written as given.
        return Ok(None);
    }
    let recipients = recipients_of(secret, sealing.dir, sealing.cwd, sealing.recipients)?;
    let result = choose(&plain, header, &recipients, secret, sealing, rng);
    zeroize_yaml(&mut plain);
    result.map(Some)
}

fn same_set(a: &[String], b: &[x25519::Recipient]) -> bool {
    let a: std::collections::BTreeSet<&str> = a.iter().map(String::as_str).collect();
    let b: Vec<String> = b.iter().map(ToString::to_string).collect();
    let b: std::collections::BTreeSet<&str> = b.iter().map(String::as_str).collect();
    a == b
}

/// Decides between keeping, re-wrapping and encrypting afresh.
fn choose(
    plain: &Yaml,
    header: &str,
    recipients: &[x25519::Recipient],
    secret: &SecretFile,
    sealing: &Sealing<'_>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(String, Outcome), Problem> {
    let failed = |e: SopsError| {
        error(
            secret,
            "secret-encryption-failed",
            format!("cannot encrypt `{}`: {e}", secret.path),
        )
    };
    let fresh = |rng: &mut _| -> Result<(String, Outcome), Problem> {
        let doc = sops::encrypt(plain, recipients, sealing.now, rng).map_err(failed)?;
        Ok((
            format!("{header}{}", crate::emit::to_text(&doc)),
            Outcome::Encrypted,
        ))
    };
    let Some(previous_text) = (sealing.previous)(&secret.path) else {
        return fresh(rng);
    };
    let Some(previous) = parse(split_header(&previous_text).1) else {
        return fresh(rng);
    };
    let Ok(previous_recipients) = sops::recipients(&previous) else {
        return fresh(rng);
    };
    let same_recipients = same_set(&previous_recipients, recipients);
    let opened: Option<Opened> = if sealing.identities.is_empty() {
        None
    } else {
        match sops::decrypt(&previous, sealing.identities) {
            Ok(opened) => Some(opened),
            // Damaged or foreign: replace it with a correct file.
            Err(SopsError::MacMismatch | SopsError::BadValue(_) | SopsError::NotSops(_)) => {
                return fresh(rng);
            }
            Err(_) => None,
        }
    };
    match opened {
        Some(opened) if opened.plain == *plain && same_recipients => {
            Ok((previous_text, Outcome::Kept))
        }
        Some(opened) if opened.plain == *plain => {
            let doc = sops::rewrap(&previous, &opened.data_key, recipients).map_err(failed)?;
            Ok((format!("{header}{}", crate::emit::to_text(&doc)), Outcome::Rewrapped))
        }
        Some(_) => fresh(rng),
        None if !same_recipients => Err(Box::new(error(
            secret,
            "recipients-changed",
            format!(
                "the recipients of `{}` changed, and re-wrapping its data key needs an age identity that opens the file",
                sealing.dir.join(&secret.path).display()
            ),
        )
        .help(format!(
            "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the key of a current recipient ({})",
            previous_recipients.join(", ")
        )))),
        None if sops::same_shape(&previous, plain) => Ok((
            previous_text,
            Outcome::Unverified {
                keys: secret_keys(plain),
            },
        )),
        None => fresh(rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::artifact::{Artifact, ArtifactKind};
    use rand::SeedableRng;
    use std::path::PathBuf;

    const PLAIN: &str = "# Generated by kforge.\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: web\ndata:\n  password: aHVudGVyMg==\ntype: Opaque\n";
    const PATH: &str = "web/secret-db.yaml";

    struct World {
        identity: x25519::Identity,
        source: RecipientSource,
        disk: BTreeMap<String, String>,
        rng: rand::rngs::StdRng,
    }

    impl World {
        fn new() -> World {
            let identity = x25519::Identity::generate();
            let source = RecipientSource {
                blueprint: vec![identity.to_public().to_string()],
                sops_config: None,
            };
            World {
                identity,
                source,
                disk: BTreeMap::new(),
                rng: rand::rngs::StdRng::seed_from_u64(7),
            }
        }

        /// Renders `plain` with or without the identity and "writes" the result.
        fn render(&mut self, plain: &str, with_identity: bool) -> Result<Outcome, Vec<Diagnostic>> {
            let mut tree = ArtifactTree::new();
            let plain = Artifact::new(ArtifactKind::Secret, plain);
            assert!(tree.insert(PATH.to_owned(), plain).is_ok());
            let disk = self.disk.clone();
            let previous = move |p: &str| disk.get(p).cloned();
            let identities = if with_identity {
                vec![self.identity.clone()]
            } else {
                Vec::new()
            };
            let dir = PathBuf::from("out/demo/base");
            let sealing = Sealing {
                dir: &dir,
                cwd: Path::new("/repo"),
                recipients: &self.source,
                identities: &identities,
                previous: &previous,
                now: "2026-01-01T00:00:00Z",
            };
            let secrets = [SecretFile {
                path: PATH.into(),
                field: "spec.secrets[0]".into(),
                origin: None,
            }];
            let outcomes = seal(&mut tree, &secrets, &sealing, &mut self.rng)?;
            self.disk = tree
                .iter()
                .map(|(p, a)| (p.clone(), a.text().unwrap_or_default().to_owned()))
                .collect();
            Ok(outcomes[PATH].clone())
        }
    }

    #[test]
    fn a_re_render_with_the_identity_keeps_the_file() {
        let mut world = World::new();
        assert_eq!(world.render(PLAIN, true).unwrap(), Outcome::Encrypted);
        let first = world.disk[PATH].clone();
        assert!(
            first.starts_with("# Generated by kforge.\napiVersion: v1\n"),
            "{first}"
        );
        assert!(!first.contains("aHVudGVyMg=="), "{first}");
        assert_eq!(world.render(PLAIN, true).unwrap(), Outcome::Kept);
        assert_eq!(world.disk[PATH], first);
        let changed = PLAIN.replace("aHVudGVyMg==", "b3RoZXI=");
        assert_eq!(world.render(&changed, true).unwrap(), Outcome::Encrypted);
        assert_ne!(world.disk[PATH], first);
    }

    #[test]
    fn without_an_identity_an_unchanged_shape_is_kept_and_said_so() {
        let mut world = World::new();
        world.render(PLAIN, true).unwrap();
        let first = world.disk[PATH].clone();
        let changed = PLAIN.replace("aHVudGVyMg==", "b3RoZXI=");
        assert_eq!(
            world.render(&changed, false).unwrap(),
            Outcome::Unverified {
                keys: vec!["password".into()]
            }
        );
        assert_eq!(world.disk[PATH], first);
        let renamed = PLAIN.replace("password", "passwd");
        assert_eq!(world.render(&renamed, false).unwrap(), Outcome::Encrypted);
    }

    #[test]
    fn new_recipients_re_wrap_with_an_identity_and_fail_without() {
        let mut world = World::new();
        world.render(PLAIN, true).unwrap();
        let first = world.disk[PATH].clone();
        let other = x25519::Identity::generate().to_public().to_string();
        world.source.blueprint.push(other);
        let errors = world.render(PLAIN, false).unwrap_err();
        assert_eq!(errors[0].code, "recipients-changed");
        assert_eq!(world.render(PLAIN, true).unwrap(), Outcome::Rewrapped);
        let moved = &world.disk[PATH];
        let data = |t: &str| {
            t.lines()
                .find(|l| l.contains("password:"))
                .map(str::to_owned)
        };
        assert_eq!(
            data(moved),
            data(&first),
            "values stay, only the key is re-wrapped"
        );
        assert_eq!(moved.matches("recipient:").count(), 2);
    }

    #[test]
    fn no_recipients_is_an_error_and_the_plain_text_is_wiped() {
        let mut world = World::new();
        world.source.blueprint.clear();
        let errors = world.render(PLAIN, false).unwrap_err();
        assert_eq!(errors[0].code, "no-encryption-recipients");
        assert!(!errors[0].message.contains("aHVudGVyMg=="));
    }
}
