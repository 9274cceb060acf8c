//! Who can read a Secret file: the age recipients of `spec.encryption.age`, else those of the
//! first `.sops.yaml` creation rule whose `path_regex` matches the file (as sops chooses).
//! Also the age identities that open existing files (`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::x25519;
use zeroize::Zeroizing;

/// Parses an age recipient (`age1...`); the error says what is wrong without the value.
pub fn parse_recipient(text: &str) -> Result<x25519::Recipient, String> {
    let text = text.trim();
    if !text.starts_with("age1") {
        return Err("an age recipient starts with `age1`".into());
    }
    x25519::Recipient::from_str(text).map_err(|e| format!("not a valid age X25519 recipient ({e})"))
}

/// One creation rule of a `.sops.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreationRule {
    pub path_regex: Option<String>,
    /// The rule's age recipients; empty when it names other key kinds only.
    pub age: Vec<String>,
}

/// A `.sops.yaml` file: its directory (paths are matched relative to it) and its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SopsConfig {
    pub file: PathBuf,
    pub rules: Vec<CreationRule>,
}

impl SopsConfig {
    /// Parses `.sops.yaml` text; `file` is where it was found.
    pub fn parse(file: PathBuf, text: &str) -> Result<SopsConfig, String> {
        let value: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
        let mut rules = Vec::new();
        let listed = value
            .get("creation_rules")
            .and_then(serde_yaml::Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for rule in listed {
            let path_regex = rule
                .get("path_regex")
                .and_then(serde_yaml::Value::as_str)
                .map(str::to_owned);
            if let Some(re) = &path_regex {
                regex::Regex::new(re).map_err(|e| format!("path_regex `{re}`: {e}"))?;
            }
            let age = match rule.get("age") {
                Some(serde_yaml::Value::String(list)) => split_list(list),
                Some(serde_yaml::Value::Sequence(items)) => items
                    .iter()
                    .filter_map(serde_yaml::Value::as_str)
                    .flat_map(split_list)
                    .collect(),
                _ => Vec::new(),
            };
            rules.push(CreationRule { path_regex, age });
        }
        Ok(SopsConfig { file, rules })
    }

    /// The rule sops would apply to `file` (an absolute path): the first whose `path_regex`
    /// matches the path relative to the config's directory, or that has none.
    pub fn rule_for(&self, file: &Path) -> Option<&CreationRule> {
        let dir = self.file.parent().unwrap_or(Path::new(""));
        let relative = file.strip_prefix(dir).unwrap_or(file).to_string_lossy();
        self.rules.iter().find(|rule| match &rule.path_regex {
            None => true,
            Some(re) => regex::Regex::new(re).is_ok_and(|re| re.is_match(&relative)),
        })
    }
}

fn split_list(list: &str) -> Vec<String> {
    list.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Where the recipients of a rendering come from.
#[derive(Debug, Clone, Default)]
pub struct RecipientSource {
    /// `spec.encryption.age`; when non-empty it wins.
    pub blueprint: Vec<String>,
    /// The nearest `.sops.yaml`, when there is one.
    pub sops_config: Option<SopsConfig>,
}

impl RecipientSource {
    /// The recipients of the file at `file` (absolute), or why there are none.
    pub fn for_file(&self, file: &Path) -> Result<Vec<x25519::Recipient>, String> {
        let (listed, origin) = if !self.blueprint.is_empty() {
            (self.blueprint.clone(), "spec.encryption.age".to_owned())
        } else if let Some(config) = &self.sops_config {
            let name = config.file.display();
            match config.rule_for(file) {
                Some(rule) if !rule.age.is_empty() => {
                    (rule.age.clone(), format!("the creation rule of {name}"))
                }
                Some(_) => {
                    return Err(format!(
                        "the matching creation rule of {name} names no age recipient"
                    ));
                }
                None => return Err(format!("no creation rule of {name} matches this path")),
            }
        } else {
            return Err("no `spec.encryption.age` and no `.sops.yaml`".into());
        };
        listed
            .iter()
            .map(|r| parse_recipient(r).map_err(|e| format!("{origin}: `{r}` is {e}")))
            .collect()
    }
}

/// Parses age identities (`AGE-SECRET-KEY-1...` lines; `#` comments and blank lines are
/// skipped) as `age-keygen` writes them. The error never quotes the text.
pub fn parse_identities(text: &Zeroizing<String>) -> Result<Vec<x25519::Identity>, String> {
    let mut identities = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let identity = x25519::Identity::from_str(line)
            .map_err(|_| format!("line {} is not an age X25519 identity", n + 1))?;
        identities.push(identity);
    }
    Ok(identities)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "age1ghmhym9nmz6z0ht5e88f3qvmstrdm8sf45ky4rlylfwyz6pk3ads89tcar";

    #[test]
    fn recipients_are_checked() {
        assert!(parse_recipient(KEY).is_ok());
        assert!(parse_recipient("age1notakey").is_err());
        assert!(parse_recipient("ssh-ed25519 AAAA").is_err());
    }

    #[test]
    fn the_first_matching_creation_rule_wins_relative_to_the_config() {
        let config = SopsConfig::parse(
            PathBuf::from("/repo/.sops.yaml"),
            &format!(
                "creation_rules:\n  - path_regex: ^out/.*/prod/\n    pgp: ABC\n  - path_regex: ^out/.*\\.yaml$\n    age: {KEY}, {KEY}\n"
            ),
        )
        .unwrap();
        let prod = Path::new("/repo/out/p/prod/web/secret-a.yaml");
        let base = Path::new("/repo/out/p/base/web/secret-a.yaml");
        assert_eq!(config.rule_for(prod), Some(&config.rules[0]));
        assert_eq!(config.rule_for(base).unwrap().age.len(), 2);
        assert_eq!(config.rule_for(Path::new("/elsewhere/x.json")), None);
        let source = RecipientSource {
            blueprint: Vec::new(),
            sops_config: Some(config),
        };
        assert!(source.for_file(base).is_ok());
        assert!(
            source
                .for_file(prod)
                .unwrap_err()
                .contains("names no age recipient")
        );
    }

    #[test]
    fn the_blueprint_wins_and_nothing_is_an_error() {
        let none = RecipientSource::default();
        assert!(none.for_file(Path::new("/x")).is_err());
        let blueprint = RecipientSource {
            blueprint: vec![KEY.into()],
            sops_config: None,
        };
        assert_eq!(blueprint.for_file(Path::new("/x")).unwrap().len(), 1);
    }

    #[test]
    fn identities_parse_like_age_keygen_output() {
        let identity = x25519::Identity::generate();
        use age::secrecy::ExposeSecret;
        let text = Zeroizing::new(format!(
            "# created: now\n# public key: {}\n{}\n",
            identity.to_public(),
            identity.to_string().expose_secret()
        ));
        assert_eq!(parse_identities(&text).unwrap().len(), 1);
        let bad = Zeroizing::new("AGE-SECRET-KEY-1NOPE\n".to_owned());
        let Err(error) = parse_identities(&bad) else {
            panic!("accepted a bad identity")
        };
        assert!(!error.contains("NOPE"), "{error}");
    }
}
