//! Names: DNS-1123 / RFC 1035 syntax, and duplicates in every named list (pointing at both).

use std::collections::HashMap;

use super::Ctx;
use crate::model::names::{NameRule, name_problem};

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
    use crate::check::testing::check;

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
