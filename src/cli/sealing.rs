//! The IO around Secret encryption: reading secret values (`fromEnv`, `fromFile`), the age
//! identities (`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`), the nearest `.sops.yaml`, the clock and
//! the previous files of a tree, then handing all of it to [`crate::secrets::seal`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use age::x25519;
use zeroize::Zeroizing;

use crate::diagnostic::Diagnostic;
use crate::expand::{SecretBytes, resolve_reference};
use crate::load::Loaded;
use crate::load::secret_references;
use crate::secrets::recipients::{SopsConfig, parse_identities};
use crate::secrets::{Outcome, RecipientSource, Sealing, SecretFile, seal};

/// Reads every secret value of a blueprint, keyed by the pointer of its entry. A file may
/// not leave the repository, not even through a symlink.
pub(super) fn read_secret_values(
    loaded: &Loaded,
    root: &Path,
) -> BTreeMap<String, Result<SecretBytes, String>> {
    let mut values = BTreeMap::new();
    for reference in secret_references(loaded) {
        let source = &reference.source;
        let value = if let Some(literal) = &source.value {
            Ok(SecretBytes::new(literal.as_bytes().to_vec()))
        } else if let Some(name) = &source.from_env {
            std::env::var_os(name)
                .map(|v| SecretBytes::new(v.into_encoded_bytes()))
                .ok_or_else(|| format!("the environment variable `{name}` is not set"))
        } else if let Some(path) = &source.from_file {
            read_secret_file(root, &loaded.base_dir, path)
        } else {
            continue;
        };
        values.insert(reference.pointer, value);
    }
    values
}

fn read_secret_file(root: &Path, base_dir: &Path, path: &str) -> Result<SecretBytes, String> {
    let resolved = resolve_reference(root, base_dir, path)?;
    let real = resolved
        .canonicalize()
        .map_err(|e| format!("cannot read `{path}`: {e}"))?;
    if !real.starts_with(root) {
        return Err(format!(
            "`{path}` leads outside the repository through a symlink"
        ));
    }
    std::fs::read(&real)
        .map(SecretBytes::new)
        .map_err(|e| format!("cannot read `{path}`: {e}"))
}

/// What every rendering's Secrets are sealed with, read once per run.
pub(super) struct Keys {
    identities: Vec<x25519::Identity>,
    sops_config: Option<SopsConfig>,
    now: String,
}

/// Reads the identities and the nearest `.sops.yaml`; an unreadable one stops the run.
pub(super) fn read_keys(cwd: &Path) -> Result<Keys, Vec<Diagnostic>> {
    let mut identities = Vec::new();
    let mut problems = Vec::new();
    if let Some(file) = std::env::var_os("SOPS_AGE_KEY_FILE").filter(|f| !f.is_empty()) {
        let file = PathBuf::from(file);
        match std::fs::read_to_string(&file).map(Zeroizing::new) {
            Ok(text) => match parse_identities(&text) {
                Ok(found) => identities.extend(found),
                Err(e) => problems.push(key_problem(&format!(
                    "SOPS_AGE_KEY_FILE `{}`: {e}",
                    file.display()
                ))),
            },
            Err(e) => problems.push(key_problem(&format!(
                "cannot read SOPS_AGE_KEY_FILE `{}`: {e}",
                file.display()
            ))),
        }
    }
    if let Some(text) = std::env::var("SOPS_AGE_KEY").ok().map(Zeroizing::new) {
        match parse_identities(&text) {
            Ok(found) => identities.extend(found),
            Err(e) => problems.push(key_problem(&format!("SOPS_AGE_KEY: {e}"))),
        }
    }
    let sops_config = match find_sops_config(cwd) {
        Some(file) => match std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|text| SopsConfig::parse(file.clone(), &text))
        {
            Ok(config) => Some(config),
            Err(e) => {
                problems.push(
                    Diagnostic::error("invalid-sops-config", format!("`{}`: {e}", file.display()))
                        .help("fix the file, or set `spec.encryption.age` in the blueprint"),
                );
                None
            }
        },
        None => None,
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Keys {
        identities,
        sops_config,
        now: rfc3339(SystemTime::now()),
    })
}

fn key_problem(message: &str) -> Diagnostic {
    Diagnostic::error("invalid-age-identity", message.to_owned())
        .help("point SOPS_AGE_KEY_FILE at a key file written by `age-keygen`, or unset it")
}

/// The `.sops.yaml` sops itself would use: in the working directory or the nearest parent.
fn find_sops_config(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .map(|dir| dir.join(".sops.yaml"))
        .find(|file| file.is_file())
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a time, as sops writes `lastmodified`.
fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// For `kforge check`: every Secret of a tree that goes to `dir` has recipients (from the
/// blueprint or a `.sops.yaml` rule for its output path), as `render` would require.
pub(super) fn check_recipients(
    secrets: &[SecretFile],
    blueprint_recipients: &[String],
    dir: &Path,
    keys: &Keys,
) -> Vec<Diagnostic> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let source = RecipientSource {
        blueprint: blueprint_recipients.to_vec(),
        sops_config: keys.sops_config.clone(),
    };
    secrets
        .iter()
        .filter_map(|secret| {
            let display = dir.join(&secret.path);
            let reason = source.for_file(&cwd.join(&display)).err()?;
            Some(
                Diagnostic::error(
                    "no-encryption-recipients",
                    format!("cannot encrypt `{}`: {reason}", display.display()),
                )
                .path(secret.field.clone())
                .at(secret.origin.clone(), "this Secret")
                .help("add `spec.encryption: {age: [age1...]}` (the output of `age-keygen -y KEY`) or a `.sops.yaml` creation rule for this path; kforge never writes a Secret in plain text"),
            )
        })
        .collect()
}

/// Encrypts the Secrets of one rendered tree that goes to `dir`, reusing the files there.
pub(super) fn seal_tree(
    files: &mut BTreeMap<String, String>,
    secrets: &[SecretFile],
    blueprint_recipients: &[String],
    dir: &Path,
    keys: &Keys,
) -> Result<BTreeMap<String, Outcome>, Vec<Diagnostic>> {
    if secrets.is_empty() {
        return Ok(BTreeMap::new());
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let source = RecipientSource {
        blueprint: blueprint_recipients.to_vec(),
        sops_config: keys.sops_config.clone(),
    };
    let previous = |path: &str| std::fs::read_to_string(dir.join(path)).ok();
    let sealing = Sealing {
        dir,
        cwd: &cwd,
        recipients: &source,
        identities: &keys.identities,
        previous: &previous,
        now: &keys.now,
    };
    seal(files, secrets, &sealing, &mut rand::rngs::OsRng)
}

/// The lines `render` prints about one tree's sealed Secrets: files kept without comparing
/// values.
pub(super) fn report(dir: &Path, outcomes: &BTreeMap<String, Outcome>) {
    let unverified: Vec<(&String, &Vec<String>)> = outcomes
        .iter()
        .filter_map(|(path, o)| match o {
            Outcome::Unverified { keys } => Some((path, keys)),
            _ => None,
        })
        .collect();
    if !unverified.is_empty() {
        eprintln!(
            "note: {}: {} Secret file(s) kept without comparing values: no age identity opens them (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY to pick up changed values)",
            dir.display(),
            unverified.len()
        );
        for (path, keys) in unverified {
            eprintln!("  {path}: keys {} may differ", keys.join(", "));
        }
    }
}

/// The one-line hint, printed once per run, when Secrets were written for a blueprint whose
/// delivery sets up no Flux decryption.
pub(super) fn flux_hint() {
    eprintln!(
        "hint: Flux applies these SOPS-encrypted Secrets only with `decryption: {{provider: sops, secretRef: ...}}` on its Kustomization (spec.delivery.flux.decryptionSecret); see docs/secrets.md"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lastmodified_is_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(rfc3339(t), "2026-11-18T11:06:40Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }
}
