//! The cluster's network plan: CIDRs parse and do not overlap each other or any node, node
//! addresses are unique, and the control-plane endpoint is a control-plane node or an
//! external load balancer in front of at least one.

use std::net::IpAddr;

use ipnet::IpNet;

use super::Ctx;
use crate::load::blueprint::NodeRole;

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Splits `host:port` (or `[v6]:port`) into its parts.
pub(crate) fn split_endpoint(endpoint: &str) -> Option<(&str, u16)> {
    let (host, port) = endpoint.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host, port.parse().ok()?))
}

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let Some(cluster) = &ctx.loaded.blueprint.spec.cluster else {
        return;
    };
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
    if let (Ok(pod), Ok(service)) = (&pod, &service) {
        if overlaps(pod, service) {
            ctx.error(
                "network-overlap",
                "/spec/cluster/serviceCIDR",
                format!("the service network {service} overlaps the pod network {pod}"),
                "overlaps podCIDR",
            )
            .help = Some(
                "pick disjoint ranges, e.g. podCIDR 10.244.0.0/16 and serviceCIDR 10.96.0.0/12"
                    .into(),
            );
        }
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
            if let Ok(net) = net {
                if net.contains(&address) {
                    ctx.error(
                        "network-overlap",
                        &pointer,
                        format!("node address {address} lies inside the {field} {net}"),
                        "inside a cluster network",
                    )
                    .help = Some(format!("move `{field}` to a range the nodes do not use"));
                }
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
        Some((host, _)) => {
            let holder = host
                .parse::<IpAddr>()
                .ok()
                .and_then(|ip| addresses.iter().find(|(_, a)| *a == ip))
                .map(|(i, _)| &cluster.nodes[*i]);
            if let Some(node) = holder {
                if node.role != NodeRole::ControlPlane {
                    ctx.error(
                        "endpoint-not-control-plane",
                        endpoint,
                        format!(
                            "the endpoint's address belongs to `{}`, a worker",
                            node.name
                        ),
                        "not a control-plane node",
                    )
                    .help = Some(
                        "point the endpoint at a control-plane node or a load balancer".into(),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::check;

    fn cluster(pod: &str, service: &str, endpoint: &str, nodes: &str) -> String {
        format!(
            "  cluster:\n    name: lab\n    version: 1.33.4\n    controlPlaneEndpoint: {endpoint}\n    podCIDR: {pod}\n    serviceCIDR: {service}\n    nodes:\n{nodes}"
        )
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
}
