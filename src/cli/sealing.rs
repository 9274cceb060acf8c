//! The IO around Secret encryption that belongs to the process, not the repository: the age
//! identities (`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`) and the clock, and the lines `render`
//! prints about what sealing did. Sealing itself is [`crate::pipeline::output`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use crate::diagnostic::Diagnostic;
use crate::pipeline::WorkTree;
use crate::pipeline::output::{self, Keys};
use crate::secrets::Outcome;
use crate::secrets::recipients::parse_identities;

/// Reads the age identities (`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`); an unreadable one stops
/// the run.
pub(super) fn identities() -> Result<Vec<age::x25519::Identity>, Vec<Diagnostic>> {
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
    if problems.is_empty() {
        Ok(identities)
    } else {
        Err(problems)
    }
}

/// Reads the age identities, the repository's `.sops.yaml` and the clock, once per run; an
/// unreadable one stops the run.
pub(super) fn read_keys(tree: &WorkTree) -> Result<Keys, Vec<Diagnostic>> {
    let (identities, mut problems) = match identities() {
        Ok(identities) => (identities, Vec::new()),
        Err(problems) => (Vec::new(), problems),
    };
    let sops_config = output::sops_config(tree, tree.root()).unwrap_or_else(|problem| {
        problems.push(*problem);
        None
    });
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

/// The one-line hint, printed once per run, when Secrets were written for a blueprint that
/// delivers with neither Flux nor Argo CD (with one of them, their own checks speak).
pub(super) fn flux_hint() {
    eprintln!(
        "hint: Flux applies these SOPS-encrypted Secrets only with `decryption: {{provider: sops, secretRef: ...}}` on its Kustomization: set spec.delivery.flux.decryptionSecret and kforge writes it into delivery/flux/; Argo CD needs KSOPS or a plugin; see docs/delivery.md"
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
