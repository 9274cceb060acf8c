//! Synthetic but realistic blueprints and overlays of any size, for benchmarks and scale
//! tests: every app has config, plain env, a Service, an Ingress, a PVC, network rules, RBAC,
//! an HPA and a PDB, which expands to about [`OBJECTS_PER_APP`] objects. A findings-heavy
//! variant gives every app an untagged image, no probes and a writable root filesystem, so
//! that each app draws lint warnings.

/// Objects one synthetic app expands to: Deployment, its ConfigMap, Service, Ingress, PVC,
/// Calico NetworkPolicy, ServiceAccount, Role, RoleBinding, HPA and PDB.
pub const OBJECTS_PER_APP: usize = 11;

/// Apps share this many namespaces.
const NAMESPACES: usize = 20;

/// The number of apps that gives about `objects` objects.
pub fn apps_for(objects: usize) -> usize {
    objects.saturating_sub(NAMESPACES * 3) / OBJECTS_PER_APP
}

/// Which lint findings a synthetic blueprint draws.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Findings {
    /// Hardened apps: no lint rule fires.
    #[default]
    None,
    /// Every app's image is untagged, it has no probes and asks for a writable root
    /// filesystem, so each app draws one warning per rule of [`FINDING_RULES`].
    Many,
    /// The apps of [`Findings::Many`] with those rules turned off (`spec.lint.disable`): the
    /// same blueprint and the same work, minus the findings.
    Disabled,
}

/// The rules every app of a findings-heavy blueprint draws a warning from.
pub const FINDING_RULES: [&str; 3] = ["KF101", "KF201", "KF304"];

/// A blueprint named `name` with `apps` apps spread over 20 namespaces.
pub fn blueprint(name: &str, apps: usize) -> String {
    blueprint_with(name, apps, Findings::None)
}

/// A blueprint named `name` with `apps` apps spread over 20 namespaces, drawing `findings`.
pub fn blueprint_with(name: &str, apps: usize, findings: Findings) -> String {
    let clean = findings == Findings::None;
    // The clean apps keep the secure defaults and name their user; the others opt out of a
    // read-only root filesystem, which the restricted profile allows and lint warns about.
    let security_context = if clean {
        "\n      securityContext: {runAsUser: 1000}"
    } else {
        "\n      securityContext: {readOnlyRootFilesystem: false}"
    };
    let probes = if clean {
        "\n      probes:\n        readiness: {http: {path: /ready, port: http}, periodSeconds: 5}\n        liveness: {tcp: http, periodSeconds: 10}"
    } else {
        ""
    };
    let mut text = format!(
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: {name}\nspec:\n  kubernetesVersion: \"1.33\"\n  namespaces:\n"
    );
    for n in 0..NAMESPACES {
        text.push_str(&format!(
            "    - name: team-{n}\n      quota: {{requests.cpu: \"40\", requests.memory: 80Gi, pods: \"500\"}}\n      limits:\n        default: {{cpu: 200m, memory: 256Mi}}\n        defaultRequest: {{cpu: 50m, memory: 64Mi}}\n      isolation: default-deny\n"
        ));
    }
    if findings == Findings::Disabled {
        text.push_str(&format!(
            "  lint:\n    disable: [{}]\n",
            FINDING_RULES.join(", ")
        ));
    }
    text.push_str("  storage:\n    classes:\n      - name: nfs\n        nfs: {server: 10.0.0.10, share: /srv/nfs}\n        default: true\n");
    // An empty block would read as `apps: null`.
    text.push_str(if apps == 0 {
        "  apps: []\n"
    } else {
        "  apps:\n"
    });
    for i in 0..apps {
        let ns = i % NAMESPACES;
        let tag = if clean {
            format!(":1.{i}.0")
        } else {
            String::new()
        };
        // Each app talks to the one before it in its namespace, as services in a chain do.
        let upstream = if i >= NAMESPACES {
            format!(
                "\n        egress:\n          - to: {{app: app-{}}}\n            ports: [80]",
                i - NAMESPACES
            )
        } else {
            String::new()
        };
        text.push_str(&format!(
            "    - name: app-{i}
      namespace: team-{ns}
      image: registry.example.com/team-{ns}/app-{i}{tag}
      ports: [{{name: http, port: 8080}}]
      env: {{APP_NAME: app-{i}, LOG_FORMAT: json}}
      config:
        env: {{LOG_LEVEL: info, UPSTREAM: app-{i}.team-{ns}.svc}}
        files: {{app.properties: \"threads=4\\ncache=on\\n\"}}
        mountPath: /etc/app
      volumes:
        - {{name: data, mountPath: /data, size: 1Gi, accessModes: [ReadWriteOnce]}}
      resources: {{requests: {{cpu: 50m, memory: 64Mi}}, limits: {{cpu: 500m, memory: 256Mi}}}}{probes}{security_context}
      ingress:
        className: nginx
        hosts: [{{host: app-{i}.example.com, paths: [{{path: /, port: http}}]}}]
      network:
        ingress:
          - from: {{ingressController: true}}
            ports: [http]{upstream}
      rbac:
        rules: [{{apiGroups: [\"\"], resources: [configmaps], verbs: [get, list, watch]}}]
      autoscale: {{minReplicas: 2, maxReplicas: 10, cpuUtilization: 70}}
      disruption: {{minAvailable: 1}}
"
        ));
    }
    text
}

/// The files of a synthetic repository of about `objects` objects per environment: the
/// blueprint `big` in `blueprints/` and its overlays `dev` and `prod` in `overlays/`, as
/// (relative path, text); the caller writes them.
pub fn repository(objects: usize) -> Vec<(String, String)> {
    repository_with(objects, Findings::None)
}

/// [`repository`] with a blueprint that draws `findings`.
pub fn repository_with(objects: usize, findings: Findings) -> Vec<(String, String)> {
    let apps = apps_for(objects);
    let mut files = vec![(
        "blueprints/big.yaml".to_owned(),
        blueprint_with("big", apps, findings),
    )];
    for env in ["dev", "prod"] {
        files.push((format!("overlays/{env}.yaml"), overlay(env, "big", apps)));
    }
    files
}

/// An overlay `env` of blueprint `name` that patches every tenth app (image, replicas,
/// resources, ingress host) and adds one app of its own.
pub fn overlay(env: &str, name: &str, apps: usize) -> String {
    let mut text = format!(
        "apiVersion: kforge.io/v1alpha1\nkind: Overlay\nmetadata:\n  name: {env}\nspec:\n  blueprint: {name}\n  patch:\n    apps:\n"
    );
    for i in (0..apps).step_by(10) {
        text.push_str(&format!(
            "      - name: app-{i}
        image: registry.example.com/app-{i}:1.{i}.1-{env}
        replicas: 3
        resources: {{limits: {{cpu: \"1\", memory: 512Mi}}}}
        ingress:
          hosts: [{{host: app-{i}.{env}.example.com, paths: [{{path: /, port: http}}]}}]
"
        ));
    }
    text.push_str(&format!(
        "      - name: {env}-tools\n        namespace: team-0\n        image: busybox:1.36\n        command: [sleep, infinity]\n"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;
    use crate::load::load_blueprint;

    #[test]
    fn synthetic_blueprints_load_check_and_expand_to_the_promised_size() {
        let loaded = load_blueprint(
            SourceFile::new("big.yaml", blueprint("big", 40)),
            ".".into(),
        )
        .unwrap();
        let problems: Vec<_> = crate::check::check(&loaded)
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(problems.is_empty(), "{problems:?}");
        let objects = crate::expand::expand(&loaded, &crate::expand::Inputs::default()).unwrap();
        let per_app = objects
            .iter()
            .filter(|o| o.origin.starts_with("/spec/apps/7"))
            .count();
        assert_eq!(per_app, OBJECTS_PER_APP);
    }

    /// The lint rules' findings about a synthetic blueprint, by rule.
    fn lint_counts(findings: Findings) -> std::collections::BTreeMap<&'static str, usize> {
        let loaded = load_blueprint(
            SourceFile::new("big.yaml", blueprint_with("big", 40, findings)),
            ".".into(),
        )
        .unwrap();
        let objects = crate::expand::expand(&loaded, &crate::expand::Inputs::default()).unwrap();
        let mut counts = std::collections::BTreeMap::new();
        for diagnostic in crate::review::objects(&loaded, &objects) {
            *counts.entry(diagnostic.code).or_default() += 1;
        }
        counts
    }

    #[test]
    fn a_findings_heavy_blueprint_draws_each_rule_once_per_app_and_disabling_them_silences_it() {
        assert_eq!(lint_counts(Findings::None), Default::default());
        let per_rule = FINDING_RULES.iter().map(|rule| (*rule, 40)).collect();
        assert_eq!(lint_counts(Findings::Many), per_rule);
        assert_eq!(lint_counts(Findings::Disabled), Default::default());
    }

    #[test]
    fn a_blueprint_without_apps_still_loads() {
        let loaded = load_blueprint(
            SourceFile::new("tiny.yaml", blueprint("tiny", 0)),
            ".".into(),
        );
        assert!(loaded.is_ok());
    }

    #[test]
    fn synthetic_overlays_merge_cleanly() {
        let file = SourceFile::new("big.yaml", blueprint("big", 40));
        let (document, spans) = crate::load::parse_blueprint(&file).unwrap();
        let overlay =
            crate::overlay::parse_overlay(SourceFile::new("dev.yaml", overlay("dev", "big", 40)))
                .unwrap();
        let (merged, spans) = crate::overlay::merge(&document, &spans, &overlay).unwrap();
        let loaded = crate::load::from_value(merged, spans, ".".into()).unwrap();
        assert_eq!(loaded.blueprint.spec.apps.len(), 41);
    }
}
