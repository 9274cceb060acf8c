//! Secrets: one source per value, literal values flagged, and every `spec.encryption.age`
//! recipient a valid age public key. Whether recipients exist at all depends on
//! `.sops.yaml` and the output path, so that is decided when the Secrets are encrypted.

use super::{Ctx, exactly_one};
use crate::diagnostic::Diagnostic;
use crate::load::secret_references;
use crate::model::field_path;
use crate::secrets::recipients::parse_recipient;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    for reference in secret_references(ctx.loaded) {
        let source = &reference.source;
        exactly_one(
            ctx,
            &reference.pointer,
            "a secret value",
            &[
                ("value", source.value.is_some()),
                ("fromEnv", source.from_env.is_some()),
                ("fromFile", source.from_file.is_some()),
            ],
        );
        if source.value.is_some() {
            let at = format!("{}/value", reference.pointer);
            ctx.out.push(
                Diagnostic::warning(
                    "secret-literal-value",
                    "a literal secret value is kept in the blueprint in plain text",
                )
                .path(field_path(&at))
                .at(ctx.loaded.spans.value(&at), "literal value")
                .help("read it at render time instead: `fromEnv: VAR` or `fromFile: path` (a file kept out of Git)"),
            );
        }
    }
    let recipients = ctx
        .loaded
        .blueprint
        .spec
        .encryption
        .as_ref()
        .map(|e| e.age.clone())
        .unwrap_or_default();
    for (i, recipient) in recipients.iter().enumerate() {
        let pointer = format!("/spec/encryption/age/{i}");
        if recipient
            .trim()
            .to_uppercase()
            .starts_with("AGE-SECRET-KEY-")
        {
            // A private key pasted by mistake: neither quoted nor shown in a snippet.
            ctx.out.push(
                Diagnostic::error(
                    "invalid-age-recipient",
                    "this is an age identity (a private key), not a recipient",
                )
                .path(field_path(&pointer))
                .help("put the public key (`age-keygen -y KEY_FILE`) here, and treat the private key as leaked: generate a new one"),
            );
            continue;
        }
        if let Err(reason) = parse_recipient(recipient) {
            ctx.error(
                "invalid-age-recipient",
                &pointer,
                format!("`{recipient}` is not an age recipient: {reason}"),
                "not an age public key",
            )
            .help = Some("use the public key `age-keygen -y KEY_FILE` prints (age1...)".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{check, load};

    const KEY: &str = "age1ghmhym9nmz6z0ht5e88f3qvmstrdm8sf45ky4rlylfwyz6pk3ads89tcar";

    #[test]
    fn a_secret_value_needs_exactly_one_source() {
        let app = "  apps:\n    - name: web\n      image: nginx\n      secretEnv:\n";
        check(&format!("{app}        PASSWORD: {{fromEnv: PW}}\n"), &[]);
        check(
            &format!("{app}        PASSWORD: {{fromEnv: PW, fromFile: pw.txt}}\n"),
            &[("one-of", "10:9")],
        );
    }

    #[test]
    fn recipients_must_be_age_public_keys() {
        check(&format!("  encryption: {{age: [{KEY}]}}\n"), &[]);
        check(
            "  encryption:\n    age: [age1qqqq, ssh-rsa]\n",
            &[
                ("invalid-age-recipient", "7:11"),
                ("invalid-age-recipient", "7:21"),
            ],
        );
    }

    #[test]
    fn a_literal_value_is_a_warning_that_never_shows_it() {
        let loaded = load("  secrets:\n    - name: db\n      data: {password: {value: hunter2}}\n");
        let found = crate::check::check(&loaded);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, "secret-literal-value");
        assert!(!found[0].is_error());
        let rendered = found[0].render(false);
        assert!(!rendered.contains("hunter2"), "{rendered}");
    }
}
