//! Apps: ports and every reference to them, workload-specific fields, probes, consumed
//! configMaps and secrets, volumes, service and ingress, network rules.

use croner::Cron;
use ipnet::IpNet;

use super::storage::{known_classes, storage_class_reference};
use super::{Ctx, exactly_one};
use crate::load::blueprint::{
    App, AppIndex, FileContent, Peer, PortRef, Probe, ServiceType, StrategyType, Workload,
};

fn port_reference(ctx: &mut Ctx<'_>, app: &App, pointer: &str, reference: &PortRef) {
    if app.port(reference).is_some() {
        return;
    }
    let known: Vec<String> = app
        .ports
        .iter()
        .map(|p| p.name.clone().unwrap_or_else(|| p.port.to_string()))
        .collect();
    let what = format!("app `{}` has no port `{reference}`", app.name);
    let help = if known.is_empty() {
        "the app declares no `ports`".to_owned()
    } else {
        crate::suggest::hint(&reference.to_string(), known.iter().map(String::as_str))
    };
    ctx.error("unknown-port", pointer, what, "no such port")
        .help = Some(help);
}

/// Apps by namespace and name, built once so that network peers resolve in a lookup.
pub(super) fn check(ctx: &mut Ctx<'_>) {
    let apps = &ctx.loaded.blueprint.spec.apps;
    let by_name = ctx.loaded.blueprint.spec.apps_by_name();
    for (i, app) in apps.iter().enumerate() {
        let at = format!("/spec/apps/{i}");
        ports(ctx, app, &at);
        workload(ctx, app, &at);
        if let Some(probes) = &app.probes {
            for (kind, probe) in [
                ("startup", &probes.startup),
                ("liveness", &probes.liveness),
                ("readiness", &probes.readiness),
            ] {
                if let Some(probe) = probe {
                    self::probe(ctx, app, &format!("{at}/probes/{kind}"), probe);
                }
            }
        }
        uses(ctx, app, &at);
        volumes(ctx, app, &at);
        service_and_ingress(ctx, app, &at);
        network(ctx, &by_name, app, &at);
        if let Some(disruption) = &app.disruption {
            exactly_one(
                ctx,
                &format!("{at}/disruption"),
                "a disruption budget",
                &[
                    ("minAvailable", disruption.min_available.is_some()),
                    ("maxUnavailable", disruption.max_unavailable.is_some()),
                ],
            );
        }
    }
}

fn ports(ctx: &mut Ctx<'_>, app: &App, at: &str) {
    if app.ports.len() > 1 {
        for (j, port) in app.ports.iter().enumerate() {
            if port.name.is_none() {
                ctx.error_at_key(
                    "unnamed-port",
                    &format!("{at}/ports/{j}"),
                    "a port needs a name when the app has several".into(),
                    "unnamed port",
                )
                .help = Some("add `name: http` (or similar) to every port".into());
            }
        }
    }
    for (j, port) in app.ports.iter().enumerate() {
        let earlier = app.ports[..j]
            .iter()
            .position(|p| p.port == port.port && p.protocol == port.protocol);
        if let Some(first) = earlier {
            let first_span = ctx.loaded.spans.value(&format!("{at}/ports/{first}/port"));
            let d = ctx.error(
                "duplicate-port",
                &format!("{at}/ports/{j}/port"),
                format!("port {} is declared twice", port.port),
                "second declaration",
            );
            d.secondary
                .extend(first_span.map(|s| (s, "first declaration".to_owned())));
        }
    }
}

fn workload(ctx: &mut Ctx<'_>, app: &App, at: &str) {
    let kind = app.workload;
    let not_for = |ctx: &mut Ctx<'_>, field: &str, allowed: &str| {
        ctx.error_at_key(
            "field-not-for-workload",
            &format!("{at}/{field}"),
            format!("`{field}` does not apply to a {}", kind.as_str()),
            "ignored by this workload",
        )
        .help = Some(format!(
            "`{field}` is for {allowed}; remove it or change `workload`"
        ));
    };
    if app.replicas.is_some() && !matches!(kind, Workload::Deployment | Workload::StatefulSet) {
        not_for(ctx, "replicas", "Deployment and StatefulSet");
    }
    if app.autoscale.is_some() && !matches!(kind, Workload::Deployment | Workload::StatefulSet) {
        not_for(ctx, "autoscale", "Deployment and StatefulSet");
    }
    if let (Some(replicas), Some(autoscale)) = (app.replicas, &app.autoscale)
        && matches!(kind, Workload::Deployment | Workload::StatefulSet)
    {
        ctx.ignored(
            &format!("{at}/replicas"),
            format!(
                "`replicas: {replicas}` has no effect: with `autoscale` the \
                     HorizontalPodAutoscaler sets the count ({} to {})",
                autoscale.min_replicas, autoscale.max_replicas
            ),
            "left to the autoscaler",
        )
        .help =
            Some("remove `replicas`, or change `autoscale.minReplicas` to set the floor".into());
    }
    if app.job.is_some() && kind.is_long_running() {
        not_for(ctx, "job", "Job and CronJob");
    }
    if app.schedule.is_some() && kind != Workload::CronJob {
        not_for(ctx, "schedule", "CronJob");
    }
    if app.strategy.is_some() && !kind.is_long_running() {
        not_for(ctx, "strategy", "Deployment, StatefulSet and DaemonSet");
    }
    if app.disruption.is_some() && !kind.is_long_running() {
        not_for(ctx, "disruption", "Deployment, StatefulSet and DaemonSet");
    }
    if kind == Workload::CronJob {
        match &app.schedule {
            None => {
                ctx.error_at_key(
                    "missing-field",
                    at,
                    "a CronJob needs `schedule`".into(),
                    "CronJob without a schedule",
                )
                .help = Some("add e.g. `schedule: \"*/5 * * * *\"`".into());
            }
            Some(schedule) => {
                if let Err(error) = schedule.parse::<Cron>() {
                    ctx.error("invalid-schedule", &format!("{at}/schedule"), format!("`{schedule}` is not a cron schedule: {error}"), "invalid cron expression")
                        .help = Some("five fields: minute hour day-of-month month day-of-week, e.g. `*/5 * * * *`".into());
                }
            }
        }
    }
    if let Some(strategy) = &app.strategy {
        let valid = match strategy.kind {
            None | Some(StrategyType::RollingUpdate) => true,
            Some(StrategyType::Recreate) => kind == Workload::Deployment,
            Some(StrategyType::OnDelete) => {
                matches!(kind, Workload::StatefulSet | Workload::DaemonSet)
            }
        };
        if !valid {
            ctx.error(
                "invalid-value",
                &format!("{at}/strategy/type"),
                format!("a {} cannot use this strategy", kind.as_str()),
                "wrong strategy for the workload",
            )
            .help = Some(
                "Recreate is for Deployments; OnDelete for StatefulSets and DaemonSets".into(),
            );
        }
        if strategy.max_surge.is_some() && kind != Workload::Deployment {
            not_for(
                ctx,
                "strategy/maxSurge",
                "Deployment (and DaemonSet only behind a feature gate)",
            );
        }
    }
    if let Some(autoscale) = &app.autoscale {
        if autoscale.min_replicas > autoscale.max_replicas {
            ctx.error(
                "invalid-value",
                &format!("{at}/autoscale/maxReplicas"),
                "`maxReplicas` is below `minReplicas`".into(),
                "too small",
            );
        }
        if autoscale.min_replicas < 1 {
            ctx.error(
                "invalid-value",
                &format!("{at}/autoscale/minReplicas"),
                "`minReplicas` must be at least 1".into(),
                "too small",
            );
        }
    }
}

fn probe(ctx: &mut Ctx<'_>, app: &App, at: &str, probe: &Probe) {
    exactly_one(
        ctx,
        at,
        "a probe",
        &[
            ("exec", probe.exec.is_some()),
            ("tcp", probe.tcp.is_some()),
            ("http", probe.http.is_some()),
        ],
    );
    if let Some(port) = &probe.tcp {
        port_reference(ctx, app, &format!("{at}/tcp"), port);
    }
    if let Some(http) = &probe.http {
        port_reference(ctx, app, &format!("{at}/http/port"), &http.port);
    }
}

fn uses(ctx: &mut Ctx<'_>, app: &App, at: &str) {
    let spec = &ctx.loaded.blueprint.spec;
    for (j, used) in app.uses.iter().enumerate() {
        let pointer = format!("{at}/uses/{j}");
        exactly_one(
            ctx,
            &pointer,
            "a `uses` entry",
            &[
                ("configMap", used.config_map.is_some()),
                ("secret", used.secret.is_some()),
            ],
        );
        if !used.items.is_empty() && used.mount_path.is_none() {
            ctx.error_at_key(
                "missing-field",
                &format!("{pointer}/items"),
                "`items` needs `mountPath`".into(),
                "nothing to mount",
            )
            .help = Some("add `mountPath`, or use `env` to pick keys as env vars".into());
        }
        let (field, keys, known): (&str, Option<Vec<String>>, Vec<&str>) =
            if let Some(name) = &used.config_map {
                let found = spec
                    .config_maps
                    .iter()
                    .find(|c| &c.name == name && c.namespace == app.namespace);
                let keys = found.map(|c| c.data.keys().chain(c.files.keys()).cloned().collect());
                (
                    "configMap",
                    keys,
                    spec.config_maps
                        .iter()
                        .filter(|c| c.namespace == app.namespace)
                        .map(|c| c.name.as_str())
                        .collect(),
                )
            } else if let Some(name) = &used.secret {
                let found = spec
                    .secrets
                    .iter()
                    .find(|s| &s.name == name && s.namespace == app.namespace);
                let keys = found.map(|s| s.data.keys().cloned().collect());
                (
                    "secret",
                    keys,
                    spec.secrets
                        .iter()
                        .filter(|s| s.namespace == app.namespace)
                        .map(|s| s.name.as_str())
                        .collect(),
                )
            } else {
                continue;
            };
        let Some(target) = used.target() else {
            continue;
        };
        let Some(keys) = keys else {
            let what = format!("{field} `{target}` in namespace `{}`", app.namespace);
            ctx.error(
                "unknown-reference",
                &format!("{pointer}/{field}"),
                format!("{what} is not defined in the blueprint"),
                "unknown name",
            )
            .help = Some(crate::suggest::hint(target, known.iter().copied()));
            continue;
        };
        let key_refs = used.env.iter().map(|(var, key)| {
            (
                format!("{pointer}/env/{}", crate::json::escape_segment(var)),
                key,
            )
        });
        let item_refs = used
            .items
            .iter()
            .enumerate()
            .map(|(k, key)| (format!("{pointer}/items/{k}"), key));
        for (key_pointer, key) in key_refs.chain(item_refs).collect::<Vec<_>>() {
            if !keys.contains(key) {
                ctx.error(
                    "unknown-key",
                    &key_pointer,
                    format!("{field} `{target}` has no key `{key}`"),
                    "no such key",
                )
                .help = Some(crate::suggest::hint(key, keys.iter().map(String::as_str)));
            }
        }
    }
}

fn volumes(ctx: &mut Ctx<'_>, app: &App, at: &str) {
    let spec = &ctx.loaded.blueprint.spec;
    let classes = known_classes(spec.storage.as_ref());
    let claims: Vec<&str> = spec
        .storage
        .iter()
        .flat_map(|s| s.claims.iter())
        .filter(|c| c.namespace == app.namespace)
        .map(|c| c.name.as_str())
        .collect();
    let mut mount_paths: Vec<(String, String)> = Vec::new();
    for (j, volume) in app.volumes.iter().enumerate() {
        let pointer = format!("{at}/volumes/{j}");
        exactly_one(
            ctx,
            &pointer,
            "a volume",
            &[
                ("claim", volume.claim.is_some()),
                ("size", volume.size.is_some()),
                ("hostPath", volume.host_path.is_some()),
                ("emptyDir", volume.empty_dir.is_some()),
                ("downwardAPI", !volume.downward_api.is_empty()),
            ],
        );
        if let Some(claim) = &volume.claim
            && !claims.contains(&claim.as_str())
        {
            ctx.unknown_reference(
                "unknown-claim",
                &format!("{pointer}/claim"),
                &format!("claim in namespace `{}`", app.namespace),
                claim,
                claims.iter().copied(),
            );
        }
        storage_class_reference(ctx, &pointer, volume.storage_class.as_deref(), &classes);
        if volume.size.is_none()
            && (volume.storage_class.is_some() || !volume.access_modes.is_empty())
        {
            ctx.error_at_key(
                "field-needs-size",
                &pointer,
                "`storageClass` and `accessModes` apply only to a volume with `size`".into(),
                "here",
            );
        }
        mount_paths.push((pointer, volume.mount_path.clone()));
    }
    if let Some(config) = &app.config {
        let pointer = format!("{at}/config");
        match (&config.mount_path, config.files.is_empty()) {
            (Some(path), false) => mount_paths.push((format!("{pointer}/mountPath"), path.clone())),
            (Some(_), true) => {
                ctx.error_at_key(
                    "missing-field",
                    &format!("{pointer}/mountPath"),
                    "`mountPath` without `files` mounts nothing".into(),
                    "nothing to mount",
                );
            }
            (None, false) => {
                ctx.error_at_key(
                    "missing-field",
                    &format!("{pointer}/files"),
                    "`files` need a `mountPath`".into(),
                    "files with nowhere to go",
                )
                .help = Some("add e.g. `mountPath: /etc/app`".into());
            }
            (None, true) => {}
        }
        for (name, content) in &config.files {
            if matches!(content, FileContent::Inline(_)) && name.contains('/') {
                ctx.error_at_key(
                    "invalid-name",
                    &format!("{pointer}/files/{}", crate::json::escape_segment(name)),
                    format!("file name `{name}` contains `/`"),
                    "not a ConfigMap key",
                );
            }
        }
    }
    for (j, used) in app.uses.iter().enumerate() {
        if let Some(path) = &used.mount_path {
            mount_paths.push((format!("{at}/uses/{j}/mountPath"), path.clone()));
        }
    }
    for (k, (pointer, path)) in mount_paths.iter().enumerate() {
        if let Some((first, _)) = mount_paths[..k].iter().find(|(_, p)| p == path) {
            let first_span = ctx.loaded.spans.value(first);
            let d = ctx.error(
                "duplicate-mount",
                pointer,
                format!("two volumes are mounted at `{path}`"),
                "second mount",
            );
            d.secondary
                .extend(first_span.map(|s| (s, "first mount".to_owned())));
        }
    }
}

/// Two apps (an add-on's included) claiming one node port: the second is an error pointing
/// at both.
pub(super) fn node_port_conflicts(ctx: &mut Ctx<'_>) {
    let mut seen: std::collections::BTreeMap<i32, (String, String)> = Default::default();
    for (i, app) in ctx.loaded.blueprint.spec.apps.iter().enumerate() {
        let Some(service) = &app.service else {
            continue;
        };
        if !matches!(
            service.kind,
            ServiceType::NodePort | ServiceType::LoadBalancer
        ) {
            continue;
        }
        for (port, node_port) in &service.node_ports {
            let pointer = format!(
                "/spec/apps/{i}/service/nodePorts/{}",
                crate::json::escape_segment(port)
            );
            match seen.get(node_port) {
                None => {
                    seen.insert(*node_port, (pointer, app.name.clone()));
                }
                Some((first, owner)) => {
                    let first_span = ctx.loaded.spans.value(first);
                    let owner = owner.clone();
                    let d = ctx.error(
                        "node-port-conflict",
                        &pointer,
                        format!("node port {node_port} is already claimed by `{owner}`"),
                        "claimed twice",
                    );
                    d.secondary
                        .extend(first_span.map(|s| (s, "first claim".to_owned())));
                    d.help = Some("every NodePort Service needs node ports of its own; pick another in 30000-32767".into());
                }
            }
        }
    }
}

fn service_and_ingress(ctx: &mut Ctx<'_>, app: &App, at: &str) {
    let service_type = app.service.as_ref().map(|s| s.kind).unwrap_or_default();
    if let Some(service) = &app.service {
        if service.kind != ServiceType::None && app.ports.is_empty() {
            ctx.error_at_key(
                "service-without-ports",
                &format!("{at}/service"),
                "a Service needs the app to declare `ports`".into(),
                "no ports to expose",
            );
        }
        for port in service.node_ports.keys() {
            let pointer = format!(
                "{at}/service/nodePorts/{}",
                crate::json::escape_segment(port)
            );
            if !matches!(
                service.kind,
                ServiceType::NodePort | ServiceType::LoadBalancer
            ) {
                ctx.ignored(
                    &pointer,
                    format!(
                        "`nodePorts` has no effect: a `{}` Service opens no port on the nodes",
                        service.kind.as_str()
                    ),
                    "ignored by this Service type",
                )
                .help = Some(
                    "set `service.type: NodePort` (or `LoadBalancer`), or remove `nodePorts`"
                        .into(),
                );
            }
            let reference = port
                .parse::<u16>()
                .map(PortRef::Number)
                .unwrap_or_else(|_| PortRef::Name(port.clone()));
            if app.port(&reference).is_none() {
                let spans = &ctx.loaded.spans;
                let span = spans.key(&pointer);
                port_reference(ctx, app, &pointer, &reference);
                if let Some(last) = ctx.out.last_mut() {
                    last.primary = span.map(|s| (s, "no such port".to_owned()));
                }
            }
        }
    }
    if !app.workload.is_long_running()
        && app
            .service
            .as_ref()
            .is_some_and(|s| s.kind != ServiceType::None)
    {
        ctx.error_at_key(
            "field-not-for-workload",
            &format!("{at}/service"),
            format!("a {} does not serve traffic", app.workload.as_str()),
            "no Service for batch work",
        );
    }
    let Some(ingress) = &app.ingress else { return };
    let why = if !app.workload.is_long_running() {
        Some(format!("a {} serves no traffic", app.workload.as_str()))
    } else if app.ports.is_empty() {
        Some("the app declares no `ports`".to_owned())
    } else if service_type == ServiceType::None {
        Some("the app has no Service (`service.type: None`)".to_owned())
    } else {
        None
    };
    if let Some(why) = why {
        ctx.ignored(
            &format!("{at}/ingress"),
            format!("`ingress` has no effect and no Ingress is generated: {why}"),
            "nothing to route to",
        );
        return;
    }
    for (h, host) in ingress.hosts.iter().enumerate() {
        for (p, path) in host.paths.iter().enumerate() {
            let pointer = format!("{at}/ingress/hosts/{h}/paths/{p}");
            match &path.port {
                Some(port) => port_reference(ctx, app, &format!("{pointer}/port"), port),
                None if app.ports.len() > 1 => {
                    ctx.error_at_key(
                        "missing-field",
                        &pointer,
                        "the app has several ports; say which one this path routes to".into(),
                        "which port?",
                    )
                    .help = Some("add `port: http` (a port name or number)".into());
                }
                None => {}
            }
        }
    }
}

fn network(ctx: &mut Ctx<'_>, by_name: &AppIndex<'_>, app: &App, at: &str) {
    let Some(network) = &app.network else { return };
    let rules = network
        .ingress
        .iter()
        .enumerate()
        .map(|(r, rule)| {
            (
                format!("{at}/network/ingress/{r}"),
                "from",
                &rule.from,
                &rule.ports,
            )
        })
        .chain(network.deny.iter().enumerate().map(|(r, rule)| {
            (
                format!("{at}/network/deny/{r}"),
                "from",
                &rule.from,
                &rule.ports,
            )
        }))
        .chain(
            network
                .egress
                .iter()
                .flatten()
                .enumerate()
                .map(|(r, rule)| {
                    (
                        format!("{at}/network/egress/{r}"),
                        "to",
                        &rule.to,
                        &rule.ports,
                    )
                }),
        )
        .collect::<Vec<_>>();
    for (pointer, side, peer, ports) in rules {
        let peer_pointer = format!("{pointer}/{side}");
        check_peer(ctx, by_name, app, &peer_pointer, peer);
        let egress = side == "to";
        // Ingress ports are this app's; egress ports are the target app's (or plain numbers).
        let target = if egress {
            peer.app.as_ref().and_then(|name| {
                by_name
                    .get(&(app.namespace.as_str(), name.as_str()))
                    .copied()
            })
        } else {
            Some(app)
        };
        for (k, port) in ports.iter().enumerate() {
            let port_pointer = format!("{pointer}/ports/{k}");
            match (target, port) {
                (Some(target), _) if !egress || matches!(port, PortRef::Name(_)) => {
                    port_reference(ctx, target, &port_pointer, port);
                }
                (None, PortRef::Name(name)) => {
                    ctx.error(
                        "unknown-port",
                        &port_pointer,
                        format!("a named port (`{name}`) needs `to: {{app: ...}}`"),
                        "use a number",
                    )
                    .help = Some("egress to a namespace or CIDR takes port numbers".into());
                }
                _ => {}
            }
        }
    }
}

fn check_peer(ctx: &mut Ctx<'_>, by_name: &AppIndex<'_>, app: &App, pointer: &str, peer: &Peer) {
    exactly_one(
        ctx,
        pointer,
        "a network peer",
        &[
            ("app", peer.app.is_some()),
            ("namespace", peer.namespace.is_some()),
            ("cidr", peer.cidr.is_some()),
            ("ingressController", peer.ingress_controller.is_some()),
        ],
    );
    if let Some(name) = &peer.app
        && !by_name.contains_key(&(app.namespace.as_str(), name.as_str()))
    {
        let mut same_namespace: Vec<&str> = by_name
            .keys()
            .filter(|(namespace, _)| *namespace == app.namespace)
            .map(|(_, name)| *name)
            .collect();
        same_namespace.sort_unstable();
        ctx.unknown_reference(
            "unknown-app",
            &format!("{pointer}/app"),
            &format!("app in namespace `{}`", app.namespace),
            name,
            same_namespace.iter().copied(),
        );
    }
    if let Some(cidr) = &peer.cidr
        && cidr.parse::<IpNet>().is_err()
    {
        ctx.error(
            "invalid-cidr",
            &format!("{pointer}/cidr"),
            format!("`{cidr}` is not a CIDR"),
            "expected e.g. 10.0.0.0/8",
        );
    }
    if peer.ingress_controller == Some(false) {
        ctx.error(
            "invalid-value",
            &format!("{pointer}/ingressController"),
            "`ingressController: false` selects nothing".into(),
            "use `true` or remove the rule",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{check, findings, warnings};

    fn app(body: &str) -> String {
        format!("  apps:\n    - name: web\n      image: nginx\n{body}")
    }

    #[test]
    fn a_port_reference_must_exist() {
        let spec = app(
            "      ports: [{name: http, port: 80}]\n      probes:\n        liveness: {tcp: htp}\n",
        );
        check(&spec, &[("unknown-port", "11:25")]);
        assert!(findings(&spec)[0].2.contains("app `web` has no port `htp`"));
    }

    #[test]
    fn ports_resolve_by_number_too() {
        check(
            &app(
                "      ports: [{name: http, port: 80}]\n      probes:\n        readiness: {http: {path: /, port: 80}}\n",
            ),
            &[],
        );
    }

    #[test]
    fn several_ports_need_names() {
        check(
            &app("      ports: [{port: 80}, {name: https, port: 443}]\n"),
            &[("unnamed-port", "9:15")],
        );
    }

    #[test]
    fn cron_schedules_are_checked() {
        check(
            &app("      workload: CronJob\n      schedule: \"*/5 * * *\"\n"),
            &[("invalid-schedule", "10:17")],
        );
        check(
            &app("      workload: CronJob\n      schedule: \"*/5 * * * *\"\n"),
            &[],
        );
        check(
            &app("      workload: CronJob\n"),
            &[("missing-field", "7:7")],
        );
    }

    #[test]
    fn fields_without_effect_are_warned_about_where_they_stand() {
        // replicas with autoscale: the HPA owns the count.
        let spec = app(
            "      replicas: 3\n      autoscale: {minReplicas: 2, maxReplicas: 5, cpuUtilization: 60}\n",
        );
        warned(&spec, "9:7");
        let message = &warnings(&spec)[0].2;
        assert!(message.contains("`replicas: 3` has no effect"), "{message}");
        assert!(message.contains("2 to 5"), "{message}");
        // nodePorts on a ClusterIP Service open nothing.
        let spec = app(
            "      ports: [{name: http, port: 80}]\n      service:\n        nodePorts: {http: 30080}\n",
        );
        warned(&spec, "11:21");
        assert!(
            warnings(&spec)[0]
                .2
                .contains("a `ClusterIP` Service opens no port")
        );
        // An ingress without ports routes nowhere.
        let spec =
            app("      ingress:\n        hosts: [{host: a.example.com, paths: [{path: /}]}]\n");
        warned(&spec, "9:7");
        assert!(warnings(&spec)[0].2.contains("the app declares no `ports`"));
        // The same fields where they do work: nothing to say.
        assert_eq!(
            warnings(&app(
                "      autoscale: {minReplicas: 2, maxReplicas: 5, cpuUtilization: 60}\n      ports: [{name: http, port: 80}]\n      service: {type: NodePort, nodePorts: {http: 30080}}\n      ingress:\n        hosts: [{host: a.example.com, paths: [{path: /}]}]\n",
            )),
            []
        );
    }

    #[track_caller]
    fn warned(spec: &str, at: &str) {
        let found = warnings(spec);
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|(c, a, _)| (c.as_str(), a.as_str()))
            .collect();
        assert_eq!(got, [("ignored-field", at)], "{found:#?}");
        assert_eq!(findings(spec), [], "warnings only");
    }

    #[test]
    fn workload_fields_must_fit_the_workload() {
        check(
            &app("      workload: DaemonSet\n      replicas: 2\n"),
            &[("field-not-for-workload", "10:7")],
        );
    }

    #[test]
    fn uses_must_name_a_defined_config_map_and_key() {
        let base = "  configMaps:\n    - {name: info, data: {count: \"1\"}}\n";
        check(
            &format!(
                "{base}{}",
                app("      uses:\n        - {configMap: info, env: {COUNT: count}}\n")
            ),
            &[],
        );
        check(
            &format!("{base}{}", app("      uses:\n        - {configMap: inf}\n")),
            &[("unknown-reference", "12:23")],
        );
        check(
            &format!(
                "{base}{}",
                app("      uses:\n        - {configMap: info, env: {COUNT: cuont}}\n")
            ),
            &[("unknown-key", "12:42")],
        );
    }

    #[test]
    fn volumes_need_one_source_and_a_known_claim() {
        check(
            &app("      volumes:\n        - {name: data, mountPath: /data}\n"),
            &[("one-of", "10:11")],
        );
        check(
            &app("      volumes:\n        - {name: data, mountPath: /data, claim: nope}\n"),
            &[("unknown-claim", "10:49")],
        );
    }

    #[test]
    fn network_peers_are_checked() {
        let spec = app(
            "      ports: [{name: http, port: 80}]\n      network:\n        ingress:\n          - from: {app: clinet}\n          - from: {cidr: 10.0.0.0/33}\n            ports: [web]\n",
        );
        check(
            &spec,
            &[
                ("unknown-app", "12:25"),
                ("invalid-cidr", "13:26"),
                ("unknown-port", "14:21"),
            ],
        );
    }

    #[test]
    fn an_ingress_needs_a_port() {
        check(
            &app(
                "      ports: [{name: http, port: 80}, {name: admin, port: 9000}]\n      ingress:\n        hosts: [{host: a.example.com, paths: [{path: /}]}]\n",
            ),
            &[("missing-field", "11:47")],
        );
    }
}
