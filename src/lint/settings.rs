//! Which rules run where: the blueprint's `spec.lint.disable` (rules off everywhere) and each
//! app's `lint.allow` (a rule off for the objects that app produced, with a reason).

use std::collections::BTreeSet;

use super::codes::lookup;
use crate::load::blueprint::Blueprint;

/// A rule allowed for every object and blueprint field under one blueprint pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    /// `/spec/apps/<i>`: covers objects whose origin is this pointer or below it.
    pub origin: String,
    pub rule: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Ids of rules that do not run.
    pub disabled: BTreeSet<&'static str>,
    pub allows: Vec<Allow>,
}

impl Settings {
    /// The settings a blueprint states. Unknown rule ids are left out here; the check stage
    /// reports them.
    pub fn from_blueprint(blueprint: &Blueprint) -> Settings {
        let spec = &blueprint.spec;
        let disabled = spec
            .lint
            .iter()
            .flat_map(|l| l.disable.iter())
            .filter_map(|r| lookup(r).map(|c| c.id))
            .collect();
        let mut allows = Vec::new();
        for (i, app) in spec.apps.iter().enumerate() {
            for allow in app.lint.iter().flat_map(|l| l.allow.iter()) {
                if let Some(code) = lookup(&allow.rule) {
                    allows.push(Allow {
                        origin: format!("/spec/apps/{i}"),
                        rule: code.id,
                        reason: allow.reason.clone(),
                    });
                }
            }
        }
        Settings { disabled, allows }
    }

    /// The allows by rule and origin, for asking about many findings: one lookup per level
    /// of the pointer instead of a walk over every allow (a blueprint whose every app allows
    /// a rule would otherwise cost findings × apps).
    pub fn index(&self) -> AllowIndex<'_> {
        AllowIndex {
            allows: self
                .allows
                .iter()
                .map(|a| (a.rule, a.origin.as_str()))
                .collect(),
        }
    }

    /// Whether `rule` is allowed for something that came from blueprint `pointer`.
    pub fn allows(&self, rule: &str, pointer: &str) -> bool {
        self.allows.iter().any(|a| {
            a.rule == rule
                && pointer
                    .strip_prefix(a.origin.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

/// See [`Settings::index`].
pub struct AllowIndex<'a> {
    allows: BTreeSet<(&'a str, &'a str)>,
}

impl AllowIndex<'_> {
    /// As [`Settings::allows`]: an allow covers its origin and everything below it.
    pub fn allows(&self, rule: &str, pointer: &str) -> bool {
        if self.allows.is_empty() {
            return false;
        }
        let mut parents = pointer
            .match_indices('/')
            .map(|(i, _)| &pointer[..i])
            .chain([pointer]);
        parents.any(|origin| self.allows.contains(&(rule, origin)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allow_covers_its_app_and_nothing_else() {
        let settings = Settings {
            disabled: BTreeSet::new(),
            allows: vec![Allow {
                origin: "/spec/apps/1".into(),
                rule: "KF301",
                reason: "r".into(),
            }],
        };
        assert!(settings.allows("KF301", "/spec/apps/1"));
        assert!(settings.allows("KF301", "/spec/apps/1/service"));
        assert!(!settings.allows("KF301", "/spec/apps/12"));
        assert!(!settings.allows("KF301", "/spec/apps/0"));
        assert!(!settings.allows("KF302", "/spec/apps/1"));
    }

    #[test]
    fn the_index_answers_as_the_list_does() {
        let allow = |origin: &str, rule| Allow {
            origin: origin.into(),
            rule,
            reason: "r".into(),
        };
        let settings = Settings {
            disabled: BTreeSet::new(),
            allows: vec![
                allow("/spec/apps/1", "KF301"),
                allow("/spec/apps/12", "KF302"),
                allow("", "KF101"),
            ],
        };
        let index = settings.index();
        for rule in ["KF301", "KF302", "KF101", "KF102"] {
            for pointer in [
                "",
                "/spec",
                "/spec/apps/1",
                "/spec/apps/1/service",
                "/spec/apps/12",
                "/spec/apps/12/image",
                "/spec/apps/123",
                "/spec/apps/1x",
                "spec/apps/1",
            ] {
                assert_eq!(
                    index.allows(rule, pointer),
                    settings.allows(rule, pointer),
                    "{rule} at {pointer:?}"
                );
            }
        }
    }
}
