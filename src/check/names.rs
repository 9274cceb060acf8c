//! Names: DNS-1123 / RFC 1035 syntax, and duplicates in every named list (pointing at both).

use std::collections::HashMap;

use super::Ctx;

/// What Kubernetes requires of a name, by where it is used.
#[derive(Clone, Copy)]
pub(crate) enum NameRule {
    /// Namespaces, label-like names: lowercase alphanumerics and `-`, at most 63.
    Label,
    /// Service names: like a label, but starting with a letter.
    Rfc1035,
    /// Most object names: labels joined by dots, at most 253.
    Subdomain,
    /// Port names: at most 15, lowercase alphanumerics and `-`, at least one letter.
    Port,
}

/// Why `name` breaks `rule`, if it does.
pub(crate) fn name_problem(name: &str, rule: NameRule) -> Option<String> {
    let label_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    let (ok, max, what) = match rule {
        NameRule::Label => (
            label_ok(name),
            63,
            "a DNS-1123 label (lowercase letters, digits and `-`, starting and ending with a letter or digit)",
        ),
        NameRule::Rfc1035 => (
            label_ok(name) && name.starts_with(|c: char| c.is_ascii_lowercase()),
            63,
            "an RFC 1035 label (lowercase letters, digits and `-`, starting with a letter)",
        ),
        NameRule::Subdomain => (
            name.split('.').all(label_ok),
            253,
            "a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`)",
        ),
        NameRule::Port => (
            label_ok(name) && name.bytes().any(|b| b.is_ascii_lowercase()) && !name.contains("--"),
            15,
            "an IANA service name (lowercase letters, digits and `-`, with a letter)",
        ),
    };
    if !ok {
        Some(format!("`{name}` is not {what}"))
    } else if name.len() > max {
        Some(format!(
            "`{name}` is {} characters long; the limit is {max}",
            name.len()
        ))
    } else {
        None
    }
}

fn name(ctx: &mut Ctx<'_>, pointer: &str, value: &str, rule: NameRule) {
    if let Some(problem) = name_problem(value, rule) {
        ctx.error("invalid-name", pointer, problem, "invalid name")
            .help = Some("Kubernetes rejects this name; e.g. `my-app-2`".to_owned());
    }
}

/// Reports every name in `items` that appeared before, pointing at both places.
fn unique<'n>(ctx: &mut Ctx<'_>, list: &str, what: &str, items: impl Iterator<Item = &'n str>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.enumerate() {
        if let Some(first) = seen.get(item) {
            let first_span = ctx.loaded.spans.value(&format!("{list}/{first}/name"));
            ctx.error(
                "duplicate-name",
                &format!("{list}/{i}/name"),
                format!("two {what} are named `{item}`"),
                "second definition",
            )
            .secondary
            .extend(first_span.map(|s| (s, "first definition".to_owned())));
            if let Some(last) = ctx.out.last_mut() {
                last.help = Some(format!(
                    "{what} are keyed by name; rename or merge one of them"
                ));
            }
        } else {
            seen.insert(item, i);
        }
    }
}

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let spec = &ctx.loaded.blueprint.spec;
    name(
        ctx,
        "/metadata/name",
        &ctx.loaded.blueprint.metadata.name,
        NameRule::Label,
    );

    unique(
        ctx,
        "/spec/namespaces",
        "namespaces",
        spec.namespaces.iter().map(|n| n.name.as_str()),
    );
    for (i, ns) in spec.namespaces.iter().enumerate() {
        name(
            ctx,
            &format!("/spec/namespaces/{i}/name"),
            &ns.name,
            NameRule::Label,
        );
    }
    unique(
        ctx,
        "/spec/apps",
        "apps",
        spec.apps.iter().map(|a| a.name.as_str()),
    );
    for (i, app) in spec.apps.iter().enumerate() {
        name(
            ctx,
            &format!("/spec/apps/{i}/name"),
            &app.name,
            NameRule::Rfc1035,
        );
        name(
            ctx,
            &format!("/spec/apps/{i}/namespace"),
            &app.namespace,
            NameRule::Label,
        );
        let ports = format!("/spec/apps/{i}/ports");
        unique(
            ctx,
            &ports,
            "ports",
            app.ports.iter().filter_map(|p| p.name.as_deref()),
        );
        for (j, port) in app.ports.iter().enumerate() {
            if let Some(port_name) = &port.name {
                name(ctx, &format!("{ports}/{j}/name"), port_name, NameRule::Port);
            }
        }
        let volumes = format!("/spec/apps/{i}/volumes");
        unique(
            ctx,
            &volumes,
            "volumes",
            app.volumes.iter().map(|v| v.name.as_str()),
        );
        for (j, volume) in app.volumes.iter().enumerate() {
            name(
                ctx,
                &format!("{volumes}/{j}/name"),
                &volume.name,
                NameRule::Label,
            );
        }
    }
    unique(
        ctx,
        "/spec/configMaps",
        "configMaps",
        spec.config_maps.iter().map(|c| c.name.as_str()),
    );
    for (i, cm) in spec.config_maps.iter().enumerate() {
        name(
            ctx,
            &format!("/spec/configMaps/{i}/name"),
            &cm.name,
            NameRule::Subdomain,
        );
        name(
            ctx,
            &format!("/spec/configMaps/{i}/namespace"),
            &cm.namespace,
            NameRule::Label,
        );
    }
    unique(
        ctx,
        "/spec/secrets",
        "secrets",
        spec.secrets.iter().map(|s| s.name.as_str()),
    );
    for (i, secret) in spec.secrets.iter().enumerate() {
        name(
            ctx,
            &format!("/spec/secrets/{i}/name"),
            &secret.name,
            NameRule::Subdomain,
        );
        name(
            ctx,
            &format!("/spec/secrets/{i}/namespace"),
            &secret.namespace,
            NameRule::Label,
        );
    }
    if let Some(storage) = &spec.storage {
        unique(
            ctx,
            "/spec/storage/classes",
            "storage classes",
            storage.classes.iter().map(|c| c.name.as_str()),
        );
        unique(
            ctx,
            "/spec/storage/volumes",
            "volumes",
            storage.volumes.iter().map(|v| v.name.as_str()),
        );
        unique(
            ctx,
            "/spec/storage/claims",
            "claims",
            storage.claims.iter().map(|c| c.name.as_str()),
        );
        for (i, class) in storage.classes.iter().enumerate() {
            name(
                ctx,
                &format!("/spec/storage/classes/{i}/name"),
                &class.name,
                NameRule::Subdomain,
            );
        }
        for (i, volume) in storage.volumes.iter().enumerate() {
            name(
                ctx,
                &format!("/spec/storage/volumes/{i}/name"),
                &volume.name,
                NameRule::Subdomain,
            );
        }
        for (i, claim) in storage.claims.iter().enumerate() {
            name(
                ctx,
                &format!("/spec/storage/claims/{i}/name"),
                &claim.name,
                NameRule::Subdomain,
            );
            name(
                ctx,
                &format!("/spec/storage/claims/{i}/namespace"),
                &claim.namespace,
                NameRule::Label,
            );
        }
    }
    if let Some(cluster) = &spec.cluster {
        unique(
            ctx,
            "/spec/cluster/nodes",
            "nodes",
            cluster.nodes.iter().map(|n| n.name.as_str()),
        );
        for (i, node) in cluster.nodes.iter().enumerate() {
            name(
                ctx,
                &format!("/spec/cluster/nodes/{i}/name"),
                &node.name,
                NameRule::Subdomain,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::check;

    #[test]
    fn name_rules() {
        assert!(name_problem("web-1", NameRule::Label).is_none());
        assert!(name_problem("Web", NameRule::Label).is_some());
        assert!(name_problem("1web", NameRule::Rfc1035).is_some());
        assert!(name_problem("a.b-c", NameRule::Subdomain).is_none());
        assert!(name_problem("a..b", NameRule::Subdomain).is_some());
        assert!(name_problem("http", NameRule::Port).is_none());
        assert!(name_problem("8080", NameRule::Port).is_some());
        assert!(name_problem("a-very-long-port-name", NameRule::Port).is_some());
        assert!(name_problem(&"a".repeat(64), NameRule::Label).is_some());
    }

    #[test]
    fn a_duplicate_app_points_at_both() {
        let spec = "  apps:\n    - {name: web, image: nginx}\n    - {name: web, image: nginx}\n";
        check(spec, &[("duplicate-name", "8:14")]);
        let loaded = crate::check::testing::load(spec);
        let found = crate::check::check(&loaded);
        assert_eq!(found[0].secondary[0].0.location(), "bp.yaml:7:14");
    }

    #[test]
    fn invalid_names_are_reported_where_they_stand() {
        check(
            "  namespaces:\n    - name: Web_NS\n  apps:\n    - {name: 2web, image: nginx}\n",
            &[("invalid-name", "7:13"), ("invalid-name", "9:14")],
        );
    }
}
