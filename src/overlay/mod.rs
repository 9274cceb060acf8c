//! Stage 2, overlay: an environment's `kind: Overlay` patch merged into a blueprint's spec
//! before anything else happens (format: README, "Environments", and docs/blueprint.md).
//!
//! Architecture invariant: this stage reads no file and works on parsed documents with their
//! spans, so that the merged blueprint keeps, for every field, the file and line that set it;
//! the merged document then goes through exactly the loader's schema pass and the checks a
//! hand-written blueprint goes through.

mod merge;
mod show;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

pub use merge::merge;
pub use show::show;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::load::{SpanMap, is_secret_value, mask_secrets_in, parse_document};
use crate::model::names::{NameRule, name_problem};
use crate::suggest;

/// The name of the environment a blueprint renders to without an overlay.
pub const BASE: &str = "base";

/// One parsed overlay file.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The environment's name (`metadata.name`).
    pub env: String,
    /// The blueprint it applies to (`spec.blueprint`).
    pub blueprint: String,
    /// The whole document; the patch is at `/spec/patch`.
    pub document: Value,
    pub spans: SpanMap,
}

impl Overlay {
    /// Where the patch starts in [`Overlay::document`].
    pub const PATCH: &'static str = "/spec/patch";

    pub fn file(&self) -> &Arc<SourceFile> {
        self.spans.file()
    }

    pub fn patch(&self) -> &Value {
        self.document.pointer(Self::PATCH).unwrap_or(&Value::Null)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Header {
    api_version: String,
    kind: String,
    metadata: Metadata,
    spec: OverlaySpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverlaySpec {
    blueprint: String,
    #[serde(default)]
    patch: Option<serde_json::Map<String, Value>>,
}

const FIELDS: &[(&str, &[&str])] = &[
    ("", &["apiVersion", "kind", "metadata", "spec"]),
    ("/metadata", &["name"]),
    ("/spec", &["blueprint", "patch"]),
];

/// Parses an overlay file and checks its header; the patch itself is judged after merging.
pub fn parse_overlay(file: Arc<SourceFile>) -> Result<Overlay, Vec<Diagnostic>> {
    let (document, mut spans) =
        parse_document(&file).map_err(|errors| mask_secrets_in(&file, errors))?;
    // Literal secret values in the patch are masked like the blueprint's own.
    spans.redact(|pointer| {
        pointer
            .strip_prefix(Overlay::PATCH)
            .is_some_and(|rest| is_secret_value(&format!("/spec{rest}")))
    });
    let mut errors = unknown_fields(&document, &spans);
    if !errors.is_empty() {
        return Err(errors);
    }
    let header = match serde_path_to_error::deserialize::<_, Header>(document.clone()) {
        Ok(header) => header,
        Err(error) => {
            let pointer: String = error
                .path()
                .iter()
                .map(|segment| format!("/{segment}"))
                .collect();
            let message = error.inner().to_string();
            return Err(vec![
                Diagnostic::error("invalid-overlay", format!("invalid overlay: {message}"))
                    .path(crate::model::field_path(&pointer))
                    .at(spans.value(&pointer), "here")
                    .help("an overlay has apiVersion, kind: Overlay, metadata.name and spec.{blueprint, patch}"),
            ]);
        }
    };
    if header.api_version != "kforge.io/v1alpha1" {
        errors.push(
            Diagnostic::error(
                "invalid-overlay",
                format!("unsupported apiVersion `{}`", header.api_version),
            )
            .path("apiVersion")
            .at(spans.value("/apiVersion"), "here")
            .help("use `apiVersion: kforge.io/v1alpha1`"),
        );
    }
    if header.kind != "Overlay" {
        errors.push(
            Diagnostic::error(
                "invalid-overlay",
                format!(
                    "a file in overlays/ must be `kind: Overlay`, not `{}`",
                    header.kind
                ),
            )
            .path("kind")
            .at(spans.value("/kind"), "here")
            .help("blueprints live in blueprints/, overlays in overlays/"),
        );
    }
    let env = header.metadata.name;
    if let Some(problem) = name_problem(&env, NameRule::Label) {
        errors.push(
            Diagnostic::error(
                "invalid-environment",
                format!("invalid environment name: {problem}"),
            )
            .path("metadata.name")
            .at(spans.value("/metadata/name"), "environment name")
            .help("it names the output directory out/<blueprint>/<env>/: use lower-case letters, digits and `-`"),
        );
    } else if env == BASE {
        errors.push(
            Diagnostic::error(
                "invalid-environment",
                "`base` is the name of the output without overlay",
            )
            .path("metadata.name")
            .at(spans.value("/metadata/name"), "reserved name")
            .help("name the environment after where it runs: dev, staging, prod, ..."),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut document = document;
    if header.spec.patch.is_none() {
        // An overlay without a patch renders the blueprint as it is, under its own name.
        if let Some(spec) = document.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("patch".into(), Value::Object(serde_json::Map::new()));
        }
    }
    Ok(Overlay {
        env,
        blueprint: header.spec.blueprint,
        document,
        spans,
    })
}

/// Unknown header fields, with did-you-mean (serde would stop at the first one).
fn unknown_fields(document: &Value, spans: &SpanMap) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for (pointer, allowed) in FIELDS {
        let Some(map) = document.pointer(pointer).and_then(Value::as_object) else {
            continue;
        };
        for key in map.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let at = format!("{pointer}/{}", crate::json::escape_segment(key));
            let mut error = Diagnostic::error("unknown-field", format!("unknown field `{key}`"))
                .path(crate::model::field_path(&at))
                .at(spans.key(&at), "not an overlay field");
            error = error.help(suggest::hint(key, allowed.iter().copied()));
            if (pointer.is_empty() || *pointer == "/spec")
                && crate::load::schema::spec_fields().iter().any(|f| f == key)
            {
                error = error.help(format!(
                    "blueprint fields go under `spec.patch`, e.g. `spec.patch.{key}`"
                ));
            }
            errors.push(error);
        }
    }
    errors
}

/// Overlays grouped by the blueprint they name, each group ordered by environment; two
/// overlays of one blueprint with the same environment name are an error pointing at both.
pub fn by_blueprint(
    overlays: Vec<Overlay>,
) -> Result<BTreeMap<String, Vec<Overlay>>, Vec<Diagnostic>> {
    let mut groups: BTreeMap<String, Vec<Overlay>> = BTreeMap::new();
    let mut errors = Vec::new();
    for overlay in overlays {
        let group = groups.entry(overlay.blueprint.clone()).or_default();
        if let Some(first) = group.iter().find(|o| o.env == overlay.env) {
            errors.push(
                Diagnostic::error(
                    "duplicate-environment",
                    format!(
                        "two overlays of blueprint `{}` are both named `{}`",
                        overlay.blueprint, overlay.env
                    ),
                )
                .path("metadata.name")
                .at(overlay.spans.value("/metadata/name"), "second overlay")
                .also(first.spans.value("/metadata/name"), "first overlay")
                .help("each environment renders into its own out/<blueprint>/<env>/: rename one"),
            );
            continue;
        }
        group.push(overlay);
    }
    for group in groups.values_mut() {
        group.sort_by(|a, b| a.env.cmp(&b.env));
    }
    if errors.is_empty() {
        Ok(groups)
    } else {
        Err(errors)
    }
}

/// The error for an overlay that names a blueprint this run does not know.
pub fn unknown_blueprint(overlay: &Overlay, known: &[&str]) -> Diagnostic {
    let error = Diagnostic::error(
        "unknown-blueprint",
        format!(
            "overlay `{}` applies to blueprint `{}`, which does not exist",
            overlay.env, overlay.blueprint
        ),
    )
    .path("spec.blueprint")
    .at(
        overlay.spans.value("/spec/blueprint"),
        "no blueprint has this metadata.name",
    );
    error.help(suggest::hint(&overlay.blueprint, known.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Overlay, Vec<Diagnostic>> {
        parse_overlay(SourceFile::new("overlays/prod.yaml", text))
    }

    const GOOD: &str = "apiVersion: kforge.io/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n  blueprint: platform\n  patch:\n    apps: []\n";

    #[test]
    fn parses_the_header() {
        let overlay = parse(GOOD).unwrap();
        assert_eq!(
            (overlay.env.as_str(), overlay.blueprint.as_str()),
            ("prod", "platform")
        );
        assert_eq!(overlay.patch(), &serde_json::json!({"apps": []}));
    }

    #[test]
    fn an_environment_name_must_be_a_dns_label() {
        let errors = parse(&GOOD.replace("name: prod", "name: Prod_1")).unwrap_err();
        assert_eq!(errors[0].code, "invalid-environment");
        assert_eq!(errors[0].location().unwrap(), "overlays/prod.yaml:4:9");
    }

    #[test]
    fn base_is_reserved() {
        let errors = parse(&GOOD.replace("name: prod", "name: base")).unwrap_err();
        assert_eq!(errors[0].code, "invalid-environment");
    }

    #[test]
    fn unknown_header_fields_get_did_you_mean() {
        let errors = parse(&GOOD.replace("  patch:", "  pacth:")).unwrap_err();
        assert_eq!(errors[0].code, "unknown-field");
        assert_eq!(errors[0].location().unwrap(), "overlays/prod.yaml:7:3");
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `patch`?"));
    }

    #[test]
    fn blueprint_fields_outside_the_patch_are_pointed_to_it() {
        let errors = parse(&GOOD.replace("  patch:", "  apps:")).unwrap_err();
        assert!(
            errors[0]
                .help
                .as_deref()
                .unwrap()
                .contains("spec.patch.apps")
        );
    }

    #[test]
    fn two_overlays_with_one_environment_name_point_at_both() {
        let a = parse(GOOD).unwrap();
        let b = parse_overlay(SourceFile::new("overlays/prod2.yaml", GOOD)).unwrap();
        let errors = by_blueprint(vec![a, b]).unwrap_err();
        assert_eq!(errors[0].code, "duplicate-environment");
        assert_eq!(errors[0].location().unwrap(), "overlays/prod2.yaml:4:9");
        assert_eq!(
            errors[0].secondary[0].0.location(),
            "overlays/prod.yaml:4:9"
        );
    }
}
