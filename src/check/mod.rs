//! Stage 2, check: the rules of the blueprint format (docs/blueprint.md) that a schema
//! cannot say — names, references between parts of the blueprint, storage bindings, the
//! cluster's network plan.
//!
//! Architecture invariant: checks only read the blueprint and its spans; they build nothing.
//! A blueprint that passes every check expands without errors about its own content.

mod apps;
mod cluster;
mod delivery;
pub(crate) use cluster::split_endpoint;
mod lint;
mod names;
mod secrets;
pub mod security;
mod storage;

use crate::diagnostic::Diagnostic;
use crate::load::Loaded;
use crate::model::field_path;
use crate::suggest;

/// The code of a warning about a field that has no effect in its context.
pub const IGNORED: &str = "ignored-field";

/// Collects diagnostics and knows where each blueprint field stands.
pub(crate) struct Ctx<'a> {
    pub loaded: &'a Loaded,
    pub out: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    fn new(loaded: &'a Loaded) -> Self {
        Ctx {
            loaded,
            out: Vec::new(),
        }
    }

    /// An error at the value of the field at `pointer`.
    pub fn error(
        &mut self,
        code: &'static str,
        pointer: &str,
        message: String,
        label: &str,
    ) -> &mut Diagnostic {
        let span = self.loaded.spans.value(pointer);
        self.push(code, pointer, message, span, label)
    }

    /// An error at the key of the field at `pointer` (a whole entry rather than its value).
    pub fn error_at_key(
        &mut self,
        code: &'static str,
        pointer: &str,
        message: String,
        label: &str,
    ) -> &mut Diagnostic {
        let span = self.loaded.spans.key(pointer);
        self.push(code, pointer, message, span, label)
    }

    /// A warning at the key of the field at `pointer`: a field that has no effect where it
    /// stands. The message says why.
    pub fn ignored(&mut self, pointer: &str, message: String, label: &str) -> &mut Diagnostic {
        let span = self.loaded.spans.key(pointer);
        let diagnostic = Diagnostic::warning(IGNORED, message)
            .path(field_path(pointer))
            .at(span, label);
        self.out.push(diagnostic);
        self.last()
    }

    fn push(
        &mut self,
        code: &'static str,
        pointer: &str,
        message: String,
        span: Option<crate::diagnostic::Span>,
        label: &str,
    ) -> &mut Diagnostic {
        let diagnostic = Diagnostic::error(code, message)
            .path(field_path(pointer))
            .at(span, label);
        self.out.push(diagnostic);
        self.last()
    }

    /// A reference to a name that does not exist, with a did-you-mean among `known`.
    pub fn unknown_reference<'n, I>(
        &mut self,
        code: &'static str,
        pointer: &str,
        what: &str,
        name: &str,
        known: I,
    ) where
        I: IntoIterator<Item = &'n str> + Clone,
    {
        let help = suggest::hint(name, known);
        self.error(
            code,
            pointer,
            format!("{what} `{name}` does not exist"),
            "unknown name",
        )
        .help = Some(help);
    }

    fn last(&mut self) -> &mut Diagnostic {
        let index = self.out.len() - 1;
        &mut self.out[index]
    }
}

/// Exactly one of the named options must be set; reports none or several at `pointer`.
pub(crate) fn exactly_one(ctx: &mut Ctx<'_>, pointer: &str, what: &str, options: &[(&str, bool)]) {
    let set: Vec<&str> = options
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect();
    let names: Vec<String> = options.iter().map(|(n, _)| format!("`{n}`")).collect();
    if set.len() == 1 {
        return;
    }
    let message = if set.is_empty() {
        format!("{what} needs one of {}", names.join(", "))
    } else {
        format!(
            "{what} sets {} at once",
            set.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    ctx.error_at_key("one-of", pointer, message, "here").help =
        Some(format!("set exactly one of {}", names.join(", ")));
}

/// Runs every check; an empty result means the blueprint may be expanded.
pub fn check(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut ctx = Ctx::new(loaded);
    names::check(&mut ctx);
    storage::check(&mut ctx);
    apps::check(&mut ctx);
    secrets::check(&mut ctx);
    security::check(&mut ctx);
    cluster::check(&mut ctx);
    delivery::check(&mut ctx);
    lint::check(&mut ctx);
    apps::node_port_conflicts(&mut ctx);
    let mut out = ctx.out;
    out.extend(crate::addons::check(loaded));
    out.sort_by_key(|d| d.primary.as_ref().map(|(s, _)| s.range.start));
    out
}

#[cfg(test)]
mod tests {
    use super::testing::{check, load};

    #[test]
    fn two_apps_claiming_one_node_port_are_an_error_at_the_second() {
        let app = |name: &str| {
            format!(
                "    - name: {name}\n      image: nginx:1.27\n      ports: [{{name: http, port: 80}}]\n      service: {{type: NodePort, nodePorts: {{http: 30080}}}}\n"
            )
        };
        check(
            &format!("  apps:\n{}{}", app("a"), app("b")),
            &[("node-port-conflict", "14:51")],
        );
        check(
            &format!(
                "  apps:\n{}  addons:\n    ingressNginx: {{nodePorts: {{https: 30080}}}}\n",
                app("a")
            ),
            &[("node-port-conflict", "12:39")],
        );
    }

    #[test]
    fn an_add_on_namespace_with_strict_isolation_is_an_error() {
        check(
            "  namespaces: [{name: logging, isolation: strict}]\n  addons:\n    logging: {kibana: {}}\n",
            &[("addon-namespace-isolated", "6:43")],
        );
        check(
            "  namespaces: [{name: logging, isolation: default-deny}]\n  addons:\n    logging: {kibana: {}}\n",
            &[],
        );
    }

    #[test]
    fn a_scrape_target_that_keeps_prometheus_out_is_an_error() {
        let spec = |rules: &str| {
            format!(
                "  namespaces: [{{name: web, isolation: default-deny}}]\n  apps:\n    - name: api\n      namespace: web\n      image: nginx:1.27\n      ports: [{{name: http, port: 80}}]\n      podAnnotations: {{prometheus.io/scrape: \"true\"}}\n{rules}  addons:\n    monitoring: {{prometheus: {{}}}}\n"
            )
        };
        check(&spec(""), &[("addon-unreachable", "12:46")]);
        check(
            &spec(
                "      network:\n        ingress: [{from: {namespace: monitoring}, ports: [http]}]\n",
            ),
            &[],
        );
    }

    #[test]
    fn a_cluster_with_encryption_passes_without_warnings() {
        let loaded = load(
            "  cluster:\n    name: lab\n    version: 1.33.4\n    controlPlaneEndpoint: 10.0.0.1:6443\n    podCIDR: 10.244.0.0/16\n    nodes: [{name: m, role: control-plane, address: 10.0.0.1}]\n  encryption: {age: [age14wqr4ywsh9qwql298dz2cmjam5jgg4f4q9v0wele2hl2ww55v56q5tet4v]}\n",
        );
        assert!(super::check(&loaded).is_empty());
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use std::path::PathBuf;

    use crate::diagnostic::{Diagnostic, Severity, SourceFile};
    use crate::load::{Loaded, load_blueprint};

    pub const HEAD: &str =
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: demo\nspec:\n";

    pub fn load(spec: &str) -> Loaded {
        let text = format!("{HEAD}{spec}");
        match load_blueprint(SourceFile::new("bp.yaml", text), PathBuf::from(".")) {
            Ok(loaded) => crate::addons::apply(loaded),
            Err(errors) => panic!(
                "{}",
                errors.iter().map(|e| e.render(false)).collect::<String>()
            ),
        }
    }

    /// The (code, line:col, message) of every error for a spec.
    pub fn findings(spec: &str) -> Vec<(String, String, String)> {
        described(spec, Severity::Error)
    }

    /// The (code, line:col, message) of every warning for a spec.
    pub fn warnings(spec: &str) -> Vec<(String, String, String)> {
        described(spec, Severity::Warning)
    }

    fn described(spec: &str, severity: Severity) -> Vec<(String, String, String)> {
        let loaded = load(spec);
        super::check(&loaded)
            .into_iter()
            .filter(|d| d.severity == severity)
            .map(|d: Diagnostic| {
                let at = d
                    .location()
                    .unwrap_or_default()
                    .trim_start_matches("bp.yaml:")
                    .to_owned();
                (
                    d.code.to_owned(),
                    at,
                    format!("{}: {}", d.path.unwrap_or_default(), d.message),
                )
            })
            .collect()
    }

    /// Asserts that a spec gives exactly these (code, line:col) findings.
    #[track_caller]
    pub fn check(spec: &str, expected: &[(&str, &str)]) {
        let found = findings(spec);
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|(c, at, _)| (c.as_str(), at.as_str()))
            .collect();
        assert_eq!(got, expected, "all findings: {found:#?}");
    }
}
