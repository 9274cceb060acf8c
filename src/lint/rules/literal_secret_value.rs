use crate::json::escape_segment;
use crate::lint::rule::{Hit, Rule};
use crate::load::Loaded;
use crate::model::Object;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags secret values written literally in the blueprint. That is `value:` under
    /// `secrets[].data` or an app's `secretEnv`; the finding points at the field and never
    /// shows the value. This rule looks at the blueprint, not at objects.
    ///
    /// ## Why it matters
    /// The blueprint is committed: a literal password is readable by everyone with access to
    /// the repository, forever, in its history — even though kforge encrypts the Secret it
    /// writes.
    ///
    /// ## How to fix
    /// Read the value at render time with `fromEnv` (from CI's secret store) or `fromFile`
    /// (a file kept out of Git), then rotate the value that was committed.
    ///
    /// ## Example
    /// ```yaml
    /// data:
    ///   password: {value: hunter2}         # flagged
    ///   password: {fromEnv: DB_PASSWORD}   # fine
    /// ```
    pub struct LiteralSecretValue;
}

impl Rule for LiteralSecretValue {
    fn check(&self, _objects: &[Object]) -> Vec<Hit> {
        Vec::new()
    }

    fn check_blueprint(&self, loaded: &Loaded) -> Vec<Hit> {
        let spec = &loaded.blueprint.spec;
        let mut out = Vec::new();
        let help = "use `fromEnv` or `fromFile`, and rotate the committed value";
        for (i, secret) in spec.secrets.iter().enumerate() {
            for (key, source) in &secret.data {
                if source.value.is_some() {
                    out.push(
                        Hit::new(
                            0,
                            format!("/spec/secrets/{i}/data/{}/value", escape_segment(key)),
                            format!(
                                "key `{key}` of Secret `{}` is a literal value in the blueprint",
                                secret.name
                            ),
                        )
                        .help(help),
                    );
                }
            }
        }
        for (i, app) in spec.apps.iter().enumerate() {
            for (key, source) in &app.secret_env {
                if source.value.is_some() {
                    out.push(
                        Hit::new(
                            0,
                            format!("/spec/apps/{i}/secretEnv/{}/value", escape_segment(key)),
                            format!(
                                "secret env `{key}` of app `{}` is a literal value in the blueprint",
                                app.name
                            ),
                        )
                        .help(help),
                    );
                }
            }
        }
        out
    }
}
