//! Lint settings: every rule named in `spec.lint.disable` and in an app's `lint.allow` exists
//! (by id, `KF301`, or name, `privileged` / `KF-privileged`), and every allow says why.

use super::Ctx;
use crate::lint::codes::{known, lookup};
use crate::suggest;

fn rule(ctx: &mut Ctx<'_>, pointer: &str, name: &str) {
    if lookup(name).is_some() {
        return;
    }
    let bare = name
        .strip_prefix("KF-")
        .or_else(|| name.strip_prefix("kf-"))
        .unwrap_or(name);
    ctx.error(
        "unknown-rule",
        pointer,
        format!("`{name}` is not a lint rule"),
        "unknown rule",
    )
    .help = Some(format!(
        "{} (`kforge rules` lists them)",
        suggest::hint(bare, known())
    ));
}

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let spec = &ctx.loaded.blueprint.spec;
    let disabled: Vec<String> = spec.lint.iter().flat_map(|l| l.disable.clone()).collect();
    for (i, name) in disabled.iter().enumerate() {
        rule(ctx, &format!("/spec/lint/disable/{i}"), name);
    }
    let allows: Vec<(usize, usize, String, String)> = spec
        .apps
        .iter()
        .enumerate()
        .flat_map(|(a, app)| {
            app.lint
                .iter()
                .flat_map(|l| l.allow.iter())
                .enumerate()
                .map(move |(j, allow)| (a, j, allow.rule.clone(), allow.reason.clone()))
        })
        .collect();
    for (a, j, name, reason) in allows {
        let base = format!("/spec/apps/{a}/lint/allow/{j}");
        rule(ctx, &format!("{base}/rule"), &name);
        if reason.trim().is_empty() {
            ctx.error(
                "missing-reason",
                &format!("{base}/reason"),
                "an allowed lint rule needs a reason".into(),
                "empty reason",
            )
            .help = Some("say why the finding is acceptable for this app".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, findings};

    const APP: &str = "  apps:\n    - name: web\n      image: nginx:1.27.2\n";

    #[test]
    fn known_rules_by_id_and_name() {
        check(
            &format!(
                "{APP}      lint:\n        allow: [{{rule: KF301, reason: agent}}, {{rule: KF-host-namespaces, reason: agent}}]\n  lint: {{disable: [latest-image-tag]}}\n"
            ),
            &[],
        );
    }

    #[test]
    fn unknown_rules_and_empty_reasons() {
        check(
            &format!(
                "{APP}      lint:\n        allow: [{{rule: KF-privilegd, reason: \" \"}}]\n  lint: {{disable: [KF999]}}\n"
            ),
            &[
                ("unknown-rule", "10:24"),
                ("missing-reason", "10:46"),
                ("unknown-rule", "11:20"),
            ],
        );
        let found = findings(&format!(
            "{APP}      lint:\n        allow: [{{rule: KF-privilegd, reason: x}}]\n"
        ));
        assert!(
            found[0].2.contains("`KF-privilegd` is not a lint rule"),
            "{found:?}"
        );
    }

    #[test]
    fn a_reason_is_required_by_the_schema() {
        let loaded = crate::load::load_blueprint(
            crate::diagnostic::SourceFile::new(
                "bp.yaml",
                format!(
                    "{}{APP}      lint:\n        allow: [{{rule: KF301}}]\n",
                    super::super::testing::HEAD
                ),
            ),
            std::path::PathBuf::from("."),
        );
        assert!(loaded.is_err());
    }
}
