//! The cluster's network plan: CIDRs parse and do not overlap each other or any node, node
//! addresses are unique, and the control-plane endpoint is a control-plane node or an
//! external load balancer in front of at least one.

use std::net::IpAddr;

use ipnet::IpNet;

use super::Ctx;
use crate::json::escape_segment;
use crate::load::blueprint::{Cluster, NodeRole};
use crate::model::names::{NameRule, label_key_problem, label_value_problem, name_problem};

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Splits `host:port` (or `[v6]:port`) into its parts.
pub(crate) fn split_endpoint(endpoint: &str) -> Option<(&str, u16)> {
    let (host, port) = endpoint.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host, port.parse().ok()?))
}

/// `1.33.4`: what the node packages are pinned to.
pub(crate) fn is_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A Linux interface name as `ip` takes it: at most 15 characters, letters, digits, `-`,
/// `_` and `.`, starting with a letter or digit (no `/`, no white space, no `..`).
fn interface_ok(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Label prefixes under `kubernetes.io`/`k8s.io` that the kubelet may set on its own node
/// (NodeRestriction); any other key there stops the kubelet from starting.
fn kubelet_may_set(key: &str) -> bool {
    let Some((prefix, _)) = key.split_once('/') else {
        return true;
    };
    let reserved = |p: &str| {
        p == "kubernetes.io"
            || p.ends_with(".kubernetes.io")
            || p == "k8s.io"
            || p.ends_with(".k8s.io")
    };
    !reserved(prefix)
        || prefix == "kubelet.kubernetes.io"
        || prefix.ends_with(".kubelet.kubernetes.io")
        || prefix == "node.kubernetes.io"
        || prefix.ends_with(".node.kubernetes.io")
        || matches!(
            key,
            "kubernetes.io/hostname"
                | "kubernetes.io/arch"
                | "kubernetes.io/os"
                | "topology.kubernetes.io/region"
                | "topology.kubernetes.io/zone"
        )
}

/// Every value of the cluster that reaches a node's script or kubeadm configuration has a
/// shape that cannot carry a command: names, versions, interfaces, labels and taints.
fn values(ctx: &mut Ctx<'_>, cluster: &Cluster) {
    if let Some(problem) = name_problem(&cluster.name, NameRule::Label) {
        ctx.error(
            "invalid-name",
            "/spec/cluster/name",
            problem,
            "invalid name",
        );
    }
    if !is_version(&cluster.version) {
        ctx.error(
            "invalid-version",
            "/spec/cluster/version",
            format!("`{}` is not a Kubernetes patch version", cluster.version),
            "expected e.g. 1.33.4",
        );
    }
    if let Some(version) = &cluster.cni_version
        && !version.strip_prefix('v').is_some_and(is_version)
    {
        ctx.error(
            "invalid-version",
            "/spec/cluster/cniVersion",
            format!("`{version}` is not a release tag"),
            "expected e.g. v3.31.7",
        );
    }
    for (i, node) in cluster.nodes.iter().enumerate() {
        let at = format!("/spec/cluster/nodes/{i}");
        if let Some(interface) = &node.interface
            && !interface_ok(interface)
        {
            ctx.error(
                "invalid-interface",
                &format!("{at}/interface"),
                format!("`{interface}` is not a network interface name"),
                "not an interface name",
            )
            .help =
                Some("at most 15 letters, digits, `-`, `_` and `.`, e.g. enp0s8 or eth1".into());
        }
        for (key, value) in &node.labels {
            let pointer = format!("{at}/labels/{}", escape_segment(key));
            if let Some(problem) = label_key_problem(key) {
                ctx.error_at_key("invalid-label", &pointer, problem, "invalid key");
            } else if !kubelet_may_set(key) {
                ctx.error_at_key(
                    "invalid-label",
                    &pointer,
                    format!("the kubelet may not set the label `{key}` on its own node"),
                    "reserved prefix",
                )
                .help = Some("use a prefix of your own (example.com/role), or `node.kubernetes.io/...`; label the node with kubectl after it joined otherwise".into());
            }
            if let Some(problem) = label_value_problem(value) {
                ctx.error("invalid-label", &pointer, problem, "invalid value");
            }
        }
        for (t, taint) in node.taints.iter().enumerate() {
            let pointer = format!("{at}/taints/{t}");
            if let Some(problem) = label_key_problem(&taint.key) {
                ctx.error(
                    "invalid-taint",
                    &format!("{pointer}/key"),
                    problem,
                    "invalid key",
                );
            }
            if let Some(problem) = taint.value.as_deref().and_then(label_value_problem) {
                ctx.error(
                    "invalid-taint",
                    &format!("{pointer}/value"),
                    problem,
                    "invalid value",
                );
            }
        }
    }
    if ctx.loaded.blueprint.spec.encryption.is_none() {
        ctx.error_at_key(
            "cluster-needs-encryption",
            "/spec/cluster",
            "`spec.cluster` needs `spec.encryption`: the cluster CA key and bootstrap token are committed only encrypted".into(),
            "no recipients for the node secrets",
        )
        .help = Some("add `spec.encryption: {age: [age1...]}` (the output of `age-keygen -y KEY`)".into());
    }
}

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let Some(cluster) = &ctx.loaded.blueprint.spec.cluster else {
        return;
    };
    values(ctx, cluster);
    let pod = cluster.pod_cidr.parse::<IpNet>();
    let service = cluster.service_cidr.parse::<IpNet>();
    for (field, parsed) in [("podCIDR", &pod), ("serviceCIDR", &service)] {
        if parsed.is_err() {
            ctx.error(
                "invalid-cidr",
                &format!("/spec/cluster/{field}"),
                format!("`{field}` is not a CIDR"),
                "expected a network such as 10.244.0.0/16",
            );
        }
    }
    if let (Ok(pod), Ok(service)) = (&pod, &service)
        && overlaps(pod, service)
    {
        ctx.error(
            "network-overlap",
            "/spec/cluster/serviceCIDR",
            format!("the service network {service} overlaps the pod network {pod}"),
            "overlaps podCIDR",
        )
        .help = Some(
            "pick disjoint ranges, e.g. podCIDR 10.244.0.0/16 and serviceCIDR 10.96.0.0/12".into(),
        );
    }

    let mut addresses: Vec<(usize, IpAddr)> = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let pointer = format!("/spec/cluster/nodes/{i}/address");
        let Ok(address) = node.address.parse::<IpAddr>() else {
            ctx.error(
                "invalid-address",
                &pointer,
                format!("`{}` is not an IP address", node.address),
                "expected e.g. 192.168.56.3",
            );
            continue;
        };
        if let Some((first, _)) = addresses.iter().find(|(_, a)| *a == address) {
            let first_span = ctx
                .loaded
                .spans
                .value(&format!("/spec/cluster/nodes/{first}/address"));
            let d = ctx.error(
                "duplicate-address",
                &pointer,
                format!("two nodes have the address {address}"),
                "second node",
            );
            d.secondary
                .extend(first_span.map(|s| (s, "first node".to_owned())));
        }
        for (field, net) in [("podCIDR", &pod), ("serviceCIDR", &service)] {
            if let Ok(net) = net
                && net.contains(&address)
            {
                ctx.error(
                    "network-overlap",
                    &pointer,
                    format!("node address {address} lies inside the {field} {net}"),
                    "inside a cluster network",
                )
                .help = Some(format!("move `{field}` to a range the nodes do not use"));
            }
        }
        addresses.push((i, address));
    }

    let control_planes = cluster
        .nodes
        .iter()
        .filter(|n| n.role == NodeRole::ControlPlane)
        .count();
    if control_planes == 0 {
        ctx.error_at_key(
            "no-control-plane",
            "/spec/cluster/nodes",
            "the cluster has no control-plane node".into(),
            "nodes",
        )
        .help = Some("give one node `role: control-plane`".into());
    }
    let endpoint = "/spec/cluster/controlPlaneEndpoint";
    match split_endpoint(&cluster.control_plane_endpoint) {
        None => {
            ctx.error(
                "invalid-endpoint",
                endpoint,
                format!("`{}` is not host:port", cluster.control_plane_endpoint),
                "expected e.g. 192.168.56.3:6443",
            );
        }
        Some((host, _))
            if host.parse::<IpAddr>().is_err()
                && name_problem(host, NameRule::Subdomain).is_some() =>
        {
            ctx.error(
                "invalid-endpoint",
                endpoint,
                format!("`{host}` is neither an IP address nor a DNS name"),
                "expected e.g. 192.168.56.3:6443",
            );
        }
        Some((host, _)) => {
            let holder = host
                .parse::<IpAddr>()
                .ok()
                .and_then(|ip| addresses.iter().find(|(_, a)| *a == ip))
                .map(|(i, _)| &cluster.nodes[*i]);
            if let Some(node) = holder
                && node.role != NodeRole::ControlPlane
            {
                ctx.error(
                    "endpoint-not-control-plane",
                    endpoint,
                    format!(
                        "the endpoint's address belongs to `{}`, a worker",
                        node.name
                    ),
                    "not a control-plane node",
                )
                .help =
                    Some("point the endpoint at a control-plane node or a load balancer".into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::check;

    pub(crate) const ENCRYPTION: &str =
        "  encryption: {age: [age14wqr4ywsh9qwql298dz2cmjam5jgg4f4q9v0wele2hl2ww55v56q5tet4v]}\n";

    fn cluster(pod: &str, service: &str, endpoint: &str, nodes: &str) -> String {
        format!(
            "  cluster:\n    name: lab\n    version: 1.33.4\n    controlPlaneEndpoint: {endpoint}\n    podCIDR: {pod}\n    serviceCIDR: {service}\n    nodes:\n{nodes}{ENCRYPTION}"
        )
    }

    fn seed(nodes: &str) -> String {
        cluster("10.244.0.0/16", "10.96.0.0/12", "192.168.56.3:6443", nodes)
    }

    const NODES: &str = "      - {name: master, role: control-plane, address: 192.168.56.3}\n      - {name: worker-1, role: worker, address: 192.168.56.4}\n";

    #[test]
    fn the_seed_plan_is_fine() {
        check(
            &cluster("10.244.0.0/16", "10.96.0.0/12", "192.168.56.3:6443", NODES),
            &[],
        );
    }

    #[test]
    fn an_external_load_balancer_is_fine() {
        check(
            &cluster(
                "10.244.0.0/16",
                "10.96.0.0/12",
                "192.168.56.100:6443",
                NODES,
            ),
            &[],
        );
    }

    #[test]
    fn overlapping_networks_are_reported() {
        check(
            &cluster("10.0.0.0/8", "10.96.0.0/12", "192.168.56.3:6443", NODES),
            &[("network-overlap", "11:18")],
        );
        check(
            &cluster("192.168.0.0/16", "10.96.0.0/12", "192.168.56.3:6443", NODES),
            &[("network-overlap", "13:54"), ("network-overlap", "14:49")],
        );
    }

    #[test]
    fn bad_cidrs_and_endpoints_are_reported() {
        check(
            &cluster("10.244.0.0/33", "10.96.0.0/12", "master", NODES),
            &[("invalid-endpoint", "9:27"), ("invalid-cidr", "10:14")],
        );
    }

    #[test]
    fn the_endpoint_must_not_be_a_worker() {
        check(
            &cluster("10.244.0.0/16", "10.96.0.0/12", "192.168.56.4:6443", NODES),
            &[("endpoint-not-control-plane", "9:27")],
        );
    }

    #[test]
    fn duplicate_addresses_and_no_control_plane() {
        let nodes = "      - {name: a, role: worker, address: 192.168.56.4}\n      - {name: b, role: worker, address: 192.168.56.4}\n";
        check(
            &cluster(
                "10.244.0.0/16",
                "10.96.0.0/12",
                "192.168.56.100:6443",
                nodes,
            ),
            &[("no-control-plane", "12:5"), ("duplicate-address", "14:42")],
        );
    }

    #[test]
    fn a_node_name_with_a_semicolon_or_a_space_is_refused() {
        check(
            &seed("      - {name: \"m;reboot\", role: control-plane, address: 192.168.56.3}\n"),
            &[("invalid-name", "13:16")],
        );
        check(
            &seed("      - {name: \"m 1\", role: control-plane, address: 192.168.56.3}\n"),
            &[("invalid-name", "13:16")],
        );
    }

    #[test]
    fn an_address_that_is_not_an_ip_is_refused() {
        check(
            &seed("      - {name: m, role: control-plane, address: \"192.168.56.3; id\"}\n"),
            &[("invalid-address", "13:49")],
        );
    }

    #[test]
    fn an_interface_with_a_slash_is_refused() {
        check(
            &seed(
                "      - {name: m, role: control-plane, address: 192.168.56.3, interface: ../eth0}\n",
            ),
            &[("invalid-interface", "13:74")],
        );
        check(
            &seed(
                "      - {name: m, role: control-plane, address: 192.168.56.3, interface: enp0s8}\n",
            ),
            &[],
        );
    }

    #[test]
    fn labels_taints_and_versions_that_could_carry_a_command_are_refused() {
        let nodes = "      - name: m\n        role: control-plane\n        address: 192.168.56.3\n        labels: {\"a$(id)\": x, tier: \"b c\", node-role.kubernetes.io/worker: \"\"}\n        taints: [{key: \"k;x\", value: v, effect: NoSchedule}]\n";
        check(
            &seed(nodes),
            &[
                ("invalid-label", "16:18"),
                ("invalid-label", "16:37"),
                ("invalid-label", "16:44"),
                ("invalid-taint", "17:24"),
            ],
        );
        let text = seed(NODES)
            .replace("version: 1.33.4", "version: 1.33.4;id")
            .replace("    nodes:", "    cniVersion: latest\n    nodes:");
        check(
            &text,
            &[("invalid-version", "8:14"), ("invalid-version", "12:17")],
        );
    }

    #[test]
    fn a_cluster_without_encryption_is_refused() {
        let text = seed(NODES).replace(ENCRYPTION, "");
        check(&text, &[("cluster-needs-encryption", "6:3")]);
    }

    #[test]
    fn an_endpoint_host_must_be_an_address_or_a_dns_name() {
        check(
            &cluster("10.244.0.0/16", "10.96.0.0/12", "\"a b:6443\"", NODES),
            &[("invalid-endpoint", "9:27")],
        );
    }
}
