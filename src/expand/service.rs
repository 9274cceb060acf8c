//! Services and Ingress: the app's Service (ClusterIP, NodePort, LoadBalancer, Headless),
//! the headless Service a StatefulSet needs, and the Ingress with TLS.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Expansion;
use super::labels::{non_empty, non_empty_vec};
use super::workload::governing_service;
use crate::load::blueprint::{App, PathType, Port, PortRef, ServiceType, Workload};

fn service_port(app: &App, port: &Port, node_ports: &BTreeMap<String, i32>) -> ServicePort {
    let node_port = port
        .name
        .as_ref()
        .and_then(|n| node_ports.get(n))
        .or_else(|| node_ports.get(&port.port.to_string()))
        .copied();
    ServicePort {
        name: port
            .name
            .clone()
            .or_else(|| (app.ports.len() > 1).then(|| port.port.to_string())),
        port: i32::from(port.service_port.unwrap_or(port.port)),
        target_port: Some(match &port.name {
            Some(name) => IntOrString::String(name.clone()),
            None => IntOrString::Int(i32::from(port.port)),
        }),
        protocol: Some(port.protocol.as_str().to_owned()),
        node_port,
        ..Default::default()
    }
}

fn service(x: &Expansion<'_>, app: &App, name: &str, kind: ServiceType) -> Service {
    let settings = app.service.clone().unwrap_or_default();
    let node_ports = if matches!(kind, ServiceType::NodePort | ServiceType::LoadBalancer) {
        settings.node_ports.clone()
    } else {
        BTreeMap::new()
    };
    let (type_, cluster_ip) = match kind {
        ServiceType::Headless => ("ClusterIP", Some("None".to_owned())),
        ServiceType::NodePort => ("NodePort", None),
        ServiceType::LoadBalancer => ("LoadBalancer", None),
        _ => ("ClusterIP", None),
    };
    let mut meta = x.labels.meta(name, Some(&app.namespace), &app.name);
    meta.annotations = non_empty(settings.annotations.clone());
    Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            type_: Some(type_.into()),
            cluster_ip,
            selector: Some(x.labels.selector(&app.name)),
            ports: non_empty_vec(
                app.ports
                    .iter()
                    .map(|p| service_port(app, p, &node_ports))
                    .collect(),
            ),
            // A StatefulSet's peers find each other through DNS before they are ready.
            publish_not_ready_addresses: (kind == ServiceType::Headless
                && app.workload == Workload::StatefulSet)
                .then_some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(super) fn expand(x: &mut Expansion<'_>, index: usize) {
    let loaded = x.loaded;
    let app = &loaded.blueprint.spec.apps[index];
    let origin = format!("/spec/apps/{index}");
    let kind = app.service.as_ref().map(|s| s.kind).unwrap_or_default();
    let namespace = Some(app.namespace.as_str());
    let serves =
        app.workload.is_long_running() && kind != ServiceType::None && !app.ports.is_empty();
    if serves {
        let object = service(x, app, &app.name, kind);
        let service_origin = if app.service.is_some() {
            format!("{origin}/service")
        } else {
            format!("{origin}/ports")
        };
        x.push(&object, &app.name, namespace, &service_origin);
    }
    if app.workload == Workload::StatefulSet && kind != ServiceType::Headless {
        let name = governing_service(app);
        let object = service(x, app, &name, ServiceType::Headless);
        x.push(&object, &name, namespace, &origin);
    }
    let Some(ingress) = &app.ingress else { return };
    if !serves {
        return;
    }
    let backend_port = |reference: Option<&PortRef>| -> ServiceBackendPort {
        let port = match reference {
            Some(r) => app.port(r),
            None => app.ports.first(),
        };
        match port {
            Some(Port {
                name: Some(name), ..
            }) => ServiceBackendPort {
                name: Some(name.clone()),
                number: None,
            },
            Some(p) => ServiceBackendPort {
                name: None,
                number: Some(i32::from(p.service_port.unwrap_or(p.port))),
            },
            None => ServiceBackendPort::default(),
        }
    };
    let rules = ingress
        .hosts
        .iter()
        .map(|host| IngressRule {
            host: Some(host.host.clone()),
            http: Some(HTTPIngressRuleValue {
                paths: host
                    .paths
                    .iter()
                    .map(|path| HTTPIngressPath {
                        path: Some(path.path.clone()),
                        path_type: match path.path_type {
                            PathType::Prefix => "Prefix",
                            PathType::Exact => "Exact",
                            PathType::ImplementationSpecific => "ImplementationSpecific",
                        }
                        .into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: app.name.clone(),
                                port: Some(backend_port(path.port.as_ref())),
                            }),
                            ..Default::default()
                        },
                    })
                    .collect(),
            }),
        })
        .collect();
    let tls = ingress.tls.as_ref().map(|tls| {
        let hosts = if tls.hosts.is_empty() {
            ingress.hosts.iter().map(|h| h.host.clone()).collect()
        } else {
            tls.hosts.clone()
        };
        vec![IngressTLS {
            hosts: Some(hosts),
            secret_name: Some(tls.secret_name.clone()),
        }]
    });
    let mut meta = x.labels.meta(&app.name, namespace, &app.name);
    meta.annotations = non_empty(ingress.annotations.clone());
    let object = Ingress {
        metadata: meta,
        spec: Some(IngressSpec {
            ingress_class_name: ingress.class_name.clone(),
            rules: Some(rules),
            tls,
            ..Default::default()
        }),
        ..Default::default()
    };
    x.push(&object, &app.name, namespace, &format!("{origin}/ingress"));
}
