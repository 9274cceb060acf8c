//! Service and Ingress rules (`ValidateService`, `ValidateIngressSpec`).

use std::collections::HashSet;

use serde_json::Value;

use super::meta::{label_problems, labels, subdomain_problems};
use super::pod::int_or_port_name;
use super::{Report, items, text};

const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";

fn in_range(report: &mut Report, pointer: &str, value: Option<&Value>) {
    if let Some(n) = value.and_then(Value::as_i64)
        && !(1..=65535).contains(&n)
    {
        report.invalid(pointer, &Value::from(n), PORT_RANGE);
    }
}

pub(crate) fn service(report: &mut Report, object: &Value) {
    let Some(spec) = object.get("spec") else {
        return;
    };
    let kind = text(spec, "type").unwrap_or("ClusterIP");
    let headless = text(spec, "clusterIP") == Some("None");
    let ports = items(spec, "ports");
    if kind == "ExternalName" {
        if text(spec, "externalName").is_none_or(str::is_empty) {
            report.required("/spec/externalName", None);
        }
    } else if ports.is_empty() && !headless {
        report.required("/spec/ports", None);
    }
    let mut names = HashSet::new();
    let mut pairs = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let at = format!("/spec/ports/{i}");
        match text(port, "name") {
            Some("") | None if ports.len() > 1 => report.required(&format!("{at}/name"), None),
            Some("") | None => {}
            Some(name) => {
                report.invalid_all(&format!("{at}/name"), name, label_problems(name));
                if !names.insert(name) {
                    report.duplicate(&format!("{at}/name"), &Value::String(name.to_owned()));
                }
            }
        }
        in_range(report, &format!("{at}/port"), port.get("port"));
        int_or_port_name(report, &format!("{at}/targetPort"), port.get("targetPort"));
        if let Some(node_port) = port.get("nodePort").and_then(Value::as_i64) {
            if kind != "NodePort" && kind != "LoadBalancer" {
                report.forbidden(
                    &format!("{at}/nodePort"),
                    &format!("may not be used when `type` is '{kind}'"),
                );
            } else {
                in_range(
                    report,
                    &format!("{at}/nodePort"),
                    Some(&Value::from(node_port)),
                );
            }
        }
        let protocol = text(port, "protocol").unwrap_or("TCP");
        if let Some(number) = port.get("port").and_then(Value::as_i64)
            && !pairs.insert((number, protocol))
        {
            report.duplicate(&at, &Value::String(format!("{number}/{protocol}")));
        }
    }
    labels(report, "/spec/selector", spec.get("selector"));
}

/// An Ingress backend: exactly one of `service` and `resource`; a service port by name or
/// number.
fn backend(report: &mut Report, pointer: &str, backend: &Value) {
    match (backend.get("service"), backend.get("resource")) {
        (Some(_), Some(_)) => report.invalid(
            pointer,
            &Value::String(String::new()),
            "cannot set both resource and service backends",
        ),
        (None, None) => report.required(
            pointer,
            Some("one of `service` or `resource` must be specified"),
        ),
        (Some(service), None) => {
            if let Some(name) = text(service, "name") {
                report.invalid_all(
                    &format!("{pointer}/service/name"),
                    name,
                    label_problems(name),
                );
            }
            let port = service.get("port");
            let by_name = port.and_then(|p| text(p, "name")).filter(|n| !n.is_empty());
            let by_number = port
                .and_then(|p| p.get("number"))
                .and_then(Value::as_i64)
                .filter(|n| *n != 0);
            let port_at = format!("{pointer}/service/port");
            match (by_name, by_number) {
                (Some(_), Some(_)) => report.invalid(
                    &port_at,
                    &Value::String(String::new()),
                    "cannot set both port name & port number",
                ),
                (None, None) => report.required(&port_at, Some("port name or number is required")),
                (None, Some(n)) => {
                    in_range(report, &format!("{port_at}/number"), Some(&Value::from(n)))
                }
                (Some(name), None) => {
                    report.invalid_all(
                        &format!("{port_at}/name"),
                        name,
                        super::pod::port_name_problems(name),
                    );
                }
            }
        }
        (None, Some(_)) => {}
    }
}

fn host(report: &mut Report, pointer: &str, host: &str) {
    if host.parse::<std::net::IpAddr>().is_ok() {
        report.invalid_text(pointer, host, "must be a DNS name, not an IP address");
        return;
    }
    let name = host.strip_prefix("*.").unwrap_or(host);
    report.invalid_all(pointer, host, subdomain_problems(name));
}

pub(crate) fn ingress(report: &mut Report, object: &Value) {
    let Some(spec) = object.get("spec") else {
        return;
    };
    let rules = items(spec, "rules");
    match spec.get("defaultBackend") {
        Some(default) => backend(report, "/spec/defaultBackend", default),
        None if rules.is_empty() => report.required(
            "/spec/rules",
            Some("either `defaultBackend` or `rules` must be specified"),
        ),
        None => {}
    }
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("/spec/rules/{i}");
        if let Some(name) = text(rule, "host").filter(|h| !h.is_empty()) {
            host(report, &format!("{at}/host"), name);
        }
        for (j, path) in items(rule.get("http").unwrap_or(&Value::Null), "paths")
            .iter()
            .enumerate()
        {
            let path_at = format!("{at}/http/paths/{j}");
            let kind = text(path, "pathType").unwrap_or("");
            let value = text(path, "path").unwrap_or("");
            // Any path but an empty ImplementationSpecific one must be absolute.
            let absolute_needed = matches!(kind, "Prefix" | "Exact") || !value.is_empty();
            if absolute_needed && !value.starts_with('/') {
                report.invalid_text(
                    &format!("{path_at}/path"),
                    value,
                    "must be an absolute path",
                );
            }
            if let Some(b) = path.get("backend") {
                backend(report, &format!("{path_at}/backend"), b);
            }
        }
    }
    for (i, tls) in items(spec, "tls").iter().enumerate() {
        for (j, name) in items(tls, "hosts").iter().enumerate() {
            if let Some(name) = name.as_str() {
                host(report, &format!("/spec/tls/{i}/hosts/{j}"), name);
            }
        }
    }
}
