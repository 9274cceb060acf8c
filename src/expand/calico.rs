//! Calico `projectcalico.org/v3` policies: one NetworkPolicy per app with `network` rules,
//! namespace isolation (`default-deny`, `strict`), and the GlobalNetworkPolicy of
//! `networkPolicy.globalDefaultDeny`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Expansion;
use crate::load::blueprint::{self as bp, App, AppIndex, Isolation, Peer, PortRef};
use crate::model::calico::{
    Action, EntityRule, GlobalNetworkPolicy, GlobalNetworkPolicySpec, NetworkPolicy,
    NetworkPolicySpec, PolicyType, Port, Protocol, Rule,
};

/// The namespace the ingress-nginx controller runs in (its upstream manifests' default).
pub const INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-nginx";
/// App policies come before the namespace's catch-all deny.
const APP_ORDER: f64 = 100.0;
const ISOLATION_ORDER: f64 = 1000.0;
const SYSTEM_NAMESPACES: &str =
    "'kube-system', 'calico-system', 'calico-apiserver', 'tigera-operator'";

fn namespace_selector(namespace: &str) -> String {
    format!("kubernetes.io/metadata.name == '{namespace}'")
}

/// Allows DNS lookups against the cluster DNS, over UDP and TCP.
fn dns_rules() -> Vec<Rule> {
    [Protocol::Udp, Protocol::Tcp]
        .into_iter()
        .map(|protocol| Rule {
            protocol: Some(protocol),
            destination: EntityRule {
                selector: Some("k8s-app == 'kube-dns'".into()),
                namespace_selector: Some(namespace_selector("kube-system")),
                ports: vec![Port::Number(53)],
                ..Default::default()
            },
            ..Rule::new(Action::Allow)
        })
        .collect()
}

fn peer_entity(x: &Expansion<'_>, peer: &Peer) -> EntityRule {
    let mut entity = EntityRule::default();
    if let Some(app) = &peer.app {
        entity.selector = Some(x.labels.calico_selector(app));
    }
    if let Some(namespace) = &peer.namespace {
        entity.namespace_selector = Some(namespace_selector(namespace));
    }
    if let Some(cidr) = &peer.cidr {
        entity.nets = vec![cidr.clone()];
    }
    if peer.ingress_controller == Some(true) {
        entity.namespace_selector = Some(namespace_selector(INGRESS_CONTROLLER_NAMESPACE));
    }
    entity
}

fn protocol(p: bp::Protocol) -> Protocol {
    match p {
        bp::Protocol::Tcp => Protocol::Tcp,
        bp::Protocol::Udp => Protocol::Udp,
        bp::Protocol::Sctp => Protocol::Sctp,
    }
}

/// Calico needs a protocol with every port, so ports are grouped into one rule per protocol.
fn rules_for(
    action: Action,
    peer: EntityRule,
    ports: Vec<(bp::Protocol, Port)>,
    ingress: bool,
) -> Vec<Rule> {
    let place = |rule: &mut Rule, ports: Vec<Port>| {
        if ingress {
            rule.source = peer.clone();
            rule.destination.ports = ports;
        } else {
            rule.destination = EntityRule {
                ports,
                ..peer.clone()
            };
        }
    };
    if ports.is_empty() {
        let mut rule = Rule::new(action);
        place(&mut rule, Vec::new());
        return vec![rule];
    }
    let mut by_protocol: BTreeMap<bp::Protocol, Vec<Port>> = BTreeMap::new();
    for (p, port) in ports {
        by_protocol.entry(p).or_default().push(port);
    }
    by_protocol
        .into_iter()
        .map(|(p, ports)| {
            let mut rule = Rule {
                protocol: Some(protocol(p)),
                ..Rule::new(action)
            };
            place(&mut rule, ports);
            rule
        })
        .collect()
}

/// The ports of `target` that references name, as Calico ports with their protocols.
fn ports_of(target: Option<&App>, references: &[PortRef]) -> Vec<(bp::Protocol, Port)> {
    references
        .iter()
        .map(|reference| match (target, reference) {
            (Some(app), _) => match app.port(reference) {
                Some(port) => (port.protocol, Port::Number(port.port)),
                None => (bp::Protocol::Tcp, to_port(reference)),
            },
            (None, _) => (bp::Protocol::Tcp, to_port(reference)),
        })
        .collect()
}

fn to_port(reference: &PortRef) -> Port {
    match reference {
        PortRef::Number(n) => Port::Number(*n),
        PortRef::Name(name) => Port::Name(name.clone()),
    }
}

pub(super) fn expand_app(x: &mut Expansion<'_>, apps: &AppIndex<'_>, index: usize) {
    let app = &x.loaded.blueprint.spec.apps[index];
    let Some(network) = &app.network else { return };
    let mut ingress = Vec::new();
    for rule in &network.deny {
        ingress.extend(rules_for(
            Action::Deny,
            peer_entity(x, &rule.from),
            ports_of(Some(app), &rule.ports),
            true,
        ));
    }
    for rule in &network.ingress {
        ingress.extend(rules_for(
            Action::Allow,
            peer_entity(x, &rule.from),
            ports_of(Some(app), &rule.ports),
            true,
        ));
    }
    let mut types = Vec::new();
    if !network.ingress.is_empty() || !network.deny.is_empty() {
        types.push(PolicyType::Ingress);
    }
    let mut egress = Vec::new();
    if let Some(rules) = &network.egress {
        types.push(PolicyType::Egress);
        for rule in rules {
            let target = rule
                .to
                .app
                .as_ref()
                .and_then(|name| apps.get(&(app.namespace.as_str(), name.as_str())).copied());
            egress.extend(rules_for(
                Action::Allow,
                peer_entity(x, &rule.to),
                ports_of(target, &rule.ports),
                false,
            ));
        }
        egress.extend(dns_rules());
    }
    let policy = NetworkPolicy {
        metadata: x.labels.meta(&app.name, Some(&app.namespace), &app.name),
        spec: NetworkPolicySpec {
            order: Some(APP_ORDER),
            selector: Some(x.labels.calico_selector(&app.name)),
            types,
            ingress,
            egress,
            ..Default::default()
        },
    };
    let (name, namespace) = (app.name.clone(), app.namespace.clone());
    x.push(
        &policy,
        &name,
        Some(&namespace),
        &format!("/spec/apps/{index}/network"),
    );
}

/// The namespace-wide policy of `isolation`: deny ingress, or ingress and egress but DNS.
pub(super) fn expand_isolation(
    x: &mut Expansion<'_>,
    namespace: &str,
    isolation: Isolation,
    origin: &str,
) {
    let (types, egress) = match isolation {
        Isolation::None => return,
        Isolation::DefaultDeny => (vec![PolicyType::Ingress], Vec::new()),
        Isolation::Strict => (vec![PolicyType::Ingress, PolicyType::Egress], dns_rules()),
    };
    let name = "default-deny";
    let policy = NetworkPolicy {
        metadata: x.labels.meta(name, Some(namespace), namespace),
        spec: NetworkPolicySpec {
            order: Some(ISOLATION_ORDER),
            selector: Some("all()".into()),
            types,
            egress,
            ..Default::default()
        },
    };
    x.push(&policy, name, Some(namespace), origin);
}

pub(super) fn expand_global(x: &mut Expansion<'_>) {
    let enabled = x
        .loaded
        .blueprint
        .spec
        .network_policy
        .as_ref()
        .is_some_and(|n| n.global_default_deny);
    if !enabled {
        return;
    }
    let name = "default-deny";
    let policy = GlobalNetworkPolicy {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(x.labels.all(name)),
            ..Default::default()
        },
        spec: GlobalNetworkPolicySpec {
            selector: Some(format!(
                "projectcalico.org/namespace not in {{{SYSTEM_NAMESPACES}}}"
            )),
            types: vec![PolicyType::Ingress, PolicyType::Egress],
            egress: dns_rules(),
            ..Default::default()
        },
    };
    x.push(&policy, name, None, "/spec/networkPolicy/globalDefaultDeny");
}
